"""Quadrature and importance sampling over σ² (brief section 5.3, targets 3 and 5)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from powertail.nngp.posterior import (
    FixedNoiseLikelihood,
    eigen_factor,
    gaussian_summary,
    importance_posterior,
    quadrature_posterior,
    student_t_log_marginal,
    student_t_predictive,
)
from powertail.nngp.priors import BurrXII, HalfCauchy, InverseGamma, PointMass

from ._problems import problem

NOISE = 0.05


@pytest.mark.parametrize("n", [10, 200])
@pytest.mark.parametrize("alpha, beta", [(0.5, 1.0), (2.0, 3.0), (8.0, 8.0)])
def test_quadrature_reproduces_the_student_t_closed_form(n: int, alpha: float, beta: float) -> None:
    p = problem(n=n)
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    post = quadrature_posterior(s, InverseGamma(alpha, beta))
    assert post.log_marginal == pytest.approx(
        float(student_t_log_marginal(s, alpha, beta)), abs=1e-9
    )
    exact = student_t_predictive(s, alpha, beta)
    np.testing.assert_allclose(post.logpdf(p.y_test), exact.logpdf(p.y_test), atol=1e-8)
    m1, v1 = post.scale_moments()
    ig = stats.invgamma(alpha + n / 2, scale=beta + s.quad_form / 2)
    assert m1 == pytest.approx(ig.mean(), rel=1e-8)
    if alpha + n / 2 > 2:
        assert v1 == pytest.approx(ig.var(), rel=1e-6)


@pytest.mark.parametrize("prior", [BurrXII(2.0, 1.0), HalfCauchy(1.0)], ids=str)
def test_quadrature_matches_adaptive_integration_for_other_priors(prior) -> None:
    p = problem(n=20)
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    post = quadrature_posterior(s, prior)
    nc = s.n
    shift = 30.0

    def joint(s2: float) -> float:
        log_like = -0.5 * nc * np.log(2 * np.pi * s2) - 0.5 * s.logdet - s.quad_form / (2 * s2)
        return np.exp(log_like + float(prior.logpdf(s2)) + shift)

    marginal = sum(
        integrate.quad(joint, a, b, limit=200, epsrel=1e-12)[0] for a, b in [(0, 1), (1, np.inf)]
    )
    assert post.log_marginal == pytest.approx(np.log(marginal) - shift, abs=1e-8)
    var = s.latent_var + s.noise
    j = 2
    dens = (
        sum(
            integrate.quad(
                lambda s2: (
                    joint(s2) * stats.norm.pdf(p.y_test[j], s.mean[j, 0], np.sqrt(s2 * var[j]))
                ),
                a,
                b,
                limit=200,
                epsrel=1e-12,
            )[0]
            for a, b in [(0, 1), (1, np.inf)]
        )
        / marginal
    )
    assert np.exp(post.logpdf(p.y_test)[j, 0]) == pytest.approx(dens, rel=1e-8)


def test_importance_sampling_converges_and_its_ess_falls_with_n() -> None:
    alpha, beta = 2.0, 3.0
    p = problem(n=30)
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    exact = float(student_t_log_marginal(s, alpha, beta))
    errors = [
        abs(
            importance_posterior(s, InverseGamma(alpha, beta), n_samples=k, seed=5).log_marginal
            - exact
        )
        for k in (100, 100_000)
    ]
    assert errors[1] < 0.01 and errors[1] < errors[0]
    big = importance_posterior(s, InverseGamma(alpha, beta), n_samples=100_000, seed=5)
    np.testing.assert_allclose(
        big.logpdf(p.y_test), student_t_predictive(s, alpha, beta).logpdf(p.y_test), atol=0.01
    )
    ess = [
        importance_posterior(gaussian_summary(q.k, q.y, noise=NOISE), InverseGamma(alpha, beta)).ess
        for q in (problem(n=30), problem(n=300))
    ]
    assert ess[0] > ess[1]


def test_fixed_noise_point_mass_is_the_gaussian_process() -> None:
    p = problem()
    factor = eigen_factor(p.k, p.y, p.kx, p.kd)
    tau2, s2 = 0.1, 1.7
    post = quadrature_posterior(FixedNoiseLikelihood(factor, tau2), PointMass(s2))
    cov = s2 * p.k + tau2 * np.eye(p.y.size)
    assert post.log_marginal == pytest.approx(
        stats.multivariate_normal(np.zeros(p.y.size), cov).logpdf(p.y), abs=1e-9
    )
    mu = s2 * p.kx @ np.linalg.solve(cov, p.y)
    var = s2 * p.kd - s2**2 * np.einsum("ij,ji->i", p.kx, np.linalg.solve(cov, p.kx.T)) + tau2
    np.testing.assert_allclose(post.mean()[:, 0], mu, rtol=1e-9)
    np.testing.assert_allclose(post.var()[:, 0], var, rtol=1e-8)


def test_fixed_noise_inverse_gamma_matches_brute_force_integration() -> None:
    p = problem(n=12)
    tau2, alpha, beta = 0.1, 2.0, 1.0
    post = quadrature_posterior(
        FixedNoiseLikelihood(eigen_factor(p.k, p.y), tau2), InverseGamma(alpha, beta)
    )

    def joint(s2: float) -> float:
        cov = s2 * p.k + tau2 * np.eye(12)
        return np.exp(
            stats.multivariate_normal(np.zeros(12), cov).logpdf(p.y)
            + stats.invgamma(alpha, scale=beta).logpdf(s2)
        )

    brute = sum(
        integrate.quad(joint, a, b, limit=200, epsrel=1e-11)[0] for a, b in [(0, 1), (1, np.inf)]
    )
    assert post.log_marginal == pytest.approx(np.log(brute), abs=1e-8)

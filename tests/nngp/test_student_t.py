"""Exact Student-t process regression (brief section 5.3, targets 2, 3, 4, 6, 9, 10)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from powertail.errors import InputError
from powertail.nngp.posterior import (
    gaussian_summary,
    scale_posterior,
    student_t_log_marginal,
    student_t_predictive,
)

from ._problems import problem

NOISE = 0.05


@pytest.mark.parametrize("alpha, beta", [(0.5, 1.0), (2.0, 3.0), (8.0, 0.5)])
def test_log_marginal_equals_scipy_multivariate_t(alpha: float, beta: float) -> None:
    p = problem()
    s = gaussian_summary(p.k, p.y, noise=NOISE)
    shape = beta / alpha * (p.k + NOISE * np.eye(p.k.shape[0]))
    expected = stats.multivariate_t(np.zeros(p.y.size), shape=shape, df=2 * alpha).logpdf(p.y)
    assert float(student_t_log_marginal(s, alpha, beta)) == pytest.approx(expected, abs=1e-10)


def test_log_marginal_is_vectorised_over_a_grid() -> None:
    p = problem()
    s = gaussian_summary(p.k, p.y, noise=NOISE)
    alphas, betas = np.meshgrid([0.5, 1.0, 4.0], [1.0, 2.0])
    grid = student_t_log_marginal(s, alphas, betas)
    one = [
        float(student_t_log_marginal(s, a, b))
        for a, b in zip(alphas.ravel(), betas.ravel(), strict=True)
    ]
    np.testing.assert_allclose(grid.ravel(), one, rtol=1e-14)


@pytest.mark.parametrize("noisy", [True, False])
def test_predictive_equals_integral_over_the_scale_posterior(noisy: bool) -> None:
    p = problem()
    alpha, beta = 2.0, 3.0
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    pred = student_t_predictive(s, alpha, beta, noisy=noisy)
    post = stats.invgamma(alpha + s.n / 2, scale=beta + s.quad_form / 2)
    # independent conditional moments by a direct solve
    kt = p.k + NOISE * np.eye(s.n)
    mu = p.kx @ np.linalg.solve(kt, p.y)
    var = p.kd - np.einsum("ij,ji->i", p.kx, np.linalg.solve(kt, p.kx.T)) + (NOISE if noisy else 0)
    for j in range(p.y_test.size):
        density = integrate.quad(
            lambda s2, j=j: stats.norm.pdf(p.y_test[j], mu[j], np.sqrt(s2 * var[j])) * post.pdf(s2),
            0,
            np.inf,
            epsabs=0,
            epsrel=1e-12,
            limit=200,
        )[0]
        assert np.exp(pred.logpdf(p.y_test)[j, 0]) == pytest.approx(density, rel=1e-9)
    assert pred.df == 2 * alpha + s.n


def test_scale_posterior_matches_sampling_importance_resampling() -> None:
    p = problem(n=15)
    alpha, beta = 1.5, 2.0
    s = gaussian_summary(p.k, p.y, noise=NOISE)
    post = scale_posterior(s, alpha, beta)
    rng = np.random.default_rng(11)
    draws = stats.invgamma(alpha, scale=beta).rvs(200_000, random_state=rng)
    kt = p.k + NOISE * np.eye(s.n)
    q = p.y @ np.linalg.solve(kt, p.y)
    logw = -0.5 * s.n * np.log(draws) - q / (2 * draws)
    w = np.exp(logw - logw.max())
    resampled = rng.choice(draws, size=50_000, p=w / w.sum())
    exact = stats.invgamma(post.alpha, scale=post.beta)
    assert resampled.mean() == pytest.approx(exact.mean(), rel=0.02)
    assert resampled.var() == pytest.approx(exact.var(), rel=0.1)
    assert stats.kstest(resampled[:5000], exact.cdf).pvalue > 1e-3


def test_gaussian_limit() -> None:
    # α → ∞ with β/α = s fixed: the predictive tends to the NNGP with readout variance s
    p = problem()
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    scale = 0.7
    gauss = stats.norm(s.mean[:, 0], np.sqrt(scale * (s.latent_var + NOISE))).logpdf(p.y_test)
    gaps = [
        np.abs(student_t_predictive(s, a, scale * a).logpdf(p.y_test)[:, 0] - gauss).max()
        for a in (1e1, 1e3, 1e5)
    ]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-3


def test_multi_output_shares_the_scale() -> None:
    p = problem(outputs=3)
    alpha, beta = 2.0, 1.0
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    kt = p.k + NOISE * np.eye(s.n)

    def integrand(s2: float) -> float:
        like = sum(
            stats.multivariate_normal(np.zeros(s.n), s2 * kt).logpdf(p.y[:, c]) for c in range(3)
        )
        return np.exp(like + 60.0) * stats.invgamma(alpha, scale=beta).pdf(s2)

    brute = np.log(integrate.quad(integrand, 0, np.inf, epsrel=1e-11, limit=200)[0]) - 60.0
    assert float(student_t_log_marginal(s, alpha, beta)) == pytest.approx(brute, abs=1e-7)
    pred = student_t_predictive(s, alpha, beta)
    assert pred.df == 2 * alpha + 3 * s.n
    single = gaussian_summary(p.k, p.y[:, 0], noise=NOISE)
    assert single.n_outputs == 1
    assert float(student_t_log_marginal(single, alpha, beta)) == pytest.approx(
        stats.multivariate_t(np.zeros(s.n), shape=beta / alpha * kt, df=2 * alpha).logpdf(
            p.y[:, 0]
        ),
        abs=1e-10,
    )


def test_joint_predictive_marginals_match_the_marginal_predictive() -> None:
    p = problem()
    s = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE, k_test_test=p.kss)
    pred = student_t_predictive(s, 2.0, 2.0)
    np.testing.assert_allclose(np.sqrt(np.diag(pred.shape_matrix)), pred.scale, rtol=1e-12)
    joint = pred.joint_logpdf(p.y_test)
    assert joint.shape == (1,) and np.isfinite(joint[0])


def test_prior_scale_mixture_by_monte_carlo() -> None:
    # brief section 5.3 target 6: σ² ~ IG(α, β), f ~ N(0, σ² K)
    p = problem(n=8)
    alpha, beta = 3.0, 2.0
    k = p.k + 1e-6 * np.eye(8)
    rng = np.random.default_rng(3)
    s2 = stats.invgamma(alpha, scale=beta).rvs(40_000, random_state=rng)
    f = np.sqrt(s2)[:, None] * rng.standard_normal((s2.size, 8)) @ np.linalg.cholesky(k).T
    marginal = stats.t(2 * alpha, scale=np.sqrt(beta / alpha * k[0, 0]))
    assert stats.kstest(f[:, 0], marginal.cdf).pvalue > 1e-3
    statistic = np.einsum("ij,ij->i", f, np.linalg.solve(k, f.T).T) / (8 * beta / alpha)
    assert stats.kstest(statistic, stats.f(8, 2 * alpha).cdf).pvalue > 1e-3
    np.testing.assert_allclose(np.cov(f.T), beta / (alpha - 1) * k, atol=0.08 * k.max())


def test_permutation_invariance() -> None:
    p = problem()
    order = np.random.default_rng(4).permutation(p.y.size)
    a = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=NOISE)
    b = gaussian_summary(p.k[np.ix_(order, order)], p.y[order], p.kx[:, order], p.kd, noise=NOISE)
    assert b.quad_form == pytest.approx(a.quad_form, rel=1e-11)
    assert b.logdet == pytest.approx(a.logdet, rel=1e-11)
    np.testing.assert_allclose(b.mean, a.mean, rtol=1e-9)


def test_bad_prior_parameters_raise() -> None:
    s = gaussian_summary(problem().k, problem().y, noise=NOISE)
    with pytest.raises(InputError, match="alpha: expected finite values > 0"):
        student_t_log_marginal(s, -1.0, 1.0)

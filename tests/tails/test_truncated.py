"""Doubly truncated Pareto law: special functions, score root, recovery, Fisher information."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from powertail.tails import fit_power_law
from powertail.tails.truncated import (
    log_normalisation,
    mean_fraction,
    solve_rate,
    truncated_cdf_parameters,
    variance_fraction,
)

from ._samples import truncated_pareto

RATES = np.array(
    [-800.0, -30.0, -2.0, -0.05, -1e-3, -1e-9, 0.0, 1e-9, 1e-3, 0.05, 2.0, 30.0, 800.0]
)


def _moments_by_quadrature(s: float) -> tuple[float, float]:
    """Mean and variance of the density prop. to exp(-s t) on [0, 1], by direct quadrature."""
    shift = max(0.0, -s)  # keep the weights <= 1
    w = lambda t, p: t**p * np.exp(-s * t - shift)  # noqa: E731
    z = integrate.quad(
        w, 0, 1, args=(0,), epsabs=0, epsrel=1e-13, points=[min(1, 1 / abs(s or 1))]
    )[0]
    m1 = integrate.quad(w, 0, 1, args=(1,), epsabs=0, epsrel=1e-13)[0] / z
    m2 = integrate.quad(w, 0, 1, args=(2,), epsabs=0, epsrel=1e-13)[0] / z
    return m1, m2 - m1 * m1


@pytest.mark.parametrize("s", RATES)
def test_mean_and_variance_fraction_match_quadrature(s: float) -> None:
    mean, var = _moments_by_quadrature(s)
    assert float(mean_fraction(np.array(s))) == pytest.approx(mean, rel=1e-9, abs=1e-13)
    assert float(variance_fraction(np.array(s))) == pytest.approx(var, rel=1e-7, abs=1e-13)


def test_solve_rate_inverts_mean_fraction() -> None:
    s = np.concatenate([RATES, np.linspace(-50, 50, 101), [1e5, -1e5]])
    u = mean_fraction(s)
    ok = (u > 0) & (u < 1)
    np.testing.assert_allclose(solve_rate(u[ok]), s[ok], rtol=1e-9, atol=1e-6)


def test_log_normalisation_matches_its_definition() -> None:
    beta = np.array([-3.0, -0.5, -1e-6, 1e-6, 0.5, 1.5, 4.0])
    q = np.log(50.0)
    c = beta / (1 - np.exp(-beta * q))
    np.testing.assert_allclose(
        log_normalisation(beta, np.full(beta.size, q)), np.log(c), rtol=1e-10
    )
    np.testing.assert_allclose(log_normalisation(beta[4:], np.full(3, np.inf)), np.log(beta[4:]))


@pytest.mark.parametrize("beta", [-1.5, -0.3, 0.4, 1.5, 3.0])
def test_cdf_parameters_reproduce_the_truncated_cdf(beta: float) -> None:
    q = np.log(80.0)
    d = np.linspace(0, q, 50)
    b, omega, sig, rho = truncated_cdf_parameters(np.array([beta]), np.array([q]))
    u = -b[0] * d + omega[0]
    assert np.all(u <= 1e-15)
    cdf = sig[0] + rho[0] * np.expm1(u)
    np.testing.assert_allclose(cdf, np.expm1(-beta * d) / np.expm1(-beta * q), atol=1e-14)


@pytest.mark.parametrize("alpha", [0.5, 1.5, 2.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_alpha_of_doubly_truncated_samples(alpha: float, seed: int) -> None:
    x = truncated_pareto(3000, alpha, xmin=1.0, xmax=100.0, seed=seed)
    fit = fit_power_law(x, xmin=1.0, xmax=100.0)
    assert abs(fit.alpha - alpha) < 3 * fit.sigma
    # The untruncated fit is biased high when the truncation bites.
    if alpha < 2:
        naive = fit_power_law(x, xmin=1.0)
        assert naive.alpha - alpha > 3 * naive.sigma


def test_truncated_fit_solves_the_score_equation_and_its_sigma_is_the_fisher_information() -> None:
    x = truncated_pareto(1500, 1.8, xmin=2.0, xmax=60.0, seed=4)
    fit = fit_power_law(x, xmin=2.0, xmax=60.0)
    tail = x[(x >= 2.0) & (x <= 60.0)]

    def loglik(a: float) -> float:
        norm = (a - 1) / (2.0 ** (1 - a) - 60.0 ** (1 - a))
        return float(np.sum(np.log(norm) - a * np.log(tail)))

    h = 1e-4
    score = (loglik(fit.alpha + h) - loglik(fit.alpha - h)) / (2 * h)
    curv = (loglik(fit.alpha + h) - 2 * loglik(fit.alpha) + loglik(fit.alpha - h)) / h**2
    assert abs(score) < 1e-4 * tail.size
    assert fit.sigma == pytest.approx(1 / np.sqrt(-curv), rel=1e-4)
    assert fit.loglikelihood == pytest.approx(loglik(fit.alpha), rel=1e-12)


def test_truncated_scan_keeps_candidates_below_xmax_and_drops_points_above() -> None:
    x = truncated_pareto(800, 2.0, xmin=1.0, xmax=50.0, seed=5)
    fit = fit_power_law(x, xmax=20.0)
    assert fit.xmax == 20.0
    assert np.all(fit.xmin_candidates < 20.0)
    assert fit.n_tail == np.sum((x >= fit.xmin) & (x <= 20.0))
    assert fit.n == x.size


def test_large_xmax_tends_to_the_untruncated_fit() -> None:
    x = truncated_pareto(1000, 2.5, xmin=1.0, xmax=1e3, seed=6)
    plain = fit_power_law(x, xmin=1.0)
    far = fit_power_law(x, xmin=1.0, xmax=1e12)
    assert far.alpha == pytest.approx(plain.alpha, rel=1e-9)
    assert far.sigma == pytest.approx(plain.sigma, rel=1e-6)

"""Power law with exponential cut-off: normaliser, MLE, agreement with powerlaw 2.0.0."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from powertail.errors import InputError
from powertail.tails import fit_truncated_power_law
from powertail.tails.cutoff import tpl_log_normaliser

from ._oracle import powerlaw_module, quiet
from ._samples import pareto


def tpl_sample(n: int, alpha: float, lam: float, *, xmin: float, seed: int) -> np.ndarray:
    """Rejection sampler: shifted exponential proposal, accept with (x/xmin)^-alpha (alpha>=0)."""
    rng = np.random.default_rng(seed)
    out = np.empty(0)
    while out.size < n:
        prop = xmin + rng.exponential(1 / lam, 4 * n)
        keep = rng.random(4 * n) < (prop / xmin) ** (-alpha)
        out = np.concatenate([out, prop[keep]])
    return out[:n]


@pytest.mark.parametrize(
    ("alpha", "lam", "xmin"),
    [
        (2.5, 0.01, 1.0),
        (0.5, 2.0, 3.0),
        (-1.0, 5.0, 0.1),
        (1.0, 1e-6, 1.0),
        (2.0, 100.0, 1.0),
        (1.5, 1e-3, 1e3),
        (3.0, 1e-9, 2.0),
        (7.0, 0.3, 0.5),
    ],
)
def test_normaliser_matches_incomplete_gamma(alpha: float, lam: float, xmin: float) -> None:
    mpmath.mp.dps = 30
    ref = mpmath.log(lam ** (alpha - 1) * mpmath.gammainc(1 - alpha, lam * xmin))
    assert tpl_log_normaliser(alpha, lam, xmin) == pytest.approx(float(ref), rel=1e-10, abs=1e-12)


def test_normaliser_pure_power_law_and_errors() -> None:
    assert tpl_log_normaliser(2.5, 0.0, 2.0) == pytest.approx(np.log(2.0**-1.5 / 1.5))
    with pytest.raises(InputError, match=r"alpha must be > 1 when Lambda = 0"):
        tpl_log_normaliser(0.8, 0.0, 1.0)
    with pytest.raises(InputError, match=r"Lambda must be a finite number >= 0; got -1"):
        tpl_log_normaliser(2.0, -1.0, 1.0)


@pytest.mark.parametrize(("alpha", "lam"), [(1.5, 0.05), (2.2, 0.01), (0.8, 0.2)])
def test_matches_powerlaw_truncated_power_law(alpha: float, lam: float) -> None:
    powerlaw = powerlaw_module()
    x = tpl_sample(2000, alpha, lam, xmin=1.0, seed=int(10 * alpha))
    fit = fit_truncated_power_law(x, xmin=1.0)
    with quiet():
        ref = powerlaw.Fit(x, xmin=1.0, verbose=0).truncated_power_law
        ref_alpha, ref_lam, ref_ll = ref.alpha, ref.Lambda, ref.loglikelihood
    assert fit.converged
    assert fit.loglikelihood >= ref_ll - 1e-7  # powerlaw's Nelder-Mead stops at tol 1e-4
    assert fit.loglikelihood == pytest.approx(ref_ll, abs=1e-5)
    assert fit.alpha == pytest.approx(ref_alpha, abs=1e-3)
    assert fit.Lambda == pytest.approx(ref_lam, rel=1e-3)
    assert fit.loglikelihoods(x).sum() == pytest.approx(fit.loglikelihood, rel=1e-10)
    assert abs(fit.alpha - alpha) < 0.2


def test_pure_pareto_tail_gives_lambda_zero_or_tiny() -> None:
    x = pareto(3000, 3.5, seed=3)
    fit = fit_truncated_power_law(x, xmin=1.0)
    assert fit.Lambda * x.max() < 0.5
    assert abs(fit.alpha - 3.5) < 0.3


def test_density_integrates_to_one_and_ccdf_is_consistent() -> None:
    x = tpl_sample(1500, 1.7, 0.05, xmin=2.0, seed=1)
    fit = fit_truncated_power_law(x, xmin=2.0)
    from scipy import integrate

    total, _ = integrate.quad(lambda t: float(fit.pdf(t)), 2.0, np.inf, limit=200)
    assert total == pytest.approx(1.0, rel=1e-8)
    part, _ = integrate.quad(lambda t: float(fit.pdf(t)), 10.0, np.inf, limit=200)
    assert float(fit.ccdf(np.array([10.0]))[0]) == pytest.approx(part, rel=1e-7)
    assert float(fit.ccdf(np.array([1.0]))[0]) == 1.0


def test_cutoff_fit_rejects_empty_tail() -> None:
    with pytest.raises(InputError, match=r"xmin=100.0 leaves 0 points with no spread above it"):
        fit_truncated_power_law([1.0, 2.0, 3.0], xmin=100.0)

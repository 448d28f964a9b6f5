"""Estimators with confidence intervals, checked against distributions with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.shear.observables import anderson_darling, batch_means, bootstrap, quantile_ci


def test_quantile_ci_coverage_on_exponential_samples() -> None:
    rng = np.random.default_rng(0)
    q = 0.9
    true = -np.log(1 - q)
    hits = 0
    for _ in range(300):
        est = quantile_ci(rng.exponential(size=400), q)
        hits += est.low <= true <= est.high
    # order-statistic intervals are conservative: coverage >= 95 % up to binomial noise
    assert hits / 300 > 0.92


def test_batch_means_coverage_and_error_scale() -> None:
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(300):
        x = rng.normal(2.0, 3.0, size=2000)
        est = batch_means(x)
        hits += est.low <= 2.0 <= est.high
        assert est.stderr == pytest.approx(3.0 / np.sqrt(2000), rel=0.5)
    assert 0.91 < hits / 300 < 0.99


def test_bootstrap_median_interval_contains_the_truth() -> None:
    x = np.random.default_rng(2).standard_cauchy(3000)
    est = bootstrap(x, np.median, seed=3, n_boot=300)
    assert est.low < 0.0 < est.high
    assert est.high - est.low < 0.2


def test_estimators_refuse_tiny_samples() -> None:
    with pytest.raises(InputError, match="x: expected at least 4 finite values, got 3"):
        batch_means(np.arange(3.0))
    assert batch_means(np.arange(10.0)).method == "batch means (5)"
    with pytest.raises(InputError, match=r"q: expected a probability in \(0, 1\), got 1.5"):
        quantile_ci(np.arange(50.0), 1.5)


def test_anderson_darling_against_known_critical_values_and_scipy() -> None:
    from scipy.stats import expon, goodness_of_fit, norm

    from powertail.shear.observables import _anderson_darling_limit_cdf

    # upper 10 %, 5 %, 1 % points of the limiting A^2 law (Stephens 1974, case 0)
    for z, level in ((1.933, 0.90), (2.492, 0.95), (3.857, 0.99)):
        assert _anderson_darling_limit_cdf(z) == pytest.approx(level, abs=2e-3)
    rng = np.random.default_rng(8)
    x = rng.exponential(size=200)
    ours = anderson_darling(x, expon.cdf)
    ref = goodness_of_fit(
        expon, x, known_params={"loc": 0.0, "scale": 1.0}, statistic="ad", n_mc_samples=2000, rng=1
    )
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert ours.pvalue == pytest.approx(ref.pvalue, abs=0.03)
    # power: a shifted sample is rejected, the right law is not
    assert anderson_darling(1.5 * x, expon.cdf).pvalue < 1e-3
    assert anderson_darling(rng.standard_normal(500), norm.cdf).pvalue > 0.001

"""Conformance suite every scale prior must pass: density, sampler and quantiles agree."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from powertail.errors import InputError
from powertail.nngp.priors import (
    BurrXII,
    CustomPrior,
    Gamma,
    HalfCauchy,
    InverseGamma,
    LogNormal,
    ScalePrior,
)

PRIORS = [
    InverseGamma(2.0, 3.0),
    InverseGamma(0.5, 1.0),
    BurrXII(2.0, 1.0),
    BurrXII(1.0, 3.0, scale=2.0),
    Gamma(2.0, 0.5),
    LogNormal(0.3, 1.2),
    HalfCauchy(1.5),
    CustomPrior(
        log_density=lambda s: stats.expon.logpdf(s),
        support=(1e-12, 60.0),
        sampler=lambda rng, size: rng.exponential(size=size),
    ),
]


def cdf(prior: ScalePrior, x: float) -> float:
    # integrate the density in t = ln s (smooth for every prior here)
    f = lambda t: np.exp(prior.logpdf(np.exp(t)) + t)  # noqa: E731
    return integrate.quad(f, -60.0, np.log(x), limit=200, epsabs=1e-12)[0]


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: p.describe())
def test_density_normalised_and_consistent_with_sampler(prior: ScalePrior) -> None:
    f = lambda t: np.exp(prior.logpdf(np.exp(t)) + t)  # noqa: E731
    total = sum(integrate.quad(f, a, b, limit=200)[0] for a, b in [(-60, 0), (0, 10), (10, 200)])
    assert total == pytest.approx(1.0, abs=1e-6)
    draws = prior.sample(np.random.default_rng(0), 2000)
    assert np.all(draws > 0)
    grid = np.quantile(draws, [0.1, 0.3, 0.5, 0.7, 0.9])
    empirical = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    np.testing.assert_allclose([cdf(prior, g) for g in grid], empirical, atol=0.04)


@pytest.mark.parametrize("prior", PRIORS[:7], ids=lambda p: p.describe())
def test_log_quantile_inverts_the_cdf(prior: ScalePrior) -> None:
    for p in (0.05, 0.5, 0.95):
        assert cdf(prior, np.exp(prior.log_quantile(p))) == pytest.approx(p, abs=1e-6)


def test_invalid_parameters_raise() -> None:
    with pytest.raises(InputError, match="InverseGamma: alpha expected a finite float > 0"):
        InverseGamma(0.0, 1.0)
    with pytest.raises(InputError, match="BurrXII: d expected a finite float > 0"):
        BurrXII(1.0, float("nan"))
    with pytest.raises(InputError, match="CustomPrior: support expected 0 < low < high"):
        CustomPrior(log_density=np.log, support=(1.0, 0.5))

"""Bootstrap confidence interval for alpha: coverage and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.tails import bootstrap_alpha

from ._samples import body_and_tail, pareto


def test_same_seed_same_numbers_different_seed_different_numbers() -> None:
    x = pareto(400, 2.5, seed=0)
    a = bootstrap_alpha(x, seed=7, n_boot=30)
    b = bootstrap_alpha(x, seed=7, n_boot=30)
    c = bootstrap_alpha(x, seed=8, n_boot=30)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert (a.low, a.high) == (b.low, b.high)
    assert not np.array_equal(a.samples, c.samples)
    assert a.samples.shape == (30,)
    assert a.low <= a.alpha <= a.high


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interval_covers_the_truth(seed: int) -> None:
    x = body_and_tail(300, 700, 2.5, seed=seed)
    res = bootstrap_alpha(x, seed=seed, n_boot=60)
    assert res.low < 2.5 < res.high
    assert res.refit_xmin


def test_fixed_xmin_bootstrap_width_matches_the_standard_error() -> None:
    x = pareto(2000, 2.0, seed=3)
    res = bootstrap_alpha(x, seed=1, n_boot=200, refit_xmin=False, xmin=1.0)
    assert res.xmin == 1.0
    sigma = (res.alpha - 1) / np.sqrt(2000)
    # Percentile half-width of a 95% interval is about 1.96 sigma for the fixed-xmin MLE.
    assert (res.high - res.low) / 2 == pytest.approx(1.96 * sigma, rel=0.25)
    assert res.low < 2.0 < res.high


def test_bootstrap_argument_errors() -> None:
    x = pareto(100, 2.0, seed=0)
    with pytest.raises(InputError, match=r"pass refit_xmin=False to keep xmin"):
        bootstrap_alpha(x, seed=0, xmin=1.0)
    with pytest.raises(InputError, match=r"level must be in \(0, 1\), e.g. 0.95; got 95"):
        bootstrap_alpha(x, seed=0, level=95)
    with pytest.raises(InputError, match=r"n_boot must be an integer >= 2; got 1"):
        bootstrap_alpha(x, seed=0, n_boot=1)
    with pytest.raises(TypeError):
        bootstrap_alpha(x)  # type: ignore[call-arg]  # the seed is required

"""Likelihood-ratio comparisons against ``powerlaw`` 2.0.0's ``distribution_compare``."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.tails import compare_power_law, loglikelihood_ratio

from ._oracle import powerlaw_module, quiet
from ._samples import body_and_tail, pareto


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("normalized", [False, True])
def test_ratio_and_p_value_match_powerlaw_statistics(nested: bool, normalized: bool) -> None:
    powerlaw = powerlaw_module()
    rng = np.random.default_rng(0)
    l1 = rng.normal(-2.0, 1.0, 500)
    l2 = l1 + rng.normal(0.01, 0.1, 500)
    ours = loglikelihood_ratio(l1, l2, nested=nested, normalized=normalized)
    with quiet():
        ref = powerlaw.statistics.loglikelihood_ratio(
            l1.copy(), l2.copy(), nested=nested, normalized_ratio=normalized
        )
    assert ours.R == pytest.approx(ref[0], rel=1e-12)
    assert ours.p == pytest.approx(ref[1], rel=1e-9)
    R, p = ours  # unpacks like powerlaw's tuple
    assert (R, p) == (ours.R, ours.p)


@pytest.mark.parametrize("alternative", ["exponential", "truncated_power_law", "lognormal"])
def test_compare_power_law_matches_distribution_compare(alternative: str) -> None:
    powerlaw = powerlaw_module()
    x = body_and_tail(800, 1200, 2.3, seed=2)
    with quiet():
        ref_fit = powerlaw.Fit(x, verbose=0)
        ref_r, ref_p = ref_fit.distribution_compare("power_law", alternative)
        xmin = ref_fit.xmin
    ours = compare_power_law(x, alternative=alternative, xmin=xmin)
    # powerlaw's alternatives come from Nelder-Mead with tol 1e-4: R agrees to a few 1e-3.
    assert ours.R == pytest.approx(ref_r, abs=5e-3 * max(1.0, abs(ref_r)))
    assert ours.p == pytest.approx(ref_p, abs=5e-3)


def test_signs_favour_the_generating_model() -> None:
    x = pareto(3000, 2.5, seed=1)
    assert compare_power_law(x, alternative="exponential", xmin=1.0).R > 0
    expo = 1.0 + np.random.default_rng(2).exponential(1.0, 3000)
    r, p = compare_power_law(expo, alternative="exponential", xmin=1.0)
    assert r < 0
    assert p < 1e-3


def test_compare_errors() -> None:
    with pytest.raises(
        InputError,
        match=r"alternative must be one of 'truncated_power_law', 'exponential', 'lognormal'; "
        r"got 'gamma'",
    ):
        compare_power_law([1.0, 2.0, 3.0], alternative="gamma")  # type: ignore[arg-type]
    with pytest.raises(
        InputError,
        match=r"loglik1 and loglik2 must be evaluated at the same points; got lengths 3 and 2",
    ):
        loglikelihood_ratio([1.0, 2.0, 3.0], [1.0, 2.0], nested=False)

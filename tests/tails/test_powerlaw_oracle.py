"""Agreement with ``powerlaw`` 2.0.0 (``powerlaw.Fit``) on the same samples.

``ks="powerlaw"`` must reproduce ``Fit(x).power_law`` exactly (alpha, xmin, D, standard error),
and the KS curve at every candidate where ``powerlaw`` uses the closed-form MLE
(its default range only accepts 1.5 < alpha < 3 there). The default two-sided KS may pick a
neighbouring xmin; alpha must then agree within one standard error.
"""

from __future__ import annotations

import numpy as np
import pytest

from powertail.tails import fit_power_law

from ._oracle import powerlaw_module, quiet
from ._samples import body_and_tail, pareto, truncated_pareto

SAMPLES = {
    "pareto-2.5-s0": lambda: pareto(1500, 2.5, seed=0),
    "pareto-2.5-s1": lambda: pareto(1500, 2.5, seed=1),
    "pareto-1.8-s2": lambda: pareto(1500, 1.8, seed=2),
    "body-2.2-s0": lambda: body_and_tail(1000, 1000, 2.2, seed=0),
    "body-2.2-s3": lambda: body_and_tail(1000, 1000, 2.2, seed=3),
    "body-2.8-s1": lambda: body_and_tail(1500, 800, 2.8, seed=1),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_powerlaw_mode_reproduces_powerlaw_fit(name: str) -> None:
    powerlaw = powerlaw_module()
    x = SAMPLES[name]()
    with quiet():
        ref = powerlaw.Fit(x, verbose=0)
        pl = ref.power_law
        ref_alpha, ref_d, ref_se = pl.alpha, pl.D, pl.standard_err
        scan = ref.xmin_fitting_results
    fit = fit_power_law(x, ks="powerlaw", min_tail=3)
    assert fit.xmin == ref.xmin
    assert fit.alpha == pytest.approx(ref_alpha, rel=1e-12)
    assert fit.D == pytest.approx(ref_d, abs=1e-12)
    assert fit.sigma == pytest.approx(ref_se, rel=1e-12)
    # The whole D(xmin) curve, where powerlaw used the closed-form alpha.
    common, ours_i, ref_i = np.intersect1d(fit.xmin_candidates, scan["xmins"], return_indices=True)
    ours_alpha = fit.alpha_curve[ours_i]
    closed_form = (ours_alpha > 1.5) & (ours_alpha < 2.99)
    assert closed_form.sum() > 0.5 * common.size
    np.testing.assert_allclose(
        fit.D_curve[ours_i][closed_form], scan["distances"][ref_i][closed_form], atol=1e-12
    )
    np.testing.assert_allclose(
        fit.alpha_curve[ours_i][closed_form], scan["alphas"][ref_i][closed_form], rtol=1e-12
    )


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_default_two_sided_fit_is_close_to_powerlaw(name: str) -> None:
    powerlaw = powerlaw_module()
    x = SAMPLES[name]()
    with quiet():
        ref = powerlaw.Fit(x, verbose=0)
        ref_alpha = ref.power_law.alpha
    fit = fit_power_law(x)
    assert abs(fit.alpha - ref_alpha) < fit.sigma
    assert fit.xmin == pytest.approx(ref.xmin, rel=0.1)


@pytest.mark.parametrize(("alpha", "seed"), [(1.7, 0), (2.5, 1), (2.9, 2)])
def test_truncated_mle_matches_powerlaw_numerical_fit(alpha: float, seed: int) -> None:
    """``Power_Law(..., xmax=..., force_numerical_fit=True)`` maximises the doubly truncated
    likelihood with Nelder-Mead (tol 1e-4); our root of the score must be at least as good."""
    powerlaw = powerlaw_module()
    xmin, xmax = 1.0, 30.0
    x = truncated_pareto(2000, alpha, xmin=xmin, xmax=xmax, seed=seed)
    fit = fit_power_law(x, xmin=xmin, xmax=xmax)
    with quiet():
        ref = powerlaw.Power_Law(data=x, xmin=xmin, xmax=xmax, force_numerical_fit=True, verbose=0)
        ref_alpha, ref_ll = ref.alpha, ref.loglikelihood
    assert fit.alpha == pytest.approx(ref_alpha, abs=2e-3)
    assert fit.loglikelihood >= ref_ll - 1e-9
    assert fit.loglikelihood == pytest.approx(ref_ll, abs=1e-3)

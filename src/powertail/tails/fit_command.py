"""``powertail tails fit``: fit one sample, then write the fit into a run directory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from powertail.runs import Run
from powertail.tails.bootstrap import BootstrapResult, bootstrap_alpha
from powertail.tails.compare import ALTERNATIVES, LikelihoodRatio, compare_power_law
from powertail.tails.powerlaw import KSVariant, PowerLawFit, fit_power_law


@dataclass(frozen=True)
class SampleFit:
    """A power-law fit of one sample with its optional bootstrap interval and model comparisons."""

    fit: PowerLawFit
    bootstrap: BootstrapResult | None
    comparisons: dict[str, LikelihoodRatio]


def fit_sample(
    x: ArrayLike,
    *,
    xmin: float | None = None,
    xmax: float | None = None,
    ks: KSVariant = "two-sided",
    min_tail: int = 10,
    n_boot: int = 0,
    seed: int = 0,
) -> SampleFit:
    """Fit a power-law tail to ``x``, bootstrap alpha and compare with the alternative tails.

    Parameters are those of :func:`~powertail.tails.fit_power_law`; ``n_boot > 0`` adds a
    percentile bootstrap interval (:func:`~powertail.tails.bootstrap_alpha`, xmin re-chosen on
    every resample unless ``xmin`` is fixed). Without ``xmax`` the power law is compared with
    every alternative of :func:`~powertail.tails.compare_power_law` above the same xmin.
    """
    fit = fit_power_law(x, xmin=xmin, xmax=xmax, ks=ks, min_tail=min_tail)
    ci = None
    if n_boot > 0:
        ci = bootstrap_alpha(
            x,
            seed=seed,
            n_boot=n_boot,
            xmax=xmax,
            ks=ks,
            min_tail=min_tail,
            refit_xmin=xmin is None,
            xmin=xmin,
        )
    comparisons = {}
    if xmax is None:
        comparisons = {
            alternative: compare_power_law(x, alternative=alternative, xmin=fit.xmin)
            for alternative in ALTERNATIVES
        }
    return SampleFit(fit=fit, bootstrap=ci, comparisons=comparisons)


def write_sample_fit(run: Run, x: ArrayLike, result: SampleFit) -> None:
    """Write ``result`` into ``run``: tables ``fit``, ``ks_curve``, ``comparison``; figures
    ``ccdf`` and ``ks_curve``."""
    from powertail.tails.plots import plot_ccdf, plot_ks_curve

    fit = result.fit
    row = {
        "alpha": fit.alpha,
        "sigma": fit.sigma,
        "xmin": fit.xmin,
        "xmax": np.nan if fit.xmax is None else fit.xmax,
        "D": fit.D,
        "n_tail": fit.n_tail,
        "n": fit.n,
        "ks": fit.ks,
    }
    if result.bootstrap is not None:
        ci = result.bootstrap
        row.update(
            {"ci_low": ci.low, "ci_high": ci.high, "ci_level": ci.level, "n_boot": ci.samples.size}
        )
    run.table("fit", pd.DataFrame([row]))
    run.table(
        "ks_curve",
        pd.DataFrame(
            {
                "xmin": fit.xmin_candidates,
                "alpha": fit.alpha_curve,
                "D": fit.D_curve,
                "n_tail": fit.n_tail_curve,
            }
        ),
    )
    if result.comparisons:
        run.table(
            "comparison",
            pd.DataFrame(
                [
                    {"alternative": name, "R": ratio.R, "p": ratio.p}
                    for name, ratio in result.comparisons.items()
                ]
            ),
        )
    run.figure("ccdf", plot_ccdf(x, fit).figure)
    if fit.xmin_candidates.size > 1:
        run.figure("ks_curve", plot_ks_curve(fit).figure)

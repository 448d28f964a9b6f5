"""``powertail tails fit``: fit one sample and write a run directory with the result."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from powertail.runs import Run
from powertail.tails.bootstrap import bootstrap_alpha
from powertail.tails.compare import ALTERNATIVES, compare_power_law
from powertail.tails.powerlaw import KSVariant, PowerLawFit, fit_power_law


def fit_sample(
    run: Run,
    x: ArrayLike,
    *,
    xmin: float | None = None,
    xmax: float | None = None,
    ks: KSVariant = "two-sided",
    min_tail: int = 10,
    n_boot: int = 0,
    seed: int = 0,
) -> PowerLawFit:
    """Fit a power-law tail to ``x`` and write the fit, the KS curve and two figures into ``run``.

    Tables: ``fit`` (one row: alpha, sigma, xmin, xmax, D, n_tail, n and, with ``n_boot > 0``, the
    bootstrap interval), ``ks_curve`` (xmin, alpha, D, n_tail for every candidate) and
    ``comparison`` (likelihood ratio R and p-value against the alternatives of
    :func:`~powertail.tails.compare_power_law`). Figures: ``ccdf`` and ``ks_curve``.

    Returns
    -------
    PowerLawFit
        The fit (see :func:`~powertail.tails.fit_power_law` for the options).
    """
    from powertail.tails.plots import plot_ccdf, plot_ks_curve

    with run.step("fit"):
        fit = fit_power_law(x, xmin=xmin, xmax=xmax, ks=ks, min_tail=min_tail)
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
    if n_boot > 0:
        with run.step("bootstrap"):
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
        row.update({"ci_low": ci.low, "ci_high": ci.high, "ci_level": ci.level, "n_boot": n_boot})
    with run.step("tables and figures"):
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
        if fit.xmax is None:
            rows = []
            for alternative in ALTERNATIVES:
                ratio = compare_power_law(x, alternative=alternative, xmin=fit.xmin)
                rows.append({"alternative": alternative, "R": ratio.R, "p": ratio.p})
            run.table("comparison", pd.DataFrame(rows))
        run.figure("ccdf", plot_ccdf(x, fit).figure)
        if fit.xmin_candidates.size > 1:
            run.figure("ks_curve", plot_ks_curve(fit).figure)
    return fit

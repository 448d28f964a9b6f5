r"""The tails demo run by ``powertail reproduce``: recovery of known power-law exponents.

For each true exponent :math:`\alpha \in \{1.5, 2, 2.5, 3, 4, 6\}` and each seed, a sample is drawn
with a non-power-law body and an exact Pareto tail,

.. math::  p(x) = w\,\mathrm{LogNormal}(x \mid \mu, s)\,\mathbf 1_{x<x_{\min}}
                 + (1 - w)\,\frac{\alpha-1}{x_{\min}}\Bigl(\frac{x}{x_{\min}}\Bigr)^{-\alpha}
                 \mathbf 1_{x \ge x_{\min}},

with :math:`x_{\min} = 1`, and :func:`~powertail.tails.fit_power_law` must find both
:math:`x_{\min}` (by the minimum-KS scan) and :math:`\alpha`. Each (alpha, seed) pair is one unit of
work for the executor, so the demo is resumable and runs the same on any back end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from powertail.runs import Unit, run_units, unit_seed
from powertail.studies import StudyContext

TRUE_XMIN = 1.0
"""Where the exact Pareto tail starts in the demo samples."""


@dataclass(frozen=True)
class RecoveryConfig:
    """Size of the alpha-recovery demo."""

    alphas: tuple[float, ...]
    seeds: int
    n_tail: int
    n_body: int
    n_boot: int


QUICK = RecoveryConfig(
    alphas=(1.5, 2.0, 2.5, 3.0, 4.0, 6.0), seeds=4, n_tail=4000, n_body=2000, n_boot=100
)
FULL = RecoveryConfig(
    alphas=(1.5, 2.0, 2.5, 3.0, 4.0, 6.0), seeds=20, n_tail=16000, n_body=4000, n_boot=400
)


def pareto_with_body(
    alpha: float, *, n_tail: int, n_body: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``n_tail`` exact Pareto(alpha, xmin=1) points and ``n_body`` log-normal points below 1.

    The tail is drawn by inversion, :math:`x = x_{\\min} u^{-1/(\\alpha-1)}` with
    :math:`u \\sim U(0, 1]`; the body is a log-normal truncated to :math:`x < x_{\\min}` by
    rejection.
    """
    u = 1.0 - rng.random(n_tail)  # in (0, 1]
    tail = TRUE_XMIN * u ** (-1.0 / (alpha - 1.0))
    body = np.empty(0)
    while body.size < n_body:
        draw = rng.lognormal(mean=-1.0, sigma=0.6, size=2 * n_body)
        body = np.concatenate([body, draw[draw < TRUE_XMIN]])
    return rng.permutation(np.concatenate([body[:n_body], tail]))


def recovery_unit(*, alpha: float, n_tail: int, n_body: int, n_boot: int, seed: int) -> dict:
    """One unit of the demo: draw a sample, fit it with the xmin scan, bootstrap a CI for alpha.

    The sample is also fitted with WeightWatcher's one-sided KS and no minimum tail size
    (``alpha_ww``), to show how the two xmin rules differ on the same data.
    """
    import time

    from powertail.tails import bootstrap_alpha, fit_power_law

    rng = np.random.default_rng(seed)
    x = pareto_with_body(alpha, n_tail=n_tail, n_body=n_body, rng=rng)
    started = time.perf_counter()
    fit = fit_power_law(x)
    seconds = time.perf_counter() - started
    ci = bootstrap_alpha(x, n_boot=n_boot, seed=seed, refit_xmin=False, xmin=fit.xmin)
    # WeightWatcher's one-sided KS with no minimum tail, for comparison with the Clauset scan.
    fit_ww = fit_power_law(x, ks="ww", min_tail=2)
    return {
        "alpha_true": alpha,
        "alpha": fit.alpha,
        "sigma": fit.sigma,
        "xmin": fit.xmin,
        "D": fit.D,
        "n_tail": fit.n_tail,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "fit_seconds": seconds,
        "alpha_ww": fit_ww.alpha,
        "xmin_ww": fit_ww.xmin,
    }


def reproduce(context: StudyContext) -> None:
    """Run the alpha-recovery demo into ``context.run``: table, summary and figures."""
    from powertail.tails import fit_power_law
    from powertail.tails.plots import plot_alpha_recovery, plot_ccdf, plot_ks_curve

    config = FULL if context.full else QUICK
    units = [
        Unit(
            key=f"alpha={alpha:g}-seed={s}",
            fn=recovery_unit,
            kwargs={
                "alpha": alpha,
                "n_tail": config.n_tail,
                "n_body": config.n_body,
                "n_boot": config.n_boot,
                "seed": unit_seed(context.seed, f"alpha={alpha:g}-seed={s}"),
            },
        )
        for alpha in config.alphas
        for s in range(config.seeds)
    ]
    run = context.run
    with run.step("fit samples"):
        on_done = context.unit_progress("tails: alpha recovery", len(units))
        results = run_units(run, units, context.executor, on_done=on_done)
    with run.step("tables and figures"):
        table = pd.DataFrame([{"unit": key, **results[key]} for key in (u.key for u in units)])
        table["within_3_sigma"] = (table["alpha"] - table["alpha_true"]).abs() <= 3 * table["sigma"]
        summary = (
            table.groupby("alpha_true")
            .agg(
                alpha_mean=("alpha", "mean"),
                alpha_std=("alpha", "std"),
                sigma_mean=("sigma", "mean"),
                xmin_median=("xmin", "median"),
                within_3_sigma=("within_3_sigma", "mean"),
                fit_seconds=("fit_seconds", "mean"),
                alpha_ww_mean=("alpha_ww", "mean"),
                alpha_ww_std=("alpha_ww", "std"),
            )
            .reset_index()
        )
        run.table("summary", summary)
        run.table("recovery", table)
        run.figure("alpha_recovery", plot_alpha_recovery(table).figure)
        rng = np.random.default_rng(unit_seed(context.seed, "example"))
        x = pareto_with_body(2.5, n_tail=config.n_tail, n_body=config.n_body, rng=rng)
        fit = fit_power_law(x)
        run.figure("ccdf_example", plot_ccdf(x, fit).figure)
        run.figure("ks_curve_example", plot_ks_curve(fit).figure)

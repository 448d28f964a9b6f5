"""Figures of the shear study (figures only: every number comes in computed).

Each function takes tables or samples and ``ax=None`` (a new figure) and returns the axes
(:func:`plot_regimes`: ``axes=None`` and an array of axes, one panel per regime).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from powertail.report.figures import axes_or_new, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_cauchy_ratio",
    "plot_collision_count",
    "plot_exp_qq",
    "plot_log_ratio_quantiles",
    "plot_log_xi2_histogram",
    "plot_regimes",
    "plot_second_moments",
]


def plot_second_moments(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """MC second moments with 95 % CIs (points) against the moment ODE (lines), per K.

    ``table`` has the columns of :func:`powertail.shear.experiments.maxwell_table`.
    """
    ax = axes_or_new(ax)
    colors = {"M11": "C0", "M12": "C1", "M22": "C2", "M33": "C3"}
    for (K, comp), part in table.groupby(["K", "component"]):
        style = "-" if K == table["K"].min() else "--"
        ax.plot(part["t"], part["ode"], style, color=colors[comp], lw=1)
        ax.errorbar(
            part["t"],
            part["value"],
            yerr=[part["value"] - part["low"], part["high"] - part["value"]],
            fmt="o",
            ms=3,
            color=colors[comp],
            label=f"{comp} K={K:g}",
        )
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("t")
    ax.set_ylabel("E[w_i w_j]")
    ax.set_title("γ = 0: Monte Carlo (points, 95% CI) vs moment ODE (lines)")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_regimes(table: pd.DataFrame, *, axes: np.ndarray | None = None) -> np.ndarray:
    """One panel per γ: quantile band and median of ln|w₂| and the mean collision count against
    ln t; ``table`` from :func:`powertail.shear.experiments.regimes_table`.

    ``axes`` (one per γ) defaults to a new row of panels; returns them.
    """
    gammas = sorted(table["gamma"].unique())
    if axes is None:
        _, axes = new_figure(1, len(gammas), figsize=(4.2 * len(gammas), 3.8))
    titles = {True: "hyperbolic (−1<γ<0)", False: "frozen (γ<−1)"}
    for ax, gamma in zip(np.atleast_1d(axes), gammas, strict=True):
        part = table[table["gamma"] == gamma]
        ax.fill_between(part["log_t"], part["log_w2_q05"], part["log_w2_q95"], alpha=0.25)
        ax.plot(part["log_t"], part["log_w2_median"], "C0-", label="ln|w₂| (5-50-95%)")
        ax.plot(part["log_t"], part["log_w1_median"], "C2-", label="median ln|w₁|")
        if "pred_log_w2_median" in part and part["pred_log_w2_median"].notna().any():
            for col in ("pred_log_w2_q05", "pred_log_w2_median", "pred_log_w2_q95"):
                label = "P6 prediction (5-50-95%)" if col.endswith("median") else None
                ax.plot(part["log_t"], part[col], "k--", lw=0.8, label=label)
        twin = ax.twinx()
        twin.plot(part["log_t"], part["collisions_mean"], "C3--", label="mean collisions")
        twin.set_ylabel("mean collisions", color="C3")
        kind = "hard (γ≥0): NESS" if gamma >= 0 else titles[gamma > -1]
        ax.set_title(f"γ = {gamma:g}, {kind}", fontsize=10)
        ax.set_xlabel("ln t")
        ax.legend(fontsize=7, loc="upper left")
    np.atleast_1d(axes)[0].set_ylabel("log speed")
    return np.atleast_1d(axes)


def plot_log_ratio_quantiles(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Quantiles of ln|w₂|/ln t against ln t with CI bands and the predictions (dashed)."""
    ax = axes_or_new(ax)
    for i, (q, part) in enumerate(table.groupby("q")):
        ax.fill_between(part["tau"], part["low"], part["high"], color=f"C{i}", alpha=0.3)
        ax.plot(part["tau"], part["value"], "o-", color=f"C{i}", ms=3, label=f"q = {q:g}")
        ax.plot(part["tau"], part["prediction"], "--", color=f"C{i}", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("τ = ln t")
    ax.set_ylabel("quantile of ln|w₂| / ln t")
    ax.set_title("P6: MC (95% CI bands) vs phase-mixed prediction (dashed)")
    ax.legend(fontsize=7)
    return ax


def plot_exp_qq(q: ArrayLike, *, ax: Axes | None = None) -> Axes:
    """QQ plot of the collision quantity Q against Exp(1) (P3)."""
    ax = axes_or_new(ax)
    x = np.sort(np.asarray(q, dtype=float))
    p = (np.arange(x.size) + 0.5) / x.size
    ax.plot(-np.log1p(-p), x, ".", ms=2)
    top = float(max(x.max(), -np.log1p(-p[-1])))
    ax.plot([0, top], [0, top], "k--", lw=1)
    ax.set_xlabel("Exp(1) quantile")
    ax.set_ylabel("Q = c₀ t |w|^{-a}/(1-a)")
    ax.set_title(f"P3: Q at late collisions (n = {x.size})")
    return ax


def plot_cauchy_ratio(r: ArrayLike, *, ax: Axes | None = None) -> Axes:
    """Empirical CDF of arctan(w₃/w₂) after collisions against the Cauchy law (P4: uniform)."""
    ax = axes_or_new(ax)
    theta = np.sort(np.arctan(np.asarray(r, dtype=float)))
    ax.plot(theta, (np.arange(theta.size) + 0.5) / theta.size, label="MC")
    ax.plot([-np.pi / 2, np.pi / 2], [0, 1], "k--", lw=1, label="Cauchy(0, 1)")
    ax.set_xlabel("arctan(w₃/w₂) just after a collision")
    ax.set_ylabel("CDF")
    ax.set_title(f"P4 (n = {theta.size})")
    ax.legend()
    return ax


def plot_log_xi2_histogram(
    u: ArrayLike, grid: ArrayLike, density: ArrayLike, *, tau: float, ax: Axes | None = None
) -> Axes:
    """Histogram of u = ln|ξ₂| at log-time τ against the predicted density p(u, τ) (P8)."""
    ax = axes_or_new(ax)
    uu = np.asarray(u, dtype=float)
    finite = uu[np.isfinite(uu)]
    heights, _, _ = ax.hist(finite, bins=60, density=True, alpha=0.5, label="MC")
    ax.plot(grid, density, "k-", lw=1, label="p(u, τ) (phase-mixed)")
    ax.set_yscale("log")
    positive = heights[heights > 0]
    top = 3.0 * max(float(heights.max()), float(np.max(density)))
    ax.set_ylim(0.3 * positive.min() if positive.size else 1e-6, top)
    ax.set_xlim(min(float(finite.min()), -10.0) - 5.0, tau + 10.0)
    ax.set_xlabel("u = ln|ξ₂|")
    ax.set_ylabel("density")
    ax.set_title(f"P8 at τ = {tau:g}")
    ax.legend()
    return ax


def plot_collision_count(
    log_t: ArrayLike,
    mean: ArrayLike,
    low: ArrayLike,
    high: ArrayLike,
    prediction: ArrayLike,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Mean collision count against ln t with its CI band and the prediction ln(ln t)/L_a (P2;
    the prediction carries an O(1) offset, so it is drawn through the last point)."""
    ax = axes_or_new(ax)
    x = np.asarray(log_t, dtype=float)
    ax.fill_between(x, low, high, alpha=0.3)
    ax.plot(x, mean, "o-", ms=3, label="MC mean N(t) (95% CI)")
    ax.plot(x, prediction, "k--", lw=1, label="ln(ln t)/L_a + const")
    ax.set_xscale("log")
    ax.set_xlabel("τ = ln t")
    ax.set_ylabel("collisions")
    ax.set_title("P2: collision count grows like ln ln t")
    ax.legend()
    return ax

"""Figures for tail fits. They draw results; they never compute science (no fitting here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from powertail.tails.powerlaw import PowerLawFit
from powertail.tails.validation import positive_sample

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_alpha_recovery", "plot_ccdf", "plot_ks_curve"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # heavy import only when a figure is drawn

    _, new_ax = plt.subplots()
    return new_ax


def plot_ccdf(x: ArrayLike, fit: PowerLawFit | None = None, *, ax: Axes | None = None) -> Axes:
    """Empirical CCDF of `x` on log-log axes, with the fitted tail if `fit` is given.

    The fitted line is the model CCDF scaled by the tail fraction ``n_tail / n`` so that it
    meets the data at `xmin`; `xmin` (and `xmax`) are marked by vertical lines.

    Parameters
    ----------
    x : array_like of shape (n,)
        The sample that was fitted (finite, strictly positive).
    fit : PowerLawFit, optional
        Result of :func:`~powertail.tails.fit_power_law` on `x`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    data = np.sort(positive_sample(x, name="x"))
    ax = _axes(ax)
    n = data.size
    ccdf = 1.0 - np.arange(n) / n  # P(X >= x_(i))
    ax.loglog(data, ccdf, ".", ms=2, color="0.3", label="data")
    if fit is not None:
        upper = data[-1] if fit.xmax is None else min(fit.xmax, data[-1])
        grid = np.geomspace(fit.xmin, upper, 200)
        scale = fit.n_tail / n
        ax.loglog(
            grid,
            scale * fit.ccdf(grid),
            "-",
            color="C3",
            label=rf"fit $\alpha$={fit.alpha:.3f}$\pm${fit.sigma:.3f}",
        )
        ax.axvline(fit.xmin, color="C3", ls=":", lw=1)
        if fit.xmax is not None:
            ax.axvline(fit.xmax, color="C3", ls="--", lw=1)
    ax.set_xlabel("x")
    ax.set_ylabel(r"$P(X \geq x)$")
    ax.legend(frameon=False)
    return ax


def plot_ks_curve(fit: PowerLawFit, *, ax: Axes | None = None) -> Axes:
    """KS distance D against the candidate `xmin`, with the chosen `xmin` marked.

    Two near-equal minima (a common sign of a poorly defined tail) are visible here.

    Parameters
    ----------
    fit : PowerLawFit
        Result of :func:`~powertail.tails.fit_power_law` (a scan, or a single fixed `xmin`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _axes(ax)
    ax.semilogx(fit.xmin_candidates, fit.D_curve, "-", color="0.3", lw=1)
    ax.plot([fit.xmin], [fit.D], "o", color="C3", label=f"xmin={fit.xmin:.4g}, D={fit.D:.4f}")
    ax.set_xlabel(r"candidate $x_{\min}$")
    ax.set_ylabel(f"KS distance D ({fit.ks})")
    ax.legend(frameon=False)
    return ax


def plot_alpha_recovery(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Fitted against true exponent, one point per sample, with 1-sigma error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``alpha_true``, ``alpha`` and ``sigma`` (one row per fitted sample), e.g. the
        recovery table of the tails demo.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _axes(ax)
    truth = np.asarray(table["alpha_true"], dtype=np.float64)
    ax.errorbar(
        truth,
        np.asarray(table["alpha"], dtype=np.float64),
        yerr=np.asarray(table["sigma"], dtype=np.float64),
        fmt="o",
        ms=3,
        color="C0",
        label="fit",
    )
    lims = [float(truth.min()) - 0.5, float(truth.max()) + 0.5]
    ax.plot(lims, lims, "-", color="0.5", lw=1, label="truth")
    ax.set_xlabel(r"true $\alpha$")
    ax.set_ylabel(r"fitted $\alpha$")
    ax.legend(frameon=False)
    return ax

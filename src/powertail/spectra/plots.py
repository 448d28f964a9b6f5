"""Figures for spectra analyses. They draw results (rows and eigenvalues); they fit nothing.

Each function takes ``ax=None`` (a new figure is made) and returns the axes drawn on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from powertail.report import axes_or_new

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_compare", "plot_esd", "plot_funnel", "plot_rand_esd"]

PL_COLOUR = "tab:red"
ERG_COLOUR = "tab:purple"


def _log_histogram(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    edges = np.geomspace(values.min(), values.max() * (1 + 1e-12), bins + 1)
    counts, _ = np.histogram(values, edges)
    density = counts / (values.size * np.diff(edges))
    centres = np.sqrt(edges[1:] * edges[:-1])
    return centres[counts > 0], density[counts > 0]


def plot_esd(
    eigenvalues: ArrayLike, row: Mapping[str, Any], *, bins: int = 60, ax: Axes | None = None
) -> Axes:
    r"""Log-log ESD of one layer with its power-law tail and the PL and ERG cut-offs.

    The density :math:`\rho(\lambda)` is drawn on log-spaced bins; the fitted tail
    :math:`\propto \lambda^{-\alpha}` (scaled to the tail fraction at ``xmin``) is the dashed
    line; ``xmin`` = :math:`\lambda_{\min}^{PL}` (red) and ``erg_lambda_min`` =
    :math:`\lambda_{\min}^{ERG}` (purple) are vertical lines, as in the paper's figures.

    Parameters
    ----------
    eigenvalues : array_like of shape (n,)
        Positive eigenvalues (``Analysis.esd(name)``).
    row : mapping
        The layer's row of ``Analysis.layers`` (``name``, ``alpha``, ``xmin``,
        ``num_pl_spikes``, ``erg_lambda_min``, ``D`` are used when present).
    bins : int, default 60
        Log-spaced bins.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    lam = np.sort(np.asarray(eigenvalues, dtype=float))
    lam = lam[lam > 0]
    ax = axes_or_new(ax)
    x, rho = _log_histogram(lam, bins)
    ax.loglog(x, rho, "o", ms=3, color="0.3", label="ESD")
    alpha, xmin = row.get("alpha", np.nan), row.get("xmin", np.nan)
    if np.isfinite(alpha) and np.isfinite(xmin):
        frac = float(row.get("num_pl_spikes", np.nan)) / lam.size
        grid = np.geomspace(xmin, lam[-1], 50)
        line = frac * (alpha - 1) / xmin * (grid / xmin) ** (-alpha)
        ax.loglog(grid, line, "--", color=PL_COLOUR, label=f"PL fit α = {alpha:.2f}")
        ax.axvline(xmin, color=PL_COLOUR, lw=1, label="λ_min PL")
    erg = row.get("erg_lambda_min", np.nan)
    if erg is not None and np.isfinite(erg):
        ax.axvline(erg, color=ERG_COLOUR, lw=1, ls=":", label="λ_min ERG")
    ax.set_xlabel("eigenvalue λ")
    ax.set_ylabel("density ρ(λ)")
    title = str(row.get("name", ""))
    if np.isfinite(row.get("D", np.nan)):
        title += f"\nD = {row['D']:.3f}, tail = {int(row['num_pl_spikes'])} of {lam.size}"
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    return ax


def plot_rand_esd(
    eigenvalues: ArrayLike,
    rand_eigenvalues: ArrayLike,
    row: Mapping[str, Any],
    *,
    bins: int = 60,
    ax: Axes | None = None,
) -> Axes:
    """ESD of a layer and of its element-wise shuffled weights, with the shuffled MP edge.

    Eigenvalues of the shuffled weights beyond ``rand_bulk_max`` are correlation traps.

    Parameters
    ----------
    eigenvalues, rand_eigenvalues : array_like
        ``Analysis.esd(name)`` and ``Analysis.rand_esd(name)``.
    row : mapping
        The layer's row (``rand_bulk_max``, ``rand_num_spikes``, ``name``).
    bins : int, default 60
        Log-spaced bins.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    for values, label, colour in (
        (eigenvalues, "ESD", "0.3"),
        (rand_eigenvalues, "shuffled W", "tab:orange"),
    ):
        lam = np.asarray(values, dtype=float)
        x, rho = _log_histogram(lam[lam > 0], bins)
        ax.loglog(x, rho, "-", color=colour, label=label, drawstyle="steps-mid")
    edge = row.get("rand_bulk_max", np.nan)
    if np.isfinite(edge):
        ax.axvline(edge, color="tab:orange", ls="--", lw=1, label="MP edge (shuffled)")
    traps = row.get("rand_num_spikes", np.nan)
    ax.set_title(f"{row.get('name', '')}\ntraps = {traps:g}", fontsize=8)
    ax.set_xlabel("eigenvalue λ")
    ax.set_ylabel("density ρ(λ)")
    ax.legend(fontsize=7)
    return ax


def plot_funnel(
    layers: pd.DataFrame, *, title: str = "", by: str = "kind", ax: Axes | None = None
) -> Axes:
    """The paper's funnel: Δλ_min (``erg_delta``) against α for every fitted layer.

    Ideal layers sit near the critical point (α, Δλ_min) = (2, 0); α < 2 with Δλ_min < 0 marks
    over-regularised (atypical) layers.

    Parameters
    ----------
    layers : pandas.DataFrame
        ``Analysis.layers`` (rows with ``status == "ok"`` are drawn, coloured by `by`).
    title : str
        Axes title.
    by : str, default "kind"
        Column that colours the points (e.g. ``"model"`` for several models in one table).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    ok = layers[(layers["status"] == "ok") & np.isfinite(layers["erg_delta"].astype(float))]
    for kind, group in ok.groupby(by):
        ax.scatter(group["alpha"], group["erg_delta"], s=14, label=f"{kind} ({len(group)})")
    ax.axvline(2.0, color="0.5", lw=0.8, ls="--")
    ax.axhline(0.0, color="0.5", lw=0.8, ls="--")
    ax.plot([2.0], [0.0], "k*", ms=10, label="critical point (2, 0)")
    ax.set_xlabel("α (power-law exponent)")
    ax.set_ylabel("Δλ_min = λ̃_min(PL) − λ̃_min(ERG)")
    ax.set_title(title or "α vs Δλ_min", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_compare(
    table: pd.DataFrame, *, labels: tuple[str, str] = ("A", "B"), ax: Axes | None = None
) -> Axes:
    """Alpha of model B against alpha of model A, one point per shared layer, with y = x.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`~powertail.spectra.compare.compare_analyses`.
    labels : (str, str)
        Axis names of the two models.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    both = table[(table["status_a"] == "ok") & (table["status_b"] == "ok")]
    ax.scatter(both["alpha_a"], both["alpha_b"], s=14)
    if len(both):
        lo = float(min(both["alpha_a"].min(), both["alpha_b"].min()))
        hi = float(max(both["alpha_a"].max(), both["alpha_b"].max()))
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8, ls="--")
    ax.set_xlabel(f"α ({labels[0]})")
    ax.set_ylabel(f"α ({labels[1]})")
    ax.set_title(f"{len(both)} layers fitted in both", fontsize=9)
    return ax

"""Figures of the dwarfs study. Each function takes results (tables, arrays) and ``ax=None``,
draws, and returns the axes; none computes science."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from powertail.report import axes_or_new
from powertail.report.figures import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_anisotropy",
    "plot_density_panels",
    "plot_density_profiles",
    "plot_energy_cdf",
    "plot_energy_mixing",
    "plot_mass_estimator_bias",
    "plot_metallicity_profiles",
    "plot_ratios_vs_amplitude",
    "plot_time_series",
    "plot_time_series_panels",
]


def plot_ratios_vs_amplitude(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """r_h and σ ratios (final/initial) against A for each protocol and ε (columns ``eps``,
    ``protocol``, ``amplitude``, ``rh_ratio``, ``sigma_ratio``); adiabatic cusp scaling
    ``A^(∓1/3)`` as a guide."""
    ax = axes_or_new(ax)
    markers = {"impulsive": "o", "linear": "s", "smooth": "D"}
    for (protocol, eps), group in summary.groupby(["protocol", "eps"]):
        g = group.sort_values("amplitude")
        m = markers.get(str(protocol), "x")
        ax.plot(g["amplitude"], g["rh_ratio"], m + "-", label=f"r_h {protocol} ε={eps:g}")
        ax.plot(
            g["amplitude"], g["sigma_ratio"], m + ":", mfc="none", label=f"σ {protocol} ε={eps:g}"
        )
    a = np.linspace(0.2, 1.6, 50)
    ax.plot(a, a ** (-1 / 3), "k--", lw=0.8, label="cusp adiabatic A^(-1/3), A^(1/3)")
    ax.plot(a, a ** (1 / 3), "k--", lw=0.8)
    ax.axhline(1.0, color="0.7", lw=0.5)
    ax.set_xlabel("final amplitude A")
    ax.set_ylabel("final / initial")
    ax.legend(fontsize=6, ncol=2)
    return ax


def plot_time_series(
    series: Mapping[str, pd.DataFrame],
    column: str,
    *,
    normalise: bool = True,
    marks: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per labelled time series (columns ``t`` and ``column``), optionally divided
    by its first value; vertical ``marks`` (e.g. predicted periods)."""
    ax = axes_or_new(ax)
    for label, df in series.items():
        y = df[column].to_numpy()
        ax.plot(df["t"], y / y[0] if normalise else y, lw=1, label=label)
    if marks is not None:
        for t in np.atleast_1d(np.asarray(marks)):
            ax.axvline(float(t), color="0.8", lw=0.5, zorder=0)
    ax.set_xlabel("t")
    ax.set_ylabel(f"{column} / initial" if normalise else column)
    ax.legend(fontsize=7)
    return ax


def plot_energy_cdf(
    samples: Mapping[str, ArrayLike],
    predictions: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    ax: Axes | None = None,
) -> Axes:
    """Empirical CDFs of e' per label, and predicted (quantile, e') points beside them."""
    ax = axes_or_new(ax)
    for label, values in samples.items():
        x = np.sort(np.asarray(values))
        (line,) = ax.plot(x, np.arange(1, x.size + 1) / x.size, lw=1, label=f"{label} simulated")
        if label in predictions:
            q, e = predictions[label]
            ax.plot(e, q, "o", color=line.get_color(), mfc="none", label=f"{label} energy map")
    ax.set_xlabel("e' (binding energy in the final well)")
    ax.set_ylabel("cumulative fraction")
    ax.legend(fontsize=7)
    return ax


def plot_density_profiles(
    profiles: Mapping[str, tuple[ArrayLike, ArrayLike]], *, ax: Axes | None = None
) -> Axes:
    """Density profiles ρ(r) (label → (r, ρ)) on log axes; labels containing "model" are
    drawn as dashed lines."""
    ax = axes_or_new(ax)
    for label, (r, rho) in profiles.items():
        style = "--" if "model" in label else "-"
        ax.loglog(r, rho, style, lw=1, label=label)
    ax.set_xlabel("r")
    ax.set_ylabel("ρ★ (normalised)")
    ax.legend(fontsize=7)
    return ax


def plot_anisotropy(
    profiles: Mapping[str, tuple[ArrayLike, ArrayLike]], *, ax: Axes | None = None
) -> Axes:
    """β against r/r_h (label → (r/r_h, β))."""
    ax = axes_or_new(ax)
    for label, (x, beta) in profiles.items():
        ax.plot(x, beta, "o-", ms=3, lw=1, label=label)
    ax.axhline(0.0, color="0.7", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("r / r_h")
    ax.set_ylabel("β = 1 − σ_t²/2σ_r²")
    ax.set_ylim(-1, 1.05)
    ax.legend(fontsize=7)
    return ax


def plot_energy_mixing(
    energies: Mapping[str, ArrayLike], *, bins: ArrayLike, ax: Axes | None = None
) -> Axes:
    """Histograms of binding energies (label → values) on common ``bins``."""
    ax = axes_or_new(ax)
    for label, values in energies.items():
        ax.hist(
            np.asarray(values), bins=np.asarray(bins), histtype="step", density=True, label=label
        )
    ax.set_xlabel("e")
    ax.set_ylabel("dN/de")
    ax.legend(fontsize=7)
    return ax


def plot_metallicity_profiles(
    profiles: Mapping[str, tuple[ArrayLike, ArrayLike]], *, ax: Axes | None = None
) -> Axes:
    """Mean [Fe/H] against projected R/R_e (label → (R/R_e, [Fe/H]))."""
    ax = axes_or_new(ax)
    for label, (x, feh) in profiles.items():
        ax.plot(x, feh, "o-", ms=3, lw=1, label=label)
    ax.set_xlabel("R / R_e")
    ax.set_ylabel("mean [Fe/H]")
    ax.legend(fontsize=7)
    return ax


def plot_mass_estimator_bias(series: Mapping[str, pd.DataFrame], *, ax: Axes | None = None) -> Axes:
    """M_est/M_true against time for the Wolf and Errani+18 estimators."""
    ax = axes_or_new(ax)
    for label, df in series.items():
        (line,) = ax.plot(df["t"], df["wolf_ratio"], lw=1, label=f"{label} Wolf")
        ax.plot(
            df["t"],
            df["errani18_ratio"],
            ":",
            lw=1,
            color=line.get_color(),
            label=f"{label} Errani+18",
        )
    ax.axhline(1.0, color="k", lw=0.5)
    ax.set_yscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("M_est / M_true")
    ax.legend(fontsize=7)
    return ax


def plot_density_panels(panels: Mapping[str, Mapping[str, tuple[ArrayLike, ArrayLike]]]) -> Figure:
    """One :func:`plot_density_profiles` panel per title (title → label → (r, ρ))."""
    fig, axes = new_figure(1, len(panels))
    for ax, (title, profiles) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        plot_density_profiles(profiles, ax=ax)
        ax.set_title(title)
    return fig


def plot_time_series_panels(
    series: Mapping[str, pd.DataFrame],
    columns: list[str],
    *,
    extra: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    marks: ArrayLike | None = None,
    marks_label: str | None = None,
) -> Figure:
    """One panel per column of the labelled time series (unnormalised; NaN rows skipped) and
    one per ``extra`` curve (title → (t, y)); vertical ``marks`` on every panel, named
    ``marks_label`` in the first panel's legend."""
    extra = dict(extra or {})
    n = len(columns) + len(extra)
    ncols = 2
    fig, axes = new_figure((n + ncols - 1) // ncols, ncols)
    flat = list(np.ravel(axes))
    for ax, column in zip(flat, columns, strict=False):
        for label, df in series.items():
            ok = df[column].notna()
            ax.plot(df["t"][ok], df[column][ok], lw=0.8, label=label)
        ax.set_ylabel(column)
    for ax, (title, (t, y)) in zip(flat[len(columns) :], extra.items(), strict=False):
        ax.plot(np.asarray(t), np.asarray(y), lw=0.8, color="k")
        ax.set_ylabel(title, fontsize=8)
    for i, ax in enumerate(flat[:n]):
        ax.set_xlabel("t")
        if marks is not None:
            for j, t in enumerate(np.atleast_1d(np.asarray(marks))):
                label = marks_label if (i == 0 and j == 0) else None
                ax.axvline(float(t), color="0.85", lw=0.4, zorder=0, label=label)
    for ax in flat[: len(columns)]:
        ax.legend(fontsize=7)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig

"""Figures of the nngp study; each takes a result table and ``ax=None`` and returns the axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from powertail.report import axes_or_new

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FAMILY_LABELS = {"nngp": "NNGP", "inverse-gamma": "inverse gamma", "burr": "Burr XII"}


def plot_bands(
    bands: pd.DataFrame,
    *,
    xlabel: str = "x (standardised)",
    fit_data: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Predictive means and intervals of GP and Student-t process over the data
    (table of :func:`powertail.nngp.experiments.predictive_bands` or ``uci_test_bands``).

    ``fit_data`` limits the y axis to the bulk of the data (heavy-tailed sets); the points
    beyond it are not dropped silently: they are drawn as triangles on the edge they cross and
    the legend says how many there are and how far they reach."""
    ax = axes_or_new(ax)
    data = bands[bands["model"] == "data"]
    y = data["mean"].to_numpy()
    lo = hi = None
    if fit_data:
        core = np.quantile(y, [0.02, 0.98])
        pad = 2.0 * (core[1] - core[0])
        lo, hi = core[0] - pad, core[1] + pad
        inside = (y >= lo) & (y <= hi)
    else:
        inside = np.ones(y.size, dtype=bool)
    ax.scatter(data["x"][inside], y[inside], s=6, color="0.3", label="data", zorder=3)
    if lo is not None and hi is not None and not inside.all():
        above, below = y > hi, y < lo
        margin = 0.02 * (hi - lo)
        label = (
            f"{int((~inside).sum())} of {y.size} points off the axis "
            f"(y from {y.min():.3g} to {y.max():.3g})"
        )
        for mask, edge, marker in ((above, hi - margin, "^"), (below, lo + margin, "v")):
            if mask.any():
                ax.scatter(
                    data["x"][mask],
                    np.full(int(mask.sum()), edge),
                    marker=marker,
                    s=18,
                    color="tab:red",
                    zorder=4,
                    label=label,
                )
                label = None
    for (name, group), color in zip(
        ((n, g) for n, g in bands.groupby("model", sort=False) if n != "data"),
        ("tab:blue", "tab:orange"),
        strict=False,
    ):
        ax.plot(group["x"], group["mean"], color=color, label=f"{name} mean")
        ax.fill_between(
            group["x"],
            group["lower"],
            group["upper"],
            color=color,
            alpha=0.2,
            label=f"{name} 95% interval",
        )
    if lo is not None and hi is not None:
        ax.set_ylim(lo, hi)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("y")
    ax.legend(fontsize="small")
    return ax


def plot_nll_vs_alpha(
    grid: pd.DataFrame, *, dataset: str, variant: str = "noisy", ax: Axes | None = None
) -> Axes:
    """Inverse-gamma NLL against the shape α: for each α and replicate the rest of the grid
    (β, depth, jitter, kernel) is selected by validation NLL, as in the paper's protocol; the
    plot shows that validation NLL and the test NLL of the same selected row (mean ± std over
    replicates). The dashed line is the NNGP's test NLL under the same selection. No curve is
    selected on the test set."""
    ax = axes_or_new(ax)
    rows = grid[
        (grid["dataset"] == dataset)
        & (grid["variant"] == variant)
        & (grid["family"] == "inverse-gamma")
    ].copy()
    rows["alpha"] = rows["prior"].str.extract(r"a=([0-9.]+)").astype(float)
    rows = rows[np.isfinite(rows["valid_nll"])]
    best = rows.loc[rows.groupby(["replicate", "alpha"])["valid_nll"].idxmin()]
    labels = {
        "valid_nll": "validation NLL (selected)",
        "test_nll": "test NLL of the selected model",
    }
    for column, marker in (("valid_nll", "o"), ("test_nll", "s")):
        agg = best.groupby("alpha")[column].agg(["mean", "std"]).reset_index()
        ax.errorbar(
            agg["alpha"],
            agg["mean"],
            yerr=agg["std"].fillna(0),
            marker=marker,
            capsize=3,
            label=labels[column],
        )
    nngp = grid[
        (grid["dataset"] == dataset) & (grid["variant"] == variant) & (grid["family"] == "nngp")
    ]
    nngp = nngp[np.isfinite(nngp["valid_nll"])]
    if len(nngp):
        chosen = nngp.loc[nngp.groupby("replicate")["valid_nll"].idxmin()]
        ax.axhline(
            chosen["test_nll"].mean(),
            color="0.4",
            ls="--",
            label="NNGP test NLL (selected by validation)",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel(r"inverse-gamma shape $\alpha$")
    ax.set_ylabel("NLL, standardised y (mean ± std over replicates)")
    ax.set_title(f"{dataset} ({variant} predictive)")
    ax.legend(fontsize="small")
    return ax


def plot_paper_comparison(
    summary: pd.DataFrame, *, variant: str = "latent", ax: Axes | None = None
) -> Axes:
    """Our selected test NLL (mean ± std) next to the paper's, per dataset and family."""
    ax = axes_or_new(ax)
    rows = summary[summary["variant"] == variant]
    datasets = list(dict.fromkeys(rows["dataset"]))
    families = [f for f in FAMILY_LABELS if f in set(rows["family"])]
    width = 0.8 / max(len(families), 1)
    for i, family in enumerate(families):
        part = rows[rows["family"] == family].set_index("dataset").reindex(datasets)
        pos = np.arange(len(datasets)) + (i - (len(families) - 1) / 2) * width
        ax.errorbar(
            pos,
            part["test_nll_mean"],
            yerr=part["test_nll_std"],
            fmt="o",
            capsize=3,
            label=f"{FAMILY_LABELS[family]} (ours)",
            color=f"C{i}",
        )
        ax.errorbar(
            pos + 0.1 * width,
            part["paper_nll_mean"],
            yerr=part["paper_nll_std"],
            fmt="x",
            capsize=3,
            color=f"C{i}",
            alpha=0.6,
            label=f"{FAMILY_LABELS[family]} (paper)",
        )
    ax.set_xticks(np.arange(len(datasets)), datasets)
    ax.set_ylabel(f"test NLL ({variant} predictive, standardised y)")
    ax.legend(fontsize="small", ncols=2)
    return ax

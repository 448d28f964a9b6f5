"""Figures of the classification part: reliability diagrams, the accuracy/NLL/ECE table against
the shifted sets, and the finite-width agreement plots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from powertail.report.figures import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


_MARKERS = ("o", "s", "^", "v", "D", "x", "+")
_DASHES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))


def _label(test_set: str) -> str:
    """``"shot_noise"`` → ``"shot noise"`` for titles and ticks."""
    return test_set.replace("_", " ")


def plot_reliability(table: pd.DataFrame, *, title: str = "", columns: int = 3) -> Figure:
    """Reliability diagrams (accuracy against confidence per bin), one panel per test set
    (``columns`` per row), one line per model (own marker and dash pattern, so coinciding models
    stay visible) and one legend for the figure, below the panels, so it hides no data; table of
    :func:`~powertail.nngp.classification.metrics.reliability_table` rows with ``test_set`` and
    ``model`` columns. Empty bins are left out."""
    sets = list(dict.fromkeys(table["test_set"]))
    models = list(dict.fromkeys(table["model"]))
    cols = max(1, min(columns, len(sets)))
    rows = -(-len(sets) // cols)
    fig, axes = new_figure(rows, cols, figsize=(3.4 * cols, 3.2 * rows + 0.7))
    axes = np.asarray(axes).reshape(rows, cols)
    for ax in axes.flat[len(sets) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, sets, strict=False):
        part = table[(table["test_set"] == name) & (table["count"] > 0)]
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--")
        for i, model in enumerate(models):
            rows_m = part[part["model"] == model]
            # models that coincide (e.g. the conjugate Student-t and the fitted-scale Gaussian)
            # stay visible: each gets its own marker and dash pattern, drawn thinner on top
            ax.plot(
                rows_m["confidence"],
                rows_m["accuracy"],
                marker=_MARKERS[i % len(_MARKERS)],
                ls=_DASHES[i % len(_DASHES)],
                lw=2.2 - 0.3 * (i % 5),
                ms=5 - 0.5 * (i % 5),
                mfc="none",
                label=model,
            )
        ax.set_title(_label(name))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(color="0.92", lw=0.6)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy")
    for ax in axes.flat:
        if ax.get_visible():
            ax.set_xlabel("confidence")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(models), 3), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


_METRIC_LABELS = {"nll": "NLL (nats)", "ece": "ECE", "accuracy": "accuracy"}


def plot_metric_by_shift(table: pd.DataFrame, metric: str, *, title: str = "") -> Figure:
    """``metric`` per test set (x) and model (bars) for one training variant; the legend sits to
    the right of the axes so it covers no bar."""
    fig, ax = new_figure(figsize=(8.5, 4.2))
    sets = list(dict.fromkeys(table["test_set"]))
    models = list(dict.fromkeys(table["model"]))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        rows = table[table["model"] == model].set_index("test_set").reindex(sets)
        ax.bar(np.arange(len(sets)) + i * width, rows[metric], width, label=model)
    ax.set_xticks(
        np.arange(len(sets)) + 0.4 - width / 2, [_label(s) for s in sets], rotation=30, ha="right"
    )
    ax.set_ylabel(_METRIC_LABELS.get(metric, metric))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", color="0.92", lw=0.6)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title)
    return fig


def plot_finite_width(samples: pd.DataFrame, *, df: float, df_posterior: float) -> Figure:
    """QQ plots of standardised ensemble outputs against Student-t quantiles with df ``df`` (the
    predicted limit) and ``df_posterior`` (what a Bayesian posterior would have), one panel per
    stage (``initial``, ``readout-trained``, ...; three per row) of the long table
    ``stage, point, z``."""
    stages = list(dict.fromkeys(samples["stage"]))
    cols = min(3, len(stages))
    rows = -(-len(stages) // cols)
    fig, axes = new_figure(rows, cols, figsize=(3.6 * cols, 3.4 * rows + 0.5))
    axes = np.asarray(axes).reshape(rows, cols)
    for ax in axes.flat[len(stages) :]:
        ax.set_visible(False)
    references = (
        (df, "-", f"against t, df = {df:g} (predicted limit)"),
        (df_posterior, ":", f"against t, df = {df_posterior:g} (Bayesian posterior)"),
    )
    for ax, stage in zip(axes.flat, stages, strict=False):
        z = np.sort(samples.loc[samples["stage"] == stage, "z"].to_numpy())
        levels = (np.arange(z.size) + 0.5) / z.size
        for nu, style, label in references:
            ax.plot(stats.t(nu).ppf(levels), z, style, lw=1.2, label=label)
        lim = np.quantile(np.abs(z), 0.995)
        ax.plot([-lim, lim], [-lim, lim], color="0.6", lw=0.8, ls="--", label="perfect agreement")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_title(stage)
        ax.set_xlabel("Student-t quantile")
    for row in axes:
        row[0].set_ylabel("ensemble quantile (standardised)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8)
    return fig

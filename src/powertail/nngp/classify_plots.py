"""Figures of the classification part: reliability diagrams, the accuracy/NLL/ECE table against
the shifted sets, and the finite-width agreement plots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from powertail.report import axes_or_new

if TYPE_CHECKING:
    from matplotlib.figure import Figure


_MARKERS = ("o", "s", "^", "v", "D", "x", "+")
_DASHES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))


def plot_reliability(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Reliability diagrams (accuracy against confidence per bin), one panel per test set,
    one line per model (own marker and dash pattern, so coinciding models stay visible);
    table of :func:`~powertail.nngp.classification.metrics.reliability_table` rows with
    ``test_set`` and ``model`` columns."""
    import matplotlib.pyplot as plt

    sets = list(dict.fromkeys(table["test_set"]))
    fig, axes = plt.subplots(1, len(sets), figsize=(3.2 * len(sets), 3.2), squeeze=False)
    for ax, name in zip(axes[0], sets, strict=True):
        part = table[(table["test_set"] == name) & (table["count"] > 0)]
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--")
        for i, (model, rows) in enumerate(part.groupby("model", sort=False)):
            # models that coincide (e.g. the conjugate Student-t and the fitted-scale Gaussian)
            # stay visible: each gets its own marker and dash pattern, drawn thinner on top
            ax.plot(
                rows["confidence"],
                rows["accuracy"],
                marker=_MARKERS[i % len(_MARKERS)],
                ls=_DASHES[i % len(_DASHES)],
                lw=2.2 - 0.3 * (i % 5),
                ms=5 - 0.5 * (i % 5),
                mfc="none",
                label=model,
            )
        ax.set_title(name)
        ax.set_xlabel("confidence")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("accuracy")
    axes[0][-1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_metric_by_shift(table: pd.DataFrame, metric: str, *, title: str = "") -> Figure:
    """``metric`` per test set (x) and model (bars) for one training variant."""
    ax = axes_or_new(None)
    sets = list(dict.fromkeys(table["test_set"]))
    models = list(dict.fromkeys(table["model"]))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        rows = table[table["model"] == model].set_index("test_set").reindex(sets)
        ax.bar(np.arange(len(sets)) + i * width, rows[metric], width, label=model)
    ax.set_xticks(np.arange(len(sets)) + 0.4 - width / 2, sets, rotation=30, ha="right")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return ax.figure


def plot_finite_width(samples: pd.DataFrame, *, df: float, df_posterior: float) -> Figure:
    """QQ plots of standardised ensemble outputs against Student-t quantiles with df ``df`` (the
    predicted limit) and ``df_posterior`` (what a Bayesian posterior would have), one panel per
    stage (``initial``, ``readout-trained``, ...; three per row) of the long table
    ``stage, point, z``."""
    import matplotlib.pyplot as plt

    stages = list(dict.fromkeys(samples["stage"]))
    cols = min(3, len(stages))
    rows = -(-len(stages) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(stages) :]:
        ax.set_visible(False)
    for ax, stage in zip(axes.flat, stages, strict=False):
        z = np.sort(samples.loc[samples["stage"] == stage, "z"].to_numpy())
        levels = (np.arange(z.size) + 0.5) / z.size
        for nu, style in ((df, "-"), (df_posterior, ":")):
            ax.plot(stats.t(nu).ppf(levels), z, style, lw=1.2, label=f"t, df = {nu:g}")
        lim = np.quantile(np.abs(z), 0.995)
        ax.plot([-lim, lim], [-lim, lim], color="0.6", lw=0.8, ls="--")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_title(stage)
        ax.set_xlabel("Student-t quantile")
    for row in axes:
        row[0].set_ylabel("ensemble quantile (standardised)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    return fig

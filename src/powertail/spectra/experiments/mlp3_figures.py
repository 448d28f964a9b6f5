r"""Tables and figures of an MLP3 sweep, as in the SETOL paper (Sec. 6, brief §1.8).

:func:`write_mlp3` writes the tables ``mlp3-epochs`` (every epoch of every unit), ``mlp3-final``
(the last epoch of each unit) and ``mlp3-summary`` (mean and std over seeds), and the figures

* ``mlp3-error-vs-lr`` / ``mlp3-error-vs-bs``: final train and test error (error bars: std over
  seeds) against the LR multiplier / batch size, one line per set of trainable layers;
* ``mlp3-alpha-vs-lr`` / ``mlp3-alpha-vs-bs``: final :math:`\alpha_{FC1}`, :math:`\alpha_{FC2}`;
* ``mlp3-funnel``: :math:`\Delta\lambda_{\min}` against :math:`\alpha` for FC1 and FC2 over all
  epochs, one colour map per set of trainable layers shaded by setting, with the critical point
  (2, 0) (frozen layers left out);
* ``mlp3-ecs``: :math:`\Delta E_{train}`, :math:`\Delta E_{test}` against epoch for the PL and the
  ERG truncation of FC1 (mean over seeds per setting; runs with FC1 frozen left out);
* ``mlp3-esd``: the final log-ESD of FC1 with the PL (red) and ERG (purple) cut-offs, at the
  smallest and the largest learning rate (or batch size);
* ``mlp3-trap``: ESD against the shuffled-weights ESD of FC1 at the most extreme setting;
* ``mlp3-error-vs-alpha``: test and (running) training error against :math:`\alpha` binned in
  0.05 over all epochs after the first four.

Sweeps that lack a part (e.g. no batch-size sweep in the quick variant) skip its figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from powertail.report import new_figure
from powertail.spectra.experiments.mlp3_sweep import (
    BASE_BATCH_SIZE,
    BASE_LEARNING_RATE,
    Mlp3Results,
)
from powertail.spectra.plots import plot_esd, plot_rand_esd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from powertail.runs import Run

__all__ = [
    "ALPHA_BIN",
    "FIRST_EPOCHS_SKIPPED",
    "bs_sweep",
    "extreme_unit",
    "lr_sweep",
    "plot_alpha_vs",
    "plot_ecs",
    "plot_error_vs",
    "plot_error_vs_alpha",
    "plot_funnel_epochs",
    "write_mlp3",
]

#: Width of the alpha bins of ``mlp3-error-vs-alpha`` (the paper's 0.05).
ALPHA_BIN = 0.05
#: Epochs left out of ``mlp3-error-vs-alpha`` (the paper excludes the first 4).
FIRST_EPOCHS_SKIPPED = 4


def lr_sweep(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the learning-rate sweep (batch size :data:`BASE_BATCH_SIZE`)."""
    return table[table["batch_size"] == BASE_BATCH_SIZE]


def bs_sweep(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the batch-size sweep (learning rate :data:`BASE_LEARNING_RATE`)."""
    return table[np.isclose(table["learning_rate"], BASE_LEARNING_RATE)]


def _axis(kind: str) -> tuple[str, str]:
    return ("lr_multiplier", "LR / 0.01") if kind == "lr" else ("batch_size", "batch size")


def plot_error_vs(summary: pd.DataFrame, kind: str, *, ax: Axes | None = None) -> Axes:
    """Final train (dashed) and test (solid) error against the LR multiplier or batch size."""
    from powertail.report import axes_or_new

    ax = axes_or_new(ax)
    x, label = _axis(kind)
    for trainable, part in summary.groupby("trainable", sort=False):
        part = part.sort_values(x)
        for column, style in (("test_error", "-o"), ("train_error", "--s")):
            ax.errorbar(
                part[x],
                part[column],
                yerr=part[f"{column}_std"].fillna(0),
                fmt=style,
                ms=4,
                capsize=3,
                label=f"{trainable}: {column.split('_')[0]}",
            )
    ax.set_xscale("log", base=2)
    ax.set_xlabel(label)
    ax.set_ylabel("error (last epoch)")
    ax.legend(fontsize=7)
    return ax


def plot_alpha_vs(summary: pd.DataFrame, kind: str, *, ax: Axes | None = None) -> Axes:
    """Final α of FC1 (solid) and FC2 (dashed) against the LR multiplier or batch size (a layer
    frozen at its initial weights is left out)."""
    from powertail.report import axes_or_new

    ax = axes_or_new(ax)
    x, label = _axis(kind)
    for trainable, part in summary.groupby("trainable", sort=False):
        part = part.sort_values(x)
        for layer, style in (("fc1", "-o"), ("fc2", "--s")):
            if _frozen(str(trainable), layer):
                continue
            ax.errorbar(
                part[x],
                part[f"{layer}_alpha"],
                yerr=part[f"{layer}_alpha_std"].fillna(0),
                fmt=style,
                ms=4,
                capsize=3,
                label=f"{trainable}: α {layer.upper()}",
            )
    ax.axhline(2.0, color="0.5", lw=1, ls=":")
    ax.set_xscale("log", base=2)
    ax.set_xlabel(label)
    ax.set_ylabel("α (last epoch)")
    ax.legend(fontsize=7)
    return ax


def _setting_label(row: pd.Series | dict[str, Any]) -> str:
    return f"{row['trainable']} bs {int(row['batch_size'])} LR×{row['lr_multiplier']:g}"


#: One colour map per set of trainable layers in the per-setting figures.
_TRAINABLE_COLOURS = {"all": "Blues", "fc1": "Oranges", "fc2": "Greens"}
_SETTING_KEYS = ["trainable", "batch_size", "lr_multiplier"]


def _frozen(trainable: str, layer: str) -> bool:
    """True when ``layer`` stays at its initial weights in runs that train only ``trainable``."""
    return trainable in ("fc1", "fc2") and trainable != layer


def _setting_styles(table: pd.DataFrame) -> dict[tuple, tuple[Any, str | None]]:
    """Colour and legend label of every (trainable, batch size, LR multiplier) setting.

    A sweep has up to 33 settings, too many for a legend of their own: each set of trainable
    layers gets one colour map, shaded from light to dark by the step-size ratio
    ``LR multiplier × 32 / batch size`` (the two sweeps' common axis), and one legend entry.
    """
    from matplotlib import colormaps

    styles: dict[tuple, tuple[Any, str | None]] = {}
    settings = table[_SETTING_KEYS].drop_duplicates()
    for trainable, group in settings.groupby("trainable", sort=False):
        ratio = group["lr_multiplier"] * BASE_BATCH_SIZE / group["batch_size"]
        group = group.assign(ratio=ratio).sort_values(["ratio", "batch_size"])
        cmap = colormaps[_TRAINABLE_COLOURS.get(str(trainable), "Greys")]
        n = len(group)
        for i, row in enumerate(group.itertuples(index=False)):
            shade = 0.4 + 0.55 * (i / (n - 1) if n > 1 else 1.0)
            label = None
            if i == n - 1:
                low, high = group["ratio"].min(), group["ratio"].max()
                label = f"{trainable} trained (light → dark: step ratio ×{low:g} → ×{high:g})"
            key = (row.trainable, row.batch_size, row.lr_multiplier)
            styles[key] = (cmap(shade), label)
    return styles


def plot_funnel_epochs(epochs: pd.DataFrame, layer: str, *, ax: Axes | None = None) -> Axes:
    """Δλ_min against α of ``layer`` over all epochs, one colour per setting, (2, 0) marked."""
    from powertail.report import axes_or_new

    ax = axes_or_new(ax)
    styles = _setting_styles(epochs)
    for key, part in epochs.groupby(_SETTING_KEYS, sort=True):
        if _frozen(str(key[0]), layer):
            continue
        colour, label = styles[key]
        ax.plot(
            part[f"{layer}_alpha"],
            part[f"{layer}_erg_delta"],
            "o",
            ms=2.5,
            alpha=0.7,
            color=colour,
            label=label,
        )
    ax.plot([2.0], [0.0], "k*", ms=12, label="(2, 0)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(2, color="0.6", lw=0.8)
    ax.set_xlabel(f"α {layer.upper()}")
    ax.set_ylabel(f"Δλ_min {layer.upper()}")
    ax.legend(fontsize=6)
    return ax


def plot_ecs(epochs: pd.DataFrame, rule: str, part: str, *, ax: Axes | None = None) -> Axes:
    """ΔE (``part`` = train or test) of the FC1 ``rule`` truncation against epoch, per setting."""
    from powertail.report import axes_or_new

    ax = axes_or_new(ax)
    column = f"fc1_ecs_{rule}_dE_{part}"
    styles = _setting_styles(epochs)
    for key, group in epochs.dropna(subset=[column]).groupby(_SETTING_KEYS, sort=True):
        if _frozen(str(key[0]), "fc1"):
            continue
        colour, label = styles[key]
        by_epoch = group.groupby("epoch")[column]
        mean, std = by_epoch.mean(), by_epoch.std(ddof=1).fillna(0)
        ax.plot(mean.index, mean.to_numpy(), "-", color=colour, label=label)
        ax.fill_between(mean.index, mean - std, mean + std, color=colour, alpha=0.15)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"ΔE_{part}")
    ax.set_title(f"FC1 truncated to the {rule.upper()} tail", fontsize=9)
    ax.legend(fontsize=6)
    return ax


def plot_error_vs_alpha(epochs: pd.DataFrame, layer: str, *, ax: Axes | None = None) -> Axes:
    """Train and test error against α of ``layer``, binned in :data:`ALPHA_BIN` (all epochs after
    the first :data:`FIRST_EPOCHS_SKIPPED`), one line per set of trainable layers."""
    from powertail.report import axes_or_new

    ax = axes_or_new(ax)
    late = epochs[epochs["epoch"] > FIRST_EPOCHS_SKIPPED].dropna(subset=[f"{layer}_alpha"])
    for trainable, group in late.groupby("trainable", sort=False):
        bins = np.floor(group[f"{layer}_alpha"] / ALPHA_BIN) * ALPHA_BIN + ALPHA_BIN / 2
        binned = group.groupby(bins)[["train_error_running", "test_error"]].mean()
        ax.plot(binned.index, binned["test_error"], "-o", ms=3, label=f"{trainable}: test")
        ax.plot(binned.index, binned["train_error_running"], "--", label=f"{trainable}: train")
    ax.axvline(2, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(f"α {layer.upper()} (bins of {ALPHA_BIN})")
    ax.set_ylabel("error")
    if late.empty:
        ax.set_title(f"no epochs after the first {FIRST_EPOCHS_SKIPPED}", fontsize=9)
    else:
        ax.legend(fontsize=7)
    return ax


def extreme_unit(final: pd.DataFrame, kind: str, *, largest: bool) -> str | None:
    """Unit (seed 0, all layers trainable if present) at the largest/smallest LR (``kind="lr"``)
    or the smallest/largest batch size (``kind="bs"``; small batches are the "extreme" end)."""
    rows = lr_sweep(final) if kind == "lr" else bs_sweep(final)
    if rows.empty:
        return None
    if (rows["trainable"] == "all").any():
        rows = rows[rows["trainable"] == "all"]
    x, _ = _axis(kind)
    target = rows[x].max() if (largest == (kind == "lr")) else rows[x].min()
    rows = rows[rows[x] == target].sort_values("seed")
    return str(rows["unit"].iloc[0])


def write_mlp3(run: Run, results: Mlp3Results) -> None:
    """Write the tables and figures of the module docstring into ``run``."""
    run.table("mlp3-epochs", results.epochs)
    run.table("mlp3-final", results.final)
    run.table("mlp3-summary", results.summary)
    for kind, select in (("lr", lr_sweep), ("bs", bs_sweep)):
        summary = select(results.summary)
        if summary["lr_multiplier" if kind == "lr" else "batch_size"].nunique() < 2:
            continue
        fig, ax = new_figure()
        plot_error_vs(summary, kind, ax=ax)
        run.figure(f"mlp3-error-vs-{kind}", fig)
        fig, ax = new_figure()
        plot_alpha_vs(summary, kind, ax=ax)
        run.figure(f"mlp3-alpha-vs-{kind}", fig)
    fig, axes = new_figure(1, 2)
    for ax, layer in zip(axes, ("fc1", "fc2"), strict=True):
        plot_funnel_epochs(results.epochs, layer, ax=ax)
    run.figure("mlp3-funnel", fig)
    fig, axes = new_figure(2, 2)
    for i, rule in enumerate(("pl", "erg")):
        for j, part in enumerate(("train", "test")):
            plot_ecs(results.epochs, rule, part, ax=axes[i, j])
    run.figure("mlp3-ecs", fig)
    kind = "lr" if not lr_sweep(results.final).empty else "bs"
    ends = [extreme_unit(results.final, kind, largest=flag) for flag in (False, True)]
    if all(ends):
        fig, axes = new_figure(1, 2)
        for ax, key in zip(axes, ends, strict=True):
            unit = results.units[str(key)]
            plot_esd(unit["fc1_eigenvalues"], {**unit["fc1_row"], "name": f"FC1 {key}"}, ax=ax)
        run.figure("mlp3-esd", fig)
        unit = results.units[str(ends[1])]
        fig, ax = new_figure()
        plot_rand_esd(
            unit["fc1_eigenvalues"],
            unit["fc1_rand_eigenvalues"],
            {**unit["fc1_row"], "name": f"FC1 {ends[1]}"},
            ax=ax,
        )
        run.figure("mlp3-trap", fig)
    fig, axes = new_figure(1, 2)
    for ax, layer in zip(axes, ("fc1", "fc2"), strict=True):
        plot_error_vs_alpha(results.epochs, layer, ax=ax)
    run.figure("mlp3-error-vs-alpha", fig)

"""Classification figures stay readable with many test sets and models: panels wrap into rows,
one legend per figure outside the panels, every model drawn, test-set names without
underscores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from powertail.nngp.classify_plots import (
    plot_finite_width,
    plot_metric_by_shift,
    plot_reliability,
)

SETS = ("clean", "shot_noise", "impulse_noise", "spatter", "glass_blur", "zigzag")
MODELS = ("NNGP (σ_v²=1)", "NNGP (fitted σ_v²)", "Student-t IG(1,1)", "Burr XII(2,2)", "SVGP")


def _reliability() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for s in SETS:
        for m in MODELS:
            for c in np.linspace(0.2, 0.95, 8):
                rows.append(
                    {
                        "test_set": s,
                        "model": m,
                        "confidence": c,
                        "accuracy": rng.uniform(),
                        "count": 0 if c < 0.25 else 10,
                    }
                )
    return pd.DataFrame(rows)


def _drawn_box(fig):
    """Lay the figure out on an Agg canvas and return its renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def test_reliability_wraps_panels_and_keeps_the_legend_off_the_data() -> None:
    fig = plot_reliability(_reliability(), title="training: clean")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(SETS)
    assert len({round(ax.get_position().y0, 3) for ax in visible}) == 2  # 3 per row
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == list(MODELS)
    renderer = _drawn_box(fig)
    box = legend.get_window_extent(renderer)
    assert all(not box.overlaps(ax.get_window_extent(renderer)) for ax in visible)
    titles = [ax.get_title() for ax in visible]
    assert titles[1] == "shot noise" and "_" not in "".join(titles)
    # empty bins are left out: each model line has the 7 bins with count > 0
    assert all(len(line.get_xdata()) == 7 for line in visible[0].get_lines()[1:])


def test_metric_bars_put_the_legend_beside_the_axes() -> None:
    table = pd.DataFrame(
        [{"test_set": s, "model": m, "nll": 1.0 + i} for s in SETS for i, m in enumerate(MODELS)]
    )
    fig = plot_metric_by_shift(table, "nll", title="training: clean")
    (ax,) = fig.axes
    assert len(ax.patches) == len(SETS) * len(MODELS)
    assert ax.get_ylabel() == "NLL (nats)"
    renderer = _drawn_box(fig)
    legend_box = ax.get_legend().get_window_extent(renderer)
    assert legend_box.x0 >= ax.get_window_extent(renderer).x1
    assert [t.get_text() for t in ax.get_xticklabels()][2] == "impulse noise"


def test_finite_width_panels_name_both_reference_laws() -> None:
    rng = np.random.default_rng(1)
    stages = ("initial", "readout-trained", "fully-trained (NTK)", "CNN initial")
    samples = pd.concat(
        pd.DataFrame({"stage": s, "point": 0, "z": rng.standard_t(4, 500)}) for s in stages
    )
    fig = plot_finite_width(samples, df=4.0, df_posterior=9.0)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(stages)
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[0].startswith("against t, df = 4") and "df = 9" in labels[1]

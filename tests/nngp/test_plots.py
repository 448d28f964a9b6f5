"""Figures draw on the given axes (or a new one) and return them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from powertail.nngp.plots import plot_bands, plot_nll_vs_alpha, plot_paper_comparison


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_bands_uses_the_given_axes() -> None:
    x = np.linspace(0, 1, 5)
    bands = pd.concat(
        [
            pd.DataFrame({"model": "data", "x": x, "mean": x}),
            pd.DataFrame({"model": "NNGP", "x": x, "mean": x, "lower": x - 1, "upper": x + 1}),
            pd.DataFrame({"model": "Student-t", "x": x, "mean": x, "lower": x - 2, "upper": x + 2}),
        ]
    )
    _, ax = plt.subplots()
    assert plot_bands(bands, ax=ax) is ax
    assert len(ax.lines) == 2 and len(ax.collections) == 3


def test_plot_bands_shows_points_beyond_the_axis_instead_of_hiding_them() -> None:
    x = np.linspace(0, 1, 50)
    y = np.sin(6 * x)
    y[[5, 30]] = [400.0, -900.0]  # Cauchy-like outliers far outside the bulk
    bands = pd.concat(
        [
            pd.DataFrame({"model": "data", "x": x, "mean": y}),
            pd.DataFrame({"model": "NNGP", "x": x, "mean": 0 * x, "lower": x - 1, "upper": x + 1}),
        ]
    )
    ax = plot_bands(bands)
    lo, hi = ax.get_ylim()
    assert hi < 400 and lo > -900  # the axis shows the bulk ...
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "2 of 50 points off the axis (y from -900 to 400)" in labels  # ... and says so
    markers = [c for c in ax.collections if c.get_label() != "data" and len(c.get_offsets())]
    edge_y = sorted(float(o[1]) for c in markers[1:] for o in c.get_offsets())
    assert len(edge_y) == 2 and lo <= edge_y[0] < edge_y[1] <= hi


def test_grid_figures() -> None:
    rows = []
    for rep in range(2):
        for a in (0.5, 2.0):
            rows.append(
                {
                    "dataset": "d",
                    "replicate": rep,
                    "variant": "noisy",
                    "family": "inverse-gamma",
                    "prior": f"a={a:g},b=1",
                    "valid_nll": a,
                    "test_nll": a + 0.1,
                }
            )
            # a row that wins on the test set but loses on validation must not be picked
            rows.append(
                {
                    "dataset": "d",
                    "replicate": rep,
                    "variant": "noisy",
                    "family": "inverse-gamma",
                    "prior": f"a={a:g},b=8",
                    "valid_nll": a + 1.0,
                    "test_nll": -5.0,
                }
            )
        rows.append(
            {
                "dataset": "d",
                "replicate": rep,
                "variant": "noisy",
                "family": "nngp",
                "prior": "sv2=1",
                "valid_nll": 1.0,
                "test_nll": 1.0,
            }
        )
    ax = plot_nll_vs_alpha(pd.DataFrame(rows), dataset="d")
    assert ax.get_title() == "d (noisy predictive)" and ax.get_xscale() == "log"
    test_curve = [c for c in ax.containers if c.get_label().startswith("test NLL")]
    np.testing.assert_allclose(np.asarray(test_curve[0].lines[0].get_ydata(), float), [0.6, 2.1])
    summary = pd.DataFrame(
        {
            "dataset": ["d", "d"],
            "variant": ["latent", "latent"],
            "family": ["nngp", "burr"],
            "test_nll_mean": [1.0, 0.9],
            "test_nll_std": [0.1, 0.1],
            "paper_nll_mean": [1.1, 1.0],
            "paper_nll_std": [0.05, 0.05],
        }
    )
    assert plot_paper_comparison(summary).get_ylabel().startswith("test NLL")

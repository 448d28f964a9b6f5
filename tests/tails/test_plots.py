"""Plot helpers draw on the given axes (or a new one) and return it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from powertail.tails import fit_power_law, plot_ccdf, plot_ks_curve
from powertail.tails.plots import plot_alpha_recovery

from ._samples import body_and_tail


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("xmax", [None, 20.0])
def test_plot_ccdf_returns_given_axes(xmax: float | None) -> None:
    x = body_and_tail(300, 300, 2.5, seed=0)
    fit = fit_power_law(x, xmax=xmax)
    _, ax = plt.subplots()
    assert plot_ccdf(x, fit, ax=ax) is ax
    assert ax.get_xscale() == "log"
    assert len(ax.lines) >= 2


def test_plot_ks_curve_and_new_axes() -> None:
    fit = fit_power_law(body_and_tail(300, 300, 2.5, seed=1))
    ax = plot_ks_curve(fit)
    line = ax.lines[0]
    assert len(line.get_xdata()) == fit.xmin_candidates.size
    assert plot_ccdf(body_and_tail(50, 50, 2.0, seed=2)) is not None


def test_plot_alpha_recovery() -> None:
    table = pd.DataFrame(
        {"alpha_true": [2.0, 2.0, 3.0], "alpha": [2.1, 1.9, 3.05], "sigma": [0.1] * 3}
    )
    ax = plot_alpha_recovery(table)
    assert ax.get_xlabel() == r"true $\alpha$"

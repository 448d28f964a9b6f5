"""Figures draw what they are given and return their axes."""

from __future__ import annotations

import numpy as np

from powertail.spectra import analyze
from powertail.spectra.plots import plot_esd, plot_funnel, plot_rand_esd


def test_plots_return_axes_with_the_cutoffs_marked():
    w = np.random.default_rng(0).standard_t(3, size=(300, 100))
    result = analyze({"fc.weight": w, "emb.weight": w[:, :50] * 2}, randomize=True)
    row = result.layers.iloc[0].to_dict()
    ax = plot_esd(result.esd("fc.weight"), row)
    xs = [line.get_xdata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert np.isclose(xs, row["xmin"]).any() and np.isclose(xs, row["erg_lambda_min"]).any()
    assert plot_rand_esd(result.esd("fc.weight"), result.rand_esd("fc.weight"), row).get_title()
    funnel = plot_funnel(result.layers)
    assert len(funnel.collections) == 1  # one kind (linear), two points
    assert funnel.collections[0].get_offsets().shape == (2, 2)

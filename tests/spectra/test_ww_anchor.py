"""ww_compat against WeightWatcher 0.7.7 itself, number for number, on small synthetic layers.

Skips without weightwatcher (the default install); run it in the anchor environment with
``.anchors/spectra/bin/python benchmarks/check_spectra_torch.py``. The real-model comparison
(MiniLM, MPNet) is ``benchmarks/bench_spectra_ww.py``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from powertail.spectra import analyze


def _layers(rng: np.random.Generator) -> dict[str, np.ndarray]:
    heavy = rng.standard_t(2.5, size=(400, 160)) / 20
    tiny = rng.normal(size=(300, 120)) * 3e-4  # eigenvalues 4e-6..7e-5: some below 1e-5
    low_rank = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 90)) + 0.02 * rng.normal(
        size=(200, 90)
    )
    return {
        "heavy.weight": heavy.astype(np.float32),
        "tiny.weight": tiny.astype(np.float32),
        "lowrank.weight": low_rank.astype(np.float32),
        "small.weight": rng.normal(size=(40, 6)).astype(np.float32),  # 6 < min_evals 8
        # 12 eigenvalues (< 20): WeightWatcher 0.7.7's small-N fit (bias-corrected MLE).
        "bias_table.weight": (rng.standard_t(1.5, size=(32, 12)) / 5).astype(np.float32),
    }


def test_ww_compat_matches_weightwatcher_layer_by_layer():
    torch = pytest.importorskip("torch")
    ww = pytest.importorskip("weightwatcher")
    logging.disable(logging.WARNING)
    layers = _layers(np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ww.WeightWatcher().analyze(
            model={k: torch.from_numpy(v) for k, v in layers.items()}, detX=True
        )
    ours = analyze(layers, ww_compat=True).layers
    ours = ours[ours["status"] == "ok"].assign(key=lambda t: t["name"].str[: -len(".weight")])
    both = ours.merge(theirs, left_on="key", right_on="name", suffixes=("", "_ww"))
    expected = ["bias_table", "heavy", "lowrank", "tiny"]
    assert sorted(both["key"]) == sorted(theirs["name"]) == expected
    np.testing.assert_allclose(both["alpha"], both["alpha_ww"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(both["xmin"], both["xmin_ww"], rtol=1e-8)
    np.testing.assert_allclose(both["D"], both["D_ww"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(both["lambda_max"], both["lambda_max_ww"], rtol=1e-8)
    assert (both["num_pl_spikes"] == both["num_pl_spikes_ww"]).all()
    # ERG over all eigenvalues, the ones below 1e-5 included (the "tiny" layer drops some).
    assert ours.set_index("key").loc["tiny", "n_dropped"] > 0
    assert (both["erg_num"] == both["detX_num"]).all()

"""ECS truncation: rank, kept spectrum, and the rules' k against independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.spectra import analyze, truncate_to_ecs


def test_truncation_keeps_the_top_k_spectrum_exactly():
    w = np.random.default_rng(0).standard_t(3, size=(200, 80))
    lam = np.sort(np.linalg.svd(w, compute_uv=False) ** 2)[::-1]
    out = truncate_to_ecs(w, rule=7)
    kept = np.sort(np.linalg.svd(out.weights, compute_uv=False) ** 2)[::-1]
    np.testing.assert_allclose(kept[:7], lam[:7], rtol=1e-10)
    assert np.all(kept[7:] < 1e-20 * lam[0]) and out.weights.shape == w.shape
    np.testing.assert_allclose(truncate_to_ecs(w, rule=80).weights, w, atol=1e-10)


def test_erg_and_pl_rules_use_the_layer_metrics():
    w = np.random.default_rng(1).standard_t(3, size=(300, 100))
    row = analyze({"w": w}).layers.iloc[0]
    assert truncate_to_ecs(w, rule="erg").k == row["erg_num"]
    pl = truncate_to_ecs(w, rule="pl")
    assert pl.k == row["num_pl_spikes"] and pl.cutoff == pytest.approx(row["xmin"], rel=1e-9)


def test_bad_rules():
    with pytest.raises(InputError, match=r"expected an int k in \[1, 3\]"):
        truncate_to_ecs(np.ones((5, 3)), rule=4)
    with pytest.raises(InputError, match="expected one of"):
        truncate_to_ecs(np.ones((5, 3)), rule="svd")

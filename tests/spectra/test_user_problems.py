"""The ten WeightWatcher user problems of brief §4, each as a minimal input made here."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from safetensors.numpy import save_file

from powertail.errors import InputError
from powertail.spectra import analyze


def _ww_fit_oracle(evals: np.ndarray) -> tuple[float, float, float]:
    """WeightWatcher 0.7.5.5 ``WWFit`` written as its plain loop (brief §2.2), for comparison."""
    x = np.sort(evals)
    n = x.size
    best = (math.inf, math.nan, math.nan)
    for i in range(n - 1):
        tail = x[i:]
        k = n - i
        a = 1 + k / np.sum(np.log(tail / x[i]))
        d = np.max(np.abs(1 - (tail / x[i]) ** (1 - a) - np.arange(k) / k)) if a > 1 else 1.0
        if d < best[0]:
            best = (d, a, x[i])
    return best[1], best[2], best[0]


def test_1_small_tail_alpha_is_reported_with_tail_size_and_flagged():
    w = np.random.default_rng(0).normal(size=(1000, 1000)) / math.sqrt(1000)
    row = analyze({"w": w}).layers.iloc[0]
    assert row["alpha"] > 6 and row["num_pl_spikes"] < 50  # brief: alpha ~ 37 from ~10 points
    assert not row["reliable"] and row["warning"] == "under-trained"
    assert np.isfinite(row["D"]) and np.isfinite(row["sigma"])


def test_2_ww_compat_fit_matches_the_wwfit_loop():
    w = np.random.default_rng(1).standard_t(3, size=(300, 120))
    result = analyze({"w": w}, ww_compat=True)
    alpha, xmin, d = _ww_fit_oracle(result.esd("w"))
    row = result.layers.iloc[0]
    assert row["alpha"] == pytest.approx(alpha, abs=1e-10)
    assert row["xmin"] == xmin and row["D"] == pytest.approx(d, abs=1e-12)
    assert math.isfinite(row["xmax"])  # reported (lambda_max) but not used in the likelihood


def test_3_conv1d_with_one_input_channel_never_raises():
    rng = np.random.default_rng(2)
    result = analyze(
        {
            "feature.conv.weight": rng.normal(size=(512, 1, 10)),
            "fc.weight": rng.normal(size=(64, 32)),
        }
    )
    row = result.layers.set_index("name").loc["feature.conv.weight"]
    assert (row["status"], row["M"], row["layout"]) == ("ok", 10, "flatten")
    skipped = analyze(
        {"c.weight": rng.normal(size=(512, 1, 10)), "fc.weight": rng.normal(size=(64, 32))},
        depthwise="skip",
    ).layers.set_index("name")
    assert skipped.loc["c.weight", "status"] == "skipped"
    assert "M = 1" in skipped.loc["c.weight", "reason"]


def test_4_large_embeddings_are_analysed_tiny_ones_skipped_with_reason():
    rng = np.random.default_rng(3)
    result = analyze(
        {
            "embeddings.word_embeddings.weight": rng.normal(size=(6000, 96)),
            "embeddings.token_type_embeddings.weight": rng.normal(size=(2, 96)),
        }
    ).layers.set_index("name")
    assert result.loc["embeddings.word_embeddings.weight", "status"] == "ok"
    tiny = result.loc["embeddings.token_type_embeddings.weight"]
    assert tiny["status"] == "skipped"
    assert tiny["reason"] == "too few eigenvalues (2 < min_evals=10)"


def test_5_nothing_analysable_is_an_error_listing_the_tensors():
    with pytest.raises(InputError, match=re.escape("bn.bias: 1-D tensor (bias or norm scale)")):
        analyze({"bn.bias": np.ones(8), "bn.weight": np.ones(8)})


def test_6_sharded_directory_with_a_tall_embedding(tmp_path):
    rng = np.random.default_rng(4)
    (tmp_path / "m").mkdir()
    save_file(
        {"embed.weight": rng.normal(size=(20000, 48)).astype(np.float32)},
        str(tmp_path / "m" / "a.safetensors"),
    )
    save_file(
        {"fc.weight": rng.normal(size=(48, 48)).astype(np.float32)},
        str(tmp_path / "m" / "b.safetensors"),
    )
    layers = analyze(tmp_path / "m").layers
    assert list(layers["status"]) == ["ok", "ok"]
    assert layers.loc[0, "N"] == 20000


def test_7_progress_is_reported_per_layer():
    calls = []
    rng = np.random.default_rng(5)
    analyze(
        {f"l{i}.weight": rng.normal(size=(40, 20)) for i in range(3)},
        progress=lambda d, done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_8_results_do_not_depend_on_the_weight_dtype_path(tmp_path):
    # WW casts to fp16 when a GPU exists; we upcast fp16 and never downcast fp32.
    w = np.random.default_rng(6).standard_t(3, size=(200, 80)).astype(np.float32)
    save_file({"w": w}, str(tmp_path / "w.safetensors"))
    from_file = analyze(tmp_path / "w.safetensors").layers.iloc[0]
    in_memory = analyze({"w": w.astype(np.float64)}).layers.iloc[0]
    assert from_file["alpha"] == pytest.approx(in_memory["alpha"], rel=1e-12)


def test_9_m_equals_one_layers_have_nan_metrics_and_a_retrievable_esd():
    rng = np.random.default_rng(7)
    w1 = rng.normal(size=(1, 512))  # nn.Linear(512, 1)
    w8 = rng.normal(size=(8, 64))  # nn.Linear(64, 8)
    result = analyze(
        {"head.weight": w1, "small.weight": w8, "fc.weight": rng.normal(size=(50, 30))}
    )
    layers = result.layers.set_index("name")
    for name in ("head.weight", "small.weight"):
        assert layers.loc[name, "status"] == "skipped" and math.isnan(layers.loc[name, "alpha"])
    np.testing.assert_allclose(result.esd("head.weight"), [np.sum(w1**2)], rtol=1e-12)
    assert result.esd("small.weight").size == 8
    assert np.isfinite(result.summary["alpha"])
    assert result.summary["n_ok"] == 1


def test_10_depthwise_conv_and_lstm_gates():
    rng = np.random.default_rng(8)
    layers = analyze(
        {
            "dw.weight": rng.normal(size=(32, 1, 3, 3)),  # nn.Conv2d(32, 32, 3, groups=32)
            "lstm.weight_ih_l0": rng.normal(size=(1024, 128)),  # nn.LSTM(128, 256)
            "lstm.weight_hh_l0": rng.normal(size=(1024, 256)),
        }
    ).layers.set_index("name")
    assert (layers.loc["dw.weight", "N"], layers.loc["dw.weight", "M"]) == (32, 9)
    gates = [n for n in layers.index if n.startswith("lstm.weight_hh_l0[")]
    assert len(gates) == 4 and set(layers.loc[gates, "status"]) == {"ok"}


def test_summary_excludes_failed_fits_and_skipped_layers():
    rng = np.random.default_rng(9)
    good = rng.standard_t(3, size=(300, 100))
    result = analyze({"good": good, "flat": np.eye(20), "tiny": rng.normal(size=(4, 4))})
    layers = result.layers.set_index("name")
    assert (
        layers.loc["flat", "status"] == "failed"
        and "power-law fit failed" in layers.loc["flat", "reason"]
    )
    assert layers.loc["flat", "erg_status"] == "no crossing"
    alone = analyze({"good": good}).summary
    assert result.summary["alpha"] == pytest.approx(alone["alpha"], rel=1e-12)
    assert (result.summary["n_failed"], result.summary["n_skipped"]) == (1, 1)


def test_esd_lookup_error_names_the_layer():
    result = analyze({"fc.weight": np.random.default_rng(10).normal(size=(30, 20))})
    with pytest.raises(
        InputError, match=re.escape("got 'nope'; 1 layers have one (e.g. fc.weight)")
    ):
        result.esd("nope")
    with pytest.raises(InputError, match="analyze with randomize=True"):
        result.rand_esd("fc.weight")


def test_6b_repeated_analyses_do_not_leak_memory(tmp_path):
    import gc
    import tracemalloc

    rng = np.random.default_rng(11)
    save_file(
        {f"l{i}.weight": rng.normal(size=(400, 64)).astype(np.float32) for i in range(8)},
        str(tmp_path / "m.safetensors"),
    )
    analyze(tmp_path / "m.safetensors")  # warm-up (imports, caches)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(3):
        analyze(tmp_path / "m.safetensors")
        gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 1_000_000  # bytes; one layer's matrix alone is 200 kB as float64

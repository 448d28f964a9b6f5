"""Layer extraction: every tensor gets a row; convs, depthwise, RNN gates, tied weights."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.spectra import open_weights, plan_layers


def _plan(tensors, **options):
    return {s.name: s for s in plan_layers(open_weights(tensors), **options)}


def test_every_tensor_gets_a_row_with_a_reason():
    rng = np.random.default_rng(0)
    plan = _plan(
        {
            "ids": np.arange(4),
            "norm.weight": np.ones(8),
            "fc.weight": rng.normal(size=(8, 16)),
            "five.weight": rng.normal(size=(2, 2, 2, 2, 2, 2)),
        }
    )
    assert plan["ids"].status == "skipped" and "buffer" in plan["ids"].reason
    assert plan["norm.weight"].reason == "1-D tensor (bias or norm scale)"
    assert plan["five.weight"].reason == "6-D tensor"
    fc = plan["fc.weight"]
    assert (fc.status, fc.kind, fc.N, fc.M, fc.n_matrices) == ("pending", "linear", 16, 8, 1)


def test_conv_slices_depthwise_and_layouts():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(16, 8, 3, 3))
    plan = _plan(
        {
            "conv.weight": w,
            "dw.weight": rng.normal(size=(32, 1, 3, 3)),  # Conv2d(32, 32, 3, groups=32)
            "wav.weight": rng.normal(size=(512, 1, 10)),  # Conv1d(1, 512, 10), WW issue #128
            "c3.weight": rng.normal(size=(6, 4, 2, 2, 2)),
        }
    )
    conv = plan["conv.weight"]
    assert (conv.kind, conv.layout, conv.N, conv.M, conv.n_matrices) == (
        "conv2d",
        "slices",
        16,
        8,
        9,
    )
    assert (plan["dw.weight"].layout, plan["dw.weight"].N, plan["dw.weight"].M) == (
        "flatten",
        32,
        9,
    )
    assert (plan["wav.weight"].kind, plan["wav.weight"].M) == ("conv1d", 10)
    assert (plan["c3.weight"].kind, plan["c3.weight"].n_matrices) == ("conv3d", 8)
    skipped = _plan({"dw.weight": rng.normal(size=(32, 1, 3, 3))}, depthwise="skip")["dw.weight"]
    assert skipped.status == "skipped" and "M = 1" in skipped.reason
    keras = _plan({"k": np.moveaxis(w, (0, 1), (-1, -2))}, conv_layout="channels_last")["k"]
    assert (keras.N, keras.M, keras.n_matrices) == (16, 8, 9)


def test_lstm_and_gru_gates_are_split():
    rng = np.random.default_rng(2)
    plan = _plan(
        {
            "lstm.weight_ih_l0": rng.normal(size=(1024, 128)),  # nn.LSTM(128, 256)
            "lstm.weight_hh_l0": rng.normal(size=(1024, 256)),
            "gru.weight_hh_l0": rng.normal(size=(96, 32)),
        }
    )
    assert [n for n in plan if n.startswith("lstm.weight_ih")] == [
        f"lstm.weight_ih_l0[{g}]" for g in "ifgo"
    ]
    gate = plan["lstm.weight_ih_l0[g]"]
    assert (gate.block, gate.N, gate.M, gate.kind) == ((0, 512, 768), 256, 128, "rnn_gate")
    assert [n for n in plan if n.startswith("gru")] == [f"gru.weight_hh_l0[{g}]" for g in "rzn"]
    whole = _plan({"lstm.weight_hh_l0": rng.normal(size=(1024, 256))}, split_gates=False)
    assert whole["lstm.weight_hh_l0"].N == 1024


def test_tied_weights_are_analysed_once():
    e = np.random.default_rng(3).normal(size=(100, 16))
    plan = _plan({"embed.weight": e, "lm_head.weight": e.copy(), "other": e + 1})
    assert plan["embed.weight"].kind == "embedding"
    assert plan["lm_head.weight"].reason == "tied to embed.weight"
    assert plan["other"].status == "pending"
    assert _plan({"a": e, "b": e.copy()}, dedupe_tied=False)["b"].status == "pending"


def test_bad_options_raise():
    with pytest.raises(InputError, match="conv_layout: expected one of"):
        plan_layers(open_weights({"w": np.ones((3, 3))}), conv_layout="nhwc")  # type: ignore[arg-type]


def test_fused_qkv_split_option():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(64, 192))  # GPT-2 c_attn stores (in, 3 * out)
    fused = _plan({"h.0.attn.c_attn.weight": w})
    assert list(fused) == ["h.0.attn.c_attn.weight"]
    split = _plan({"h.0.attn.c_attn.weight": w}, split_qkv=True)
    assert list(split) == [f"h.0.attn.c_attn.weight[{p}]" for p in "qkv"]
    k = split["h.0.attn.c_attn.weight[k]"]
    assert (k.kind, k.block, k.N, k.M) == ("conv1d_hf", (1, 64, 128), 64, 64)
    from powertail.spectra import analyze

    result = analyze({"attn.in_proj_weight": w.T}, split_qkv=True)
    ref = np.sort(np.linalg.svd(w[:, 64:128], compute_uv=False) ** 2)
    np.testing.assert_allclose(result.esd("attn.in_proj_weight[k]"), ref, rtol=1e-10)


def test_tensors_that_agree_only_on_their_edge_rows_are_not_tied():
    e = np.random.default_rng(5).normal(size=(100, 16))
    other = e.copy()
    other[50, 3] += 1.0  # same first and last rows, different inside
    plan = _plan({"a": e, "b": other})
    assert plan["b"].status == "pending"

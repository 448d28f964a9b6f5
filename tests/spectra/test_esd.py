"""The ESD engine against SVD, and the conv / normalisation identities (brief §5.3 items 8-9)."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import save_file

from powertail.errors import InputError
from powertail.spectra import analyze, esd_from_matrices, gram_matrix, layer_esd, open_weights
from powertail.spectra.layers import plan_layers


def _svd_evals(w: np.ndarray) -> np.ndarray:
    return np.sort(np.linalg.svd(w, compute_uv=False) ** 2)


@pytest.mark.parametrize("shape", [(300, 120), (120, 300), (64, 64)])
def test_gram_eigenvalues_match_svd_to_1e12_of_lambda_max(shape):
    w = np.random.default_rng(0).standard_t(3, size=shape)
    esd = esd_from_matrices(w)
    ref = _svd_evals(w)
    assert esd.eigenvalues.size == min(shape)  # never the N - M structural zeros
    assert np.max(np.abs(esd.eigenvalues - ref)) <= 1e-12 * ref[-1]


def test_blocked_gram_equals_one_shot_product():
    w = np.random.default_rng(1).normal(size=(1001, 37))
    ref = w.T @ w
    tol = 1e-12 * np.abs(ref).max()  # summation order differs: compare on the scale of G
    np.testing.assert_allclose(gram_matrix(w, block_elements=37 * 10), ref, rtol=0, atol=tol)
    np.testing.assert_allclose(gram_matrix(w.T, block_elements=50), ref, rtol=0, atol=tol)


def test_streamed_layer_from_disk_stays_within_one_block(tmp_path):
    import tracemalloc

    w = np.random.default_rng(2).normal(size=(20000, 64)).astype(np.float32)
    path = tmp_path / "emb.safetensors"
    save_file({"embed.weight": w}, str(path))
    store = open_weights(path)
    spec = plan_layers(store)[0]
    tracemalloc.start()
    esd = layer_esd(store, spec, block_elements=64 * 500)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < w.size * 8 / 10  # far below one float64 copy of the matrix
    ref = _svd_evals(w.astype(np.float64))
    assert np.max(np.abs(esd.eigenvalues - ref)) <= 1e-12 * ref[-1]


def test_relative_zero_threshold_counts_dropped_values():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 50)) * 1e-4  # rank 5, tiny entries
    esd = esd_from_matrices(w)
    assert esd.eigenvalues.size == 5 and esd.n_dropped == 45
    # WeightWatcher's absolute 1e-5 drops this whole tiny layer (brief §3.3 pitfall 3).
    tiny = rng.normal(size=(1000, 50)) * 5e-5  # lambda ~ 2.5e-6: a healthy, small layer
    assert esd_from_matrices(tiny).eigenvalues.size == 50
    assert esd_from_matrices(tiny, absolute_threshold=1e-5).eigenvalues.size == 0


def test_conv_pooled_esd_is_the_union_of_slice_esds_and_1x1_equals_linear():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(16, 8, 3, 3))
    result = analyze({"conv.weight": w, "one.weight": w[:, :, :1, :1], "fc.weight": w[:, :, 0, 0]})
    pooled = np.sort(
        np.concatenate([_svd_evals(w[:, :, i, j]) for i in range(3) for j in range(3)])
    )
    np.testing.assert_allclose(result.esd("conv.weight"), pooled, rtol=1e-10)
    np.testing.assert_allclose(result.esd("one.weight"), result.esd("fc.weight"), rtol=1e-12)
    ww = analyze({"conv.weight": w, "fc.weight": w[:, :, 0, 0]}, ww_compat=True)
    np.testing.assert_allclose(ww.esd("conv.weight"), pooled / 2, rtol=1e-10)  # conv2d_norm
    np.testing.assert_allclose(ww.esd("fc.weight"), _svd_evals(w[:, :, 0, 0]), rtol=1e-10)


def test_normalization_one_over_n_scales_eigenvalues_not_alpha():
    w = np.random.default_rng(5).standard_t(3, size=(400, 100))
    raw = analyze({"w": w})
    paper = analyze({"w": w}, normalization="1/N")
    np.testing.assert_allclose(paper.esd("w"), raw.esd("w") / 400, rtol=1e-12)
    assert paper.layers.loc[0, "normalization"] == "1/N"
    assert paper.layers.loc[0, "alpha"] == pytest.approx(raw.layers.loc[0, "alpha"], rel=1e-9)


def test_fp16_weights_are_upcast_not_rounded(tmp_path):
    w16 = np.random.default_rng(6).normal(size=(120, 40)).astype(np.float16)
    path = tmp_path / "h.safetensors"
    save_file({"w": w16}, str(path))
    ref = _svd_evals(w16.astype(np.float64))
    got = analyze(path).esd("w")
    assert np.max(np.abs(got - ref)) <= 1e-12 * ref[-1]


def test_jax_solver_gives_the_numpy_numbers():
    pytest.importorskip("jax")
    rng = np.random.default_rng(7)
    tensors = {
        "fc.weight": rng.standard_t(3, size=(300, 90)),
        "conv.weight": rng.normal(size=(12, 6, 3, 3)),
    }
    cpu = analyze(tensors)
    jx = analyze(tensors, solver="jax")
    for name in tensors:
        ref = cpu.esd(name)
        assert np.max(np.abs(jx.esd(name) - ref)) <= 1e-12 * ref[-1]
    np.testing.assert_allclose(jx.layers["alpha"], cpu.layers["alpha"], rtol=1e-6)


def test_ill_conditioned_layers_fall_back_to_svd_and_keep_their_small_eigenvalues():
    rng = np.random.default_rng(8)
    u, _ = np.linalg.qr(rng.normal(size=(200, 50)))
    v, _ = np.linalg.qr(rng.normal(size=(50, 50)))
    s = np.logspace(-5, 5, 50)  # lambda spans 20 decades: beyond the Gram's reach
    w = (u * s) @ v.T
    assert esd_from_matrices(w).n_dropped > 0  # the Gram route loses the small ones ...
    row = analyze({"w": w}).layers.iloc[0]
    got = analyze({"w": w}).esd("w")
    assert row["esd_method"] == "svd" and row["n_dropped"] == 0  # ... the fallback keeps them
    np.testing.assert_allclose(got, np.sort(s**2), rtol=1e-4)
    healthy = analyze({"w": rng.normal(size=(80, 40))}).layers.iloc[0]
    assert healthy["esd_method"] == "gram"


def test_float32_precision_matches_float64_to_single_precision():
    # A trap (one large entry) on a Gaussian background: the trap eigenvalue, the bulk and
    # the count beyond the MP edge must agree with the float64 route to ~1e-6 of lambda_max.
    rng = np.random.default_rng(21)
    w = rng.normal(size=(600, 300)).astype(np.float32)
    w[17, 42] = 60.0
    exact = esd_from_matrices(w)
    single = esd_from_matrices(w, precision="float32")
    assert single.eigenvalues.dtype == np.float64 and single.eigenvalues.size == 300
    err = np.max(np.abs(single.eigenvalues - exact.eigenvalues)) / exact.lambda_max
    assert 0 < err <= 5e-6  # single precision: not the float64 numbers, but close to them
    assert single.lambda_max == pytest.approx(exact.lambda_max, rel=1e-6)


def test_rand_precision_float32_keeps_the_trap_metrics():
    rng = np.random.default_rng(22)
    w = rng.standard_t(3, size=(900, 400)).astype(np.float32)
    rows = {
        prec: analyze({"fc.weight": w}, randomize=True, seed=4, rand_precision=prec).layers
        for prec in ("float64", "float32")
    }
    a, b = rows["float64"].iloc[0], rows["float32"].iloc[0]
    assert b["alpha"] == a["alpha"]  # the layer's own ESD is float64 either way
    assert b["rand_lambda_max"] == pytest.approx(a["rand_lambda_max"], rel=1e-5)
    assert b["rand_num_spikes"] == a["rand_num_spikes"]
    assert abs(b["rand_jsd"] - a["rand_jsd"]) <= 1e-3
    with pytest.raises(InputError, match="rand_precision: expected one of"):
        analyze({"fc.weight": w}, randomize=True, rand_precision="float16")


def test_rand_precision_auto_uses_float32_only_where_it_resolves_every_eigenvalue(monkeypatch):
    from powertail.spectra import esd as esd_module

    monkeypatch.setattr(esd_module, "AUTO_FLOAT32_MIN_M", 64)
    rng = np.random.default_rng(5)
    # wide (N/M = 40): the MP lower edge (1 - sqrt(1/40))^2 = 0.71 clears the round-off
    wide = rng.standard_normal((4000, 100)).astype(np.float32)
    assert esd_module.shuffled_esd_precision(*wide.shape) == "float32"
    auto = esd_from_matrices(wide, precision="auto")
    exact = esd_from_matrices(wide, precision="float64")
    assert auto.precision == "float32" and exact.precision == "float64"
    rel = np.abs(auto.eigenvalues - exact.eigenvalues) / exact.eigenvalues
    assert 0 < rel.max() <= esd_module.AUTO_FLOAT32_RTOL  # resolved, yet not the float64 numbers
    # square: the smallest eigenvalues approach zero -> float64 without a float32 attempt
    assert esd_module.shuffled_esd_precision(300, 300) == "float64"
    assert esd_from_matrices(wide[:100], precision="auto").precision == "float64"
    # narrow layers (below AUTO_FLOAT32_MIN_M) and pooled conv slices stay float64
    assert esd_module.shuffled_esd_precision(4000, 63) == "float64"
    assert esd_module.shuffled_esd_precision(4000, 100, count=9) == "float64"
    # wide but nearly rank-deficient: the float32 solve cannot resolve the tiny eigenvalue,
    # the a-posteriori check sees it and the ESD is recomputed in float64
    low = wide.astype(np.float64)
    low[:, 1] = low[:, 0] + 1e-4 * low[:, 1]
    repaired = esd_from_matrices(low.astype(np.float32), precision="auto")
    assert repaired.precision == "float64"
    truth = np.linalg.svd(low.astype(np.float32).astype(np.float64), compute_uv=False) ** 2
    assert repaired.eigenvalues[0] == pytest.approx(truth.min(), rel=1e-6)


def test_float32_shuffled_esd_error_is_far_below_the_seed_to_seed_scatter(monkeypatch):
    """The reason float32 is allowed for the shuffled ESD: the metrics it feeds move far more
    between two shuffles (Monte Carlo over seeds) than between float32 and float64 arithmetic."""
    from powertail.spectra import esd as esd_module

    monkeypatch.setattr(esd_module, "AUTO_FLOAT32_MIN_M", 64)
    rng = np.random.default_rng(8)
    w = rng.standard_t(4, size=(3000, 150)).astype(np.float32)
    layers = {
        (prec, seed): analyze(
            {"fc.weight": w}, randomize=True, seed=seed, rand_precision=prec
        ).layers.iloc[0]
        for prec in ("auto", "float64")
        for seed in range(6)
    }
    assert {layers["auto", s]["rand_precision"] for s in range(6)} == {"float32"}
    assert {layers["float64", s]["rand_precision"] for s in range(6)} == {"float64"}
    for column in ("rand_lambda_max", "rand_sigma_mp", "rand_bulk_max", "rand_jsd"):
        per_seed = np.array([layers["float64", s][column] for s in range(6)])
        scatter = per_seed.std(ddof=1)
        arithmetic = max(
            abs(layers["auto", s][column] - layers["float64", s][column]) for s in range(6)
        )
        assert scatter > 0 and arithmetic <= 0.01 * scatter, column

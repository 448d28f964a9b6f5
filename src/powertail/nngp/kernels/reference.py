"""NumPy reference of the fully connected NNGP/NTK recursion, written separately from the JAX
path (plain ``arccos``/``arcsin`` forms, explicit loops over layers) for cross-checks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike

from powertail.nngp.kernels.architecture import FullyConnected


def _expectations(
    activation: str, k11: np.ndarray, k12: np.ndarray, k22: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if activation == "identity":
        return k12.copy(), np.ones_like(k12)
    if activation == "relu":
        norm = np.sqrt(k11 * k22)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.where(norm > 0, np.clip(k12 / norm, -1.0, 1.0), 0.0)
        theta = np.arccos(cos)
        # sin θ from the same clipped cosine, so that round-off in k12 near x = x' cancels
        # to first order (the direct sqrt(k11 k22 - k12²) loses ~1e-9 relative there)
        value = norm * (np.sqrt(1.0 - cos**2) + (np.pi - theta) * cos) / (2 * np.pi)
        return value, (np.pi - theta) / (2 * np.pi)
    a = (1 + 2 * k11) * (1 + 2 * k22)
    value = 2 / np.pi * np.arcsin(np.clip(2 * k12 / np.sqrt(a), -1.0, 1.0))
    return value, 4 / np.pi / np.sqrt(np.maximum(a - 4 * k12**2, 1e-300))


def fc_kernels_reference(
    x1: ArrayLike, x2: ArrayLike, *, architecture: FullyConnected
) -> tuple[np.ndarray, np.ndarray]:
    """NNGP and NTK at ``architecture.depth`` between ``x1`` (n1, d) and ``x2`` (n2, d).

    Returns
    -------
    (ndarray of shape (n1, n2), ndarray of shape (n1, n2))
    """
    a = np.asarray(x1, dtype=np.float64)
    b = np.asarray(x2, dtype=np.float64)
    d = a.shape[1]
    sw, sb, sv = (
        architecture.weight_variance,
        architecture.bias_variance,
        architecture.readout_variance,
    )
    k12 = a @ b.T / d
    k11 = np.broadcast_to((a**2).sum(1)[:, None] / d, k12.shape)
    k22 = np.broadcast_to((b**2).sum(1)[None, :] / d, k12.shape)
    if architecture.residual:
        k12, k11, k22 = sw * k12 + sb, sw * k11 + sb, sw * k22 + sb
        ntk = k12.copy()
        for _ in range(architecture.depth):
            e12, dot12 = _expectations(architecture.activation, k11, k12, k22)
            e11, _ = _expectations(architecture.activation, k11, k11, k11)
            e22, _ = _expectations(architecture.activation, k22, k22, k22)
            branch = sw * e12 + sb
            ntk = ntk + branch + sw * dot12 * ntk
            k12, k11, k22 = k12 + branch, k11 + sw * e11 + sb, k22 + sw * e22 + sb
        e12, dot12 = _expectations(architecture.activation, k11, k12, k22)
        return sv * e12, sv * (e12 + dot12 * ntk)
    if architecture.depth == 0:
        return sv * k12, sv * k12
    k12, k11, k22 = sw * k12 + sb, sw * k11 + sb, sw * k22 + sb
    ntk = k12.copy()
    for _ in range(architecture.depth - 1):
        e12, dot12 = _expectations(architecture.activation, k11, k12, k22)
        e11, _ = _expectations(architecture.activation, k11, k11, k11)
        e22, _ = _expectations(architecture.activation, k22, k22, k22)
        k12, k11, k22 = sw * e12 + sb, sw * e11 + sb, sw * e22 + sb
        ntk = k12 + sw * dot12 * ntk
    e12, dot12 = _expectations(architecture.activation, k11, k12, k22)
    return sv * e12, sv * (e12 + dot12 * ntk)


def fc_kernels_numpy(
    x1: np.ndarray,
    x2: np.ndarray | None,
    *,
    architecture: FullyConnected,
    depths: tuple[int, ...],
    diagonal: bool = False,
    chunk: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """The NumPy engine: :func:`fc_kernels_reference` once per depth, stacked.

    ``x2=None`` is ``x1`` against itself (symmetrised); ``diagonal=True`` returns
    :math:`K(x_i, x_i)` from the diagonals of ``chunk``-row blocks. For cross-checks, not speed.

    Returns
    -------
    (ndarray, ndarray)
        NNGP and NTK of shape (n_depths, n1, n2), or (n_depths, n1) with ``diagonal``.
    """
    nngp, ntk = [], []
    for depth in depths:
        arch = replace(architecture, depth=depth)
        if diagonal:
            parts = [
                fc_kernels_reference(x1[i : i + chunk], x1[i : i + chunk], architecture=arch)
                for i in range(0, x1.shape[0], chunk)
            ]
            nngp.append(np.concatenate([np.diag(p[0]) for p in parts]))
            ntk.append(np.concatenate([np.diag(p[1]) for p in parts]))
            continue
        k, t = fc_kernels_reference(x1, x1 if x2 is None else x2, architecture=arch)
        if x2 is None:
            k, t = 0.5 * (k + k.T), 0.5 * (t + t.T)
        nngp.append(k)
        ntk.append(t)
    return np.stack(nngp), np.stack(ntk)

r"""Blockwise CNN-Flatten NNGP kernels of image sets, NNGP only (brief sections 1.2 and 5.2).

A thin driver around :func:`powertail.nngp.kernels.conv.conv_propagate` (the recursion itself is
the library's): it returns only the NNGP (XLA then drops the NTK work), fills the symmetric
train×train kernel from the upper tiles only, zero-pads tiles to one fixed shape (one
compilation), and can run in float32, which halves memory and time for 28×28 images. The
spatially diagonal covariances of a Conv(3×3, SAME) stack read out through Flatten cost
O(n₁ n₂ P L 9) for P pixels and L layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.kernels.conv import ConvFlatten, conv_propagate

__all__ = ["ImageKernels", "image_kernels"]


@lru_cache(maxsize=16)
def _compiled(activation: str, depth: int, diagonal: bool) -> Any:
    jax = jax_with_x64()
    jnp = jax.numpy

    def cross(x1: Any, x2: Any, variances: Any) -> Any:
        c = x1.shape[-1]
        k12 = jnp.einsum("ahwc,bhwc->abhw", x1, x2) / c
        k11 = (jnp.sum(x1 * x1, axis=-1) / c)[:, None]
        k22 = (jnp.sum(x2 * x2, axis=-1) / c)[None, :]
        nngp, _ = conv_propagate(
            k12, k11, k22, activation=activation, variances=variances, depths=(depth,)
        )
        return nngp[0]

    def diag(x1: Any, variances: Any) -> Any:
        k = jnp.sum(x1 * x1, axis=-1) / x1.shape[-1]
        nngp, _ = conv_propagate(
            k, k, k, activation=activation, variances=variances, depths=(depth,)
        )
        return nngp[0]

    return jax.jit(diag if diagonal else cross)


@dataclass(frozen=True)
class ImageKernels:
    """NNGP blocks for one training set and one test set (unit readout variance).

    Attributes
    ----------
    train_train : ndarray (n, n) or None
    test_train : ndarray (m, n) or None
    test_diag : ndarray (m,) or None
    """

    train_train: np.ndarray | None
    test_train: np.ndarray | None
    test_diag: np.ndarray | None


def _images(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 4 or 0 in arr.shape:
        raise InputError(
            f"{name}: expected images of shape (n, height, width, channels), got shape "
            f"{arr.shape}; add a channel axis with x[..., None]"
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: expected finite pixels, got NaN or inf")
    return arr


def _pad(x: np.ndarray, size: int) -> np.ndarray:
    if x.shape[0] == size:
        return x
    return np.concatenate([x, np.zeros((size - x.shape[0], *x.shape[1:]), dtype=x.dtype)])


def image_kernels(
    x_train: ArrayLike | None,
    x_test: ArrayLike | None = None,
    *,
    architecture: ConvFlatten,
    tile: int = 128,
    dtype: str = "float32",
) -> ImageKernels:
    """NNGP of :class:`~powertail.nngp.kernels.ConvFlatten` (readout variance 1 unless set):
    train×train (if ``x_train`` is given and ``x_test`` is None or both are wanted), test×train
    and diag(test×test), tile by tile.

    Parameters
    ----------
    x_train : array_like (n, H, W, C)
    x_test : array_like (m, H, W, C), optional
        With ``x_test`` only the test×train block and the test diagonal are computed.
    architecture : ConvFlatten
    tile : int, default 128
        Images per tile edge; a tile pair holds ``tile² H W`` floats per intermediate.
    dtype : {"float32", "float64"}, default "float32"
        float32 halves time and memory; the kernel is returned as float64 either way.
    """
    if not isinstance(architecture, ConvFlatten):
        raise InputError(f"architecture: expected a ConvFlatten, got {type(architecture).__name__}")
    if dtype not in ("float32", "float64"):
        raise InputError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise InputError(f"tile: expected an int >= 1, got {tile!r}")
    if x_train is None:
        raise InputError("x_train: expected images, got None")
    a = _images(x_train, "x_train").astype(dtype)
    v = np.array(
        [architecture.weight_variance, architecture.bias_variance, architecture.readout_variance],
        dtype=dtype,
    )
    cross = _compiled(architecture.activation, architecture.depth, False)

    def block(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        out = np.asarray(cross(_pad(rows, tile), _pad(cols, tile), v), dtype=np.float64)
        return out[: rows.shape[0], : cols.shape[0]]

    if x_test is None:
        n = a.shape[0]
        k = np.empty((n, n))
        for i in range(0, n, tile):
            for j in range(i, n, tile):
                b = block(a[i : i + tile], a[j : j + tile])
                k[i : i + tile, j : j + tile] = b
                k[j : j + tile, i : i + tile] = b.T
        return ImageKernels(train_train=0.5 * (k + k.T), test_train=None, test_diag=None)
    b = _images(x_test, "x_test").astype(dtype)
    if b.shape[1:] != a.shape[1:]:
        raise InputError(f"x_test: expected images of shape {a.shape[1:]}, got {b.shape[1:]}")
    kx = np.empty((b.shape[0], a.shape[0]))
    for i in range(0, b.shape[0], tile):
        for j in range(0, a.shape[0], tile):
            kx[i : i + tile, j : j + tile] = block(b[i : i + tile], a[j : j + tile])
    diag_fn = _compiled(architecture.activation, architecture.depth, True)
    kd = np.concatenate(
        [
            np.asarray(diag_fn(_pad(b[i : i + tile], tile), v), dtype=np.float64)[
                : b[i : i + tile].shape[0]
            ]
            for i in range(0, b.shape[0], tile)
        ]
    )
    return ImageKernels(train_train=None, test_train=kx, test_diag=kd)

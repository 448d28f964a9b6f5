"""Blockwise kernels for regression: train×train, test×train and the test diagonal, in tiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError
from powertail.nngp.kernels.architecture import FullyConnected
from powertail.nngp.kernels.conv import ConvFlatten, conv_kernels
from powertail.nngp.kernels.fc import (
    _cross_fn,
    _diag_fn,
    _numba_kernels,
    check_depths,
    check_inputs,
    resolve_engine,
)
from powertail.nngp.kernels.reference import fc_kernels_numpy

DEFAULT_TILE = 512
"""Rows per tile: a tile holds ``tile × n_train × n_depths`` float64 values per kernel."""
CONV_TILE = 32
"""Largest number of images per tile for a ConvFlatten (a tile pair holds ``tile² H W``
floats per intermediate)."""


@dataclass(frozen=True)
class KernelBlocks:
    """What regression needs from a kernel, for several depths.

    Attributes
    ----------
    depths : tuple of int
        Depths of the leading axis.
    kind : {"nngp", "ntk"}
        Which kernel.
    train_train : ndarray of shape (n_depths, n, n)
    test_train : ndarray of shape (n_depths, m, n) or None
    test_diag : ndarray of shape (n_depths, m) or None
    """

    depths: tuple[int, ...]
    kind: str
    train_train: np.ndarray
    test_train: np.ndarray | None
    test_diag: np.ndarray | None

    def at_depth(self, depth: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Return ``(train_train, test_train, test_diag)`` at ``depth``."""
        if depth not in self.depths:
            raise InputError(
                f"depth: expected one of the computed depths {self.depths}, got {depth!r}; "
                "pass it in depths=... when computing the kernel blocks"
            )
        i = self.depths.index(depth)
        return (
            self.train_train[i],
            None if self.test_train is None else self.test_train[i],
            None if self.test_diag is None else self.test_diag[i],
        )


def _padded(x: np.ndarray, size: int) -> np.ndarray:
    if x.shape[0] == size:
        return x
    return np.concatenate([x, np.zeros((size - x.shape[0], x.shape[1]))])


def _tile_size(tile: int, *sizes: int) -> int:
    """``tile``, or the next power of two above the largest input when that is smaller: padded
    tiles of a few fixed shapes mean a few compilations per activation, not one per dataset."""
    biggest = max(sizes)
    return min(tile, 1 << max(biggest - 1, 1).bit_length())


def _tiled_cross(
    a: np.ndarray,
    b: np.ndarray,
    fn: object,
    pick: int | None,
    tile: int,
    n_depths: int,
    *,
    symmetric: bool = False,
) -> np.ndarray:
    """Fill the (a × b) kernel tile by tile; ``symmetric`` (a is b) computes tiles j >= i only,
    mirrors them, and symmetrises the diagonal tiles, so the result is exactly symmetric."""
    out = np.empty((n_depths, a.shape[0], b.shape[0]))
    for i in range(0, a.shape[0], tile):
        rows = a[i : i + tile]
        for j in range(i if symmetric else 0, b.shape[0], tile):
            cols = b[j : j + tile]
            same = symmetric and j == i
            block = fn(_padded(rows, tile), _padded(cols, tile), same=same)  # type: ignore[operator]
            if pick is not None:
                block = block[pick]
            block = np.asarray(block)[:, : rows.shape[0], : cols.shape[0]]
            if same:
                block = 0.5 * (block + np.swapaxes(block, 1, 2))
            out[:, i : i + rows.shape[0], j : j + cols.shape[0]] = block
            if symmetric and j != i:
                out[:, j : j + cols.shape[0], i : i + rows.shape[0]] = np.swapaxes(block, 1, 2)
    return out


def _tiled_diag(
    a: np.ndarray, fn: object, pick: int | None, tile: int, n_depths: int
) -> np.ndarray:
    out = np.empty((n_depths, a.shape[0]))
    for i in range(0, a.shape[0], tile):
        rows = a[i : i + tile]
        block = fn(_padded(rows, tile))  # type: ignore[operator]
        if pick is not None:
            block = block[pick]
        out[:, i : i + rows.shape[0]] = np.asarray(block)[:, : rows.shape[0]]
    return out


def kernel_blocks(
    x_train: ArrayLike,
    x_test: ArrayLike | None = None,
    *,
    architecture: FullyConnected | ConvFlatten,
    depths: Sequence[int] | None = None,
    kind: Literal["nngp", "ntk"] = "nngp",
    tile: int = DEFAULT_TILE,
    include_train: bool = True,
    engine: str = "auto",
) -> KernelBlocks:
    """Compute train×train, test×train and diag(test×test) tile by tile, all depths in one pass.

    Parameters
    ----------
    x_train : array_like of shape (n, d), or (n, H, W, C) images for a ConvFlatten
    x_test : array_like of shape (m, d) or (m, H, W, C), optional
    architecture : FullyConnected or ConvFlatten
        A :class:`~powertail.nngp.kernels.conv.ConvFlatten` is computed by
        :func:`~powertail.nngp.kernels.conv.conv_kernels` in tiles of at most
        :data:`CONV_TILE` images (its cost and memory scale with the number of pixels).
    depths : sequence of int, optional
        Depths to keep (default ``architecture.depth``).
    kind : {"nngp", "ntk"}, default "nngp"
    tile : int, default 512
        Tile edge of the JAX engine (the compiled one does not tile); inputs are
        zero-padded to whole tiles so that every tile has the same shape (one compilation).
        Peak memory besides the outputs is about ``8 tile² n_depths`` bytes times a few
        intermediates.
    include_train : bool, default True
        Compute train×train; ``False`` (prediction with a factorised training kernel) leaves
        ``train_train`` as an empty array of shape (n_depths, 0, 0).
    engine : {"auto", "numba", "jax", "numpy"}, default "auto"
        Who evaluates a fully connected network
        (:data:`~powertail.nngp.kernels.fc.ENGINES`). ``"auto"``: the compiled CPU engine
        (:mod:`~powertail.nngp.kernels.compiled`: every layer per output row in cache-resident
        buffers, the upper triangle of train×train mirrored, no tiles and no memory besides
        the outputs and a few rows)
        unless JAX runs on a GPU; ``"jax"``: jitted tiles of edge ``tile``; ``"numpy"``: the
        reference recursion. A ConvFlatten always uses JAX. The engines agree to ~1e-13.

    Returns
    -------
    KernelBlocks
        The full test×test matrix is never formed.
    """
    if kind not in ("nngp", "ntk"):
        raise InputError(f"kind: expected 'nngp' or 'ntk', got {kind!r}; pick one of those")
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise InputError(f"tile: expected an int >= 1, got {tile!r}; pass e.g. tile=512")
    engine = resolve_engine(engine, architecture)
    if isinstance(architecture, ConvFlatten):
        return _conv_blocks(
            x_train, x_test, architecture, depths, kind, min(tile, CONV_TILE), include_train
        )
    if not isinstance(architecture, FullyConnected):
        raise InputError(
            f"architecture: expected a FullyConnected or ConvFlatten, got "
            f"{type(architecture).__name__}; build one with FullyConnected(depth=..., "
            "activation=...)"
        )
    kept = check_depths(depths, architecture)
    a = check_inputs(x_train, name="x_train")
    b = None if x_test is None else check_inputs(x_test, name="x_test", n_features=a.shape[1])
    if engine != "jax":
        return _untiled_blocks(a, b, architecture, kept, kind, include_train, engine)
    # compiled for the requested kernel alone: the other recursion is not computed
    cross = _cross_fn(architecture, kept, only=kind)
    sizes = [a.shape[0]] if x_test is None else [a.shape[0], np.shape(x_test)[0]]
    tile = _tile_size(tile, *sizes)
    if include_train:
        train_train = _tiled_cross(a, a, cross, None, tile, len(kept), symmetric=True)
    else:
        train_train = np.empty((len(kept), 0, 0))
    test_train = test_diag = None
    if b is not None:
        test_train = _tiled_cross(b, a, cross, None, tile, len(kept))
        diag = _diag_fn(architecture, kept, only=kind)
        test_diag = _tiled_diag(b, diag, None, tile, len(kept))
    return KernelBlocks(
        depths=kept, kind=kind, train_train=train_train, test_train=test_train, test_diag=test_diag
    )


def _untiled_blocks(
    a: np.ndarray,
    b: np.ndarray | None,
    architecture: FullyConnected,
    kept: tuple[int, ...],
    kind: str,
    include_train: bool,
    engine: str,
) -> KernelBlocks:
    """:func:`kernel_blocks` by the compiled (``"numba"``) or the NumPy engine."""
    pick = 0 if kind == "nngp" else 1
    if engine == "numba":

        def compute(x1: np.ndarray, x2: np.ndarray | None, diagonal: bool) -> np.ndarray:
            return _numba_kernels(x1, x2, architecture, kept, diagonal=diagonal, kind=kind)[pick]
    else:

        def compute(x1: np.ndarray, x2: np.ndarray | None, diagonal: bool) -> np.ndarray:
            return fc_kernels_numpy(
                x1, x2, architecture=architecture, depths=kept, diagonal=diagonal
            )[pick]

    train_train = compute(a, None, False) if include_train else np.empty((len(kept), 0, 0))
    test_train = None if b is None else compute(b, a, False)
    test_diag = None if b is None else compute(b, None, True)
    return KernelBlocks(
        depths=kept, kind=kind, train_train=train_train, test_train=test_train, test_diag=test_diag
    )


def _conv_blocks(
    x_train: ArrayLike,
    x_test: ArrayLike | None,
    architecture: ConvFlatten,
    depths: Sequence[int] | None,
    kind: str,
    tile: int,
    include_train: bool,
) -> KernelBlocks:
    """:func:`kernel_blocks` for a CNN with Flatten readout (same outputs, from conv_kernels)."""
    kept = tuple(sorted({int(d) for d in (depths or (architecture.depth,))}))

    def pick(k: object) -> np.ndarray:
        return getattr(k, kind)

    if include_train:
        train_train = pick(conv_kernels(x_train, architecture=architecture, depths=kept, tile=tile))
        train_train = 0.5 * (train_train + np.swapaxes(train_train, 1, 2))
    else:
        train_train = np.empty((len(kept), 0, 0))
    test_train = test_diag = None
    if x_test is not None:
        test_train = pick(
            conv_kernels(x_test, x_train, architecture=architecture, depths=kept, tile=tile)
        )
        test_diag = pick(
            conv_kernels(x_test, architecture=architecture, depths=kept, diagonal=True, tile=tile)
        )
    return KernelBlocks(
        depths=kept, kind=kind, train_train=train_train, test_train=test_train, test_diag=test_diag
    )

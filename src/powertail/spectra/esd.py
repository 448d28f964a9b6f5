r"""The ESD engine: eigenvalues of :math:`W^\top W` on the smaller side, in float64.

For an :math:`N \times M` weight matrix (:math:`N \ge M` after choosing the side) the empirical
spectral density is the set of the :math:`M` eigenvalues of the Gram matrix
:math:`G = W^\top W` (brief §1.1). They are computed as

1. :math:`G` accumulated in float64 over row blocks of :math:`W` (:func:`gram_matrix`): the
   weights are read block by block (memory-mapped files) and widened to float64 *before* the
   product, so only one :math:`M \times M` buffer and one block live in memory, whatever
   :math:`N` is (a 128k x 4k embedding needs 128 MiB for :math:`G`);
2. ``numpy.linalg.eigvalsh`` (LAPACK ``syevd``), batched over the kernel positions of a conv;
3. a relative zero threshold: values :math:`\lambda \le \lambda_{\max}\,\max(N, M)\,\epsilon`
   (:math:`\epsilon` the float64 machine epsilon, the size of the Gram round-off) are dropped and
   counted (``n_dropped``); the N - M structural zeros are never formed;
4. if any value was dropped, the layer is recomputed from singular values (:func:`svd_esd`),
   which resolves eigenvalues down to :math:`\lambda_{\max}(\max(N,M)\,\epsilon)^2` and
   records ``method="svd"`` (ill-conditioned or rank-deficient layers only; rare in practice).

Normalisation (recorded in :attr:`Esd.normalization`): ``"none"`` raw :math:`\sigma_i^2`
(default, what WeightWatcher reports), ``"1/N"`` the paper's :math:`X = W^\top W / N`, ``"ww"``
WeightWatcher 0.7.x (raw, but pooled Conv2D eigenvalues halved: ``conv2d_norm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from powertail.errors import InputError
from powertail.spectra.layers import LayerSpec, conv_dims
from powertail.spectra.weights import LazyTensor, WeightStore

__all__ = [
    "NORMALIZATIONS",
    "SOLVERS",
    "Esd",
    "esd_from_matrices",
    "gram_matrix",
    "layer_esd",
    "layer_matrices",
    "svd_esd",
]

Normalization = Literal["none", "1/N", "ww"]
Solver = Literal["numpy", "jax"]
#: Accepted ``solver`` values: NumPy/LAPACK on the CPU, or JAX (float64; GPU when present).
SOLVERS: tuple[str, ...] = ("numpy", "jax")
#: Accepted ``normalization`` values (see the module docstring).
NORMALIZATIONS: tuple[str, ...] = ("none", "1/N", "ww")
#: WeightWatcher's absolute threshold on eigenvalues (``EVALS_THRESH``), used in ``ww_compat``.
WW_EVALS_THRESHOLD = 1e-5
#: WeightWatcher's pooled Conv2D scale: slices multiplied by sqrt(1/2) (``conv2d_norm``).
WW_CONV2D_SCALE = 0.5
# Elements of float64 scratch per row block of the streamed Gram (32 MiB).
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True, eq=False)
class Esd:
    """The pooled empirical spectral density of one layer.

    Attributes
    ----------
    eigenvalues : ndarray of shape (n,)
        Kept eigenvalues, ascending, in the units of `normalization`.
    n_dropped : int
        Eigenvalues at or below `threshold` (numerical zeros), not in `eigenvalues`.
    threshold : float
        The zero threshold that was applied, in the same units.
    trace : float
        Sum of all eigenvalues before dropping (:math:`\\|W\\|_F^2` times the scale).
    N, M : int
        Larger and smaller side of each matrix.
    n_matrices : int
        Matrices pooled (kernel positions).
    normalization : str
        ``"none"``, ``"1/N"`` or ``"ww"``.
    scale : float
        Factor applied to the raw :math:`\\sigma_i^2`.
    method : str
        ``"gram"``, or ``"svd"`` when the Gram lost eigenvalues to round-off and the layer
        was recomputed from singular values (see :func:`layer_esd`).
    dropped : ndarray or None
        The `n_dropped` values at or below `threshold`, ascending (WeightWatcher's ERG uses
        them; see ``ww_compat``).
    """

    eigenvalues: NDArray[np.float64]
    n_dropped: int
    threshold: float
    trace: float
    N: int
    M: int
    n_matrices: int
    normalization: str
    scale: float
    method: str = "gram"
    dropped: NDArray[np.float64] | None = None

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue (NaN if none is kept)."""
        return float(self.eigenvalues[-1]) if self.eigenvalues.size else float("nan")


def gram_matrix(
    w: LazyTensor | np.ndarray, *, block_elements: int = _BLOCK_ELEMENTS, solver: Solver = "numpy"
) -> NDArray:
    r"""Gram matrix of `w` on its smaller side, accumulated in float64 block by block.

    .. math::  G = \sum_b W_b^\top W_b \quad (N \ge M), \qquad G = \sum_b W_{:,b} W_{:,b}^\top
               \quad (N < M),

    where :math:`W_b` are row blocks (column blocks in the second case) widened to float64.

    Parameters
    ----------
    w : LazyTensor or ndarray of shape (rows, cols)
        The matrix; only one block of it is held in float64 at a time.
    block_elements : int
        Size of one block in elements.
    solver : {"numpy", "jax"}, default "numpy"
        Where the products run: NumPy (CPU BLAS) or JAX in float64 (the GPU when JAX has
        one); the blocks are widened to float64 on the host either way.

    Returns
    -------
    ndarray of shape (min(rows, cols), min(rows, cols))
        Symmetric positive semi-definite, float64.
    """
    xp = _array_module(solver)
    rows, cols = w.shape
    small = min(rows, cols)
    g = xp.zeros((small, small), dtype=np.float64)
    if rows >= cols:
        step = max(1, block_elements // cols)
        for start in range(0, rows, step):
            block = xp.asarray(np.asarray(w[start : start + step], dtype=np.float64))
            g = g + block.T @ block
    else:
        step = max(1, block_elements // rows)
        for start in range(0, cols, step):
            block = xp.asarray(np.asarray(w[:, start : start + step], dtype=np.float64))
            g = g + block @ block.T
    return np.asarray(g)


def layer_matrices(store: WeightStore, spec: LayerSpec) -> NDArray[np.float64]:
    """The float64 matrices of a (small) layer as a stack of shape ``(n_matrices, rows, cols)``.

    Used for convolutions, gate blocks and randomisation; large 2-D layers are streamed by
    :func:`layer_esd` instead.
    """
    if spec.layout == "matrix":
        return np.asarray(_matrix_view(store, spec)[:, :])[None, :, :]
    w = store.array(spec.tensor)
    if spec.conv_layout == "channels_last":  # (*k, in, out) -> (out, in, *k)
        w = np.moveaxis(w, (-1, -2), (0, 1))
    out, inp, kernel = conv_dims(w.shape, "channels_first")
    if spec.layout == "flatten":  # depthwise: (out, 1, *k) -> one out x prod(k) matrix
        return w.reshape(out, inp * int(np.prod(kernel)))[None, :, :]
    # one out x in matrix per kernel position: (out, in, *k) -> (k, out, in)
    return np.moveaxis(w.reshape(out, inp, -1), -1, 0).copy()


def _matrix_view(store: WeightStore, spec: LayerSpec) -> LazyTensor | NDArray[np.float64]:
    """The 2-D matrix of `spec`: the lazy tensor (streamed), or its block read as float64."""
    lazy = store.lazy(spec.tensor)
    if spec.block is None:
        return lazy
    axis, start, stop = spec.block
    return lazy[start:stop] if axis == 0 else lazy[:, start:stop]


def _array_module(solver: str):  # type: ignore[no-untyped-def]
    """``numpy``, or ``jax.numpy`` with float64 enabled (imported only when asked for)."""
    if solver == "numpy":
        return np
    if solver == "jax":
        from powertail.jaxconfig import jax_with_x64

        return jax_with_x64().numpy
    raise InputError(f"solver: expected one of {SOLVERS}, got {solver!r}; use 'numpy' or 'jax'")


def _check_finite(block: np.ndarray, name: str, *, what: str = "entries") -> None:
    bad = ~np.isfinite(block)
    if bad.any():
        raise InputError(
            f"weights of {name!r}: expected finite values, got NaN/inf in {int(bad.sum())} "
            f"{what}; repair the checkpoint or exclude the layer"
        )


def esd_from_matrices(
    matrices: NDArray[np.float64] | list[NDArray[np.float64]],
    *,
    scale: float = 1.0,
    normalization: str = "none",
    absolute_threshold: float | None = None,
    solver: Solver = "numpy",
) -> Esd:
    """ESD of a stack of equally shaped matrices (pooled), with the zero threshold.

    Parameters
    ----------
    matrices : ndarray of shape (b, rows, cols) or (rows, cols)
        The matrices whose squared singular values are pooled.
    scale : float, default 1
        Factor applied to every eigenvalue (the normalisation).
    normalization : str
        Recorded name of the normalisation that `scale` implements.
    absolute_threshold : float, optional
        Drop eigenvalues ``<= absolute_threshold`` instead of the relative threshold
        (WeightWatcher's ``1e-5``).
    solver : {"numpy", "jax"}, default "numpy"
        Backend of the batched Gram and ``eigvalsh`` (JAX runs in float64, on a GPU if any).

    Returns
    -------
    Esd
    """
    stack = np.asarray(matrices, dtype=np.float64)
    if stack.ndim == 2:
        stack = stack[None]
    _, rows, cols = stack.shape
    xp = _array_module(solver)
    dev = xp.asarray(stack)
    grams = dev.transpose(0, 2, 1) @ dev if rows >= cols else dev @ dev.transpose(0, 2, 1)
    return _finish(
        np.asarray(xp.linalg.eigvalsh(grams)).ravel(),
        rows,
        cols,
        stack.shape[0],
        scale=scale,
        normalization=normalization,
        absolute_threshold=absolute_threshold,
    )


def _finish(
    values: NDArray[np.float64],
    rows: int,
    cols: int,
    count: int,
    *,
    scale: float,
    normalization: str,
    absolute_threshold: float | None,
    method: str = "gram",
) -> Esd:
    values = np.sort(values) * scale
    trace = float(np.sum(values))
    top = float(values[-1]) if values.size else 0.0
    if absolute_threshold is None:
        # Gram: eigenvalue errors ~ eps*n*lambda_max; SVD: sigma errors ~ eps*n*sigma_max.
        rel = max(rows, cols) * float(np.finfo(np.float64).eps)
        threshold = max(top, 0.0) * (rel if method == "gram" else rel * rel)
    else:
        threshold = float(absolute_threshold)
    kept = values[values > threshold]
    kept.setflags(write=False)
    dropped = values[values <= threshold]
    dropped.setflags(write=False)
    return Esd(
        eigenvalues=kept,
        n_dropped=int(values.size - kept.size),
        threshold=threshold,
        trace=trace,
        N=max(rows, cols),
        M=min(rows, cols),
        n_matrices=count,
        normalization=normalization,
        scale=scale,
        method=method,
        dropped=dropped,
    )


def svd_esd(
    matrices: NDArray[np.float64],
    *,
    scale: float = 1.0,
    normalization: str = "none",
) -> Esd:
    """ESD from singular values (LAPACK ``gesdd``): slower, but resolves eigenvalues down to
    :math:`\\lambda_{\\max}(\\max(N, M)\\,\\epsilon)^2` instead of
    :math:`\\lambda_{\\max}\\max(N, M)\\,\\epsilon` for the Gram route.

    Parameters
    ----------
    matrices : ndarray of shape (b, rows, cols)
        The matrices of the layer.
    scale : float
        Factor applied to every eigenvalue.
    normalization : str
        Recorded name of the normalisation.

    Returns
    -------
    Esd
        With ``method="svd"``.
    """
    stack = np.asarray(matrices, dtype=np.float64)
    _, rows, cols = stack.shape
    sv = np.linalg.svd(stack, compute_uv=False).ravel()
    return _finish(
        sv * sv,
        rows,
        cols,
        stack.shape[0],
        scale=scale,
        normalization=normalization,
        absolute_threshold=None,
        method="svd",
    )


def normalization_scale(spec: LayerSpec, normalization: str) -> float:
    """Factor on raw :math:`\\sigma^2` for `spec` under `normalization` (module docstring)."""
    if normalization not in NORMALIZATIONS:
        raise InputError(
            f"normalization: expected one of {NORMALIZATIONS}, got {normalization!r}; "
            "use 'none' (raw), '1/N' (paper) or 'ww' (WeightWatcher)"
        )
    if normalization == "1/N":
        return 1.0 / spec.N
    if normalization == "ww" and spec.kind == "conv2d" and spec.layout == "slices":
        return WW_CONV2D_SCALE
    return 1.0


def layer_esd(
    store: WeightStore,
    spec: LayerSpec,
    *,
    normalization: Normalization = "none",
    absolute_threshold: float | None = None,
    block_elements: int = _BLOCK_ELEMENTS,
    solver: Solver = "numpy",
) -> Esd:
    """Compute the pooled ESD of one planned layer.

    2-D layers are streamed from the store (:func:`gram_matrix`); convolutions are sliced with
    :func:`layer_matrices` and solved as one batch.

    Parameters
    ----------
    store : WeightStore
        The opened weights.
    spec : LayerSpec
        A pending layer from :func:`~powertail.spectra.layers.plan_layers`.
    normalization : {"none", "1/N", "ww"}, default "none"
        Eigenvalue scale (module docstring).
    absolute_threshold : float, optional
        Absolute zero threshold instead of the relative one.
    block_elements : int
        Row-block size of the streamed Gram, in elements.
    solver : {"numpy", "jax"}, default "numpy"
        Backend of the Gram products and the eigen-solver.

    Returns
    -------
    Esd

    Raises
    ------
    InputError
        If the layer holds NaN or inf weights.
    """
    scale = normalization_scale(spec, normalization)
    if spec.layout == "matrix":
        matrix = _matrix_view(store, spec)
        g = gram_matrix(matrix, block_elements=block_elements, solver=solver)
        _check_finite(np.diag(g), spec.name, what="rows/columns")
        rows, cols = matrix.shape
        values = np.asarray(_array_module(solver).linalg.eigvalsh(g))
        esd = _finish(
            values,
            rows,
            cols,
            1,
            scale=scale,
            normalization=normalization,
            absolute_threshold=absolute_threshold,
        )
        return _svd_if_lossy(esd, store, spec, absolute_threshold)
    stack = layer_matrices(store, spec)
    _check_finite(stack, spec.name)
    esd = esd_from_matrices(
        stack,
        scale=scale,
        normalization=normalization,
        absolute_threshold=absolute_threshold,
        solver=solver,
    )
    return _svd_if_lossy(esd, store, spec, absolute_threshold, stack)


def _svd_if_lossy(
    esd: Esd,
    store: WeightStore,
    spec: LayerSpec,
    absolute_threshold: float | None,
    stack: NDArray[np.float64] | None = None,
) -> Esd:
    """Recompute from singular values when the Gram dropped eigenvalues (a visible repair).

    Exactly rank-deficient layers also take this path; the SVD then confirms the zeros.
    """
    if esd.n_dropped == 0 or absolute_threshold is not None:
        return esd
    matrices = layer_matrices(store, spec) if stack is None else stack
    return svd_esd(matrices, scale=esd.scale, normalization=esd.normalization)

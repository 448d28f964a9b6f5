r"""The ESD engine: eigenvalues of :math:`W^\top W` on the smaller side, in float64.

For an :math:`N \times M` weight matrix (:math:`N \ge M` after choosing the side) the empirical
spectral density is the set of the :math:`M` eigenvalues of the Gram matrix
:math:`G = W^\top W` (brief §1.1). They are computed as

1. :math:`G` accumulated in float64 over row blocks of :math:`W` (:func:`gram_matrix`): the
   weights are read block by block (memory-mapped files) and widened to float64 *before* the
   product and added in place by BLAS ``?syrk`` (lower triangle only, half the flops of a
   general product), so only one :math:`M \times M` buffer and one block live in memory,
   whatever :math:`N` is (a 128k x 4k embedding needs 128 MiB for :math:`G`);
2. ``numpy.linalg.eigvalsh`` (LAPACK ``syevd``), batched over the kernel positions of a conv;
   for M >= 2048 LAPACK's two-stage tridiagonal reduction (:mod:`powertail.spectra.lapack`,
   1.5-2x faster there, same eigenvalues to a few ulp of :math:`\lambda_{\max}`), whose
   single-core phase can run beside other work (``layer_esd(..., meanwhile=...)``);
3. a relative zero threshold: values :math:`\lambda \le \lambda_{\max}\,\max(N, M)\,\epsilon`
   (:math:`\epsilon` the float64 machine epsilon, the size of the Gram round-off) are dropped and
   counted (``n_dropped``); the N - M structural zeros are never formed;
4. if any value was dropped, the layer is recomputed from singular values (:func:`svd_esd`),
   which resolves eigenvalues down to :math:`\lambda_{\max}(\max(N,M)\,\epsilon)^2` and
   records ``method="svd"`` (ill-conditioned or rank-deficient layers only; rare in practice).

Normalisation (recorded in :attr:`Esd.normalization`): ``"none"`` raw :math:`\sigma_i^2`
(default, what WeightWatcher reports), ``"1/N"`` the paper's :math:`X = W^\top W / N`, ``"ww"``
WeightWatcher 0.7.x (raw, but pooled Conv2D eigenvalues halved: ``conv2d_norm``).

``precision="float32"`` (:func:`esd_from_matrices`, used only for the shuffled weights,
``SpectraOptions.rand_precision``) runs the Gram and the solver in single precision, about 1.8x
faster on a 4096 x 11008 matrix. The shuffled ESD is itself a random draw: its
:math:`\lambda_{\max}` moves by ~M^{-2/3} (0.4 % at M = 4096) from one seed to the next, while
the float32 round-off measured on such matrices is 1-3e-5 lambda_max. Round-off only matters
near zero, so ``precision="auto"`` (:func:`shuffled_esd_precision`, the default of
``rand_precision``) uses float32 for a single matrix only where every eigenvalue is resolved:

* :math:`M \ge` :data:`AUTO_FLOAT32_MIN_M` (below it float32 saves little), and the
  Marchenko-Pastur lower edge of the shuffled matrix,
  :math:`\lambda_- = \bar\lambda\,(1 - \sqrt{M/N})^2` (:math:`\bar\lambda` the mean eigenvalue),
  clears the round-off estimate :math:`\delta = 10\,\epsilon_{32}\sqrt{N}\,\bar\lambda`
  (2-5x the error measured on Gaussian and Student-t(3) matrices) by the factor
  1/:data:`AUTO_FLOAT32_RTOL`; square and nearly square matrices (whose smallest eigenvalues
  approach zero) go to float64 directly;
* after the float32 solve, the smallest computed eigenvalue must clear :math:`\delta` by the
  same factor (heavy-tailed or rank-deficient weights can sit below the MP edge); otherwise
  the ESD is recomputed in float64.

:attr:`Esd.precision` records which arithmetic gave the values. WeightWatcher 0.7.7 computes
every ESD, the shuffled ones too, as float64 singular values (``scipy.linalg.svd`` of
``W.astype(float)``); ``rand_precision="float64"`` does the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import get_blas_funcs

from powertail.errors import InputError
from powertail.spectra.lapack import eigvalsh_lower
from powertail.spectra.layers import LayerSpec, conv_dims
from powertail.spectra.weights import LazyTensor, WeightStore

__all__ = [
    "NORMALIZATIONS",
    "PRECISIONS",
    "RAND_PRECISIONS",
    "SOLVERS",
    "Esd",
    "esd_from_matrices",
    "gram_matrix",
    "layer_esd",
    "layer_matrices",
    "shuffled_esd_precision",
    "svd_esd",
]

Normalization = Literal["none", "1/N", "ww"]
Solver = Literal["numpy", "jax"]
Precision = Literal["float64", "float32"]
#: Accepted ``precision`` values of the Gram and the eigen-solver (float32: randomized ESD only).
PRECISIONS: tuple[str, ...] = ("float64", "float32")
#: Accepted ``rand_precision`` values: ``"auto"`` chooses per layer (module docstring).
RAND_PRECISIONS: tuple[str, ...] = ("auto", "float64", "float32")
#: ``"auto"`` never uses float32 on matrices narrower than this (the saving is small there).
AUTO_FLOAT32_MIN_M = 2048
#: ``"auto"`` uses float32 only if the round-off estimate is below this fraction of every
#: eigenvalue.
AUTO_FLOAT32_RTOL = 1e-3
# Round-off estimate of a float32 Gram eigenvalue, in units of eps32 * sqrt(N) * mean eigenvalue.
_FLOAT32_ROUNDOFF = 10.0
_EPS32 = float(np.finfo(np.float32).eps)
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
    precision : str
        Arithmetic of the Gram and the solver: ``"float64"`` or ``"float32"``.
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
    precision: str = "float64"

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue (NaN if none is kept)."""
        return float(self.eigenvalues[-1]) if self.eigenvalues.size else float("nan")


def gram_matrix(
    w: LazyTensor | np.ndarray,
    *,
    block_elements: int = _BLOCK_ELEMENTS,
    solver: Solver = "numpy",
    precision: Precision = "float64",
) -> NDArray:
    r"""Gram matrix of `w` on its smaller side, accumulated block by block.

    .. math::  G = \sum_b W_b^\top W_b \quad (N \ge M), \qquad G = \sum_b W_{:,b} W_{:,b}^\top
               \quad (N < M),

    where :math:`W_b` are row blocks (column blocks in the second case) widened to
    `precision`. With NumPy each block is added in place by BLAS ``?syrk`` (half the flops
    of a general product; only the lower triangle is formed, then mirrored here).

    Parameters
    ----------
    w : LazyTensor or ndarray of shape (rows, cols)
        The matrix; only one block of it is held in `precision` at a time.
    block_elements : int
        Size of one block in elements.
    solver : {"numpy", "jax"}, default "numpy"
        Where the products run: NumPy (CPU BLAS) or JAX in float64 (the GPU when JAX has
        one); the blocks are widened to float64 on the host either way.
    precision : {"float64", "float32"}, default "float64"
        Arithmetic of the products (NumPy only; JAX always uses float64).

    Returns
    -------
    ndarray of shape (min(rows, cols), min(rows, cols))
        Symmetric positive semi-definite.
    """
    if solver == "numpy":
        g = _gram_lower(w, block_elements=block_elements, precision=precision)
        upper = np.triu_indices(g.shape[0], 1)
        g[upper] = g.T[upper]
        return np.ascontiguousarray(g)
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


def _gram_lower(
    w: LazyTensor | np.ndarray, *, block_elements: int, precision: Precision
) -> NDArray:
    """The lower triangle of the Gram matrix (Fortran order), by in-place BLAS ``?syrk``.

    The upper triangle is left unset (``eigvalsh_lower`` reads only the lower one). Blocks
    are read, widened to `precision` and added one at a time: one M x M buffer plus one block
    of `block_elements`, whatever the long side is.
    """
    dtype = _precision_dtype(precision)
    syrk = get_blas_funcs("syrk", dtype=dtype)
    rows, cols = w.shape
    g = None
    if rows >= cols:  # G = sum_b B_b^T B_b; B_b^T is Fortran-ordered: syrk without a copy
        step = max(1, block_elements // cols)
        for start in range(0, rows, step):
            block = np.asarray(w[start : start + step], dtype=dtype)
            if g is None:
                g = syrk(1.0, block.T, lower=1)
            else:
                g = syrk(1.0, block.T, beta=1.0, c=g, lower=1, overwrite_c=1)
    else:  # G = sum_b B_b B_b^T over column blocks B_b
        step = max(1, block_elements // rows)
        for start in range(0, cols, step):
            block = np.asarray(w[:, start : start + step], dtype=dtype)
            if g is None:
                g = syrk(1.0, block.T, trans=1, lower=1)
            else:
                g = syrk(1.0, block.T, trans=1, beta=1.0, c=g, lower=1, overwrite_c=1)
    if g is None:
        raise InputError(f"matrix: expected a non-empty 2-D matrix, got shape {w.shape}")
    return g


def _precision_dtype(precision: str) -> type:
    if precision not in PRECISIONS:
        raise InputError(
            f"precision: expected one of {RAND_PRECISIONS}, got {precision!r}; use 'float64' "
            "(default), 'float32' or 'auto' (randomized ESD only)"
        )
    return np.float64 if precision == "float64" else np.float32


def layer_matrices(store: WeightStore, spec: LayerSpec, *, widen: bool = True) -> NDArray:
    """The matrices of a layer as a stack of shape ``(n_matrices, rows, cols)``.

    Used for convolutions, gate blocks and randomisation; large 2-D layers are streamed by
    :func:`layer_esd` instead.

    Parameters
    ----------
    store : WeightStore
        The opened weights.
    spec : LayerSpec
        The layer.
    widen : bool, default True
        float64 copies; ``False``: the stored precision (bfloat16 as float32), and for a
        2-D layer a view of the memory map (nothing is read until it is used).
    """
    if spec.layout == "matrix":
        if widen:
            return np.asarray(_matrix_view(store, spec)[:, :])[None, :, :]
        w = store.stored(spec.tensor)
        if spec.block is not None:
            axis, start, stop = spec.block
            w = w[start:stop] if axis == 0 else w[:, start:stop]
        return w[None, :, :]
    w = store.array(spec.tensor) if widen else store.stored(spec.tensor)
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
            f"{what}; repair the checkpoint or save a copy without this tensor"
        )


def esd_from_matrices(
    matrices: NDArray | list[NDArray],
    *,
    scale: float = 1.0,
    normalization: str = "none",
    absolute_threshold: float | None = None,
    solver: Solver = "numpy",
    precision: Precision = "float64",
    block_elements: int = _BLOCK_ELEMENTS,
) -> Esd:
    """ESD of a stack of equally shaped matrices (pooled), with the zero threshold.

    Parameters
    ----------
    matrices : ndarray of shape (b, rows, cols) or (rows, cols)
        The matrices whose squared singular values are pooled (any float dtype; widened to
        `precision` block by block).
    scale : float, default 1
        Factor applied to every eigenvalue (the normalisation).
    normalization : str
        Recorded name of the normalisation that `scale` implements.
    absolute_threshold : float, optional
        Drop eigenvalues ``<= absolute_threshold`` instead of the relative threshold
        (WeightWatcher's ``1e-5``).
    solver : {"numpy", "jax"}, default "numpy"
        Backend of the batched Gram and ``eigvalsh`` (JAX runs in float64, on a GPU if any).
    precision : {"float64", "float32", "auto"}, default "float64"
        Arithmetic of the Gram and the eigen-solver (NumPy only). ``"float32"`` is meant for
        the shuffled weights (see ``SpectraOptions.rand_precision``): eigenvalue errors are
        ~1e-5 of lambda_max instead of ~1e-15; ``"auto"`` uses it only where every eigenvalue
        is resolved (module docstring). The values are returned as float64 either way.
    block_elements : int
        Row-block size of the streamed Gram of a single large matrix.

    Returns
    -------
    Esd
    """
    stack = np.asarray(matrices)
    if stack.ndim == 2:
        stack = stack[None]
    count, rows, cols = stack.shape
    if precision == "auto":
        settings = {
            "scale": scale,
            "normalization": normalization,
            "absolute_threshold": absolute_threshold,
            "solver": solver,
            "block_elements": block_elements,
        }
        if shuffled_esd_precision(rows, cols, count, solver=solver) == "float32":
            esd = esd_from_matrices(stack, precision="float32", **settings)
            if _float32_resolves(esd):
                return esd
        return esd_from_matrices(stack, precision="float64", **settings)
    dtype = _precision_dtype(precision)
    if solver == "numpy" and count == 1:  # one (possibly large) matrix: streamed, in place
        values = eigvalsh_lower(
            _gram_lower(stack[0], block_elements=block_elements, precision=precision),
            overwrite=True,
        )
    else:
        xp = _array_module(solver)
        dev = xp.asarray(stack.astype(np.float64 if solver == "jax" else dtype, copy=False))
        grams = dev.transpose(0, 2, 1) @ dev if rows >= cols else dev @ dev.transpose(0, 2, 1)
        values = np.asarray(xp.linalg.eigvalsh(grams)).ravel()
    return _finish(
        np.asarray(values, dtype=np.float64),
        rows,
        cols,
        count,
        scale=scale,
        normalization=normalization,
        absolute_threshold=absolute_threshold,
        eps=float(np.finfo(dtype if solver == "numpy" else np.float64).eps),
        precision=precision if solver == "numpy" else "float64",
    )


def shuffled_esd_precision(rows: int, cols: int, count: int = 1, *, solver: str = "numpy") -> str:
    r"""The arithmetic ``precision="auto"`` tries first for the ESD of shuffled weights.

    ``"float32"`` for one NumPy-solved matrix with :math:`M \ge` :data:`AUTO_FLOAT32_MIN_M`
    whose Marchenko-Pastur lower edge clears the float32 round-off,

    .. math::  (1 - \sqrt{M/N})^2 \;\ge\; 10\,\epsilon_{32}\sqrt{N} / r,

    with :math:`r` = :data:`AUTO_FLOAT32_RTOL` (both sides in units of the mean eigenvalue);
    ``"float64"`` otherwise. The float32 result is still checked (:func:`esd_from_matrices`).

    Parameters
    ----------
    rows, cols : int
        Shape of each matrix.
    count : int, default 1
        Matrices pooled (conv slices are always solved in float64).
    solver : str, default "numpy"
        JAX always computes in float64.

    Returns
    -------
    str
        ``"float32"`` or ``"float64"``.
    """
    big, small = max(rows, cols), min(rows, cols)
    if solver != "numpy" or count != 1 or small < AUTO_FLOAT32_MIN_M:
        return "float64"
    lower_edge = (1.0 - math.sqrt(small / big)) ** 2
    roundoff = _FLOAT32_ROUNDOFF * _EPS32 * math.sqrt(big)
    return "float32" if lower_edge * AUTO_FLOAT32_RTOL >= roundoff else "float64"


def _float32_resolves(esd: Esd) -> bool:
    r"""Whether a float32 ESD kept every eigenvalue and its smallest one clears the round-off
    estimate :math:`10\,\epsilon_{32}\sqrt{N}\,\bar\lambda` by 1/:data:`AUTO_FLOAT32_RTOL`."""
    values = esd.eigenvalues
    if esd.n_dropped or values.size < esd.M:
        return False
    roundoff = _FLOAT32_ROUNDOFF * _EPS32 * math.sqrt(esd.N) * float(np.mean(values))
    return bool(values[0] * AUTO_FLOAT32_RTOL >= roundoff)


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
    eps: float = float(np.finfo(np.float64).eps),
    precision: str = "float64",
) -> Esd:
    values = np.sort(values) * scale
    trace = float(np.sum(values))
    top = float(values[-1]) if values.size else 0.0
    if absolute_threshold is None:
        # Gram: eigenvalue errors ~ eps*n*lambda_max; SVD: sigma errors ~ eps*n*sigma_max.
        rel = max(rows, cols) * eps
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
        precision=precision,
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
    meanwhile: Callable[[], None] | None = None,
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
    meanwhile : callable, optional
        Other work of the caller, called exactly once: during the single-core phase of the
        two-stage solver of a wide 2-D layer (:func:`~powertail.spectra.lapack.eigvalsh_lower`),
        after the eigen-solver otherwise.

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
        rows, cols = matrix.shape
        if solver == "numpy":
            g = _gram_lower(matrix, block_elements=block_elements, precision="float64")
        else:
            g = gram_matrix(matrix, block_elements=block_elements, solver=solver)
        del matrix  # unmapped before `meanwhile` maps the weights again (resident once)
        _check_finite(np.diag(g), spec.name, what="of its rows/columns")
        if solver == "numpy":
            values = eigvalsh_lower(g, overwrite=True, meanwhile=meanwhile)
        else:
            values = np.asarray(_array_module(solver).linalg.eigvalsh(g))
            if meanwhile is not None:
                meanwhile()
        del g
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
    esd = _svd_if_lossy(esd, store, spec, absolute_threshold, stack)
    if meanwhile is not None:
        meanwhile()
    return esd


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

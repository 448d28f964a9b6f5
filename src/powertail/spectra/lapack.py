r"""Eigenvalues of a large symmetric matrix with LAPACK's two-stage tridiagonal reduction.

``numpy.linalg.eigvalsh`` calls LAPACK ``?syevd``, whose reduction to tridiagonal form
(``?sytrd``) does half of its :math:`\tfrac43 n^3` flops as matrix-vector products, bound by
memory bandwidth once the matrix leaves the cache (n of a few thousand). LAPACK 3.7 added the
two-stage reduction, which :func:`eigvalsh_lower` runs phase by phase:

1. ``?sytrd_sy2sb``: the full matrix to a band of half-width :math:`k_d` by blocked
   Householder transformations (matrix-matrix products: BLAS-3, all BLAS threads);
2. ``?sytrd_sb2st``: the band to tridiagonal form by bulge chasing (:math:`O(n^2 k_d)`, one
   core), then ``?sterf`` (root-free QR, :math:`O(n^2)`, one core) for the eigenvalues.

For eigenvalues only this is 1.5-2x faster than ``eigvalsh`` at n = 3000-4000 and gives the
same eigenvalues to a few ulp of :math:`\lambda_{\max}` (tested against ``eigvalsh``); it is
slower below n ~ 2000 (:data:`TWO_STAGE_MIN_N`). The band width trades phase 1 (wider: fewer,
larger products) against phase 2 (wider: more chasing): :data:`BAND_WIDTH`, measured at
n = 4096 on 2 cores, is 48 in float64 and 64 in float32 (LAPACK's own choice, 32, took 7 % and
18 % longer; ``benchmarks/bench_spectra_band_width.py``).

Phase 2 leaves all but one core idle, so ``eigvalsh_lower(..., meanwhile=work)`` runs it on a
helper thread and calls ``work()`` on the calling thread at the same time (the analysis
shuffles the layer's weights there for the correlation-trap test).

NumPy's wheels ship OpenBLAS with the full LAPACK, but NumPy wraps neither phase; they are
called from the library NumPy itself loaded (found by its file name and symbol names) through
``ctypes``, with the Fortran calling convention (arguments by reference, the lengths of the
character arguments appended). Where the library or a symbol is not there (other BLAS builds),
or the matrix is small, ``numpy.linalg.eigvalsh`` is used; :func:`two_stage_available` says
which route is taken.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from powertail.errors import PowertailError

__all__ = ["BAND_WIDTH", "TWO_STAGE_MIN_N", "eigvalsh_lower", "two_stage_available"]

#: Smallest matrix order solved by the two-stage route (below it ``eigvalsh`` is as fast).
TWO_STAGE_MIN_N = 2048
#: Half-width of the intermediate band, by precision (module docstring).
BAND_WIDTH = {"float64": 48, "float32": 64}
# (symbol prefix, symbol suffix, integer type) of the Fortran LAPACK names in known builds.
_NAMINGS: tuple[tuple[str, str, type], ...] = (
    ("scipy_", "_64_", ctypes.c_int64),  # NumPy >= 2 wheels (scipy-openblas64)
    ("", "_64_", ctypes.c_int64),
    ("", "_", ctypes.c_int),
)
_CHAR_LENGTH = ctypes.c_size_t(1)  # the hidden length of a one-character argument


@dataclass(frozen=True)
class _Routines:
    """The three LAPACK routines of one precision and the integer type of the build."""

    to_band: Callable[..., None]  # ?sytrd_sy2sb
    to_tridiagonal: Callable[..., None]  # ?sytrd_sb2st
    tridiagonal_eigenvalues: Callable[..., None]  # ?sterf
    integer: type


@functools.cache
def _routines() -> dict[str, _Routines]:
    """``{"float64": ..., "float32": ...}`` from NumPy's LAPACK, or ``{}``."""
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _NAMINGS:
            found = {}
            for dtype, letter in (("float64", "d"), ("float32", "s")):
                names = (f"{letter}sytrd_sy2sb", f"{letter}sytrd_sb2st", f"{letter}sterf")
                funcs = [getattr(lib, f"{prefix}{name}{suffix}", None) for name in names]
                if any(func is None for func in funcs):
                    break
                for func in funcs:
                    func.restype = None
                found[dtype] = _Routines(*funcs, integer=integer)  # type: ignore[arg-type]
            if len(found) == 2:
                return found
    return {}


def two_stage_available() -> bool:
    """Whether NumPy's LAPACK has the two-stage routines (``?sytrd_sy2sb``, ``?sytrd_sb2st``)."""
    return bool(_routines())


def eigvalsh_lower(
    g: NDArray, *, overwrite: bool = False, meanwhile: Callable[[], None] | None = None
) -> NDArray:
    """Eigenvalues (ascending) of the symmetric matrix whose lower triangle is stored in `g`.

    Parameters
    ----------
    g : ndarray of shape (n, n), float64 or float32
        Only the lower triangle (``g[i, j]`` with ``i >= j``) is read.
    overwrite : bool, default False
        Let the two-stage route destroy `g` when it is already Fortran-ordered (the Gram of
        :func:`~powertail.spectra.esd.gram_matrix` is): saves an n x n copy (134 MiB and
        ~0.25 s at n = 4096).
    meanwhile : callable, optional
        Called once on this thread, while the single-core phase of the solver runs on another
        (module docstring); after the solver where there is no such phase. Its errors are
        raised after the solver has finished.

    Returns
    -------
    ndarray of shape (n,)
        In the dtype of `g`.
    """
    n = g.shape[0]
    routines = _routines().get(g.dtype.name)
    if routines is None or n < TWO_STAGE_MIN_N:
        values = np.linalg.eigvalsh(g, UPLO="L")
        if meanwhile is not None:
            meanwhile()
        return values
    in_place = overwrite and g.flags.f_contiguous and g.flags.writeable
    a = g if in_place else np.array(g, order="F")  # overwritten by phase 1
    width = BAND_WIDTH[g.dtype.name]
    band = _to_band(routines, a, width)
    if meanwhile is None:
        return _band_eigenvalues(routines, band, width)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="band-eigenvalues") as pool:
        values = pool.submit(_band_eigenvalues, routines, band, width)
        meanwhile()
        return values.result()


def _to_band(routines: _Routines, a: NDArray, width: int) -> NDArray:
    """Phase 1 (``?sytrd_sy2sb``, lower): the band of half-width `width` of the matrix
    similar to `a` (overwritten), in LAPACK band storage, shape (width + 1, n)."""
    n = a.shape[0]
    integer = routines.integer
    band = np.zeros((width + 1, n), dtype=a.dtype, order="F")
    tau = np.empty(n, dtype=a.dtype)

    def call(work: NDArray, lwork: int) -> None:
        info = integer(0)
        routines.to_band(
            b"L", _ref(integer, n), _ref(integer, width), _ptr(a), _ref(integer, n),
            _ptr(band), _ref(integer, width + 1), _ptr(tau), _ptr(work), _ref(integer, lwork),
            ctypes.byref(info), _CHAR_LENGTH,
        )  # fmt: skip
        _check(info, "?sytrd_sy2sb", n)

    query = np.zeros(1, dtype=a.dtype)
    call(query, -1)
    call(np.empty(max(1, int(query[0])), dtype=a.dtype), int(query[0]))
    return band


def _band_eigenvalues(routines: _Routines, band: NDArray, width: int) -> NDArray:
    """Phase 2: the band (destroyed) to tridiagonal form (``?sytrd_sb2st``), then its
    eigenvalues by ``?sterf``; ascending."""
    n = band.shape[1]
    integer = routines.integer
    diagonal = np.empty(n, dtype=band.dtype)
    off_diagonal = np.empty(max(n - 1, 1), dtype=band.dtype)

    def call(hous: NDArray, lhous: int, work: NDArray, lwork: int) -> None:
        info = integer(0)
        routines.to_tridiagonal(
            b"N", b"N", b"L", _ref(integer, n), _ref(integer, width), _ptr(band),
            _ref(integer, width + 1), _ptr(diagonal), _ptr(off_diagonal), _ptr(hous),
            _ref(integer, lhous), _ptr(work), _ref(integer, lwork), ctypes.byref(info),
            _CHAR_LENGTH, _CHAR_LENGTH, _CHAR_LENGTH,
        )  # fmt: skip
        _check(info, "?sytrd_sb2st", n)

    hous_query, work_query = np.zeros(1, dtype=band.dtype), np.zeros(1, dtype=band.dtype)
    call(hous_query, -1, work_query, -1)
    lhous, lwork = max(1, int(hous_query[0])), max(1, int(work_query[0]))
    call(np.empty(lhous, dtype=band.dtype), lhous, np.empty(lwork, dtype=band.dtype), lwork)
    info = integer(0)
    routines.tridiagonal_eigenvalues(
        _ref(integer, n), _ptr(diagonal), _ptr(off_diagonal), ctypes.byref(info)
    )
    _check(info, "?sterf", n)
    return diagonal  # ?sterf sorts ascending


def _ref(integer: type, value: int) -> ctypes._CArgObject:  # type: ignore[name-defined]
    return ctypes.byref(integer(value))


def _ptr(array: NDArray) -> ctypes.c_void_p:
    return ctypes.c_void_p(array.ctypes.data)


def _check(info: ctypes.c_int64 | ctypes.c_int, routine: str, n: int) -> None:
    if info.value != 0:
        raise PowertailError(
            f"eigen-solver: LAPACK {routine} returned info={info.value} on an {n} x {n} Gram "
            "matrix; rerun with solver='jax' or report the layer"
        )

r"""Eigenvalues of a large symmetric matrix with LAPACK's two-stage tridiagonal reduction.

``numpy.linalg.eigvalsh`` calls LAPACK ``?syevd``, whose reduction to tridiagonal form
(``?sytrd``) does half of its :math:`\tfrac43 n^3` flops as matrix-vector products, bound by
memory bandwidth once the matrix leaves the cache (n of a few thousand). LAPACK 3.7 added
``?syevd_2stage``: a blocked reduction to band form (matrix-matrix products) followed by a
cheap band-to-tridiagonal chase; for eigenvalues only (``jobz="N"``) it is 1.5-2x faster at
n = 3000-4000 on one core and gives the same eigenvalues to a few ulp of
:math:`\lambda_{\max}` (tested against ``eigvalsh``). It is slower below n ~ 2000.

NumPy's wheels ship OpenBLAS with the full LAPACK and its C interface, but NumPy does not wrap
the two-stage drivers; :func:`eigvalsh_lower` calls ``LAPACKE_?syevd_2stage`` of the library
NumPy itself loaded (found by its file name and symbol prefix) through ``ctypes``, and falls
back to ``numpy.linalg.eigvalsh`` when the library or the symbol is not there (other BLAS
builds) or the matrix is small. :func:`two_stage_available` says which route is taken.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from powertail.errors import PowertailError

__all__ = ["TWO_STAGE_MIN_N", "eigvalsh_lower", "two_stage_available"]

#: Smallest matrix order solved by the two-stage driver (below it ``eigvalsh`` is as fast).
TWO_STAGE_MIN_N = 2048
_LAPACK_COL_MAJOR = 102
# (symbol prefix, symbol suffix, integer type) of the LAPACKE names in known OpenBLAS builds.
_NAMINGS: tuple[tuple[str, str, type], ...] = (
    ("scipy_LAPACKE_", "64_", ctypes.c_int64),  # NumPy >= 2 wheels (scipy-openblas64)
    ("LAPACKE_", "64_", ctypes.c_int64),
    ("LAPACKE_", "", ctypes.c_int),
)


@functools.cache
def _drivers() -> dict[str, Callable[..., int]]:
    """``{"float64": dsyevd_2stage, "float32": ssyevd_2stage}`` from NumPy's LAPACK, or ``{}``."""
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, int_type in _NAMINGS:
            found = {}
            for dtype, letter in (("float64", "d"), ("float32", "s")):
                func = getattr(lib, f"{prefix}{letter}syevd_2stage{suffix}", None)
                if func is None:
                    break
                func.restype = int_type
                func.argtypes = [
                    ctypes.c_int,  # matrix layout
                    ctypes.c_char,  # jobz
                    ctypes.c_char,  # uplo
                    int_type,  # n
                    ctypes.c_void_p,  # a
                    int_type,  # lda
                    ctypes.c_void_p,  # w
                ]
                found[dtype] = func
            if len(found) == 2:
                return found
    return {}


def two_stage_available() -> bool:
    """Whether ``LAPACKE_?syevd_2stage`` was found in NumPy's LAPACK."""
    return bool(_drivers())


def eigvalsh_lower(g: NDArray, *, overwrite: bool = False) -> NDArray:
    """Eigenvalues (ascending) of the symmetric matrix whose lower triangle is stored in `g`.

    Parameters
    ----------
    g : ndarray of shape (n, n), float64 or float32
        Only the lower triangle (``g[i, j]`` with ``i >= j``) is read.
    overwrite : bool, default False
        Let the two-stage driver destroy `g` when it is already Fortran-ordered (the Gram of
        :func:`~powertail.spectra.esd.gram_matrix` is): saves an n x n copy (134 MiB and
        ~0.25 s at n = 4096).

    Returns
    -------
    ndarray of shape (n,)
        In the dtype of `g`.
    """
    n = g.shape[0]
    driver = _drivers().get(g.dtype.name)
    if driver is None or n < TWO_STAGE_MIN_N:
        return np.linalg.eigvalsh(g, UPLO="L")
    in_place = overwrite and g.flags.f_contiguous and g.flags.writeable
    a = g if in_place else np.array(g, order="F")  # overwritten by the driver
    w = np.empty(n, dtype=g.dtype)
    info = driver(_LAPACK_COL_MAJOR, b"N", b"L", n, a.ctypes.data, n, w.ctypes.data)
    if info != 0:  # no convergence (or a bad argument): the one-stage driver decides
        if in_place:
            raise PowertailError(
                f"eigen-solver: LAPACK ?syevd_2stage returned info={info} on an {n} x {n} "
                "Gram matrix; rerun with solver='jax' or report the layer"
            )
        return np.linalg.eigvalsh(g, UPLO="L")
    return w

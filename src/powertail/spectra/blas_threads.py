"""BLAS threads per layer: one thread for narrow layers, the library's default for wide ones.

OpenBLAS starts (and spins) its threads for every call; on the Gram products and the
eigen-solver of a narrow layer that costs more than it gains. Measured on the 2-core machine,
idle, `benchmarks/bench_spectra_ww.py` (2026-12-03): all-mpnet-base-v2 (layers 768 wide)
10.6 s with one BLAS thread against 16.7 s with two (32 CPU-s), while one 4096 x 11008 matrix
takes 16.1 s with one thread and 12.2 s with two. So :func:`blas_threads_for` limits BLAS to one
thread for the duration of a layer whose smaller side is below :data:`SINGLE_THREAD_BELOW`, and
leaves the thread count alone otherwise (``OPENBLAS_NUM_THREADS`` and friends still cap it).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from threadpoolctl import ThreadpoolController

__all__ = ["SINGLE_THREAD_BELOW", "blas_threads_for"]

#: Layers whose smaller side (the Gram's order M) is below this run on one BLAS thread.
SINGLE_THREAD_BELOW = 2048

_controller: ThreadpoolController | None = None


def blas_threads_for(smaller_side: int) -> AbstractContextManager[object]:
    """Context in which BLAS/LAPACK run on one thread if ``smaller_side < SINGLE_THREAD_BELOW``.

    Parameters
    ----------
    smaller_side : int
        ``M = min(rows, cols)`` of the layer's matrices (the order of their Gram matrix).

    Returns
    -------
    context manager
        ``threadpoolctl``'s limit for the BLAS libraries loaded (NumPy's and SciPy's), or a
        no-op for wide layers.
    """
    global _controller
    if smaller_side >= SINGLE_THREAD_BELOW:
        return nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")

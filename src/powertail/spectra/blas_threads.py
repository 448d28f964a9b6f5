"""BLAS threads per layer: one thread for narrow layers, the library's default for wide ones.

OpenBLAS starts (and spins) its threads for every call; on the Gram products and the
eigen-solver of a narrow layer that costs more than it gains. Measured on the 2-core machine,
idle, `benchmarks/bench_spectra_ww.py` (2026-12-03): all-mpnet-base-v2 (layers 768 wide)
10.6 s with one BLAS thread against 16.7 s with two (32 CPU-s), while one 4096 x 11008 matrix
takes 16.1 s with one thread and 12.2 s with two. So :func:`blas_threads_for` limits BLAS to one
thread for the duration of a layer whose smaller side is below :data:`SINGLE_THREAD_BELOW`, and
leaves the thread count alone otherwise (``OPENBLAS_NUM_THREADS`` and friends still cap it).

A core left idle by a narrow layer is used by the next one: :func:`~powertail.spectra.analyze`
analyses the narrow layers :func:`layer_threads` at a time on threads, inside
:func:`single_threaded_blas` (the Gram products, LAPACK and the shuffle kernels release the
GIL; two 768 x 3072 ESDs on 2 cores: 1.45x the throughput of one after the other), and the wide
layers one after the other with BLAS's own threads. Each layer is seeded by its name, so the
numbers do not depend on the order in which layers finish.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext

from threadpoolctl import ThreadpoolController

__all__ = [
    "LAYER_THREADS",
    "SINGLE_THREAD_BELOW",
    "blas_threads_for",
    "layer_threads",
    "runs_single_threaded",
    "single_threaded_blas",
]

#: Layers whose smaller side (the Gram's order M) is below this run on one BLAS thread.
SINGLE_THREAD_BELOW = 2048
#: At most this many narrow layers are analysed at the same time (never more than the cores).
LAYER_THREADS = 2

_controller: ThreadpoolController | None = None


def runs_single_threaded(smaller_side: int) -> bool:
    """Whether a layer with Gram order `smaller_side` runs on one BLAS thread."""
    return smaller_side < SINGLE_THREAD_BELOW


def layer_threads() -> int:
    """Narrow layers to analyse at the same time: ``min(LAYER_THREADS, cores)``."""
    return max(1, min(LAYER_THREADS, os.cpu_count() or 1))


def single_threaded_blas() -> AbstractContextManager[object]:
    """Context in which the BLAS libraries loaded (NumPy's, SciPy's) run on one thread."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


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
    if not runs_single_threaded(smaller_side):
        return nullcontext()
    return single_threaded_blas()

"""The per-layer BLAS thread policy: one thread inside narrow layers, untouched for wide ones."""

from __future__ import annotations

from threadpoolctl import threadpool_info

from powertail.spectra.blas_threads import SINGLE_THREAD_BELOW, blas_threads_for


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_narrow_layers_run_on_one_blas_thread_and_the_count_is_restored():
    before = _blas_threads()
    assert before, "NumPy's BLAS should be visible to threadpoolctl"
    with blas_threads_for(SINGLE_THREAD_BELOW - 1):
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_wide_layers_keep_the_thread_count():
    before = _blas_threads()
    with blas_threads_for(SINGLE_THREAD_BELOW):
        assert _blas_threads() == before

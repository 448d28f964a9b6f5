"""The per-layer BLAS thread policy: one thread inside narrow layers, untouched for wide ones."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from powertail.errors import InputError
from powertail.spectra import analyze, blas_threads
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


def _model(rng: np.random.Generator) -> dict[str, np.ndarray]:
    layers = {f"l{i}.weight": rng.standard_t(3, size=(300, 60 + 10 * i)) for i in range(6)}
    layers["l2.weight"][0, 0] = 400.0  # a trap the shuffle keeps
    return layers


def test_narrow_layers_side_by_side_give_the_numbers_of_one_after_the_other(monkeypatch):
    weights = _model(np.random.default_rng(3))
    calls: list[tuple[int, int]] = []
    before = _blas_threads()
    monkeypatch.setattr(blas_threads, "LAYER_THREADS", 1)
    in_turn = analyze(weights, randomize=True, seed=2).layers
    monkeypatch.setattr(blas_threads, "LAYER_THREADS", 2)
    monkeypatch.setattr(blas_threads.os, "cpu_count", lambda: 2)
    side_by_side = analyze(
        weights, randomize=True, seed=2, progress=lambda _, d, t: calls.append((d, t))
    ).layers
    numbers = side_by_side.drop(columns="seconds")
    pd.testing.assert_frame_equal(numbers, in_turn.drop(columns="seconds"))
    assert list(side_by_side["name"]) == list(weights)  # the table keeps the model's order
    assert sorted(calls) == [(i, 6) for i in range(1, 7)]
    assert _blas_threads() == before  # the single-thread limit is lifted afterwards


def test_an_error_in_a_layer_run_side_by_side_is_the_one_line_error(monkeypatch):
    weights = _model(np.random.default_rng(4))
    weights["l4.weight"][5, 5] = np.nan
    monkeypatch.setattr(blas_threads.os, "cpu_count", lambda: 2)
    with pytest.raises(InputError, match=r"weights of 'l4.weight': expected finite values"):
        analyze(weights, randomize=True)


def test_shuffling_during_the_solver_gives_the_numbers_of_one_after_the_other(monkeypatch):
    from powertail.spectra import analysis, lapack

    if not lapack.two_stage_available():
        pytest.skip("NumPy's LAPACK has no two-stage routines here (nothing to overlap)")
    monkeypatch.setattr(lapack, "TWO_STAGE_MIN_N", 50)  # the 60-100 wide layers count as wide
    monkeypatch.setattr(blas_threads, "SINGLE_THREAD_BELOW", 50)
    threads: list[str] = []
    phase_two = lapack._band_eigenvalues

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return phase_two(*args, **kwargs)

    monkeypatch.setattr(lapack, "_band_eigenvalues", spy)
    weights = _model(np.random.default_rng(5))
    monkeypatch.setattr(analysis, "OVERLAP_SHUFFLE", False)
    in_turn = analyze(weights, randomize=True, seed=1).layers
    assert not any(name.startswith("band-eigenvalues") for name in threads)
    monkeypatch.setattr(analysis, "OVERLAP_SHUFFLE", True)
    overlapped = analyze(weights, randomize=True, seed=1).layers
    assert sum(name.startswith("band-eigenvalues") for name in threads) == len(weights)
    pd.testing.assert_frame_equal(
        overlapped.drop(columns="seconds"), in_turn.drop(columns="seconds")
    )
    assert (overlapped["rand_lambda_max"] > 0).all()

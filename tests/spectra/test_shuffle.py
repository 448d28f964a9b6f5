"""The element-wise shuffle of ``randomize``: exact uniformity, values kept, seeded."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

import powertail.spectra.shuffle as shuffle_mod
from powertail.spectra.shuffle import shuffled


def _chi2_pvalue_of_orders(n: int, draws: int, rng: np.random.Generator) -> float:
    """p-value of the chi-square test that all n! orders of arange(n) are equally likely."""
    index = {perm: i for i, perm in enumerate(itertools.permutations(range(n)))}
    counts = np.zeros(len(index))
    x = np.arange(n)
    for _ in range(draws):
        counts[index[tuple(shuffled(x, rng).tolist())]] += 1
    return float(stats.chisquare(counts).pvalue)


@pytest.mark.parametrize("bucket", [1 << 15, 2, 1])
def test_every_order_is_equally_likely(monkeypatch, bucket):
    # bucket 1<<15: one bucket (plain Fisher-Yates); 2 and 1: the two-pass scheme with 2 and
    # 4 buckets, the case where a wrong scatter or bucket order would bias the orders.
    monkeypatch.setattr(shuffle_mod, "BUCKET_ELEMENTS", bucket)
    p = _chi2_pvalue_of_orders(4, 7200, np.random.default_rng(11))
    assert p > 1e-4  # 24 orders, 300 expected each: a bias of ~10 % in one order fails


def test_lemire_draws_resume_when_the_random_words_run_out(monkeypatch):
    # Two words per kernel call: the Fisher-Yates kernel stops and resumes mid-bucket.
    monkeypatch.setattr(shuffle_mod, "_WORDS_PER_DRAW", 2)
    monkeypatch.setattr(shuffle_mod, "BUCKET_ELEMENTS", 3)
    p = _chi2_pvalue_of_orders(4, 4800, np.random.default_rng(12))
    assert p > 1e-4


def test_position_of_one_entry_is_uniform_over_a_large_matrix():
    # 100k entries (4 buckets): where entry 0 lands must be uniform over all positions.
    n, draws = 100_003, 1000
    rng = np.random.default_rng(13)
    x = np.zeros(n, dtype=np.float32)
    x[0] = 1.0
    where = np.array([int(np.flatnonzero(shuffled(x, rng))[0]) for _ in range(draws)])
    assert stats.kstest(where / n, "uniform").pvalue > 1e-4


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int8])
def test_values_and_dtype_are_kept_and_seed_fixes_the_order(dtype):
    w = (np.random.default_rng(14).normal(size=(300, 250)) * 20).astype(dtype)
    a = shuffled(w, np.random.default_rng(5))
    b = shuffled(w, np.random.default_rng(5))
    c = shuffled(w, np.random.default_rng(6))
    assert a.dtype == w.dtype and a.shape == w.shape
    np.testing.assert_array_equal(np.sort(a.ravel()), np.sort(w.ravel()))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.mean(a == w) < 0.05  # the entries really moved


def test_empty_and_single_entry():
    rng = np.random.default_rng(0)
    assert shuffled(np.zeros((0, 3)), rng).shape == (0, 3)
    np.testing.assert_array_equal(shuffled(np.array([[7.0]]), rng), [[7.0]])


def test_lanes_on_threads_give_the_order_of_lanes_in_turn(monkeypatch):
    # The lanes are fixed: running them on threads must not change the result.
    x = np.arange(300_000, dtype=np.int64)
    monkeypatch.setattr(shuffle_mod.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(shuffle_mod, "PARALLEL_MIN_ELEMENTS", 1 << 40)
    in_turn = shuffled(x, np.random.default_rng(3))
    monkeypatch.setattr(shuffle_mod, "PARALLEL_MIN_ELEMENTS", 1)
    threaded = shuffled(x, np.random.default_rng(3))
    np.testing.assert_array_equal(threaded, in_turn)
    np.testing.assert_array_equal(np.sort(threaded), x)

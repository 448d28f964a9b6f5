"""The two-stage LAPACK eigen-solver against ``numpy.linalg.eigvalsh``."""

from __future__ import annotations

import numpy as np
import pytest

import powertail.spectra.lapack as lapack


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 2e-5)])
def test_two_stage_matches_eigvalsh(monkeypatch, dtype, tol):
    if not lapack.two_stage_available():
        pytest.skip("NumPy's LAPACK has no LAPACKE_?syevd_2stage here (eigvalsh is used)")
    monkeypatch.setattr(lapack, "TWO_STAGE_MIN_N", 10)  # use it on a small matrix
    rng = np.random.default_rng(0)
    w = rng.standard_t(3, size=(700, 300))
    g = (w.T @ w).astype(dtype)
    lower = np.tril(g) + np.triu(np.full_like(g, np.nan), 1)  # only the lower triangle is read
    got = lapack.eigvalsh_lower(np.asfortranarray(lower))
    ref = np.linalg.eigvalsh(g.astype(np.float64))
    assert got.dtype == dtype and np.all(np.diff(got) >= 0)
    assert np.max(np.abs(got - ref)) <= tol * ref[-1]
    assert np.isfinite(lower[np.tril_indices(300)]).all()  # the input was not overwritten


def test_small_matrices_use_eigvalsh_and_read_the_lower_triangle():
    g = np.array([[2.0, np.nan], [1.0, 2.0]])
    np.testing.assert_allclose(lapack.eigvalsh_lower(g), [1.0, 3.0])


def _t_gram(n: int = 300, seed: int = 0) -> np.ndarray:
    w = np.random.default_rng(seed).standard_t(3, size=(2 * n, n))
    return np.asfortranarray(w.T @ w)


@pytest.mark.parametrize("widths", [{"float64": 8, "float32": 8}, {"float64": 100, "float32": 120}])
def test_band_width_does_not_change_the_eigenvalues(monkeypatch, widths):
    if not lapack.two_stage_available():
        pytest.skip("NumPy's LAPACK has no two-stage routines here (eigvalsh is used)")
    monkeypatch.setattr(lapack, "TWO_STAGE_MIN_N", 10)
    g = _t_gram()
    default = lapack.eigvalsh_lower(g)
    monkeypatch.setattr(lapack, "BAND_WIDTH", widths)
    other = lapack.eigvalsh_lower(g)
    assert np.max(np.abs(other - default)) <= 1e-13 * default[-1]


@pytest.mark.parametrize("min_n", [10, 10_000])  # two-stage route / eigvalsh route
def test_meanwhile_runs_once_and_leaves_the_values_unchanged(monkeypatch, min_n):
    monkeypatch.setattr(lapack, "TWO_STAGE_MIN_N", min_n)
    g = _t_gram()
    calls = []
    alone = lapack.eigvalsh_lower(g)
    together = lapack.eigvalsh_lower(g, meanwhile=lambda: calls.append(1))
    assert calls == [1]
    np.testing.assert_array_equal(together, alone)


def test_an_error_in_meanwhile_is_raised_after_the_solver(monkeypatch):
    monkeypatch.setattr(lapack, "TWO_STAGE_MIN_N", 10)

    def fail() -> None:
        raise RuntimeError("shuffle failed")

    with pytest.raises(RuntimeError, match="shuffle failed"):
        lapack.eigvalsh_lower(_t_gram(), meanwhile=fail)

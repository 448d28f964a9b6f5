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

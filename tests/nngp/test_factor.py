"""One factorisation: Cholesky with visible jitter, eigendecomposition for every jitter."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.nngp.posterior import (
    JitterWarning,
    NotPositiveDefiniteError,
    eigen_factor,
    gaussian_summary,
)

from ._problems import problem


@pytest.mark.parametrize("noise", [1e-4, 1e-2, 1.0])
def test_eigen_sweep_equals_cholesky(noise: float) -> None:
    p = problem()
    factor = eigen_factor(p.k, p.y, p.kx, p.kd)
    a = factor.summary(noise)
    b = gaussian_summary(p.k, p.y, p.kx, p.kd, noise=noise)
    assert a.quad_form == pytest.approx(b.quad_form, rel=1e-8)
    assert a.logdet == pytest.approx(b.logdet, rel=1e-10, abs=1e-9)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.latent_var, b.latent_var, rtol=1e-6, atol=1e-10)


def test_singular_kernel_escalates_jitter_with_a_warning_and_stays_finite() -> None:
    p = problem(n=10)
    x = np.repeat(np.arange(5.0), 2)[:, None]
    k = np.minimum(x, x.T) + 1.0  # duplicated rows: rank 5
    with pytest.warns(JitterWarning, match="added jitter"):
        s = gaussian_summary(k, p.y, k[:3], np.diag(k)[:3], noise=0.0)
    assert s.jitter > 0 and s.noise == s.jitter
    assert np.all(np.isfinite(s.mean)) and np.all(s.latent_var >= 0)


def test_raise_policy_gives_a_clear_error() -> None:
    k = np.ones((3, 3))
    with pytest.raises(NotPositiveDefiniteError, match="k_train: expected a positive definite"):
        gaussian_summary(k, np.ones(3), noise=0.0, jitter="raise")
    with pytest.raises(np.linalg.LinAlgError):  # keeps the LinAlgError type
        gaussian_summary(-np.eye(3), np.ones(3), noise=0.0)


def test_input_errors() -> None:
    with pytest.raises(InputError, match=r"y: expected shape \(3,\)"):
        gaussian_summary(np.eye(3), np.ones(4))
    with pytest.raises(InputError, match="k_train: expected a finite kernel"):
        gaussian_summary(np.full((2, 2), np.nan), np.ones(2))
    with pytest.raises(InputError, match="noise: expected a finite float >= 0"):
        gaussian_summary(np.eye(2), np.ones(2), noise=-1.0)

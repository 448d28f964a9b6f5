"""The multivariate-t sampler: covariance ν/(ν-2)Σ and the F law of the quadratic form, which
the official construction (independent t per coordinate, then Cholesky) fails."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from powertail.errors import InputError
from powertail.nngp.classification.multivariate_t import (
    independent_t_then_cholesky,
    sample_multivariate_t,
)

SIGMA = np.array([[2.0, 0.8, -0.5], [0.8, 1.0, 0.3], [-0.5, 0.3, 1.5]])
MEAN = np.array([1.0, -2.0, 0.5])


def test_sample_covariance_is_nu_over_nu_minus_2_sigma_off_diagonals_included() -> None:
    nu = 8.0
    x = sample_multivariate_t(np.random.default_rng(0), MEAN, SIGMA, nu, 400_000)
    expected = nu / (nu - 2) * SIGMA
    # standard error of a covariance entry ~ sqrt(var(x_i x_j)/n); 0.03 is > 5 of them here
    assert np.max(np.abs(np.cov(x.T) - expected)) < 0.03
    assert np.max(np.abs(x.mean(axis=0) - MEAN)) < 0.01


def test_quadratic_form_is_f_distributed_only_for_the_correct_sampler() -> None:
    nu, d, n = 4.0, 3, 20000
    white = np.linalg.inv(np.linalg.cholesky(SIGMA))
    for sampler, ok in ((sample_multivariate_t, True), (independent_t_then_cholesky, False)):
        x = sampler(np.random.default_rng(1), MEAN, SIGMA, nu, n)
        q = np.sum(((x - MEAN) @ white.T) ** 2, axis=1) / d
        p = stats.kstest(q, stats.f(d, nu).cdf).pvalue
        assert (p > 1e-3) if ok else (p < 1e-6), (sampler.__name__, p)


def test_bad_shape_matrix_is_an_input_error() -> None:
    with pytest.raises(InputError):
        sample_multivariate_t(np.random.default_rng(0), MEAN, -SIGMA, 4.0, 10)

"""Finite networks with σ² ~ IG(α, β) per network against their Student-t limits (brief 5.3
items 7-8): at initialisation MVT_{2α}(0, (β/α)K), after readout-only gradient descent
MVT_{2α}(μ, (β/α)Σ) with df 2α, not the posterior's 2α + n."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from powertail.nngp.finite_width import (
    fit_student_t_df,
    readout_trained_ensemble,
    sample_dense_features,
    student_t_limit,
)
from powertail.nngp.kernels import FullyConnected
from powertail.nngp.priors import InverseGamma

ALPHA = BETA = 2.0


def _toy(seed: int = 0):
    rng = np.random.default_rng(seed)
    x_train, x_test = rng.standard_normal((5, 4)), rng.standard_normal((4, 4))
    return x_train, np.sin(x_train[:, 0]), x_test


def _ensemble(arch, width, networks, steps=10**6):
    x_train, y_train, x_test = _toy()
    out = readout_trained_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=InverseGamma(ALPHA, BETA),
        width=width,
        n_networks=networks,
        seed=1,
        steps=steps,
    )
    return out, x_train, y_train, x_test


def _check(samples, mu, shape, d):
    nu, q = fit_student_t_df(samples, mu, shape)
    p_limit = stats.kstest(q, stats.f(d, 2 * ALPHA).cdf).pvalue
    p_posterior = stats.kstest(q, stats.f(d, 2 * ALPHA + 5).cdf).pvalue
    p_gauss = stats.kstest(q, stats.chi2(d, scale=1 / d).cdf).pvalue
    return nu, p_limit, p_posterior, p_gauss


@pytest.mark.parametrize(
    ("depth", "width", "networks"),
    [(1, 1024, 1500), pytest.param(2, 512, 2000, marks=pytest.mark.slow)],
)
def test_ensemble_matches_student_t_limit_at_init_and_after_readout_training(
    depth, width, networks
) -> None:
    arch = FullyConnected(depth=depth, activation="relu", weight_variance=2.0, bias_variance=0.1)
    out, x_train, y_train, x_test = _ensemble(arch, width, networks)
    assert out.train_residual < 1e-8  # converged
    for xt, yt, f in ((None, None, out.initial), (x_train, y_train, out.trained)):
        mu, shape, df = student_t_limit(xt, yt, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
        assert df == 2 * ALPHA
        nu, p_limit, p_posterior, p_gauss = _check(f, mu, shape, x_test.shape[0])
        assert p_limit > 1e-3, (nu, p_limit)
        assert p_posterior < 1e-3 and p_gauss < 1e-6
        assert abs(nu - 2 * ALPHA) < 1.0 < abs(nu - (2 * ALPHA + len(x_train)))


def test_closed_form_gradient_descent_equals_explicit_iterations() -> None:
    arch = FullyConnected(depth=1, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x_train, y_train, x_test = _toy()
    out = readout_trained_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=InverseGamma(ALPHA, BETA),
        width=64,
        n_networks=3,
        seed=5,
        steps=40,
        step_fraction=0.9,
    )
    # the same networks, trained by explicit gradient steps on the readout weights
    rng = np.random.default_rng(5)
    both = np.vstack([x_train, x_test])
    feats = sample_dense_features(both, architecture=arch, width=64, n_networks=3, rng=rng)
    scales = InverseGamma(ALPHA, BETA).sample(rng, 3)
    v = rng.standard_normal((3, 64))
    n = len(x_train)
    for k in range(3):
        phi = np.sqrt(scales[k] / 64) * feats[k]
        eta = 0.9 / np.linalg.eigvalsh(phi[:n] @ phi[:n].T)[-1]
        w = v[k].copy()
        for _ in range(40):
            w -= eta * phi[:n].T @ (phi[:n] @ w - y_train)
        assert np.allclose(phi[n:] @ w, out.trained[k], atol=1e-9)
        assert np.allclose(phi[n:] @ v[k], out.initial[k], atol=1e-12)


def test_full_training_in_the_ntk_regime_tends_to_the_ntk_student_t() -> None:
    from powertail.nngp.finite_width import linearised_full_training, ntk_limit

    arch = FullyConnected(depth=1, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x_train, y_train, x_test = _toy()
    out = linearised_full_training(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=InverseGamma(ALPHA, BETA),
        width=1024,
        n_networks=1500,
        seed=2,
    )
    assert out.train_residual < 1e-8
    mu, shape, df = ntk_limit(x_train, y_train, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
    assert df == 2 * ALPHA
    nu, p_limit, p_posterior, p_gauss = _check(out.trained, mu, shape, x_test.shape[0])
    assert p_limit > 1e-3, (nu, p_limit)
    assert p_posterior < 1e-3 and p_gauss < 1e-6
    assert abs(nu - 2 * ALPHA) < 1.0 < abs(nu - (2 * ALPHA + len(x_train)))
    # the NTK mean differs from the NNGP mean: readout-only and full training are not the same
    mu_nngp = student_t_limit(x_train, y_train, x_test, architecture=arch, alpha=ALPHA, beta=BETA)[
        0
    ]
    assert np.max(np.abs(mu - mu_nngp)) > 1e-3

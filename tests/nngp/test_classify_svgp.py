"""SVGP / SVTP: the KL terms against independent formulas and quadrature, and training on a
separable toy problem."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from powertail.errors import InputError
from powertail.nngp.classification import (
    SVIConfig,
    fit_svi,
    inducing_indices,
    kl_inverse_gamma,
    svi_kl,
)


@pytest.mark.parametrize(("a", "b", "alpha", "beta"), [(3.0, 2.0, 2.0, 2.0), (1.2, 5.0, 4.0, 1.0)])
def test_kl_inverse_gamma_matches_numerical_integration(a, b, alpha, beta) -> None:
    q, p = stats.invgamma(a, scale=b), stats.invgamma(alpha, scale=beta)
    numeric, _ = integrate.quad(
        lambda s: q.pdf(s) * (q.logpdf(s) - p.logpdf(s)), 0, np.inf, limit=200
    )
    assert kl_inverse_gamma(a, b, alpha, beta) == pytest.approx(numeric, rel=1e-6)


def _gauss_kl(m, s_diag, cov):
    """KL(N(m, diag s) || N(0, cov)) from the textbook formula, with full matrices."""
    inv = np.linalg.inv(cov)
    k = m.size
    return 0.5 * (
        np.trace(inv @ np.diag(s_diag))
        + m @ inv @ m
        - k
        + np.linalg.slogdet(cov)[1]
        - np.sum(np.log(s_diag))
    )


def test_svgp_kl_is_the_sum_of_gaussian_kls_with_prior_scale_readout() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    k = a @ a.T + 0.5 * np.eye(5)
    m, s = rng.normal(size=(5, 3)), rng.uniform(0.2, 2.0, size=(5, 3))
    got = svi_kl(m, s, np.linalg.cholesky(k), method="svgp", readout=2.5)
    want = sum(_gauss_kl(m[:, c], s[:, c], 2.5 * k) for c in range(3))
    assert got == pytest.approx(want, rel=1e-10)


def test_svtp_kl_vanishes_at_the_prior_and_matches_monte_carlo_elsewhere() -> None:
    k = np.diag([1.0, 2.0, 0.5])
    chol = np.linalg.cholesky(k)
    zero = svi_kl(
        np.zeros((3, 2)),
        np.tile(np.diag(k)[:, None], 2),
        chol,
        method="svtp",
        a=2.0,
        b=2.0,
        alpha=2.0,
        beta=2.0,
    )
    assert zero == pytest.approx(0.0, abs=1e-12)
    # E_q(σ²)[KL(N(m, σ²S) || N(0, σ²K))] + KL(q(σ²) || p(σ²)) by Monte Carlo over σ²
    rng = np.random.default_rng(3)
    m, s = rng.normal(size=(3, 2)), rng.uniform(0.2, 2.0, size=(3, 2))
    s2 = stats.invgamma(3.0, scale=1.5).rvs(size=200_000, random_state=4)
    inner = np.mean(
        [sum(_gauss_kl(m[:, c] / np.sqrt(v), s[:, c], k) for c in range(2)) for v in s2[:2000]]
    )  # KL(N(m, v S) || N(0, v K)) = KL(N(m/√v, S) || N(0, K))
    exact_inner = sum(_gauss_kl(np.zeros(3), s[:, c], k) for c in range(2)) + 0.5 * np.mean(
        1 / s2
    ) * sum(m[:, c] @ np.linalg.inv(k) @ m[:, c] for c in range(2))
    got = svi_kl(m, s, chol, method="svtp", a=3.0, b=1.5, alpha=2.0, beta=2.0)
    assert got == pytest.approx(exact_inner + kl_inverse_gamma(3.0, 1.5, 2.0, 2.0), rel=2e-3)
    assert inner == pytest.approx(exact_inner, rel=0.1)  # the rearrangement, by Monte Carlo


def test_inducing_points_are_the_first_of_each_class_in_proportion() -> None:
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    idx = inducing_indices(y, 10, n_classes=3)
    assert np.bincount(y[idx], minlength=3).tolist() == [6, 3, 1]
    assert idx.tolist()[:6] == list(range(6))


@pytest.mark.parametrize("method", ["svgp", "svtp"])
def test_training_separates_blobs_and_is_calibrated_better_than_chance(method) -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = rng.integers(0, 3, 330)
    x = centres[y] + 0.7 * rng.standard_normal((330, 2))
    k = np.exp(-0.5 * np.sum((x[:, None] - x[None]) ** 2, axis=-1))
    tr, va, te = np.arange(200), np.arange(200, 250), np.arange(250, 330)
    z = tr[inducing_indices(y[tr], 20, n_classes=3)]
    cfg = SVIConfig(method=method, max_epochs=40, patience=5, test_samples=500)
    fit = fit_svi(
        k[np.ix_(z, z)],
        k[np.ix_(tr, z)],
        np.ones(tr.size),
        y[tr],
        (k[np.ix_(va, z)], np.ones(va.size), y[va]),
        n_classes=3,
        config=cfg,
        seed=0,
    )
    p = fit.predict_proba(k[np.ix_(te, z)], np.ones(te.size), seed=1)
    assert np.mean(p.argmax(1) == y[te]) > 0.9
    assert -np.mean(np.log(p[np.arange(te.size), y[te]])) < 0.5 * np.log(3)
    assert fit.history[0]["valid_nll"] > min(h["valid_nll"] for h in fit.history)
    assert all(v > 0 for v in fit.variational().values())


def test_validation_rule_halves_the_rate_and_stops_before_the_ceiling() -> None:
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = rng.integers(0, 3, 250)
    x = centres[y] + 0.7 * rng.standard_normal((250, 2))
    k = np.exp(-0.5 * np.sum((x[:, None] - x[None]) ** 2, axis=-1))
    tr, va = np.arange(200), np.arange(200, 250)
    z = tr[inducing_indices(y[tr], 20, n_classes=3)]  # the shapes above: no new compilation
    seen = []
    cfg = SVIConfig(method="svtp", max_epochs=1000, patience=2, stop_patience=6, test_samples=50)
    fit = fit_svi(
        k[np.ix_(z, z)],
        k[np.ix_(tr, z)],
        np.ones(tr.size),
        y[tr],
        (k[np.ix_(va, z)], np.ones(va.size), y[va]),
        n_classes=3,
        config=cfg,
        seed=0,
        progress=seen.append,
    )
    hist = fit.history
    assert seen == hist and len(hist) < 1000  # the validation rule stopped it, not the ceiling
    assert fit.stop_reason.startswith("no better validation NLL in 6 epochs")
    best, last_better = np.inf, 0
    for h in hist:  # the rule: better means lower by more than 1e-4
        if h["valid_nll"] < best - 1e-4:
            best, last_better = h["valid_nll"], h["epoch"]
    assert len(hist) - 1 - last_better == 6  # stopped stop_patience epochs after the best
    rates = [h["lr"] for h in hist]
    assert rates[0] == cfg.learning_rate and rates[-1] < rates[0]  # halved on the plateau
    assert set(np.round(np.log2(cfg.learning_rate / np.array(rates)), 9)) <= set(range(10))


@pytest.mark.parametrize(
    ("field", "value"), [("patience", 0), ("stop_patience", 1.5), ("min_lr", 1.0)]
)
def test_svi_config_rejects_bad_stopping_settings(field, value) -> None:
    with pytest.raises(InputError, match=field):
        SVIConfig(**{field: value})

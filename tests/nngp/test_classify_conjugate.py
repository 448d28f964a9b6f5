"""Labels-as-targets classification: the argmax probit against Monte Carlo, the posterior mean
against kernel ridge regression, the paper's score against the closed Student-t form."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from powertail.nngp.classification import (
    ConjugateClassifier,
    argmax_probabilities,
    conjugate_scores,
)
from powertail.nngp.posterior import student_t_predictive
from powertail.nngp.priors import BurrXII, InverseGamma, PointMass


def _rbf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.sum((a[:, None] - b[None]) ** 2, axis=-1))


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [2.5, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, 150)
    x = centres[y] + 0.8 * rng.standard_normal((150, 2))
    return x[:100], y[:100], x[100:], y[100:]


def test_argmax_probabilities_match_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    mu = rng.normal(size=(4, 3))
    var = np.array([[0.3, 1.0, 2.0, 0.05], [0.6, 2.0, 4.0, 0.1]])  # two scale nodes
    got = argmax_probabilities(mu, var)
    draws = []
    for v in var:
        f = mu[None] + np.sqrt(v)[None, :, None] * rng.standard_normal((200_000, 4, 3))
        draws.append(np.stack([np.mean(f.argmax(-1) == c, axis=0) for c in range(3)], axis=1))
    assert np.max(np.abs(got - np.mean(draws, axis=0))) < 4e-3
    assert np.allclose(got.sum(axis=1), 1.0)


def test_posterior_mean_is_kernel_ridge_and_accuracy_is_prior_free(blobs) -> None:
    x, y, xs, ys = blobs
    noise = 0.1
    model = ConjugateClassifier.fit(_rbf(x, x), y, n_classes=3, noise=noise)
    summary = model.summary(_rbf(xs, x), np.ones(len(xs)))
    ridge = _rbf(xs, x) @ np.linalg.solve(_rbf(x, x) + noise * np.eye(len(x)), np.eye(3)[y])
    assert np.allclose(summary.mean, ridge, atol=1e-10)
    priors = {"gauss": PointMass(1.0), "t": InverseGamma(2.0, 2.0), "burr": BurrXII(2.0, 2.0)}
    rows, probs = conjugate_scores(model, _rbf(xs, x), np.ones(len(xs)), ys, priors)
    assert len({r["mean_accuracy"] for r in rows}) == 1  # argmax of the mean: same for all
    assert rows[0]["mean_accuracy"] > 0.8
    assert all(np.allclose(p.sum(axis=1), 1.0) for p in probs.values())


def test_paper_score_is_the_closed_form_student_t_density_of_the_one_hot_vector(blobs) -> None:
    x, y, xs, ys = blobs
    model = ConjugateClassifier.fit(_rbf(x, x), y, n_classes=3, noise=0.1)
    summary = model.summary(_rbf(xs, x), np.ones(len(xs)))
    rows, _ = conjugate_scores(
        model, _rbf(xs, x), np.ones(len(xs)), ys, {"t": InverseGamma(1.5, 2.0)}
    )
    pred = student_t_predictive(summary, 1.5, 2.0, noisy=False)
    closed = -np.mean(
        stats.t.logpdf(np.eye(3)[ys], pred.df, loc=pred.loc, scale=pred.scale[:, None])
    )
    assert rows[0]["paper_score"] == pytest.approx(closed, rel=1e-6)

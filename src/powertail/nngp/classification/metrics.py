r"""Classification scores: accuracy, categorical NLL, expected calibration error, reliability bins,
and the paper's own "NLL" of the one-hot vector (brief sections 1.6a and 2.3).

Only the last one is the paper's; accuracy, the categorical NLL and the ECE are ours for the
conjugate model (the official code reports accuracy and the one-hot density there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from powertail.errors import InputError

__all__ = [
    "PROB_FLOOR",
    "accuracy",
    "categorical_nll",
    "expected_calibration_error",
    "one_hot",
    "reliability_table",
]

PROB_FLOOR = 1e-12
"""Probabilities are floored here before the log, so one confident miss costs at most ~27.6 nats."""


def _check(probs: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or p.shape[0] == 0:
        raise InputError(f"probs: expected shape (n, n_classes), got {p.shape}")
    if y.shape != (p.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise InputError(
            f"labels: expected {p.shape[0]} integer class labels, got shape {y.shape} "
            f"and dtype {y.dtype}"
        )
    if y.min() < 0 or y.max() >= p.shape[1]:
        raise InputError(
            f"labels: expected values in [0, {p.shape[1] - 1}], got {y.min()}..{y.max()}"
        )
    if (
        not np.all(np.isfinite(p))
        or p.min() < -1e-9
        or not np.allclose(p.sum(axis=1), 1, atol=1e-6)
    ):
        raise InputError("probs: expected finite rows of probabilities that sum to 1")
    return np.clip(p, 0.0, 1.0), y


def one_hot(labels: ArrayLike, n_classes: int) -> np.ndarray:
    """One-hot rows (float64) of integer ``labels``."""
    y = np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise InputError(f"labels: expected integers in [0, {n_classes - 1}], got {y!r:.80}")
    return np.eye(n_classes)[y]


def accuracy(probs: ArrayLike, labels: ArrayLike) -> float:
    """Fraction of points whose most probable class is the label."""
    p, y = _check(probs, labels)
    return float(np.mean(np.argmax(p, axis=1) == y))


def categorical_nll(probs: ArrayLike, labels: ArrayLike) -> float:
    r"""Mean categorical negative log-likelihood :math:`-\frac1n\sum_i \ln p_i(y_i)` (nats),
    probabilities floored at :data:`PROB_FLOOR`."""
    p, y = _check(probs, labels)
    return float(-np.mean(np.log(np.maximum(p[np.arange(y.size), y], PROB_FLOOR))))


def reliability_table(probs: ArrayLike, labels: ArrayLike, *, n_bins: int = 15) -> pd.DataFrame:
    """Confidence (max probability) in ``n_bins`` equal-width bins on [0, 1]: per bin the count,
    the mean confidence and the accuracy (NaN for empty bins)."""
    p, y = _check(probs, labels)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise InputError(f"n_bins: expected an int >= 1, got {n_bins!r}")
    conf = p.max(axis=1)
    correct = np.argmax(p, axis=1) == y
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore"):
        mean_conf = np.bincount(which, weights=conf, minlength=n_bins) / count
        acc = np.bincount(which, weights=correct.astype(float), minlength=n_bins) / count
    return pd.DataFrame(
        {
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "count": count,
            "confidence": mean_conf,
            "accuracy": acc,
        }
    )


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, *, n_bins: int = 15) -> float:
    r"""ECE :math:`=\sum_b \frac{n_b}{n}\,|\mathrm{acc}_b - \mathrm{conf}_b|` over equal-width
    confidence bins (Guo et al. 2017; ours, the paper reports no ECE)."""
    table = reliability_table(probs, labels, n_bins=n_bins)
    used = table["count"] > 0
    w = table["count"][used] / table["count"].sum()
    return float(np.sum(w * np.abs(table["accuracy"][used] - table["confidence"][used])))

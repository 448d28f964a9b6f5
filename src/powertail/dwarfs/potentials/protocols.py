r"""Histories of the halo's amplitude A(t) (or size S(t)): impulsive, ramps, bursts, custom.

A protocol is a small immutable object with

* ``value(t)``: the history, right-continuous at jumps (the value *after* a jump at ``t``);
* ``value_before(t)``: the left limit (the value just *before* ``t``);
* ``jumps``: the times of discontinuities, which the integrator places exactly on step
  boundaries;
* ``settled``: the time after which the history is constant.

Histories hold their final value forever (documented extrapolation; cf. gala #512) and their
initial value before they start.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError

__all__ = [
    "Bursts",
    "Constant",
    "CustomHistory",
    "Impulsive",
    "LinearRamp",
    "Protocol",
    "SmoothRamp",
    "make_protocol",
]

PROTOCOL_NAMES = ("constant", "impulsive", "linear", "smooth")
"""Names accepted by :func:`make_protocol`."""


def _number(value: object, *, name: str, owner: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(
            f"{name} of {owner}: expected a number, got {type(value).__name__} {value!r}"
        )
    number = float(value)
    if not math.isfinite(number) or (positive and number <= 0):
        need = "a finite number > 0" if positive else "a finite number"
        raise InputError(f"{name} of {owner}: expected {need}, got {number!r}")
    return number


class Protocol:
    """Base class of histories; see the module docstring for the vocabulary."""

    initial: float
    final: float

    def value(self, t: ArrayLike) -> NDArray[np.float64]:
        """The history at times ``t`` (right-continuous)."""
        raise NotImplementedError

    def value_before(self, t: ArrayLike) -> NDArray[np.float64]:
        """Left limit of the history at ``t`` (differs from :meth:`value` only at jumps)."""
        return self.value(t)

    @property
    def jumps(self) -> tuple[float, ...]:
        """Times of discontinuities."""
        return ()

    @property
    def settled(self) -> float:
        """Time from which the history is constant."""
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Protocol):
    """No change: ``A(t) = level``."""

    level: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "level", _number(self.level, name="level", owner="Constant", positive=True)
        )

    @property
    def initial(self) -> float:  # type: ignore[override]
        return self.level

    @property
    def final(self) -> float:  # type: ignore[override]
        return self.level

    def value(self, t: ArrayLike) -> NDArray[np.float64]:
        return np.full_like(np.asarray(t, dtype=np.float64), self.level)

    @property
    def settled(self) -> float:
        return -math.inf


@dataclass(frozen=True)
class Impulsive(Protocol):
    """Instantaneous change from ``initial`` to ``final`` at time ``t0``."""

    final: float
    t0: float = 0.0
    initial: float = 1.0

    def __post_init__(self) -> None:
        for name in ("final", "initial"):
            object.__setattr__(
                self,
                name,
                _number(getattr(self, name), name=name, owner="Impulsive", positive=True),
            )
        object.__setattr__(self, "t0", _number(self.t0, name="t0", owner="Impulsive"))

    def value(self, t: ArrayLike) -> NDArray[np.float64]:
        tt = np.asarray(t, dtype=np.float64)
        return np.where(tt >= self.t0, self.final, self.initial)

    def value_before(self, t: ArrayLike) -> NDArray[np.float64]:
        tt = np.asarray(t, dtype=np.float64)
        return np.where(tt > self.t0, self.final, self.initial)

    @property
    def jumps(self) -> tuple[float, ...]:
        return (self.t0,)

    @property
    def settled(self) -> float:
        return self.t0


def _ramp_fraction(t: ArrayLike, t0: float, duration: float) -> NDArray[np.float64]:
    return np.clip((np.asarray(t, dtype=np.float64) - t0) / duration, 0.0, 1.0)


@dataclass(frozen=True)
class LinearRamp(Protocol):
    """Linear change from ``initial`` to ``final`` over ``[t0, t0 + duration]``."""

    final: float
    duration: float
    t0: float = 0.0
    initial: float = 1.0

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for name in ("final", "initial", "duration"):
            object.__setattr__(
                self, name, _number(getattr(self, name), name=name, owner=owner, positive=True)
            )
        object.__setattr__(self, "t0", _number(self.t0, name="t0", owner=owner))

    def _shape(self, s: NDArray[np.float64]) -> NDArray[np.float64]:
        return s

    def value(self, t: ArrayLike) -> NDArray[np.float64]:
        s = self._shape(_ramp_fraction(t, self.t0, self.duration))
        return self.initial + (self.final - self.initial) * s

    @property
    def settled(self) -> float:
        return self.t0 + self.duration


@dataclass(frozen=True)
class SmoothRamp(LinearRamp):
    r"""Change with the C² "smootherstep" :math:`s^3(10 - 15 s + 6 s^2)`, :math:`s\in[0,1]`,
    over ``[t0, t0 + duration]`` (zero first and second derivatives at both ends)."""

    def _shape(self, s: NDArray[np.float64]) -> NDArray[np.float64]:
        return s**3 * (10.0 - 15.0 * s + 6.0 * s * s)


@dataclass(frozen=True)
class Bursts(Protocol):
    """Repeated episodes (bursty feedback): ``n`` episodes, each multiplying the value by
    ``factor``, starting every ``period`` from ``t0``; each episode is a jump
    (``duration = 0``) or a linear ramp in ln A over ``duration``."""

    factor: float
    n: int
    period: float
    duration: float = 0.0
    t0: float = 0.0
    initial: float = 1.0

    def __post_init__(self) -> None:
        for name in ("factor", "period", "initial"):
            object.__setattr__(
                self, name, _number(getattr(self, name), name=name, owner="Bursts", positive=True)
            )
        d = _number(self.duration, name="duration", owner="Bursts")
        if not 0.0 <= d <= self.period:
            raise InputError(
                f"duration of Bursts: expected 0 <= duration <= period = {self.period}, got {d}; "
                "episodes must not overlap"
            )
        object.__setattr__(self, "duration", d)
        object.__setattr__(self, "t0", _number(self.t0, name="t0", owner="Bursts"))
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise InputError(f"n of Bursts: expected an int >= 1, got {self.n!r}")

    @property
    def final(self) -> float:  # type: ignore[override]
        return self.initial * self.factor**self.n

    def _episodes(self, t: ArrayLike, *, before: bool) -> NDArray[np.float64]:
        tt = np.asarray(t, dtype=np.float64)
        total = np.zeros_like(tt)
        for k in range(self.n):
            start = self.t0 + k * self.period
            if self.duration > 0:
                total = total + _ramp_fraction(tt, start, self.duration)
            else:
                total = total + ((tt > start) if before else (tt >= start))
        return self.initial * self.factor**total

    def value(self, t: ArrayLike) -> NDArray[np.float64]:
        return self._episodes(t, before=False)

    def value_before(self, t: ArrayLike) -> NDArray[np.float64]:
        return self._episodes(t, before=True)

    @property
    def jumps(self) -> tuple[float, ...]:
        if self.duration > 0:
            return ()
        return tuple(self.t0 + k * self.period for k in range(self.n))

    @property
    def settled(self) -> float:
        return self.t0 + (self.n - 1) * self.period + self.duration


@dataclass(frozen=True, eq=False)
class CustomHistory(Protocol):
    """Any continuous history ``function(t) -> float``, checked up front (callable, one
    argument, a finite positive number at ``t = 0``); ``settled`` is given by the caller."""

    function: Callable[[float], float]
    settled_time: float = 0.0

    def __post_init__(self) -> None:
        f = self.function
        if not callable(f):
            raise InputError(
                f"function of CustomHistory: expected a callable of one argument t, got "
                f"{type(f).__name__}; pass e.g. lambda t: 1 - 0.5 * min(t / 10, 1)"
            )
        try:
            inspect.signature(f).bind(0.0)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"function of CustomHistory: expected a callable taking one argument t, got one "
                f"that cannot be called as f(0.0) ({exc}); wrap it: lambda t: f(t, ...)"
            ) from None
        v = f(0.0)
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise InputError(
                f"function of CustomHistory: expected f(0.0) to return a number, got "
                f"{type(v).__name__}; return a float"
            )
        if not math.isfinite(float(v)) or float(v) <= 0:
            raise InputError(
                f"function of CustomHistory: expected f(0.0) > 0 and finite, got {float(v)!r}"
            )
        object.__setattr__(
            self, "settled_time", _number(self.settled_time, name="settled", owner="CustomHistory")
        )

    @property
    def initial(self) -> float:  # type: ignore[override]
        return float(self.function(0.0))

    @property
    def final(self) -> float:  # type: ignore[override]
        return float(self.function(self.settled_time))

    def value(self, t: ArrayLike) -> NDArray[np.float64]:
        tt = np.asarray(t, dtype=np.float64)
        out = np.array([float(self.function(float(x))) for x in tt.ravel()]).reshape(tt.shape)
        if np.any(~np.isfinite(out)) or np.any(out <= 0):
            raise InputError(
                "function of CustomHistory: expected finite values > 0 at every time, got "
                f"{out[~(np.isfinite(out) & (out > 0))].ravel()[0]!r}; check the history"
            )
        return out

    @property
    def settled(self) -> float:
        return self.settled_time


def make_protocol(name: str, *, final: float, duration: float = 0.0, t0: float = 0.0) -> Protocol:
    """Build an amplitude protocol from its documented name (for configs and the CLI).

    ==============  ==========================================================
    ``"constant"``  no change (``final`` ignored)
    ``"impulsive"`` jump to ``final`` at ``t0``
    ``"linear"``    linear ramp to ``final`` over ``duration``
    ``"smooth"``    C² smootherstep ramp to ``final`` over ``duration``
    ==============  ==========================================================
    """
    if name == "constant":
        return Constant()
    if name == "impulsive":
        return Impulsive(final=final, t0=t0)
    if name == "linear":
        return LinearRamp(final=final, duration=duration, t0=t0)
    if name == "smooth":
        return SmoothRamp(final=final, duration=duration, t0=t0)
    raise InputError(
        f"protocol: expected one of constant, impulsive, linear, smooth, got {name!r}; "
        "build Bursts(...) directly for repeated episodes"
    )

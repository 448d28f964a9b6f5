r"""Priors :math:`H` on the readout variance :math:`\sigma^2` (brief sections 1.3 and 1.5).

Every prior is a small frozen dataclass with the same vocabulary: ``logpdf(s2)`` (density of
:math:`\sigma^2`), ``sample(rng, size)``, ``log_quantile(p)`` (used to place quadrature windows)
and ``describe()``. :class:`InverseGamma` has the closed-form Student-t process posterior; the
others go through the quadrature engine (:mod:`powertail.nngp.posterior.quadrature`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from powertail.errors import InputError

__all__ = [
    "BurrXII",
    "CustomPrior",
    "Gamma",
    "HalfCauchy",
    "InverseGamma",
    "LogNormal",
    "PointMass",
    "ScalePrior",
]


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
        if not ok or not (0.0 < float(value) < np.inf):
            raise InputError(
                f"{owner}: {name} expected a finite float > 0, got {value!r}; "
                "pass a positive number"
            )


class ScalePrior(ABC):
    """A distribution of the readout variance :math:`\\sigma^2 > 0`."""

    @abstractmethod
    def logpdf(self, s2: ArrayLike) -> np.ndarray:
        """Log density of :math:`\\sigma^2` (not of :math:`\\log\\sigma^2`)."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values of :math:`\\sigma^2`."""

    @abstractmethod
    def log_quantile(self, p: float) -> float:
        """:math:`\\log F^{-1}(p)`, finite for ``0 < p < 1``."""

    @abstractmethod
    def describe(self) -> str:
        """A short label such as ``"IG(2, 2)"``."""


@dataclass(frozen=True)
class _ScipyPrior(ScalePrior):
    """A prior backed by a scipy.stats family (called unfrozen: freezing costs ~1 ms)."""

    def _family(self) -> tuple[Any, tuple[float, ...], float]:
        raise NotImplementedError

    def logpdf(self, s2: ArrayLike) -> np.ndarray:
        x = np.asarray(s2, dtype=np.float64)
        family, shapes, scale = self._family()
        with np.errstate(divide="ignore"):
            value = family.logpdf(np.where(x > 0, x, 1.0), *shapes, scale=scale)
        return np.where(x > 0, value, -np.inf)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        family, shapes, scale = self._family()
        return np.asarray(
            family.rvs(*shapes, scale=scale, size=size, random_state=rng), dtype=np.float64
        )

    def log_quantile(self, p: float) -> float:
        family, shapes, scale = self._family()
        # isf for the upper tail keeps precision for p close to 1
        x = (
            family.ppf(p, *shapes, scale=scale)
            if p < 0.5
            else family.isf(1 - p, *shapes, scale=scale)
        )
        return float(np.log(max(float(x), np.finfo(float).tiny)))


@dataclass(frozen=True)
class InverseGamma(_ScipyPrior):
    r"""Inverse gamma :math:`IG(\alpha, \beta)`, density
    :math:`\beta^\alpha/\Gamma(\alpha)\,s^{-\alpha-1}e^{-\beta/s}`; mixing gives the Student-t
    process :math:`TP(2\alpha, 0, (\beta/\alpha)K)` (brief section 1.3)."""

    alpha: float
    beta: float

    def __post_init__(self) -> None:
        _positive("InverseGamma", alpha=self.alpha, beta=self.beta)

    def _family(self) -> tuple[Any, tuple[float, ...], float]:
        return stats.invgamma, (self.alpha,), self.beta

    def describe(self) -> str:
        return f"IG({self.alpha:g}, {self.beta:g})"


@dataclass(frozen=True)
class BurrXII(_ScipyPrior):
    r"""Burr type XII on :math:`\sigma^2/\lambda`: density
    :math:`c\,d\,s^{c-1}(1+s^c)^{-d-1}` (scipy ``burr12(c, d)``); tail index of
    :math:`\sigma^2` is :math:`cd` (brief section 1.3)."""

    c: float
    d: float
    scale: float = 1.0

    def __post_init__(self) -> None:
        _positive("BurrXII", c=self.c, d=self.d, scale=self.scale)

    def _family(self) -> tuple[Any, tuple[float, ...], float]:
        return stats.burr12, (self.c, self.d), self.scale

    def describe(self) -> str:
        return f"Burr({self.c:g}, {self.d:g})"


@dataclass(frozen=True)
class Gamma(_ScipyPrior):
    """Gamma(shape, rate) on :math:`\\sigma^2` (light tails, a useful contrast)."""

    shape: float
    rate: float = 1.0

    def __post_init__(self) -> None:
        _positive("Gamma", shape=self.shape, rate=self.rate)

    def _family(self) -> tuple[Any, tuple[float, ...], float]:
        return stats.gamma, (self.shape,), 1.0 / self.rate

    def describe(self) -> str:
        return f"Gamma({self.shape:g}, {self.rate:g})"


@dataclass(frozen=True)
class LogNormal(_ScipyPrior):
    """:math:`\\log\\sigma^2 \\sim N(\\mu, s^2)`."""

    mu: float = 0.0
    sigma: float = 1.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.mu):
            raise InputError(f"LogNormal: mu expected a finite float, got {self.mu!r}")
        _positive("LogNormal", sigma=self.sigma)

    def _family(self) -> tuple[Any, tuple[float, ...], float]:
        return stats.lognorm, (self.sigma,), float(np.exp(self.mu))

    def describe(self) -> str:
        return f"LogNormal({self.mu:g}, {self.sigma:g})"


@dataclass(frozen=True)
class HalfCauchy(ScalePrior):
    r"""Half-Cauchy on :math:`\sigma` with scale :math:`\gamma`; the density of
    :math:`\sigma^2 = s` is :math:`\frac{2}{\pi\gamma(1 + s/\gamma^2)}\cdot\frac{1}{2\sqrt s}`."""

    scale: float = 1.0

    def __post_init__(self) -> None:
        _positive("HalfCauchy", scale=self.scale)

    def logpdf(self, s2: ArrayLike) -> np.ndarray:
        x = np.asarray(s2, dtype=np.float64)
        safe = np.where(x > 0, x, 1.0)
        value = (
            np.log(2 / np.pi)
            - np.log(self.scale)
            - np.log1p(safe / self.scale**2)
            - np.log(2.0)
            - 0.5 * np.log(safe)
        )
        return np.where(x > 0, value, -np.inf)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(stats.halfcauchy(scale=self.scale).rvs(size=size, random_state=rng)) ** 2

    def log_quantile(self, p: float) -> float:
        d = stats.halfcauchy(scale=self.scale)
        x = d.ppf(p) if p < 0.5 else d.isf(1.0 - p)
        return float(2.0 * np.log(max(x, np.finfo(float).tiny)))

    def describe(self) -> str:
        return f"HalfCauchy({self.scale:g})"


@dataclass(frozen=True)
class PointMass(ScalePrior):
    """:math:`\\sigma^2 = v` exactly: the Gaussian NNGP with readout variance ``value``."""

    value: float = 1.0

    def __post_init__(self) -> None:
        _positive("PointMass", value=self.value)

    def logpdf(self, s2: ArrayLike) -> np.ndarray:
        x = np.asarray(s2, dtype=np.float64)
        return np.where(x == self.value, 0.0, -np.inf)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, float(self.value))

    def log_quantile(self, p: float) -> float:
        return float(np.log(self.value))

    def describe(self) -> str:
        return f"NNGP(σ_v²={self.value:g})"


@dataclass(frozen=True)
class CustomPrior(ScalePrior):
    """A user density: ``logpdf(s2)`` vectorised over positive arrays, an optional sampler and a
    support window ``(low, high)`` for :math:`\\sigma^2` that holds essentially all its mass."""

    log_density: Callable[[np.ndarray], np.ndarray]
    support: tuple[float, float]
    sampler: Callable[[np.random.Generator, int], np.ndarray] | None = None
    label: str = "custom"

    def __post_init__(self) -> None:
        if not callable(self.log_density):
            raise InputError(
                f"CustomPrior: log_density expected a callable s2 -> log density, got "
                f"{type(self.log_density).__name__}; pass a function"
            )
        low, high = self.support
        if not (0 < low < high < np.inf):
            raise InputError(
                f"CustomPrior: support expected 0 < low < high < inf, got {self.support!r}; "
                "give a window holding essentially all the prior mass"
            )
        probe = np.asarray(self.log_density(np.array([low, high])), dtype=np.float64)
        if probe.shape != (2,):
            raise InputError(
                f"CustomPrior: log_density expected to map an array of shape (2,) to shape (2,), "
                f"got shape {probe.shape}; vectorise it with numpy"
            )

    def logpdf(self, s2: ArrayLike) -> np.ndarray:
        x = np.asarray(s2, dtype=np.float64)
        value = np.asarray(self.log_density(np.where(x > 0, x, 1.0)), dtype=np.float64)
        return np.where(x > 0, value, -np.inf)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.sampler is None:
            raise InputError(
                "CustomPrior: sampler expected for importance sampling, got None; pass "
                "sampler=(rng, size) -> draws or use the quadrature method"
            )
        return np.asarray(self.sampler(rng, size), dtype=np.float64)

    def log_quantile(self, p: float) -> float:
        return float(np.log(self.support[0] if p < 0.5 else self.support[1]))

    def describe(self) -> str:
        return self.label

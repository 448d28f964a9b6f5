r"""Predictions of the hyperbolic-dominated regimes (brief sections 1.6-1.10 and 3).

For :math:`-1 < \gamma < 0` (:math:`a = -\gamma`), in the δ-model's units :math:`K = c_0 = 1` unless
``shear``/``c0`` are given, and for the phase-mixed state. These formulas are the brief's formal
re-derivation (MC-validated there), not copied from MNV2's Section 5, which was not available;
the tests compare them with the exact Monte Carlo at the brief's tolerances.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError

__all__ = [
    "collision_count",
    "collision_quantity",
    "collision_speed",
    "energy_growth_exponent",
    "frozen_w1_over_t",
    "log_period",
    "log_phase",
    "log_w1_ratio_median",
    "log_w2_ratio_cdf",
    "log_w2_ratio_density",
    "log_w2_ratio_quantile",
    "log_xi2_density",
    "transverse_scale",
]


def _check_a(a: float) -> float:
    if isinstance(a, bool) or not isinstance(a, int | float | np.floating) or not 0.0 < a < 1.0:
        raise InputError(
            f"a: expected a = -gamma in (0, 1) (the hyperbolic-dominated regime), got {a!r}"
        )
    return float(a)


def log_period(a: float) -> float:
    r""":math:`L_a = \ln\frac{1}{1-a}`: the period in :math:`\ln\tau` of the collision flux
    :math:`J(\tau) = P(\ln\tau)/\tau` (brief 1.8, delay equation
    :math:`J(\tau) = (1-a)J((1-a)\tau)`)."""
    return -math.log1p(-_check_a(a))


def log_phase(tau: ArrayLike, a: float) -> NDArray[np.float64]:
    r"""P9: phase :math:`\{\ln\tau / L_a\}` (fractional part) of the log-periodic factor
    :math:`P(\ln\tau)` (brief 1.8). With a phase-locked start (a large deterministic
    :math:`w_0`) statistics at two log-times with the same phase agree as :math:`\tau \to \infty`
    and oscillate in between; a thermal start mixes the phase (:math:`P \equiv 1/L_a`)."""
    x = np.log(np.asarray(tau, dtype=float)) / log_period(a)
    return x - np.floor(x)


def collision_count(log_t: ArrayLike, a: float) -> NDArray[np.float64]:
    r"""Leading collision count :math:`N(t) = \ln(\ln t)/L_a` (P2, brief 1.8; plus :math:`O(1)`)."""
    return np.log(np.asarray(log_t, dtype=float)) / log_period(a)


def collision_speed(t: ArrayLike, a: float, *, c0: float = 1.0) -> NDArray[np.float64]:
    r"""Speed at which collisions happen at time :math:`t`: :math:`|w_1| \sim (c_0 t)^{1/a}`
    (brief 1.6)."""
    return (c0 * np.asarray(t, dtype=float)) ** (1.0 / _check_a(a))


def transverse_scale(t: ArrayLike, a: float, *, c0: float = 1.0, shear: float = 1.0) -> NDArray:
    r"""Transverse scale of particles about to collide:
    :math:`|w_2|, |w_3| \sim K^{-1} c_0^{1/a} t^{1/a - 1}` (brief 1.6)."""
    a = _check_a(a)
    return c0 ** (1.0 / a) * np.asarray(t, dtype=float) ** (1.0 / a - 1.0) / shear


def collision_quantity(
    log_t: ArrayLike, log_speed: ArrayLike, a: float, *, c0: float = 1.0
) -> NDArray[np.float64]:
    r"""P3: :math:`Q = c_0 t |w|^{-a}/(1-a)` at a collision, which is :math:`\mathrm{Exp}(1)` at
    late collisions (brief 1.9). Inputs are logarithms, so no overflow."""
    a = _check_a(a)
    return c0 * np.exp(np.asarray(log_t) - a * np.asarray(log_speed)) / (1.0 - a)


def log_w2_ratio_density(x: ArrayLike, a: float) -> NDArray[np.float64]:
    r"""P6: density :math:`1/(L_a x)` of :math:`\ln|w_2|/\ln t` on :math:`((1-a)/a, 1/a)`
    (brief 1.9)."""
    a = _check_a(a)
    xx = np.asarray(x, dtype=float)
    inside = (xx > (1 - a) / a) & (xx < 1 / a)
    return np.where(inside, 1.0 / (log_period(a) * np.where(inside, xx, 1.0)), 0.0)


def log_w2_ratio_cdf(x: ArrayLike, a: float) -> NDArray[np.float64]:
    r"""CDF of P6: :math:`\ln(a x/(1-a))/L_a` clipped to [0, 1]."""
    a = _check_a(a)
    xx = np.maximum(np.asarray(x, dtype=float), 1e-300)
    return np.clip(np.log(a * xx / (1 - a)) / log_period(a), 0.0, 1.0)


def log_w2_ratio_quantile(q: ArrayLike, a: float) -> NDArray[np.float64]:
    r"""Quantile of P6: :math:`\frac{1-a}{a}(1-a)^{-q}` (brief 1.9; a = 0.5: 1.0353, 1.1892, 1.4142,
    1.6818, 1.9319 at 5, 25, 50, 75, 95 %)."""
    a = _check_a(a)
    return (1 - a) / a * (1 - a) ** (-np.asarray(q, dtype=float))


def log_w1_ratio_median(a: float) -> float:
    r"""P7: median of :math:`\ln|w_1|/\ln t`, :math:`1 + \sqrt{1-a}/a` (brief 1.9)."""
    a = _check_a(a)
    return 1.0 + math.sqrt(1 - a) / a


def log_xi2_density(u: ArrayLike, tau: float, a: float) -> NDArray[np.float64]:
    r"""P8: phase-mixed density of :math:`u = \ln|\xi_2|` at log-time :math:`\tau`
    (brief 1.9, global form):

    .. math::  p(u, \tau) = \frac{1}{L_a}\,\frac{\exp(-e^{-a u}/(1-a))}{u + (1-a)\tau/a},
               \qquad -(1-a)\tau/a < u \lesssim \tau,

    with :math:`u = \ln(K|w_2|) - \ln(c_0)/a - (1/a - 1)\tau`.
    """
    a = _check_a(a)
    uu = np.asarray(u, dtype=float)
    shifted = uu + (1 - a) * tau / a
    ok = (shifted > 0) & (uu <= tau)
    with np.errstate(over="ignore"):
        survival = np.exp(-np.exp(-a * uu) / (1 - a))
    return np.where(ok, survival / (log_period(a) * np.where(ok, shifted, 1.0)), 0.0)


def energy_growth_exponent(a: float) -> float:
    r"""P10: :math:`E|w|^2 \sim C t^{2/a + 2}/\ln t`; returns the power :math:`2/a + 2`
    (brief 1.9)."""
    return 2.0 / _check_a(a) + 2.0


def frozen_w1_over_t(log_abs_w2: ArrayLike, *, shear: float = 1.0) -> NDArray[np.float64]:
    r"""γ < −1 (brief 1.10): after the last collision :math:`|w_1|/t \to K|w_2^\infty|`."""
    return shear * np.exp(np.asarray(log_abs_w2, dtype=float))

r"""The NFW halo, finite at the centre through series expansions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.dwarfs.potentials.base import SphericalPotential, check_positive

__all__ = ["NFW", "NFW_X_MAX"]

NFW_X_MAX = 2.1625815870646098
r"""``r_max / r_s`` of the NFW circular-velocity peak: the root of
:math:`\ln(1+x) = x(1+2x)/(1+x)^2` (where :math:`d(M/r)/dr = 0`); recomputed in the tests."""

_PHI_SERIES_BELOW = 1e-6  # x below which Phi uses its series (brief §1.2)
_MASS_SERIES_BELOW = 1e-2  # x below which M uses its series (avoids cancellation)


def _mu(x: Any, xp: ModuleType) -> Any:
    """:math:`\\mu(x) = \\ln(1+x) - x/(1+x)`, by its Taylor series for small ``x``."""
    small = x < _MASS_SERIES_BELOW
    xs = xp.where(small, x, 0.0)
    # x^2/2 - 2x^3/3 + 3x^4/4 - ... : the k-th term is (-1)^k (k-1)/k x^k
    series = xs**2 * (
        0.5 - xs * (2 / 3 - xs * (3 / 4 - xs * (4 / 5 - xs * (5 / 6 - xs * (6 / 7 - xs * 7 / 8)))))
    )
    xl = xp.where(small, 1.0, x)
    closed = xp.log1p(xl) - xl / (1.0 + xl)
    return xp.where(small, series, closed)


@dataclass(frozen=True)
class NFW(SphericalPotential):
    r"""Navarro-Frenk-White halo (brief §1.2), G = 1.

    .. math::

        \rho(r) = \frac{m_s}{4\pi}\,\frac{1}{r (r + r_s)^2},\qquad
        M(<r) = m_s\Bigl[\ln(1+x) - \frac{x}{1+x}\Bigr],\qquad
        \Phi(r) = -\frac{m_s}{r_s}\,\frac{\ln(1+x)}{x},\qquad x = r/r_s,

    with :math:`m_s = 4\pi\rho_s r_s^3` (argument ``m_s``) and :math:`r_s` (``r_s``). At
    :math:`x < 10^{-6}` the potential uses :math:`\Phi \approx \Phi_0 (1 - x/2 + x^2/3)`, so
    :math:`\Phi(0) = \Phi_0 = -m_s/r_s` is finite; the force tends to
    :math:`-m_s/(2 r_s^2) = -2\pi\rho_s r_s`. The brief's units are ``NFW()`` (:math:`\Phi_0=-1`).

    Parameters
    ----------
    m_s : float, default 1
        :math:`4\pi\rho_s r_s^3`.
    r_s : float, default 1
        Scale radius.
    """

    m_s: float = 1.0
    r_s: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "m_s", check_positive(self.m_s, name="m_s", owner="NFW"))
        object.__setattr__(self, "r_s", check_positive(self.r_s, name="r_s", owner="NFW"))

    @classmethod
    def from_rho_s(cls, rho_s: float, r_s: float) -> NFW:
        """NFW from the characteristic density :math:`\\rho_s` and scale radius."""
        rho = check_positive(rho_s, name="rho_s", owner="NFW.from_rho_s")
        rs = check_positive(r_s, name="r_s", owner="NFW.from_rho_s")
        return cls(m_s=4.0 * math.pi * rho * rs**3, r_s=rs)

    @classmethod
    def from_vmax_rmax(cls, v_max: float, r_max: float) -> NFW:
        """NFW whose circular velocity peaks at ``v_max`` at radius ``r_max`` (G = 1)."""
        v = check_positive(v_max, name="v_max", owner="NFW.from_vmax_rmax")
        rm = check_positive(r_max, name="r_max", owner="NFW.from_vmax_rmax")
        x = NFW_X_MAX
        mu = math.log1p(x) - x / (1.0 + x)
        return cls(m_s=v * v * rm / mu, r_s=rm / x)

    @property
    def r_max(self) -> float:
        """Radius of the circular-velocity peak, ``NFW_X_MAX * r_s``."""
        return NFW_X_MAX * self.r_s

    @property
    def v_max(self) -> float:
        """Peak circular velocity."""
        return float(self.vcirc(self.r_max))

    def _phi(self, r: Any, xp: ModuleType) -> Any:
        x = r / self.r_s
        small = x < _PHI_SERIES_BELOW
        xl = xp.where(small, 1.0, x)
        closed = xp.log1p(xl) / xl
        series = 1.0 - x / 2.0 + x * x / 3.0
        return -(self.m_s / self.r_s) * xp.where(small, series, closed)

    def _mass(self, r: Any, xp: ModuleType) -> Any:
        return self.m_s * _mu(r / self.r_s, xp)

    def _density(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.m_s / (4.0 * np.pi) / (r * (r + self.r_s) ** 2)

    def _central_force(self) -> float:
        return -self.m_s / (2.0 * self.r_s**2)

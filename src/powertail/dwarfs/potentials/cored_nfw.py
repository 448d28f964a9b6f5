r"""The cored NFW halo :math:`\rho \propto 1/[(r + r_c)(r + r_s)^2]` in closed form."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.dwarfs.potentials.base import SphericalPotential, check_positive
from powertail.errors import InputError

__all__ = ["CoredNFW"]

_SERIES_BELOW = 1e-2  # r / r_c below which M(r) uses its Taylor series
_SERIES_TERMS = 8


@dataclass(frozen=True)
class CoredNFW(SphericalPotential):
    r"""NFW with a core of radius :math:`r_c` (brief §1.2, closed form derived there), G = 1.

    .. math::

        \rho(r) = \frac{m_s}{4\pi}\,\frac{1}{(r + a)(r + b)^2},\qquad a = r_c,\ b = r_s,\
        \mathcal A = \frac{a^2}{(b-a)^2},

        M(<r) = m_s\,\tilde M(r),\quad
        \tilde M(r) = \mathcal A\ln(1 + r/a) + (1 - \mathcal A)\ln(1 + r/b)
            - \frac{b\,r}{(b-a)(r+b)},

        \Phi(r) = -m_s\Bigl\{\frac{\tilde M(r)}{r} + \frac{a}{(b-a)^2}\ln\frac{r+a}{r+b}
            + \frac{b}{(b-a)(r+b)}\Bigr\},

    with :math:`m_s = 4\pi\rho_s r_s^3`. The central density is :math:`\rho_s r_s / r_c`;
    the limit :math:`r_c \to 0` is :class:`NFW`. Below :math:`r = 10^{-2} r_c` the mass uses its
    Taylor series (the closed form cancels there).

    Parameters
    ----------
    m_s : float, default 1
    r_s : float, default 1
    r_c : float, default 0.1
        Core radius, > 0 and different from ``r_s``.
    """

    m_s: float = 1.0
    r_s: float = 1.0
    r_c: float = 0.1

    def __post_init__(self) -> None:
        for name in ("m_s", "r_s", "r_c"):
            object.__setattr__(
                self, name, check_positive(getattr(self, name), name=name, owner="CoredNFW")
            )
        if abs(self.r_c - self.r_s) <= 1e-6 * self.r_s:
            raise InputError(
                f"r_c of CoredNFW: expected a core radius different from r_s = {self.r_s}, got "
                f"{self.r_c}; the closed form is singular there, use TabulatedPotential instead"
            )

    def _series_coefficients(self) -> list[float]:
        # rho/rho(0) = (1 + r/a)^-1 (1 + r/b)^-2 = sum_n c_n r^n
        a, b = self.r_c, self.r_s
        return [
            sum((-1.0 / a) ** j * (n - j + 1) * (-1.0 / b) ** (n - j) for j in range(n + 1))
            for n in range(_SERIES_TERMS)
        ]

    def _mass_tilde(self, r: Any, xp: ModuleType) -> Any:
        a, b = self.r_c, self.r_s
        big_a = a * a / (b - a) ** 2
        small = r < _SERIES_BELOW * a
        rl = xp.where(small, a, r)
        closed = (
            big_a * xp.log1p(rl / a)
            + (1.0 - big_a) * xp.log1p(rl / b)
            - b * rl / ((b - a) * (rl + b))
        )
        rs = xp.where(small, r, 0.0)
        series = 0.0
        for n, c in enumerate(self._series_coefficients()):
            series = series + c * rs ** (n + 3) / (n + 3)
        series = series / (a * b * b)
        return xp.where(small, series, closed)

    def _phi(self, r: Any, xp: ModuleType) -> Any:
        a, b = self.r_c, self.r_s
        positive = r > 0
        safe = xp.where(positive, r, 1.0)
        m_over_r = xp.where(positive, self._mass_tilde(safe, xp) / safe, 0.0)
        rest = a / (b - a) ** 2 * xp.log((r + a) / (r + b)) + b / ((b - a) * (r + b))
        return -self.m_s * (m_over_r + rest)

    def _mass(self, r: Any, xp: ModuleType) -> Any:
        return self.m_s * self._mass_tilde(r, xp)

    def _density(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.m_s / (4.0 * np.pi) / ((r + self.r_c) * (r + self.r_s) ** 2)

r"""The Plummer sphere: the simplest cored (harmonic-centre) potential."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.dwarfs.potentials.base import SphericalPotential, check_positive

__all__ = ["Plummer"]


@dataclass(frozen=True)
class Plummer(SphericalPotential):
    r"""Plummer sphere, G = 1.

    .. math::

        \Phi(r) = -\frac{M}{\sqrt{r^2 + a^2}},\qquad
        M(<r) = \frac{M r^3}{(r^2 + a^2)^{3/2}},\qquad
        \rho(r) = \frac{3M}{4\pi a^3}\Bigl(1 + \frac{r^2}{a^2}\Bigr)^{-5/2},

    with total mass :math:`M` (``mass_total``) and scale :math:`a` (``a``). The centre is
    harmonic with :math:`\omega^2 = 4\pi\rho(0)/3 = M/a^3` (brief §1.2, §2.4.4 uses
    :math:`M = a = 1`).
    """

    mass_total: float = 1.0
    a: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "mass_total", check_positive(self.mass_total, name="mass_total", owner="Plummer")
        )
        object.__setattr__(self, "a", check_positive(self.a, name="a", owner="Plummer"))

    def _phi(self, r: Any, xp: ModuleType) -> Any:
        return -self.mass_total / xp.sqrt(r * r + self.a * self.a)

    def _mass(self, r: Any, xp: ModuleType) -> Any:
        return self.mass_total * r**3 / (r * r + self.a * self.a) ** 1.5

    def _density(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        return 3.0 * self.mass_total / (4.0 * np.pi * self.a**3) * (1.0 + (r / self.a) ** 2) ** -2.5

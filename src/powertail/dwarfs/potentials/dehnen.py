r"""Dehnen's γ-models: cored (γ = 0), Hernquist (γ = 1) and steeper cusps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.dwarfs.potentials.base import SphericalPotential, check_positive
from powertail.errors import InputError

__all__ = ["Dehnen"]


@dataclass(frozen=True)
class Dehnen(SphericalPotential):
    r"""Dehnen (1993) γ-model, G = 1, for :math:`0 \le \gamma < 2` (finite :math:`\Phi_0`).

    .. math::

        \rho(r) = \frac{(3-\gamma) M}{4\pi}\,\frac{a}{r^\gamma (r + a)^{4-\gamma}},\qquad
        M(<r) = M\Bigl(\frac{r}{r+a}\Bigr)^{3-\gamma},\qquad
        \Phi(r) = -\frac{M}{(2-\gamma)\,a}\Bigl[1 - \Bigl(\frac{r}{r+a}\Bigr)^{2-\gamma}\Bigr],

    with total mass :math:`M` (``mass_total``), scale :math:`a` (``a``) and inner slope
    :math:`\gamma` (``gamma``).
    """

    mass_total: float = 1.0
    a: float = 1.0
    gamma: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "mass_total", check_positive(self.mass_total, name="mass_total", owner="Dehnen")
        )
        object.__setattr__(self, "a", check_positive(self.a, name="a", owner="Dehnen"))
        g = self.gamma
        if isinstance(g, bool) or not isinstance(g, int | float) or not 0.0 <= g < 2.0:
            raise InputError(
                f"gamma of Dehnen: expected a number in [0, 2) (finite central potential), got "
                f"{g!r}; use gamma=0 (core) or gamma=1 (Hernquist)"
            )
        object.__setattr__(self, "gamma", float(g))

    def _phi(self, r: Any, xp: ModuleType) -> Any:
        p = 2.0 - self.gamma
        return -self.mass_total / (p * self.a) * (1.0 - (r / (r + self.a)) ** p)

    def _mass(self, r: Any, xp: ModuleType) -> Any:
        return self.mass_total * (r / (r + self.a)) ** (3.0 - self.gamma)

    def _density(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        g = self.gamma
        return (
            (3.0 - g)
            * self.mass_total
            / (4.0 * math.pi)
            * self.a
            / (r**g * (r + self.a) ** (4.0 - g))
        )

    def _central_force(self) -> float:
        if self.gamma == 1.0:
            return -self.mass_total / self.a**2
        return 0.0 if self.gamma < 1.0 else -math.inf

r"""Time dependence as a validated wrapper: :math:`\Phi(r,t) = A(t)\,\Phi(r/S(t))/S(t)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.dwarfs.potentials.protocols import Constant, CustomHistory, Protocol
from powertail.errors import InputError

__all__ = ["TimeDependentPotential"]


def _as_protocol(value: object, *, name: str) -> Protocol:
    if isinstance(value, Protocol):
        return value
    if callable(value):
        return CustomHistory(value)  # type: ignore[arg-type]
    raise InputError(
        f"{name} of TimeDependentPotential: expected a Protocol (Impulsive, LinearRamp, ...) or "
        f"a callable of t, got {type(value).__name__}; e.g. Impulsive(final=0.5)"
    )


@dataclass(frozen=True)
class TimeDependentPotential:
    r"""A spherical potential whose amplitude and size change with time (brief §1.4).

    .. math::

        \Phi(r, t) = \frac{A(t)}{S(t)}\,\Phi_\mathrm{init}\!\Bigl(\frac{r}{S(t)}\Bigr),\qquad
        M(<r, t) = A(t)\,M_\mathrm{init}(<r/S(t)),

    so :math:`A < 1` removes mass and :math:`A > 1` adds it at fixed shape, and :math:`S`
    stretches the profile (AGAMA's ``scale`` modifier).

    Parameters
    ----------
    potential : SphericalPotential
        :math:`\Phi_\mathrm{init}`.
    amplitude : Protocol or callable, default Constant()
        :math:`A(t)`; a plain callable is wrapped in :class:`CustomHistory` (validated now).
    scale : Protocol or callable, default Constant()
        :math:`S(t)`.
    """

    potential: SphericalPotential
    amplitude: Protocol = field(default_factory=Constant)
    scale: Protocol = field(default_factory=Constant)

    def __post_init__(self) -> None:
        if not isinstance(self.potential, SphericalPotential):
            raise InputError(
                f"potential of TimeDependentPotential: expected a SphericalPotential (NFW, "
                f"Plummer, ...), got {type(self.potential).__name__}"
            )
        object.__setattr__(self, "amplitude", _as_protocol(self.amplitude, name="amplitude"))
        object.__setattr__(self, "scale", _as_protocol(self.scale, name="scale"))

    @classmethod
    def static(cls, potential: SphericalPotential) -> TimeDependentPotential:
        """Wrap a static potential (A = S = 1)."""
        return cls(potential)

    @property
    def has_scale(self) -> bool:
        """Whether S(t) is not identically 1."""
        return not (isinstance(self.scale, Constant) and self.scale.level == 1.0)

    @property
    def jumps(self) -> tuple[float, ...]:
        """Times where A or S jump (placed on step boundaries by the integrator)."""
        return tuple(sorted(set(self.amplitude.jumps) | set(self.scale.jumps)))

    @property
    def settled(self) -> float:
        """Time from which the potential is static."""
        return max(self.amplitude.settled, self.scale.settled)

    def _factors(self, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.amplitude.value(t), self.scale.value(t)

    def phi(self, r: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
        """:math:`\\Phi(r, t)` (after any jump at ``t``)."""
        a, s = self._factors(t)
        return a / s * self.potential.phi(np.asarray(r, dtype=np.float64) / s)

    def mass(self, r: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
        """:math:`M(<r, t) = A\\,M_\\mathrm{init}(r/S)`."""
        a, s = self._factors(t)
        return a * self.potential.mass(np.asarray(r, dtype=np.float64) / s)

    def central_potential(self, t: float) -> float:
        """:math:`\\Phi_0(t) = A\\,\\Phi_0/S`, the unit of the energy ``e`` at time ``t``."""
        a, s = self._factors(t)
        return float(a / s * self.potential.central_potential())

    def at(self, t: float) -> Callable[[ArrayLike], NDArray[np.float64]]:
        """Return ``phi(r)`` frozen at time ``t``."""
        return lambda r: self.phi(r, t)

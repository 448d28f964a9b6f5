r"""The mathematics of mono-energetic populations: energy variable, profile, density of states.

Conventions (brief §1.1): G = 1 and the dimensionless binding energy

.. math::  e = 1 - E/\Phi_0,

0 at the bottom of the well and 1 at the escape energy; a mono-energetic population has
:math:`e = \varepsilon` (argument ``eps``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.errors import InputError

__all__ = [
    "check_eps",
    "density_of_states",
    "e_from_energy",
    "energy_from_e",
    "errani22_dnde",
    "mono_energetic_density",
    "mono_energetic_radius",
    "mono_energetic_sizes",
]


def check_eps(eps: object, *, name: str = "eps") -> float:
    """Return ``eps`` as a float in (0, 1) or raise an InputError naming ``name``."""
    if isinstance(eps, bool) or not isinstance(eps, int | float | np.integer | np.floating):
        raise InputError(f"{name}: expected a number in (0, 1), got {type(eps).__name__} {eps!r}")
    value = float(eps)
    if not 0.0 < value < 1.0:
        raise InputError(
            f"{name}: expected a binding energy e = 1 - E/Phi0 strictly between 0 (bottom of the "
            f"well) and 1 (unbound), got {value!r}; e.g. {name}=0.2"
        )
    return value


def e_from_energy(energy: ArrayLike, phi0: float) -> NDArray[np.float64]:
    r""":math:`e = 1 - E/\Phi_0` (brief §1.1) for energies ``energy`` in a well of depth
    ``phi0`` (< 0)."""
    if not phi0 < 0:
        raise InputError(f"phi0: expected the (negative) central potential, got {phi0!r}")
    return 1.0 - np.asarray(energy, dtype=np.float64) / phi0


def energy_from_e(e: ArrayLike, phi0: float) -> NDArray[np.float64]:
    r""":math:`E = \Phi_0 (1 - e)`, the inverse of :func:`e_from_energy`."""
    if not phi0 < 0:
        raise InputError(f"phi0: expected the (negative) central potential, got {phi0!r}")
    return phi0 * (1.0 - np.asarray(e, dtype=np.float64))


def mono_energetic_radius(potential: SphericalPotential, eps: float) -> float:
    r"""Outer edge :math:`r_E` of a mono-energetic population: :math:`\Phi(r_E) = E_0`."""
    e = check_eps(eps)
    phi0 = potential.central_potential()
    return potential.radius_of_potential(float(energy_from_e(e, phi0)))


def mono_energetic_density(
    r: ArrayLike, potential: SphericalPotential, eps: float
) -> NDArray[np.float64]:
    r"""Density of the mono-energetic isotropic population (brief §1.3), normalised to 1.

    For :math:`f(E) = K\,\delta(E - E_0)`,

    .. math::

        \rho_\star(r) = \frac{\sqrt{2\,[E_0 - \Phi(r)]}}
            {\int_0^{r_E} 4\pi r'^2 \sqrt{2\,[E_0 - \Phi(r')]}\,dr'}
            \quad (\Phi(r) < E_0),\qquad 0 \text{ beyond } r_E,

    with :math:`E_0 = \Phi_0 (1 - \varepsilon)`.

    Parameters
    ----------
    r : array_like
        Radii.
    potential : SphericalPotential
    eps : float
        Binding energy :math:`\varepsilon \in (0, 1)`.

    Returns
    -------
    ndarray
        :math:`\rho_\star(r)` with :math:`\int 4\pi r^2\rho_\star\,dr = 1`.
    """
    e = check_eps(eps)
    phi0 = potential.central_potential()
    e0 = float(energy_from_e(e, phi0))
    r_e = mono_energetic_radius(potential, e)

    def shape(x: float) -> float:
        return math.sqrt(max(2.0 * (e0 - float(potential.phi(x))), 0.0))

    norm, _ = integrate.quad(lambda x: 4.0 * math.pi * x * x * shape(x), 0.0, r_e, limit=200)
    rr = np.asarray(r, dtype=np.float64)
    return np.sqrt(np.clip(2.0 * (e0 - potential.phi(rr)), 0.0, None)) / norm


def density_of_states(potential: SphericalPotential, energy: float) -> float:
    r"""Density of states :math:`g(E) = 16\pi^2 \int_0^{r_E} r^2 \sqrt{2(E - \Phi)}\,dr`
    (brief §1.3), so that :math:`dN/dE = f(E)\,g(E)` for an isotropic DF."""
    phi0 = potential.central_potential()
    if not phi0 < energy < 0:
        raise InputError(f"energy: expected a bound energy in ({phi0:.6g}, 0), got {energy!r}")
    r_e = potential.radius_of_potential(float(energy))
    value, _ = integrate.quad(
        lambda x: x * x * math.sqrt(max(2.0 * (energy - float(potential.phi(x))), 0.0)),
        0.0,
        r_e,
        limit=200,
    )
    return 16.0 * math.pi**2 * value


ERRANI22_E_S = 10.0**-0.32
"""Scale :math:`e_s` of the Errani et al. (2022) stellar energy distribution (brief §0),
which gives :math:`R_h/r_{max} \\approx 1/4` in NFW."""


def errani22_dnde(
    e: ArrayLike, *, alpha: float = 3.0, beta: float = 3.0, e_s: float = ERRANI22_E_S
) -> NDArray[np.float64]:
    r"""Errani et al. (2022) energy distribution :math:`dN/de \propto e^\alpha
    \exp[-(e/e_s)^\beta]` (brief §0, from ``rerrani/tipy`` ``dNde.py``), unnormalised."""
    ee = np.asarray(e, dtype=np.float64)
    return np.where(ee > 0, np.clip(ee, 0, None) ** alpha * np.exp(-((ee / e_s) ** beta)), 0.0)


def mono_energetic_sizes(potential: SphericalPotential, eps: float) -> tuple[float, float, float]:
    r"""Exact 3-D half-number radius :math:`r_h`, projected half-number radius :math:`R_e` and
    line-of-sight dispersion :math:`\sigma_{los}` of a mono-energetic population, by quadrature.

    .. math::

        M(<r_h) = \tfrac12,\qquad
        M_p(R) = M(<R) + \int_R^{r_E} 4\pi r^2 \rho_\star
            \Bigl(1 - \sqrt{1 - R^2/r^2}\Bigr)\,dr,\quad M_p(R_e) = \tfrac12,

        \sigma_{los}^2 = \tfrac13\langle v^2\rangle
            = \tfrac13\int_0^{r_E} 4\pi r^2 \rho_\star\, 2[E_0 - \Phi(r)]\,dr

    (isotropic, :math:`\rho_\star` of :func:`mono_energetic_density`, unit mass).

    Returns
    -------
    (float, float, float)
        ``(r_h, R_e, sigma_los)`` in the potential's units.
    """
    e = check_eps(eps)
    phi0 = potential.central_potential()
    e0 = float(energy_from_e(e, phi0))
    r_e = mono_energetic_radius(potential, e)

    def unnormalised(r: float) -> float:
        return 4.0 * math.pi * r * r * math.sqrt(max(2.0 * (e0 - float(potential.phi(r))), 0.0))

    norm = integrate.quad(unnormalised, 0.0, r_e, limit=200)[0]

    def shell(r: float) -> float:  # 4 pi r^2 rho*(r) of mono_energetic_density, unit mass
        return unnormalised(r) / norm

    def mass(r: float) -> float:
        return integrate.quad(shell, 0.0, min(r, r_e), limit=200)[0]

    def projected(big_r: float) -> float:
        outside = integrate.quad(
            lambda r: shell(r) * (1.0 - math.sqrt(max(1.0 - (big_r / r) ** 2, 0.0))),
            big_r,
            r_e,
            limit=200,
        )[0]
        return mass(big_r) + outside

    r_h = optimize.brentq(lambda r: mass(r) - 0.5, 0.0, r_e, xtol=1e-12 * r_e)
    big_r_e = optimize.brentq(lambda r: projected(r) - 0.5, 0.0, r_e, xtol=1e-12 * r_e)
    v2 = integrate.quad(
        lambda r: shell(r) * 2.0 * max(e0 - float(potential.phi(r)), 0.0), 0.0, r_e, limit=200
    )[0]
    return float(r_h), float(big_r_e), math.sqrt(v2 / 3.0)

r"""Closed-form predictions used as checks and plotted beside the simulations (brief §2.2).

* the impulsive energy map :math:`e' = [\varepsilon + (A-1)e_\Phi(r)]/A` and its quantiles;
* virial predictions after an impulse in a power-law well;
* adiabatic scalings in a power-law well and the adiabatic action mapping in any potential;
* the breathing period :math:`\pi/\omega'` of a harmonic core.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

from powertail.dwarfs.model import check_eps, energy_from_e, mono_energetic_radius
from powertail.dwarfs.potentials.base import SphericalPotential, check_positive
from powertail.errors import InputError

__all__ = [
    "adiabatic_energies",
    "adiabatic_powerlaw_scaling",
    "breathing_period",
    "impulsive_energy_map",
    "impulsive_energy_quantiles",
    "impulsive_unbound_fraction",
    "powerlaw_virial_ratios",
    "radial_action",
]


def _check_amplitude(amplitude: object) -> float:
    return check_positive(
        amplitude,
        name="amplitude",
        owner="the prediction",
        hint="A is the factor multiplying the potential (A < 1 removes mass)",
    )


def impulsive_energy_map(eps: float, amplitude: float, e_phi: ArrayLike) -> NDArray[np.float64]:
    r"""Binding energy after an impulsive change :math:`\Phi \to A\Phi` (brief §2.2.2).

    Each star keeps :math:`(\mathbf x, \mathbf v)`, so :math:`E' = E_0 + (A-1)\Phi(r)`; in units
    of the new well (:math:`\Phi_0' = A\Phi_0`), with :math:`e_\Phi(r) = 1 - \Phi(r)/\Phi_0`,

    .. math::  e' = \frac{\varepsilon + (A - 1)\,e_\Phi(r)}{A}.

    Parameters
    ----------
    eps : float
        Initial binding energy :math:`\varepsilon`.
    amplitude : float
        :math:`A` (> 0).
    e_phi : array_like
        :math:`e_\Phi(r)` of each star, in :math:`[0, \varepsilon]`.
    """
    e = check_eps(eps)
    a = _check_amplitude(amplitude)
    return (e + (a - 1.0) * np.asarray(e_phi, dtype=np.float64)) / a


def _radial_cdf(potential: SphericalPotential, eps: float):
    phi0 = potential.central_potential()
    e0 = float(energy_from_e(eps, phi0))
    r_e = mono_energetic_radius(potential, eps)

    def integrand(r: float) -> float:
        return r * r * math.sqrt(max(e0 - float(potential.phi(r)), 0.0))

    total, _ = integrate.quad(integrand, 0.0, r_e, limit=200)

    def cdf(r: float) -> float:
        return integrate.quad(integrand, 0.0, min(r, r_e), limit=200)[0] / total

    return cdf, r_e, phi0


def impulsive_energy_quantiles(
    potential: SphericalPotential, eps: float, amplitude: float, q: ArrayLike
) -> NDArray[np.float64]:
    r"""Quantiles ``q`` of :math:`dN/de'` after an impulse, by quadrature (brief §2.2.2).

    :math:`e'` is monotonic in :math:`r` (decreasing for :math:`A < 1`), so its quantile
    :math:`q` is the map of the radius quantile :math:`1 - q` (or :math:`q` for
    :math:`A > 1`) of the mono-energetic profile, found with adaptive quadrature and
    Brent's method (independent of the sampler).
    """
    e = check_eps(eps)
    a = _check_amplitude(amplitude)
    cdf, r_e, phi0 = _radial_cdf(potential, e)
    out = []
    for qq in np.atleast_1d(np.asarray(q, dtype=np.float64)):
        if not 0.0 < qq < 1.0:
            raise InputError(f"q: expected quantiles strictly between 0 and 1, got {qq!r}")
        target = 1.0 - qq if a < 1.0 else qq
        r_q = optimize.brentq(lambda r, t=target: cdf(r) - t, 0.0, r_e, xtol=1e-14)
        e_phi = 1.0 - float(potential.phi(r_q)) / phi0
        out.append(float(impulsive_energy_map(e, a, e_phi)))
    return np.asarray(out)


def impulsive_unbound_fraction(
    potential: SphericalPotential, eps: float, amplitude: float
) -> float:
    r"""Fraction of stars with :math:`e' > 1` after an impulse: non-zero iff :math:`A <
    \varepsilon` (brief §2.2.2); these are the stars with
    :math:`e_\Phi < (\varepsilon - A)/(1 - A)`, the central ones."""
    e = check_eps(eps)
    a = _check_amplitude(amplitude)
    if a >= e:
        return 0.0
    cdf, _, phi0 = _radial_cdf(potential, e)
    e_phi_max = (e - a) / (1.0 - a)
    r_cut = potential.radius_of_potential(phi0 * (1.0 - e_phi_max))
    return cdf(r_cut)


def powerlaw_virial_ratios(alpha: float, amplitude: float) -> tuple[float, float]:
    r"""Relaxed state after an impulse in a power-law well :math:`\Phi - \Phi_0 = A k r^\alpha`
    (brief §2.2.3), assuming the shape of the population is kept:

    .. math::

        \frac{\langle r^\alpha\rangle_f}{\langle r^\alpha\rangle_0} = \frac{\alpha + 2A}
            {(\alpha + 2) A},\qquad
        \frac{\sigma_f^2}{\sigma_0^2} = \frac{\alpha + 2A}{\alpha + 2}.

    Returns
    -------
    (float, float)
        The two ratios.
    """
    al = check_positive(alpha, name="alpha", owner="powerlaw_virial_ratios")
    a = _check_amplitude(amplitude)
    return (al + 2.0 * a) / ((al + 2.0) * a), (al + 2.0 * a) / (al + 2.0)


def adiabatic_powerlaw_scaling(alpha: float, amplitude: float) -> tuple[float, float, float]:
    r"""Adiabatic change in a power-law well (brief §2.2.4): actions conserved give

    .. math::

        r \propto A^{-1/(2+\alpha)},\qquad \sigma \propto A^{1/(2+\alpha)},\qquad
        e' = \varepsilon\,A^{-\alpha/(2+\alpha)},

    so :math:`r\sigma` is invariant. Returns the factors ``(r, sigma, e)``.
    """
    al = check_positive(alpha, name="alpha", owner="adiabatic_powerlaw_scaling")
    a = _check_amplitude(amplitude)
    return a ** (-1.0 / (2.0 + al)), a ** (1.0 / (2.0 + al)), a ** (-al / (2.0 + al))


def breathing_period(potential: SphericalPotential, amplitude: float = 1.0) -> float:
    r"""Breathing period of a population deep in a harmonic core after :math:`\Phi\to A\Phi`
    (brief §1.2, §2.2.6): :math:`\omega^2 = 4\pi G\rho(0)/3`, :math:`\omega' = \sqrt{A}\,\omega`,
    and :math:`r^2` oscillates at :math:`2\omega'`, so the period is :math:`\pi/\omega'`.

    Raises
    ------
    InputError
        If the potential has no finite central density (a cusp has no harmonic core).
    """
    a = _check_amplitude(amplitude)
    rho0 = float(potential.density(0.0))
    if not math.isfinite(rho0) or rho0 <= 0:
        raise InputError(
            f"potential: expected a finite central density (a harmonic core), got rho(0) = "
            f"{rho0!r}; use a cored potential such as Plummer or CoredNFW"
        )
    omega = math.sqrt(4.0 * math.pi * rho0 / 3.0)
    return math.pi / (math.sqrt(a) * omega)


# --------------------------------------------------------------------- actions (vectorised)
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)
_BISECT = 80


def _bisect(f, lo: NDArray[np.float64], hi: NDArray[np.float64]) -> NDArray[np.float64]:
    """Vectorised bisection for the sign change of ``f`` between ``lo`` (f <= 0) and ``hi``."""
    for _ in range(_BISECT):
        mid = 0.5 * (lo + hi)
        neg = f(mid) <= 0
        lo = np.where(neg, mid, lo)
        hi = np.where(neg, hi, mid)
    return 0.5 * (lo + hi)


def _turning_points(
    potential: SphericalPotential,
    amplitude: float,
    energy: NDArray[np.float64],
    l2: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Guiding radius r_L, pericentre and apocentre in the potential ``amplitude * Phi``."""
    big = np.full_like(energy, 1e12)
    # circular radius for L: A r M(r) = L^2 (increasing in r); bisect in log r
    log_rl = _bisect(
        lambda u: amplitude * np.exp(u) * potential.mass(np.exp(u)) - l2,
        np.full_like(energy, -40.0),
        np.log(big),
    )
    r_l = np.exp(log_rl)

    def f(r: NDArray[np.float64]) -> NDArray[np.float64]:
        return 2.0 * (energy - amplitude * potential.phi(r)) * r * r - l2

    # f(0) = -L^2 <= 0 and f(r_L) >= 0 for E above the circular energy
    r_p = _bisect(f, np.zeros_like(energy), r_l)
    log_ra = _bisect(lambda u: -f(np.exp(u)), np.log(r_l), np.log(big))
    return r_l, r_p, np.exp(log_ra)


def radial_action(
    potential: SphericalPotential,
    energy: ArrayLike,
    angular_momentum: ArrayLike,
    *,
    amplitude: float = 1.0,
) -> NDArray[np.float64]:
    r"""Radial action in the potential :math:`A\Phi` (vectorised over stars):

    .. math::

        J_r = \frac{1}{\pi}\int_{r_p}^{r_a}\sqrt{2[E - A\Phi(r)] - L^2/r^2}\,dr,

    by 64-point Gauss-Legendre quadrature in :math:`\theta` with
    :math:`r = \bar r + \Delta\sin\theta` (smooth at the turning points). 0 for circular orbits.
    """
    a = _check_amplitude(amplitude)
    e = np.asarray(energy, dtype=np.float64)
    l2 = np.asarray(angular_momentum, dtype=np.float64) ** 2
    _, r_p, r_a = _turning_points(potential, a, e, l2)
    mid, half = 0.5 * (r_a + r_p), 0.5 * (r_a - r_p)
    theta = 0.5 * np.pi * _GL_NODES
    r = mid[..., None] + half[..., None] * np.sin(theta)
    safe = np.where(r > 0, r, 1e-300)
    p2 = 2.0 * (e[..., None] - a * potential.phi(safe)) - l2[..., None] / safe**2
    integrand = np.sqrt(np.clip(p2, 0.0, None)) * half[..., None] * np.cos(theta)
    return 0.5 * np.pi * (integrand @ _GL_WEIGHTS) / np.pi


def adiabatic_energies(
    potential: SphericalPotential,
    positions: ArrayLike,
    velocities: ArrayLike,
    amplitude: float,
) -> NDArray[np.float64]:
    r"""Energies after a slow change :math:`\Phi \to A\Phi` by the adiabatic action mapping
    (brief §5.2): :math:`J_r` and :math:`L` of every star are conserved, so :math:`E'` solves
    :math:`J_r'(E', L) = J_r(E, L)` in the final potential (vectorised bisection).

    Returns
    -------
    ndarray of shape (n,)
        :math:`E'`; use :func:`powertail.dwarfs.model.e_from_energy` with
        :math:`A\Phi_0` for :math:`e'`.
    """
    a = _check_amplitude(amplitude)
    x = np.asarray(positions, dtype=np.float64)
    v = np.asarray(velocities, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 3 or x.shape != v.shape:
        raise InputError(
            f"positions, velocities: expected two arrays of shape (n, 3), got {x.shape} and "
            f"{v.shape}"
        )
    r = np.linalg.norm(x, axis=1)
    energy = 0.5 * np.sum(v * v, axis=1) + potential.phi(r)
    ang = np.linalg.norm(np.cross(x, v), axis=1)
    j_r = radial_action(potential, energy, ang)
    l2 = ang**2
    r_l, _, _ = _turning_points(potential, a, energy, l2)
    e_circ = a * potential.phi(r_l) + 0.5 * l2 / r_l**2
    phi0 = a * potential.central_potential()
    lo = e_circ
    hi = np.full_like(energy, phi0 * 1e-9)

    def excess(e_new: NDArray[np.float64]) -> NDArray[np.float64]:
        return radial_action(potential, e_new, ang, amplitude=a) - j_r

    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = excess(mid) <= 0
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)

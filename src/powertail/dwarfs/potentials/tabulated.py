r"""A spherical potential tabulated from any density profile :math:`\rho(r)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import cumulative_trapezoid

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.errors import InputError

__all__ = ["TabulatedPotential"]


@dataclass(frozen=True, eq=False)
class TabulatedPotential(SphericalPotential):
    r"""Spherical potential from a tabulated density; Φ is a cubic Hermite spline in ln r.

    From the density :math:`\rho_i` on log-spaced radii :math:`r_i`:

    .. math::

        M(r_i) = M_\mathrm{in} + \int_{r_0}^{r_i} 4\pi r^3 \rho\, d\ln r,\qquad
        \Phi(r_i) = -\frac{M(r_i)}{r_i} - \int_{r_i}^{\infty} 4\pi r \rho\, dr,

    with power-law extrapolation of :math:`\rho` inside :math:`r_0` and beyond :math:`r_N`.
    Between nodes :math:`\Phi` is the cubic Hermite interpolant in :math:`u = \ln r` with
    slopes :math:`d\Phi/du = M/r`, and the force and mass are *its* derivative
    (:math:`M = r\,d\Phi/du`), so integration conserves the energy of the interpolated
    potential. Inside :math:`r_0` the mass is continued as a uniform sphere, beyond
    :math:`r_N` as a point mass (Φ then tends to a small constant, the mass outside
    :math:`r_N`); choose the range to hold essentially all the mass that matters.

    Build it with :meth:`from_density` or :meth:`from_arrays`.

    Attributes
    ----------
    r : ndarray of shape (n,)
        Node radii (strictly increasing).
    phi_nodes, mass_nodes, density_nodes : ndarray of shape (n,)
    """

    r: NDArray[np.float64]
    phi_nodes: NDArray[np.float64]
    mass_nodes: NDArray[np.float64]
    density_nodes: NDArray[np.float64]

    @classmethod
    def from_arrays(cls, r: ArrayLike, density: ArrayLike) -> TabulatedPotential:
        """Tabulate from radii (log-spaced, increasing, > 0) and positive densities there.

        Raises
        ------
        InputError
            If the radii are not positive and increasing, the densities are not positive and
            finite, or the outer slope is not steeper than -2 (infinite potential).
        """
        rr = np.asarray(r, dtype=np.float64)
        rho = np.asarray(density, dtype=np.float64)
        if rr.ndim != 1 or rr.shape != rho.shape or rr.size < 16:
            raise InputError(
                f"r, density: expected two 1-D arrays of equal length >= 16, got shapes "
                f"{rr.shape} and {rho.shape}; tabulate on e.g. np.geomspace(1e-5, 1e4, 4000)"
            )
        if np.any(~np.isfinite(rr)) or rr[0] <= 0 or np.any(np.diff(rr) <= 0):
            raise InputError(
                "r: expected finite, positive, strictly increasing radii; sort them and drop r=0"
            )
        if np.any(~np.isfinite(rho)) or np.any(rho <= 0):
            raise InputError(
                "density: expected finite densities > 0 at every radius; got zeros, negatives or "
                "NaN; trim the grid to where the profile is positive"
            )
        u = np.log(rr)
        slope_in = (np.log(rho[1]) - np.log(rho[0])) / (u[1] - u[0])
        slope_out = (np.log(rho[-1]) - np.log(rho[-2])) / (u[-1] - u[-2])
        if slope_in <= -3.0:
            raise InputError(
                f"density: expected an inner slope > -3 (finite mass), got {slope_in:.3g}; "
                "start the grid at a smaller radius or use a shallower cusp"
            )
        if slope_out >= -2.0:
            raise InputError(
                f"density: expected an outer slope < -2 (finite potential), got {slope_out:.3g}; "
                "extend the grid or truncate the profile"
            )
        m_in = 4.0 * np.pi * rho[0] * rr[0] ** 3 / (3.0 + slope_in)
        mass = m_in + cumulative_trapezoid(4.0 * np.pi * rr**3 * rho, u, initial=0.0)
        outer_tail = 4.0 * np.pi * rho[-1] * rr[-1] ** 2 / (-(2.0 + slope_out))
        integrand = 4.0 * np.pi * rr**2 * rho  # r * rho * dr = r^2 rho du
        from_outside = cumulative_trapezoid(integrand[::-1], -u[::-1], initial=0.0)[::-1]
        phi = -mass / rr - from_outside - outer_tail
        return cls(r=rr, phi_nodes=phi, mass_nodes=mass, density_nodes=rho)

    @classmethod
    def from_density(
        cls,
        density: Callable[[NDArray[np.float64]], ArrayLike],
        *,
        rmin: float = 1e-5,
        rmax: float = 1e5,
        n: int = 4000,
    ) -> TabulatedPotential:
        """Tabulate ``density(r)`` (a vectorised callable) on ``n`` log-spaced radii.

        Raises
        ------
        InputError
            If ``density`` is not callable or does not return one positive value per radius.
        """
        if not callable(density):
            raise InputError(
                f"density: expected a callable rho(r), got {type(density).__name__}; pass a "
                "function of an array of radii"
            )
        if not (0 < rmin < rmax) or n < 16:
            raise InputError(
                f"rmin, rmax, n: expected 0 < rmin < rmax and n >= 16, got {rmin}, {rmax}, {n}"
            )
        rr = np.geomspace(rmin, rmax, int(n))
        values = np.asarray(density(rr), dtype=np.float64)
        if values.shape != rr.shape:
            raise InputError(
                f"density: expected one value per radius (shape {rr.shape}), got shape "
                f"{values.shape}; make the callable vectorised"
            )
        return cls.from_arrays(rr, values)

    # ---------------------------------------------------------------- Hermite spline in ln r
    def _hermite(self, r: Any, xp: ModuleType) -> tuple[Any, Any]:
        """Return (Φ, dΦ/d ln r) at radii ``r`` >= r_0 (clipped to the table)."""
        u_nodes = xp.asarray(np.log(self.r))
        phi = xp.asarray(self.phi_nodes)
        slope = xp.asarray(self.mass_nodes / self.r)
        u = xp.log(xp.clip(r, self.r[0], self.r[-1]))
        i = xp.clip(xp.searchsorted(u_nodes, u, side="right") - 1, 0, self.r.size - 2)
        h = u_nodes[i + 1] - u_nodes[i]
        t = (u - u_nodes[i]) / h
        t2, t3 = t * t, t * t * t
        h00, h10, h01, h11 = 2 * t3 - 3 * t2 + 1, t3 - 2 * t2 + t, -2 * t3 + 3 * t2, t3 - t2
        value = h00 * phi[i] + h10 * h * slope[i] + h01 * phi[i + 1] + h11 * h * slope[i + 1]
        d00, d10, d01, d11 = 6 * t2 - 6 * t, 3 * t2 - 4 * t + 1, -6 * t2 + 6 * t, 3 * t2 - 2 * t
        deriv = (d00 * phi[i] + d01 * phi[i + 1]) / h + d10 * slope[i] + d11 * slope[i + 1]
        return value, deriv

    def _phi(self, r: Any, xp: ModuleType) -> Any:
        r0, rn = float(self.r[0]), float(self.r[-1])
        m0, mn = float(self.mass_nodes[0]), float(self.mass_nodes[-1])
        inside = self.phi_nodes[0] - m0 / (2.0 * r0**3) * (r0 * r0 - r * r)
        safe = xp.where(r > rn, r, rn)
        outside = -mn / safe + (self.phi_nodes[-1] + mn / rn)
        value, _ = self._hermite(r, xp)
        return xp.where(r < r0, inside, xp.where(r > rn, outside, value))

    def _mass(self, r: Any, xp: ModuleType) -> Any:
        r0, rn = float(self.r[0]), float(self.r[-1])
        m0, mn = float(self.mass_nodes[0]), float(self.mass_nodes[-1])
        _, deriv = self._hermite(r, xp)
        return xp.where(r < r0, m0 * (r / r0) ** 3, xp.where(r > rn, mn, r * deriv))

    def _density(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        u = np.log(np.clip(r, self.r[0], self.r[-1]))
        m0, r0 = float(self.mass_nodes[0]), float(self.r[0])
        inside = 3.0 * m0 / (4.0 * np.pi * r0**3) * np.ones_like(r)  # the uniform continuation
        table = np.exp(np.interp(u, np.log(self.r), np.log(self.density_nodes)))
        return np.where(r < self.r[0], inside, np.where(r > self.r[-1], 0.0, table))

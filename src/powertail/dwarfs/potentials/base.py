r"""The vocabulary every spherical potential shares, and the one place that validates inputs.

A potential is a small immutable object. Subclasses write only the formulas, as private methods
of the radius that take the array module ``xp`` (``numpy`` for the public API, ``jax.numpy`` inside
the integrator), so one formula serves both:

=================  ===================================================================
``_phi(r, xp)``    :math:`\Phi(r)`, finite at :math:`r = 0`
``_mass(r, xp)``   :math:`M(<r) = r^2\, d\Phi/dr` (G = 1)
``_density(r)``    :math:`\rho(r)` (NumPy only)
=================  ===================================================================

The base class turns them into the public methods ``phi``, ``force``, ``density``, ``mass``,
``vcirc``, ``acceleration`` and ``central_potential``, with broadcasting and input checks.
Internally G = 1 (see the module :mod:`powertail.dwarfs.units` for physical units).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError

__all__ = ["SphericalPotential", "check_positive"]


def check_positive(value: object, *, name: str, owner: str, hint: str = "") -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise a one-line InputError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(
            f"{name} of {owner}: expected a positive number, got {type(value).__name__} "
            f"{value!r}{'; ' + hint if hint else ''}"
        )
    number = float(value)
    if not np.isfinite(number) or number <= 0:
        raise InputError(
            f"{name} of {owner}: expected a finite number > 0, got {number!r}"
            f"{'; ' + hint if hint else ''}"
        )
    return number


def _radii(r: ArrayLike) -> NDArray[np.float64]:
    rr = np.asarray(r, dtype=np.float64)
    if np.any(~np.isfinite(rr)) or np.any(rr < 0):
        bad = float(rr[~(np.isfinite(rr) & (rr >= 0))].ravel()[0])
        raise InputError(
            f"r: expected finite radii >= 0, got {bad!r}; pass distances from the centre "
            "(use np.linalg.norm of positions)"
        )
    return rr


class SphericalPotential:
    """Base class of spherical potentials (G = 1); subclasses are frozen dataclasses.

    Public methods take radii (``phi``, ``force``, ``density``, ``mass``, ``vcirc``) or Cartesian
    positions (``acceleration``, ``phi_xyz``) and broadcast over arrays.
    """

    # ----------------------------------------------------------------- formulas (subclasses)
    def _phi(self, r: Any, xp: ModuleType) -> Any:
        raise NotImplementedError

    def _mass(self, r: Any, xp: ModuleType) -> Any:
        raise NotImplementedError

    def _density(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    # ----------------------------------------------------------------- public vocabulary
    def phi(self, r: ArrayLike) -> NDArray[np.float64]:
        """Potential :math:`\\Phi(r)` at radii ``r`` (finite at ``r = 0``).

        Parameters
        ----------
        r : array_like
            Radii >= 0.

        Returns
        -------
        ndarray of the shape of ``r``
        """
        return np.asarray(self._phi(_radii(r), np), dtype=np.float64)

    def mass(self, r: ArrayLike) -> NDArray[np.float64]:
        """Enclosed mass :math:`M(<r)` (G = 1), equal to :math:`r^2 d\\Phi/dr`."""
        return np.asarray(self._mass(_radii(r), np), dtype=np.float64)

    def density(self, r: ArrayLike) -> NDArray[np.float64]:
        """Density :math:`\\rho(r)`; may be infinite at ``r = 0`` for cusps."""
        rr = _radii(r)
        with np.errstate(divide="ignore"):
            return np.asarray(self._density(rr), dtype=np.float64)

    def force(self, r: ArrayLike) -> NDArray[np.float64]:
        """Radial force per unit mass :math:`F_r = -d\\Phi/dr = -M(<r)/r^2` (0 at ``r = 0``
        unless the cusp makes it finite; then the limit's magnitude is returned with sign -)."""
        rr = _radii(r)
        safe = np.where(rr > 0, rr, 1.0)
        return np.where(rr > 0, -self._mass(safe, np) / safe**2, self._central_force())

    def vcirc(self, r: ArrayLike) -> NDArray[np.float64]:
        """Circular velocity :math:`v_c = \\sqrt{M(<r)/r}`."""
        rr = _radii(r)
        safe = np.where(rr > 0, rr, 1.0)
        return np.where(rr > 0, np.sqrt(self._mass(safe, np) / safe), 0.0)

    def central_potential(self) -> float:
        """:math:`\\Phi_0 = \\Phi(0)`, the bottom of the well (the unit of the energy ``e``)."""
        return float(self._phi(np.zeros(()), np))

    def _central_force(self) -> float:
        """Limit of :math:`-M/r^2` as :math:`r \\to 0` (0 unless the density has a 1/r cusp)."""
        return 0.0

    def acceleration(self, xyz: ArrayLike) -> NDArray[np.float64]:
        """Acceleration :math:`-\\nabla\\Phi` at positions ``xyz`` of shape ``(..., 3)``;
        exactly 0 at the origin (the direction of a cusp's finite force is undefined there)."""
        x = np.asarray(xyz, dtype=np.float64)
        if x.ndim == 0 or x.shape[-1] != 3:
            raise InputError(
                f"xyz: expected positions of shape (..., 3), got shape {x.shape}; stack x, y, z "
                "in the last axis"
            )
        return np.asarray(self.acceleration_xp(x, np))

    def phi_xyz(self, xyz: ArrayLike) -> NDArray[np.float64]:
        """Potential at positions ``xyz`` of shape ``(..., 3)``."""
        x = np.asarray(xyz, dtype=np.float64)
        return self.phi(np.sqrt(np.sum(x * x, axis=-1)))

    # ----------------------------------------------------------------- array-module kernels
    def acceleration_xp(self, x: Any, xp: ModuleType) -> Any:
        """:math:`-M(<r)\\,\\mathbf x/r^3` with the array module ``xp`` (NumPy or jax.numpy);
        used by the integrator. Positions have shape ``(..., 3)``."""
        r = xp.sqrt(xp.sum(x * x, axis=-1))
        positive = r > 0
        safe = xp.where(positive, r, 1.0)
        g = xp.where(positive, self._mass(safe, xp) / safe**3, 0.0)
        return -g[..., None] * x

    def phi_xp(self, x: Any, xp: ModuleType) -> Any:
        """:math:`\\Phi(|\\mathbf x|)` with the array module ``xp``; positions ``(..., 3)``."""
        return self._phi(xp.sqrt(xp.sum(x * x, axis=-1)), xp)

    # ----------------------------------------------------------------- radii from potential
    def radius_of_potential(self, level: float, *, rmax: float = 1e8) -> float:
        """Return the radius where :math:`\\Phi(r) =` ``level`` (for :math:`\\Phi_0 <` level < 0).

        Raises
        ------
        InputError
            If ``level`` is outside :math:`(\\Phi_0, \\Phi(r_{max}))`.
        """
        from scipy.optimize import brentq

        phi0 = self.central_potential()
        top = float(self.phi(rmax))
        if not phi0 < level < top:
            raise InputError(
                f"level: expected a potential value between Phi(0) = {phi0:.6g} and "
                f"Phi({rmax:g}) = {top:.6g}, got {level!r}; pick an energy inside the well"
            )
        lo, hi = 0.0, 1.0
        while float(self.phi(hi)) < level:
            lo, hi = hi, hi * 4.0
        return float(brentq(lambda r: float(self.phi(r)) - level, lo, hi, xtol=1e-15, rtol=1e-14))

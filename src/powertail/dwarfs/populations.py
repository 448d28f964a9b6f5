r"""Stellar populations: the exact mono-energetic isotropic sampler and ε-grid superpositions.

Stars are test particles, so any isotropic population is a weighted sum of mono-energetic
components (brief §1.3): sample a grid of ε once, evolve it once per protocol, and re-weight
afterwards with :func:`grid_weights` for any dN/de or [Fe/H](e).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.dwarfs.model import check_eps, energy_from_e, mono_energetic_radius
from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.errors import InputError

__all__ = [
    "Population",
    "grid_weights",
    "isotropic_unit_vectors",
    "sample_energy_grid",
    "sample_mono_energetic",
]

_CDF_NODES = 200_001
"""Grid nodes of the tabulated radial CDF (brief §1.3: at least 1e5)."""


@dataclass(frozen=True, eq=False)
class Population:
    """Phase-space sample of a stellar population (G = 1 units).

    Attributes
    ----------
    positions, velocities : ndarray of shape (n, 3)
    e_initial : ndarray of shape (n,)
        Binding energy :math:`e = 1 - E/\\Phi_0` of each star at sampling.
    component : ndarray of shape (n,), int
        Index of the mono-energetic component (into ``eps``).
    eps : ndarray of shape (n_components,)
        The components' nominal ε.
    """

    positions: NDArray[np.float64]
    velocities: NDArray[np.float64]
    e_initial: NDArray[np.float64]
    component: NDArray[np.int64]
    eps: NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of stars."""
        return int(self.positions.shape[0])


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 1:
        raise InputError(f"n: expected a positive number of stars, got {n!r}; e.g. n=10000")
    return int(n)


def isotropic_unit_vectors(n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """``n`` unit vectors uniform on the sphere (cos θ uniform in [-1, 1], φ in [0, 2π))."""
    cos_t = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)


def _radial_inverse_cdf(
    potential: SphericalPotential, energy: float, r_e: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    # r = r_E (1 - (1 - u)^2): dr/du vanishes at the edge like sqrt(E - Phi), so the integrand
    # r^2 sqrt(E - Phi) dr/du is smooth in u and the trapezoid rule converges fast.
    u = np.linspace(0.0, 1.0, _CDF_NODES)
    r = r_e * (1.0 - (1.0 - u) ** 2)
    r[-1] = r_e
    phi = potential.phi(r)
    drops = np.diff(phi) < -1e-12 * abs(float(phi[0]))
    if np.any(drops):
        at = float(r[1:][drops][0])
        raise InputError(
            f"potential: expected Phi(r) increasing outwards (a non-negative density), got a "
            f"decrease near r = {at:.6g}; fix the potential's density (it must be >= 0)"
        )
    integrand = r**2 * np.sqrt(np.clip(energy - phi, 0.0, None)) * 2.0 * (1.0 - u)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]))])
    return cdf / cdf[-1], r


def sample_mono_energetic(
    potential: SphericalPotential,
    eps: float,
    n: int,
    *,
    seed: int | np.random.SeedSequence,
    width: float = 0.0,
) -> Population:
    r"""Sample an isotropic mono-energetic population exactly (brief §1.3).

    Radii follow :math:`P(r) \propto r^2 \sqrt{E_0 - \Phi(r)}` on :math:`[0, r_E]` (inverse CDF
    on a :math:`2\times10^5`-node grid); speeds are :math:`v = \sqrt{2(E_0 - \Phi(r))}` so
    every star has :math:`E = E_0` to round-off; position and velocity directions are
    isotropic and independent. With ``width > 0`` the energies fill a top-hat
    :math:`e \in [\varepsilon - w/2, \varepsilon + w/2]` with the isotropic DF constant on it
    (what an energy-selected N-body shell gives), sampled exactly by rejection: propose
    :math:`r` from the profile at the top of the shell and :math:`E` uniform, accept with
    probability :math:`\sqrt{(E - \Phi)/(E_\mathrm{top} - \Phi)}`.

    Parameters
    ----------
    potential : SphericalPotential
    eps : float
        :math:`\varepsilon \in (0, 1)`.
    n : int
        Number of stars.
    seed : int or SeedSequence
        Random seed (e.g. :func:`powertail.runs.unit_seed`).
    width : float, default 0
        Full width of the energy shell in units of e.

    Returns
    -------
    Population
    """
    e = check_eps(eps)
    n = _check_n(n)
    if not 0.0 <= width < 2.0 * min(e, 1.0 - e):
        raise InputError(
            f"width: expected 0 <= width < 2 min(eps, 1 - eps) = {2 * min(e, 1 - e):.4g}, got "
            f"{width!r}; the shell must stay inside the well"
        )
    rng = np.random.default_rng(seed)
    phi0 = potential.central_potential()
    e_top = e + 0.5 * width
    energy_top = float(energy_from_e(e_top, phi0))
    r_top = mono_energetic_radius(potential, e_top)
    cdf, r_grid = _radial_inverse_cdf(potential, energy_top, r_top)
    radii = np.empty(0)
    energies = np.empty(0)
    while radii.size < n:
        m = n - radii.size if width == 0.0 else 2 * (n - radii.size) + 16
        r = np.interp(rng.random(m), cdf, r_grid)
        if width == 0.0:
            energy = np.full(m, energy_top)
        else:
            energy = energy_from_e(rng.uniform(e - 0.5 * width, e_top, m), phi0)
            depth = np.clip(energy - potential.phi(r), 0.0, None)
            keep = rng.random(m) ** 2 * (energy_top - potential.phi(r)) < depth
            r, energy = r[keep], energy[keep]
        radii = np.concatenate([radii, r])
        energies = np.concatenate([energies, energy])
    radii, energies = radii[:n], energies[:n]
    speed = np.sqrt(np.clip(2.0 * (energies - potential.phi(radii)), 0.0, None))
    positions = radii[:, None] * isotropic_unit_vectors(n, rng)
    velocities = speed[:, None] * isotropic_unit_vectors(n, rng)
    e_initial = 1.0 - (0.5 * speed**2 + potential.phi(radii)) / phi0
    return Population(
        positions=positions,
        velocities=velocities,
        e_initial=e_initial,
        component=np.zeros(n, dtype=np.int64),
        eps=np.array([e]),
    )


def sample_energy_grid(
    potential: SphericalPotential,
    eps: Sequence[float] | ArrayLike,
    n_per_component: int,
    *,
    seed: int,
    width: float = 0.0,
) -> Population:
    """Sample one mono-energetic component per ε of a grid (``n_per_component`` stars each),
    each from its own seed stream, and concatenate them (``component`` indexes ``eps``)."""
    grid = np.atleast_1d(np.asarray(eps, dtype=np.float64))
    if grid.ndim != 1 or grid.size == 0:
        raise InputError(f"eps: expected a non-empty 1-D grid of energies, got {eps!r}")
    streams = np.random.SeedSequence(seed).spawn(grid.size)
    parts = [
        sample_mono_energetic(potential, float(x), n_per_component, seed=s, width=width)
        for x, s in zip(grid, streams, strict=True)
    ]
    return Population(
        positions=np.concatenate([p.positions for p in parts]),
        velocities=np.concatenate([p.velocities for p in parts]),
        e_initial=np.concatenate([p.e_initial for p in parts]),
        component=np.concatenate([np.full(p.n, k, dtype=np.int64) for k, p in enumerate(parts)]),
        eps=grid,
    )


def grid_weights(
    population: Population, dnde: Callable[[NDArray[np.float64]], ArrayLike]
) -> NDArray[np.float64]:
    r"""Per-star weights that turn an ε-grid population into the isotropic population with
    energy distribution ``dnde(e)`` (brief §1.3):

    .. math::  w_i = \frac{dN/de(\varepsilon_k)\,\Delta\varepsilon_k}{N_k},
        \quad k = \text{component of star } i,

    with :math:`\Delta\varepsilon_k` the trapezoid widths of the grid; weights sum to 1.
    """
    grid = population.eps
    values = np.asarray(dnde(grid), dtype=np.float64)
    if values.shape != grid.shape or np.any(~np.isfinite(values)) or np.any(values < 0):
        raise InputError(
            "dnde: expected a vectorised callable returning finite values >= 0 at every grid "
            f"energy, got {values!r}"
        )
    if grid.size == 1:
        delta = np.ones(1)
    else:
        edges = np.concatenate([[grid[0]], 0.5 * (grid[1:] + grid[:-1]), [grid[-1]]])
        delta = np.diff(edges)
    per_component = values * delta
    if per_component.sum() <= 0:
        raise InputError("dnde: expected a positive total weight on the grid, got 0")
    counts = np.bincount(population.component, minlength=grid.size).astype(np.float64)
    w = per_component[population.component] / counts[population.component]
    return w / w.sum()

"""Impulsive vs adiabatic mixing of mono-energetic stellar populations in dSph halos.

Reproduces Errani, Walker, Rozier, Peñarrubia & Navarro (2025, arXiv:2502.19475) from the brief
``papers/dwarf-spheroidal-mixing.md``. Internally G = 1 (NFW units: 4πρ_s r_s³ = r_s = 1).

Rooms: ``potentials/`` (halos and their time dependence), ``model.py`` (energy variable and the
mono-energetic profile), ``populations.py`` (samplers), ``integrate.py`` (the JAX engine),
``observables.py``, ``predictions.py`` (closed forms), ``simulation.py`` (one experiment),
``experiments.py`` (the reproduction), ``plots.py`` and ``cli.py``.
"""

from powertail.dwarfs.integrate import METHODS, EnergyDiagnostics, Orbits, integrate
from powertail.dwarfs.model import (
    density_of_states,
    e_from_energy,
    energy_from_e,
    errani22_dnde,
    mono_energetic_density,
    mono_energetic_radius,
)
from powertail.dwarfs.observables import (
    anisotropy_profile,
    errani18_mass,
    half_light_radius,
    log_slope_profile,
    metallicity_gradient,
    oscillation,
    projected_half_light_radius,
    sigma_los,
    snapshot_summary,
    virial_ratio,
    wolf_mass,
)
from powertail.dwarfs.populations import (
    Population,
    grid_weights,
    sample_energy_grid,
    sample_mono_energetic,
)
from powertail.dwarfs.potentials import (
    NFW,
    Bursts,
    Constant,
    CoredNFW,
    CustomHistory,
    Dehnen,
    Impulsive,
    LinearRamp,
    Plummer,
    SmoothRamp,
    SphericalPotential,
    TabulatedPotential,
    TimeDependentPotential,
)
from powertail.dwarfs.predictions import (
    adiabatic_energies,
    adiabatic_powerlaw_scaling,
    breathing_period,
    impulsive_energy_map,
    impulsive_energy_quantiles,
    impulsive_unbound_fraction,
    powerlaw_virial_ratios,
    radial_action,
)
from powertail.dwarfs.simulation import Simulation, SimulationConfig, simulate

__all__ = [
    "METHODS",
    "NFW",
    "Bursts",
    "Constant",
    "CoredNFW",
    "CustomHistory",
    "Dehnen",
    "EnergyDiagnostics",
    "Impulsive",
    "LinearRamp",
    "Orbits",
    "Plummer",
    "Population",
    "Simulation",
    "SimulationConfig",
    "SmoothRamp",
    "SphericalPotential",
    "TabulatedPotential",
    "TimeDependentPotential",
    "adiabatic_energies",
    "adiabatic_powerlaw_scaling",
    "anisotropy_profile",
    "breathing_period",
    "density_of_states",
    "e_from_energy",
    "energy_from_e",
    "errani18_mass",
    "errani22_dnde",
    "grid_weights",
    "half_light_radius",
    "impulsive_energy_map",
    "impulsive_energy_quantiles",
    "impulsive_unbound_fraction",
    "integrate",
    "log_slope_profile",
    "metallicity_gradient",
    "mono_energetic_density",
    "mono_energetic_radius",
    "oscillation",
    "powerlaw_virial_ratios",
    "projected_half_light_radius",
    "radial_action",
    "sample_energy_grid",
    "sample_mono_energetic",
    "sigma_los",
    "simulate",
    "snapshot_summary",
    "virial_ratio",
    "wolf_mass",
]

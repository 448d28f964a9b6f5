r"""One controlled experiment: sample a population, change the halo, integrate, measure.

:func:`simulate` is the library function behind ``powertail dwarfs simulate`` and behind every
ensemble member of the reproduction (one :class:`~powertail.runs.Unit` each, through
:func:`simulation_unit`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from powertail.dwarfs.integrate import METHODS, EnergyDiagnostics, Method, integrate
from powertail.dwarfs.model import check_eps
from powertail.dwarfs.observables import metallicity_gradient, snapshot_summary
from powertail.dwarfs.populations import Population, sample_energy_grid
from powertail.dwarfs.potentials import (
    NFW,
    PROTOCOL_NAMES,
    CoredNFW,
    Dehnen,
    Plummer,
    SphericalPotential,
    TimeDependentPotential,
    make_protocol,
)
from powertail.dwarfs.predictions import radial_action
from powertail.errors import InputError

__all__ = ["HALOS", "Simulation", "SimulationConfig", "make_halo", "simulate", "simulation_unit"]

HALOS: dict[str, Callable[[], SphericalPotential]] = {
    "nfw": NFW,  # brief §1.1 units: 4 pi rho_s r_s^3 = r_s = 1, Phi0 = -1
    "cored-nfw": lambda: CoredNFW(r_c=0.25),
    "plummer": Plummer,  # brief §2.4.4: G = M = a = 1, omega = 1
    "hernquist": lambda: Dehnen(gamma=1.0),
}
"""Halos selectable by name (dimensionless units of the brief)."""


def make_halo(name: str) -> SphericalPotential:
    """Return the halo called ``name`` (see :data:`HALOS`)."""
    if name not in HALOS:
        raise InputError(
            f"halo: expected one of {', '.join(HALOS)}, got {name!r}; build other potentials "
            "in Python and call integrate() directly"
        )
    return HALOS[name]()


@dataclass(frozen=True)
class SimulationConfig:
    """Configuration of one experiment (all times in the halo's units).

    Attributes
    ----------
    halo : str
        Name in :data:`HALOS`.
    eps : tuple of float
        Binding energies of the mono-energetic components.
    amplitude : float
        Final amplitude A (< 1 removes mass, > 1 adds it).
    protocol : str
        ``constant``, ``impulsive``, ``linear`` or ``smooth`` (see
        :func:`~powertail.dwarfs.potentials.make_protocol`); the change starts at t = 0.
    t_change : float
        Duration of a ramp (ignored for ``impulsive``/``constant``).
    t_end : float
        Length of the run.
    dt : float
        Step.
    snapshot_every : float
        Time between snapshots (rounded to whole steps).
    n_per_component : int
        Stars per component.
    method : str
        ``leapfrog``, ``yoshida4`` or ``block``.
    """

    halo: str
    eps: tuple[float, ...]
    amplitude: float
    protocol: str
    t_change: float
    t_end: float
    dt: float
    snapshot_every: float
    n_per_component: int
    method: Method = "leapfrog"

    def __post_init__(self) -> None:
        make_halo(self.halo)
        object.__setattr__(self, "eps", tuple(check_eps(e) for e in self.eps))
        if not self.eps:
            raise InputError("eps: expected at least one binding energy, got none; e.g. (0.2,)")
        if self.protocol not in PROTOCOL_NAMES:
            raise InputError(
                f"protocol: expected one of {', '.join(PROTOCOL_NAMES)}, got {self.protocol!r}"
            )
        for name in ("amplitude", "t_end", "dt", "snapshot_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InputError(f"{name}: expected a number > 0, got {value!r}")
        if self.protocol in ("linear", "smooth") and not self.t_change > 0:
            raise InputError(
                f"t_change: expected a ramp duration > 0 for protocol {self.protocol!r}, got "
                f"{self.t_change!r}"
            )
        if self.method not in METHODS:
            raise InputError(f"method: expected one of {', '.join(METHODS)}, got {self.method!r}")
        if self.n_per_component < 2:
            raise InputError(f"n_per_component: expected >= 2 stars, got {self.n_per_component}")

    @property
    def steps(self) -> tuple[int, int]:
        """``(n_steps, save_every)`` from ``t_end``, ``dt`` and ``snapshot_every``."""
        every = max(1, round(self.snapshot_every / self.dt))
        blocks = max(1, math.ceil(self.t_end / (every * self.dt)))
        return blocks * every, every

    def potential(self) -> TimeDependentPotential:
        """The time-dependent halo of this experiment."""
        history = make_protocol(self.protocol, final=self.amplitude, duration=self.t_change, t0=0.0)
        return TimeDependentPotential(make_halo(self.halo), amplitude=history)


@dataclass(frozen=True, eq=False)
class Simulation:
    """Result of :func:`simulate`.

    Attributes
    ----------
    config : SimulationConfig
    population : Population
        The initial conditions.
    series : DataFrame
        One row per (snapshot, component) and per snapshot for ``component = -1`` (all stars):
        ``t, component, amplitude, r_h, R_e, sigma_los, sigma_3d, virial_ratio, wolf_ratio,
        errani18_ratio``, plus ``beta`` (global anisotropy), ``J_r`` (median radial action of
        up to :data:`ACTION_STARS` stars, on at most :data:`ACTION_SNAPSHOTS` snapshots, NaN on
        the others) and ``de_dR`` (projected gradient of the *initial* binding energy per
        R_e; any linear [Fe/H](e) = a + b e has gradient b·de_dR; all-stars rows only).
    final_positions, final_velocities : ndarray of shape (n, 3)
    e_final : ndarray of shape (n,)
        Binding energy in the final well (> 1: unbound).
    diagnostics : EnergyDiagnostics
    """

    config: SimulationConfig
    population: Population
    series: pd.DataFrame
    final_positions: np.ndarray
    final_velocities: np.ndarray
    e_final: np.ndarray
    diagnostics: EnergyDiagnostics


ACTION_STARS = 128
"""Stars per group whose radial actions are tracked in the time series."""
ACTION_SNAPSHOTS = 250
"""At most this many snapshots get the (quadrature) radial-action column."""


def _global_beta(x: np.ndarray, v: np.ndarray) -> float:
    r"""Anisotropy of all stars together,
    :math:`\beta = 1 - \langle v_t^2\rangle/(2\langle v_r^2\rangle)`."""
    r = np.linalg.norm(x, axis=1)
    vr = np.sum(x * v, axis=1) / np.where(r > 0, r, 1.0)
    vt2 = np.clip(np.sum(v * v, axis=1) - vr**2, 0.0, None)
    return float(1.0 - vt2.mean() / (2.0 * np.mean(vr**2)))


def _median_action(
    halo: SphericalPotential, x: np.ndarray, v: np.ndarray, amplitude: float
) -> float:
    xs, vs = x[:ACTION_STARS], v[:ACTION_STARS]
    energy = 0.5 * np.sum(vs * vs, axis=1) + amplitude * halo.phi(np.linalg.norm(xs, axis=1))
    ang = np.linalg.norm(np.cross(xs, vs), axis=1)
    return float(np.median(radial_action(halo, energy, ang, amplitude=amplitude)))


def simulate(config: SimulationConfig, *, seed: int) -> Simulation:
    """Run one experiment: sample the ε components, integrate them through the protocol and
    measure every snapshot (r_h, R_e, σ_los, virial ratio, mass-estimator ratios).

    Parameters
    ----------
    config : SimulationConfig
    seed : int
        Seed of the population (each component gets its own stream).

    Returns
    -------
    Simulation
    """
    halo = make_halo(config.halo)
    population = sample_energy_grid(halo, config.eps, config.n_per_component, seed=seed)
    tdp = config.potential()
    n_steps, every = config.steps
    orbits = integrate(
        tdp,
        population.positions,
        population.velocities,
        dt=config.dt,
        n_steps=n_steps,
        save_every=every,
        method=config.method,
    )
    positions, velocities = orbits.positions, orbits.velocities
    if positions is None or velocities is None:  # pragma: no cover - store="snapshots" above
        raise InputError("integrate: expected stored snapshots, got none")
    rows = []
    groups = [(-1, np.ones(population.n, dtype=bool))] + [
        (k, population.component == k) for k in range(len(config.eps))
    ]
    amplitudes = tdp.amplitude.value(orbits.times)
    action_stride = max(1, math.ceil(orbits.times.size / ACTION_SNAPSHOTS))
    for i, t in enumerate(orbits.times):
        for k, mask in groups:
            if k == -1 and len(config.eps) == 1:
                continue
            bound = mask & (orbits.energy[i] < 0)
            if bound.sum() < 2:
                continue
            s = snapshot_summary(
                positions[i, bound],
                velocities[i, bound],
                halo,
                amplitude=float(amplitudes[i]),
            )
            xb, vb = positions[i, bound], velocities[i, bound]
            rows.append(
                {
                    "t": float(t),
                    "component": k,
                    "amplitude": float(amplitudes[i]),
                    **asdict(s),
                    "beta": _global_beta(xb, vb),
                    "J_r": _median_action(halo, xb, vb, float(amplitudes[i]))
                    if i % action_stride == 0
                    else float("nan"),
                    "de_dR": metallicity_gradient(xb, population.e_initial[bound])
                    if k == -1
                    else float("nan"),
                }
            )
    e_final = orbits.e()[-1]
    return Simulation(
        config=config,
        population=population,
        series=pd.DataFrame(rows),
        final_positions=orbits.final_positions,
        final_velocities=orbits.final_velocities,
        e_final=e_final,
        diagnostics=orbits.diagnostics,
    )


def simulation_unit(**kwargs: object) -> dict[str, object]:
    """Executor unit: :func:`simulate` with ``SimulationConfig`` fields and ``seed`` as keyword
    arguments; returns JSON scalars, arrays and the time series (no pickles)."""
    seed = int(kwargs.pop("seed"))  # type: ignore[call-overload]
    eps = tuple(kwargs.pop("eps"))  # type: ignore[call-overload]
    config = SimulationConfig(eps=eps, **kwargs)  # type: ignore[arg-type]
    sim = simulate(config, seed=seed)
    d = sim.diagnostics
    return {
        "series": sim.series,
        "positions_initial": sim.population.positions,
        "velocities_initial": sim.population.velocities,
        "positions_final": sim.final_positions,
        "velocities_final": sim.final_velocities,
        "e_initial": sim.population.e_initial,
        "e_final": sim.e_final,
        "component": sim.population.component,
        "energy_error_median": d.median,
        "energy_error_max": d.max,
        "energy_reference_time": d.reference_time,
    }

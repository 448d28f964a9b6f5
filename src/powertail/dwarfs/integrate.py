r"""The engine: vectorised symplectic integration of test particles in Φ(r, t), in JAX.

Integrators (argument ``method``):

==============  =============================================  =====  ==================
name            scheme                                         order  forces per step
==============  =============================================  =====  ==================
``leapfrog``    kick-drift-kick (velocity Verlet)              2      1 (cached)
``yoshida4``    Yoshida (1990) triple composition of KDK       4      3
``block``       KDK with time-symmetric block steps dt/2^k     2      1 per sub-step
==============  =============================================  =====  ==================

Both run as one ``jax.jit``-compiled ``lax.scan`` over steps (float64, CPU or GPU), over
chunks of particles so that memory stays bounded. A time-dependent amplitude enters each kick
at the kick's own time; a *jump* of A(t) or S(t) is applied exactly between two steps: the last
kick of the step ending at the jump uses the value before it, the first kick of the next step
the value after it. ``integrate`` refuses a ``dt`` that does not put every jump on a step
boundary. Every run returns the energies of all particles at every snapshot and an
energy-error diagnostic over the part of the run where the potential is static.
``block`` (module :mod:`~powertail.dwarfs.blocksteps`) refines the step of near-radial,
cusp-crossing orbits by powers of two, chosen time-symmetrically per base step.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.dwarfs.potentials.evolving import TimeDependentPotential
from powertail.errors import InputError, PowertailError

__all__ = [
    "BLOCK_ETA",
    "BLOCK_MAX_LEVEL",
    "METHODS",
    "EnergyDiagnostics",
    "Orbits",
    "integrate",
    "time_dependent",
]

Method = Literal["leapfrog", "yoshida4", "block"]

_CBRT2 = 2.0 ** (1.0 / 3.0)
_W1 = 1.0 / (2.0 - _CBRT2)  # Yoshida (1990) eq. (4.14): w1 = 1 / (2 - 2^(1/3))
_W0 = -_CBRT2 / (2.0 - _CBRT2)  # w0 = -2^(1/3) / (2 - 2^(1/3)); 2 w1 + w0 = 1

METHODS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # name: (kick coefficients k_0..k_m, drift coefficients d_1..d_m), in units of dt
    "leapfrog": ((0.5, 0.5), (1.0,)),
    "yoshida4": ((_W1 / 2, (_W1 + _W0) / 2, (_W0 + _W1) / 2, _W1 / 2), (_W1, _W0, _W1)),
    "block": ((0.5, 0.5), (1.0,)),  # KDK on every sub-step (blocksteps.py)
}
"""Symplectic schemes as alternating kick and drift coefficients (see the module table)."""

BLOCK_ETA = 0.006
"""Default accuracy parameter of ``block``: sub-step <= eta * min(sqrt(r/|a|), r/|v|)."""
BLOCK_MAX_LEVEL = 5
"""Default finest ``block`` sub-step: dt / 2^5."""


@dataclass(frozen=True)
class EnergyDiagnostics:
    """Energy conservation while the potential is static (from ``reference_time`` on).

    ``median`` and ``max`` are over stars of :math:`\\max_t |E_i(t) - E_i(t_\\mathrm{ref})|
    / (E_i(t_\\mathrm{ref}) - \\Phi_0)`, the error in units of each star's depth in the
    final well (the brief's §2.4.6 convention); NaN when no static snapshot pair exists.
    """

    reference_time: float
    median: float
    max: float
    n_snapshots: int


@dataclass(frozen=True, eq=False)
class Orbits:
    """Result of :func:`integrate`.

    Attributes
    ----------
    times : ndarray of shape (n_snap,)
    positions, velocities : ndarray of shape (n_snap, n, 3) or None
        ``None`` when only the final state was kept (``store="final"``): then see
        ``final_positions``/``final_velocities``.
    final_positions, final_velocities : ndarray of shape (n, 3)
    energy : ndarray of shape (n_snap, n)
        Energy of every particle at every snapshot (after any jump at that time).
    central_potential : ndarray of shape (n_snap,)
        :math:`\\Phi_0(t)` at the snapshots (the unit of ``e``).
    potential : TimeDependentPotential
    method : str
    dt : float
    diagnostics : EnergyDiagnostics
    """

    times: NDArray[np.float64]
    positions: NDArray[np.float64] | None
    velocities: NDArray[np.float64] | None
    final_positions: NDArray[np.float64]
    final_velocities: NDArray[np.float64]
    energy: NDArray[np.float64]
    central_potential: NDArray[np.float64]
    potential: TimeDependentPotential
    method: str
    dt: float
    diagnostics: EnergyDiagnostics
    substeps_per_step: float = 1.0
    """Mean number of force-evaluating sub-steps per star and base step (1 unless ``block``)."""

    def e(self) -> NDArray[np.float64]:
        """Binding energy :math:`e = 1 - E/\\Phi_0(t)` of every particle at every snapshot."""
        return 1.0 - self.energy / self.central_potential[:, None]


def time_dependent(
    potential: SphericalPotential | TimeDependentPotential,
) -> TimeDependentPotential:
    """Wrap a static potential (A = S = 1); pass a TimeDependentPotential through."""
    if isinstance(potential, TimeDependentPotential):
        return potential
    if isinstance(potential, SphericalPotential):
        return TimeDependentPotential(potential)
    raise InputError(
        f"potential: expected a SphericalPotential or TimeDependentPotential, got "
        f"{type(potential).__name__}; e.g. NFW() or TimeDependentPotential(NFW(), Impulsive(0.5))"
    )


def _phase_space(values: ArrayLike, *, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0:
        raise InputError(
            f"{name}: expected an array of shape (n, 3) with n >= 1, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: expected finite values, got NaN or infinity")
    return arr


def _kick_inputs(
    tdp: TimeDependentPotential, t0: float, dt: float, n_steps: int, method: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A(t), S(t) at every kick of every step, shape (n_steps, n_kicks).

    Kicks happen at the times the drifts have reached; a scheme with a negative drift
    (``yoshida4``) kicks slightly outside ``[t_n, t_{n+1}]``. A history is evaluated there by its
    continuation from inside the step: across a jump on the step's boundary the boundary's
    one-sided value is used, so a jump acts exactly between two steps.
    """
    _, drifts = METHODS[method]
    offsets = np.concatenate([[0.0], np.cumsum(drifts)])
    start = t0 + dt * np.arange(n_steps, dtype=np.float64)
    end = t0 + dt * np.arange(1, n_steps + 1, dtype=np.float64)
    times = start[:, None] + dt * offsets[None, :]
    times[:, 0], times[:, -1] = start, end
    out = []
    for history in (tdp.amplitude, tdp.scale):
        values = history.value(times)
        values[:, -1] = history.value_before(end)
        for jump in history.jumps:
            before = (times < start[:, None]) & (jump > times) & (jump <= start[:, None])
            after = (times > end[:, None]) & (jump <= times) & (jump >= end[:, None])
            values = np.where(before, history.value(start)[:, None], values)
            values = np.where(after, history.value_before(end)[:, None], values)
        out.append(values)
    return out[0], out[1]


def _check_jumps(tdp: TimeDependentPotential, t0: float, dt: float, n_steps: int) -> None:
    for jump in tdp.jumps:
        k = (jump - t0) / dt
        if t0 < jump < t0 + n_steps * dt and abs(k - round(k)) > 1e-9 * max(1.0, abs(k)):
            raise InputError(
                f"dt: expected a step that puts the jump at t = {jump:g} on a step boundary "
                f"(t0 + k dt), got dt = {dt:g} (k = {k:.6g}); choose dt = {jump - t0:g} / "
                f"{max(1, math.ceil(k))} or similar"
            )


def integrate(
    potential: SphericalPotential | TimeDependentPotential,
    positions: ArrayLike,
    velocities: ArrayLike,
    *,
    dt: float,
    n_steps: int,
    save_every: int | None = None,
    t0: float = 0.0,
    method: Method = "leapfrog",
    chunk_size: int | None = None,
    store: Literal["snapshots", "final"] = "snapshots",
    eta: float = BLOCK_ETA,
    max_level: int = BLOCK_MAX_LEVEL,
) -> Orbits:
    """Integrate test particles in a (time-dependent) spherical potential.

    Parameters
    ----------
    potential : SphericalPotential or TimeDependentPotential
    positions, velocities : array_like of shape (n, 3)
        Initial phase-space coordinates at ``t0``.
    dt : float
        Step (> 0). Jumps of A(t), S(t) must fall on step boundaries.
    n_steps : int
        Number of steps.
    save_every : int, optional
        Steps between snapshots; must divide ``n_steps``. Default: only the start and the end.
    t0 : float, default 0
        Start time.
    method : {"leapfrog", "yoshida4", "block"}
        Integrator; see the module table.
    chunk_size : int, optional
        Particles integrated at once (bounds memory; all chunks share one compilation).
        Default 32768, and 64 for ``block`` (whose chunks are groups of similar angular
        momentum that share a level per base step).
    store : {"snapshots", "final"}
        Keep positions and velocities at every snapshot, or only at the end (energies are
        always kept at every snapshot).
    eta : float, default 0.006
        ``block`` only: accuracy parameter, sub-step <= eta * min(sqrt(r/|a|), r/|v|).
    max_level : int, default 5
        ``block`` only: finest sub-step dt / 2^max_level.

    Returns
    -------
    Orbits

    Raises
    ------
    InputError
        On bad shapes, steps, methods or a ``dt`` that misses a jump.
    PowertailError
        If the integration produced NaN or infinity (with the remedy).
    """
    tdp = time_dependent(potential)
    x0 = _phase_space(positions, name="positions")
    v0 = _phase_space(velocities, name="velocities")
    if x0.shape != v0.shape:
        raise InputError(
            f"positions, velocities: expected equal shapes, got {x0.shape} and {v0.shape}"
        )
    if method not in METHODS:
        raise InputError(
            f"method: expected one of {', '.join(METHODS)}, got {method!r}; 'leapfrog' is the "
            "default"
        )
    if isinstance(dt, bool) or not isinstance(dt, int | float) or not math.isfinite(dt) or dt <= 0:
        raise InputError(f"dt: expected a finite step > 0, got {dt!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise InputError(f"n_steps: expected an int >= 1, got {n_steps!r}")
    every = n_steps if save_every is None else save_every
    if isinstance(every, bool) or not isinstance(every, int) or every < 1 or n_steps % every:
        raise InputError(
            f"save_every: expected a positive divisor of n_steps = {n_steps}, got {save_every!r}"
        )
    if store not in ("snapshots", "final"):
        raise InputError(f"store: expected 'snapshots' or 'final', got {store!r}")
    if chunk_size is None:
        chunk_size = 64 if method == "block" else 32768
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"chunk_size: expected an int >= 1, got {chunk_size!r}")
    if isinstance(eta, bool) or not isinstance(eta, int | float) or not 0 < eta < math.inf:
        raise InputError(f"eta: expected a finite accuracy parameter > 0, got {eta!r}")
    if isinstance(max_level, bool) or not isinstance(max_level, int) or not 0 <= max_level <= 12:
        raise InputError(f"max_level: expected an int in [0, 12], got {max_level!r}")
    _check_jumps(tdp, float(t0), float(dt), n_steps)
    if method == "block":
        return _integrate_block(
            tdp,
            x0,
            v0,
            dt=float(dt),
            n_steps=n_steps,
            every=every,
            t0=float(t0),
            chunk_size=chunk_size,
            store=store,
            eta=float(eta),
            max_level=max_level,
        )

    n_blocks = n_steps // every
    amp, scl = _kick_inputs(tdp, float(t0), float(dt), n_steps, method)
    snap_times = t0 + dt * every * np.arange(n_blocks + 1, dtype=np.float64)
    snap_amp = tdp.amplitude.value(snap_times)
    snap_scl = tdp.scale.value(snap_times)
    kick_inputs = np.stack([amp, scl], axis=1).reshape(n_blocks, every, 2, -1)
    runner = _compile(tdp.potential, method, tdp.has_scale, store == "snapshots")

    n = x0.shape[0]
    size = min(chunk_size, n)
    xs, vs, es, xf, vf = [], [], [], [], []
    for start in range(0, n, size):
        stop = min(start + size, n)
        xc = np.zeros((size, 3))
        vc = np.zeros((size, 3))
        xc[: stop - start], vc[: stop - start] = x0[start:stop], v0[start:stop]
        out = runner(xc, vc, kick_inputs, snap_amp, snap_scl, float(dt))
        x_last, v_last, e_all, x_all, v_all = (np.asarray(o) for o in out)
        es.append(e_all[:, : stop - start])
        xf.append(x_last[: stop - start])
        vf.append(v_last[: stop - start])
        if store == "snapshots":
            xs.append(x_all[:, : stop - start])
            vs.append(v_all[:, : stop - start])
    energy = np.concatenate(es, axis=1)
    final_x, final_v = np.concatenate(xf), np.concatenate(vf)
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(final_x))):
        raise PowertailError(
            f"integrate: expected finite orbits, got NaN or infinity with dt = {dt:g} and "
            f"method {method!r}; reduce dt (about 1000 steps per radial period near a cusp)"
        )
    phi0 = tdp.potential.central_potential() * snap_amp / snap_scl
    return Orbits(
        times=snap_times,
        positions=np.concatenate(xs, axis=1) if xs else None,
        velocities=np.concatenate(vs, axis=1) if vs else None,
        final_positions=final_x,
        final_velocities=final_v,
        energy=energy,
        central_potential=phi0,
        potential=tdp,
        method=method,
        dt=float(dt),
        diagnostics=_energy_diagnostics(snap_times, energy, phi0, tdp.settled),
    )


def _integrate_block(
    tdp: TimeDependentPotential,
    x0: NDArray[np.float64],
    v0: NDArray[np.float64],
    *,
    dt: float,
    n_steps: int,
    every: int,
    t0: float,
    chunk_size: int,
    store: str,
    eta: float,
    max_level: int,
) -> Orbits:
    """``method="block"``: stars sorted by L, chunked, each chunk on its own block levels."""
    from powertail.dwarfs.blocksteps import (
        block_tick_inputs,
        compile_block,
        sort_by_angular_momentum,
    )

    n_blocks = n_steps // every
    amp, scl = block_tick_inputs(tdp, t0, dt, n_steps, max_level)
    kick_inputs = np.stack([amp, scl], axis=1).reshape(n_blocks, every, 2, -1)
    snap_times = t0 + dt * every * np.arange(n_blocks + 1, dtype=np.float64)
    snap_amp = tdp.amplitude.value(snap_times)
    snap_scl = tdp.scale.value(snap_times)
    runner = compile_block(tdp.potential, tdp.has_scale, store == "snapshots", max_level, eta)
    order = sort_by_angular_momentum(x0, v0)
    xo, vo = x0[order], v0[order]
    n = xo.shape[0]
    size = min(chunk_size, n)
    xs, vs, es, xf, vf = [], [], [], [], []
    substeps = 0.0
    for start in range(0, n, size):
        stop = min(start + size, n)
        # pad with copies of the last star (a star at r = 0 would ask for the finest level)
        pad = np.r_[np.arange(start, stop), np.full(size - (stop - start), stop - 1)]
        out = runner(xo[pad], vo[pad], kick_inputs, snap_amp, snap_scl, dt)
        x_last, v_last, e_all, x_all, v_all, cost = (np.asarray(o) for o in out)
        m = stop - start
        es.append(e_all[:, :m])
        xf.append(x_last[:m])
        vf.append(v_last[:m])
        substeps += float(np.sum(cost)) * m
        if store == "snapshots":
            xs.append(x_all[:, :m])
            vs.append(v_all[:, :m])
    back = np.argsort(order)
    energy = np.concatenate(es, axis=1)[:, back]
    final_x, final_v = np.concatenate(xf)[back], np.concatenate(vf)[back]
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(final_x))):
        raise PowertailError(
            f"integrate: expected finite orbits, got NaN or infinity with dt = {dt:g} and "
            f"method 'block'; reduce dt or eta, or raise max_level"
        )
    phi0 = tdp.potential.central_potential() * snap_amp / snap_scl
    return Orbits(
        times=snap_times,
        positions=np.concatenate(xs, axis=1)[:, back] if xs else None,
        velocities=np.concatenate(vs, axis=1)[:, back] if vs else None,
        final_positions=final_x,
        final_velocities=final_v,
        energy=energy,
        central_potential=phi0,
        potential=tdp,
        method="block",
        dt=dt,
        diagnostics=_energy_diagnostics(snap_times, energy, phi0, tdp.settled),
        substeps_per_step=substeps / (n * n_steps),
    )


def _energy_diagnostics(
    times: NDArray[np.float64],
    energy: NDArray[np.float64],
    phi0: NDArray[np.float64],
    settled: float,
) -> EnergyDiagnostics:
    static = np.flatnonzero(times >= settled)
    if static.size < 2:
        return EnergyDiagnostics(float("nan"), float("nan"), float("nan"), int(static.size))
    ref = static[0]
    depth = energy[ref] - phi0[ref]
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.max(np.abs(energy[static] - energy[ref]), axis=0) / np.where(
            depth > 0, depth, np.nan
        )
    err = err[np.isfinite(err)]
    if err.size == 0:
        return EnergyDiagnostics(float(times[ref]), float("nan"), float("nan"), int(static.size))
    return EnergyDiagnostics(
        reference_time=float(times[ref]),
        median=float(np.median(err)),
        max=float(np.max(err)),
        n_snapshots=int(static.size),
    )


@functools.lru_cache(maxsize=16)
def _compile(base: SphericalPotential, method: str, has_scale: bool, keep_snapshots: bool):
    """Build the jitted ``run(x, v, kick_inputs, snap_amp, snap_scl, dt)`` for one potential.

    Cached (at most 16 entries) per (potential, method, scale, storage), so repeated calls on
    the same halo reuse JAX's compiled executables instead of tracing a new closure each time.
    """
    from powertail.jaxconfig import jax_with_x64

    jax = jax_with_x64()
    jnp = jax.numpy
    kicks, drifts = METHODS[method]
    m = len(drifts)

    def accel0(x):
        return base.acceleration_xp(x, jnp)

    def step(carry, inputs):
        x, v, cache, dt = carry
        amp, scl = inputs[0], inputs[1]
        for j in range(m + 1):
            if has_scale:
                acc = (amp[j] / scl[j] ** 2) * accel0(x / scl[j])
            else:
                acc = amp[j] * cache
            v = v + (kicks[j] * dt) * acc
            if j < m:
                x = x + (drifts[j] * dt) * v
                if not has_scale:
                    cache = accel0(x)
        return (x, v, cache, dt), None

    def energy(x, v, amp, scl):
        return 0.5 * jnp.sum(v * v, axis=-1) + (amp / scl) * base.phi_xp(x / scl, jnp)

    def block(carry, inputs):
        kick_block, a_snap, s_snap = inputs
        carry, _ = jax.lax.scan(step, carry, kick_block)
        x, v, _, _ = carry
        e = energy(x, v, a_snap, s_snap)
        return carry, ((e, x, v) if keep_snapshots else (e,))

    @jax.jit
    def run(x, v, kick_inputs, snap_amp, snap_scl, dt):
        cache = accel0(x)
        e0 = energy(x, v, snap_amp[0], snap_scl[0])
        (x_end, v_end, _, _), outs = jax.lax.scan(
            block, (x, v, cache, dt), (kick_inputs, snap_amp[1:], snap_scl[1:])
        )
        e_all = jnp.concatenate([e0[None], outs[0]], axis=0)
        if keep_snapshots:
            x_all = jnp.concatenate([x[None], outs[1]], axis=0)
            v_all = jnp.concatenate([v[None], outs[2]], axis=0)
        else:
            x_all = v_all = jnp.zeros((0,))
        return x_end, v_end, e_all, x_all, v_all

    return run

r"""Exact event-driven Monte Carlo of the sheared tagged particle (brief section 2).

A batch of particles advances in lockstep rounds; in each round every particle still running
draws its next collision time exactly (:mod:`powertail.shear.flights`), records the requested
output times that fall inside the flight by the exact free-flight map
:math:`\Phi_s w = (w_1 - K w_2 s, w_2, w_3)`, then moves to the collision and scatters
(:mod:`powertail.shear.jumps`). There is no time step. States are ``np.longdouble`` by default
(``precision="double"``: float64, faster, for runs that cannot overflow) and outputs are stored
as :math:`(\ln|w_i|, \mathrm{sign}\,w_i)`, so :math:`|w_1|` may exceed the float64 range.

Each particle draws from its own counter-based stream keyed by ``(seed, global index)``
(:mod:`powertail.shear.streams`): a particle's path is the same whatever batch it is simulated in,
so results do not depend on how particles are split into units or on the number of workers.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError, PowertailError
from powertail.shear.flights import delta_next_collision, thinned_next_collision
from powertail.shear.jumps import scatter
from powertail.shear.model import ShearModel
from powertail.shear.streams import ParticleStreams

__all__ = [
    "ABSORB_BELOW",
    "ShearSimulation",
    "batch_sizes",
    "check_times",
    "combine",
    "simulate",
    "simulate_unit",
]


ABSORB_BELOW = 1.0e-8
r"""δ-model only: a particle whose speed falls below this is counted as absorbed at 0 (the
δ-model's small-speed artefact, brief 1.4) and leaves the simulation; its later outputs are NaN."""

MAX_COLLISIONS = 1_000_000
"""A particle that collides this often is stopped and counted as absorbed (a safety net)."""

InitialCondition = Literal["thermal"]
Precision = Literal["extended", "double"]
Engine = Literal["compiled", "numpy"]
ENGINES: tuple[str, ...] = ("compiled", "numpy")
_OVERFLOW = (
    "precision: the velocity overflowed float64 (|w| > 1.8e308) in a precision='double' run; "
    "rerun with precision='extended'"
)
PRECISIONS: tuple[str, ...] = ("extended", "double")


@dataclass(frozen=True)
class ShearSimulation:
    r"""Velocities of simulated particles at the requested times.

    Attributes
    ----------
    model : ShearModel
    times : ndarray of float64, shape (m,)
    particle : ndarray of int64, shape (n,)
        Global particle indices (their streams).
    log_abs : ndarray of float64, shape (n, m, 3)
        :math:`\ln|w_i(t_k)|` (``-inf`` for an exact zero, NaN after absorption).
    sign : ndarray of int8, shape (n, m, 3)
        :math:`\mathrm{sign}\,w_i(t_k)`.
    n_collisions : ndarray of int64, shape (n, m)
        Collisions up to :math:`t_k`.
    absorbed : ndarray of bool, shape (n,)
        δ-model particles that collapsed to 0 (see :data:`ABSORB_BELOW`).
    events : pandas.DataFrame or None
        One row per collision when requested: ``particle``, ``index`` (1, 2, ...), ``log_t``,
        ``log_speed_pre`` (:math:`\ln|w|` before), ``log_abs_w1_pre``, ``log_abs_w{1,2,3}_post``,
        ``sign_w{1,2,3}_post``.
    diagnostics : dict
        ``collisions``, ``proposals`` (thinning candidates), ``rounds``.
    """

    model: ShearModel
    times: NDArray[np.float64]
    particle: NDArray[np.int64]
    log_abs: NDArray[np.float64]
    sign: NDArray[np.int8]
    n_collisions: NDArray[np.int64]
    absorbed: NDArray[np.bool_]
    events: pd.DataFrame | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def velocity(self) -> NDArray[np.float64]:
        """:math:`w(t_k)` as float64 (``inf`` where it overflows); shape (n, m, 3)."""
        with np.errstate(over="ignore"):
            return self.sign * np.exp(self.log_abs)


def check_times(times: ArrayLike) -> NDArray[np.float64]:
    """Validate output times: a non-empty, finite, positive, strictly increasing 1-d sequence."""
    try:
        t = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"times: expected a sequence of numbers, got {times!r}; pass e.g. [1, 2, 4]"
        ) from None
    if t.ndim != 1 or t.size == 0:
        raise InputError(
            f"times: expected a non-empty 1-d sequence, got shape {t.shape}; pass e.g. [1, 2, 4]"
        )
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise InputError(
            f"times: expected finite times > 0, got {t.tolist()[:6]}; the process starts at t = 0"
        )
    if np.any(np.diff(t) <= 0):
        i = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise InputError(
            f"times: expected strictly increasing times, got t[{i}] = {t[i]} >= t[{i + 1}] = "
            f"{t[i + 1]}; sort them and drop repeats"
        )
    return t


def _initial_state(
    model: ShearModel,
    initial: InitialCondition | ArrayLike,
    n: int,
    streams: ParticleStreams,
    dtype: type,
) -> NDArray:
    if isinstance(initial, str):
        if initial != "thermal":
            raise InputError(
                f"initial: expected 'thermal' or a velocity (3,) / array (n, 3), got {initial!r}"
            )
        return (np.sqrt(model.temperature) * streams.normals(np.arange(n), 3)).astype(dtype)
    w0 = np.asarray(initial, dtype=dtype)
    if w0.shape == (3,):
        w0 = np.broadcast_to(w0, (n, 3)).copy()
    if w0.shape != (n, 3) or not np.all(np.isfinite(w0)):
        raise InputError(
            f"initial: expected 'thermal', a finite velocity of shape (3,) or an array of shape "
            f"({n}, 3), got shape {w0.shape}; pass one velocity per particle"
        )
    return w0


def simulate(
    model: ShearModel,
    *,
    times: ArrayLike,
    n_particles: int,
    seed: int,
    first_particle: int = 0,
    initial: InitialCondition | ArrayLike = "thermal",
    record_collisions: bool = False,
    precision: Precision = "extended",
    engine: Engine = "compiled",
) -> ShearSimulation:
    r"""Simulate ``n_particles`` tagged particles exactly and record them at ``times``.

    Parameters
    ----------
    model : ShearModel
    times : array_like of shape (m,)
        Strictly increasing output times :math:`> 0`; the run ends at ``times[-1]``.
    n_particles : int
        Particles in this batch.
    seed : int
        Root seed of the streams (shared by all batches of one experiment).
    first_particle : int, default 0
        Global index of the first particle: batches ``[0, n)`` and ``[n, 2n)`` together give the
        same paths as one batch ``[0, 2n)``.
    initial : "thermal" or array_like of shape (3,) or (n, 3), default "thermal"
        Initial velocities; ``"thermal"`` draws :math:`w_0 \sim M_T` from each particle's stream.
    record_collisions : bool, default False
        Also return one row per collision (:attr:`ShearSimulation.events`).
    precision : {"extended", "double"}, default "extended"
        State arithmetic: ``"extended"`` is ``np.longdouble`` (x86: range up to about
        :math:`e^{11356}`, needed in the runaway regimes where :math:`|w_1|` passes the float64
        range); ``"double"`` is float64, about twice as fast, for runs whose speeds stay below
        :math:`e^{709}` (γ ≥ 0 below :math:`K_c`, BGK, short runs). Used by the NumPy engine
        only: the compiled engine is always overflow-safe.
    engine : {"compiled", "numpy"}, default "compiled"
        ``"compiled"``: one Numba loop per particle (:mod:`powertail.shear.compiled`), float64
        mantissas with a shared power-of-two exponent (no overflow, any speed);
        ``"numpy"``: the lockstep NumPy reference engine. Same algorithm and same random
        numbers: with ``precision="double"`` the two follow the same paths for the same seed,
        up to last-bit rounding.

    Returns
    -------
    ShearSimulation

    Raises
    ------
    InputError
        On invalid times, sizes, seeds or initial velocities.
    PowertailError
        If a ``precision="double"`` run overflows float64 (rerun with ``"extended"``).
    """
    if not isinstance(model, ShearModel):
        raise InputError(f"model: expected a ShearModel, got {type(model).__name__}")
    t_obs = check_times(times)
    if precision not in PRECISIONS:
        raise InputError(
            f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}; "
            "'extended' (longdouble) is the overflow-safe default"
        )
    if engine not in ENGINES:
        raise InputError(
            f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}; 'compiled' is the "
            "fast default, 'numpy' the reference"
        )
    dt = np.longdouble if precision == "extended" else np.float64
    for name, value, low in (
        ("n_particles", n_particles, 1),
        ("seed", seed, 0),
        ("first_particle", first_particle, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(f"{name}: expected an int >= {low}, got {value!r}")
    if first_particle + n_particles > 2**32:
        raise InputError(
            f"first_particle + n_particles: expected at most 2**32 particles, got "
            f"{first_particle + n_particles}; use another seed for more particles"
        )
    n, m = int(n_particles), t_obs.size
    streams = ParticleStreams(int(seed), np.arange(first_particle, first_particle + n))
    if engine == "compiled":
        return _simulate_compiled(model, t_obs, streams, initial, record_collisions)
    w = _initial_state(model, initial, n, streams, dt)
    t = np.zeros(n, dtype=dt)
    t_end = dt(t_obs[-1])
    t_obs_ld = t_obs.astype(dt)
    kptr = np.zeros(n, dtype=np.int64)
    log_abs = np.full((n, m, 3), np.nan)
    sign = np.zeros((n, m, 3), dtype=np.int8)
    n_coll = np.zeros(n, dtype=np.int64)
    n_coll_at = np.zeros((n, m), dtype=np.int64)
    absorbed = np.zeros(n, dtype=bool)
    events: list[dict[str, NDArray]] = []
    proposals = rounds = 0
    K = model.shear
    active = np.arange(n)
    constant_rate = model.background == "bgk" or model.gamma == 0.0
    # float64 runs may overflow: silence the warnings here and fail loudly below instead
    guard = (
        np.errstate(over="ignore", invalid="ignore")
        if dt is np.float64
        else contextlib.nullcontext()
    )
    with guard:
        while active.size:
            rounds += 1
            wa = w[active]
            horizon = t_end - t[active]
            if constant_rate:
                s = (streams.exponentials(active) / model.c0).astype(dt)
            elif model.background == "delta":
                s = delta_next_collision(model, wa, streams.exponentials(active))
            else:
                s, p = thinned_next_collision(model, wa, horizon, streams, active)
                proposals += p
            t_next = t[active] + s
            # exact flight interpolation at the output times inside (t, t_next]
            while True:
                k = kptr[active]
                pending = k < m
                kk = np.minimum(k, m - 1)
                hit = pending & (t_obs_ld[kk] <= t_next)
                if not hit.any():
                    break
                rows, kh = active[hit], kk[hit]
                ws = w[rows].copy()
                ws[:, 0] = ws[:, 0] - K * ws[:, 1] * (t_obs_ld[kh] - t[rows])
                with np.errstate(divide="ignore"):
                    log_abs[rows, kh] = np.asarray(np.log(np.abs(ws)), dtype=np.float64)
                sign[rows, kh] = np.sign(ws).astype(np.int8)
                n_coll_at[rows, kh] = n_coll[rows]
                kptr[rows] += 1
            going = t_next <= t_end
            rows, s_go = active[going], s[going]
            if rows.size == 0:
                break
            w_flight = w[rows].copy()
            w_flight[:, 0] = w_flight[:, 0] - K * w_flight[:, 1] * s_go
            t[rows] = t_next[going]
            w_new = scatter(model, w_flight, streams, rows)
            w[rows] = w_new
            n_coll[rows] += 1
            if record_collisions:
                with np.errstate(divide="ignore"):
                    post = np.asarray(np.log(np.abs(w_new)), dtype=np.float64)
                    events.append(
                        {
                            "particle": streams.particle[rows],
                            "index": n_coll[rows].copy(),
                            "log_t": np.asarray(np.log(t[rows]), dtype=np.float64),
                            "log_speed_pre": np.asarray(
                                0.5 * np.log(np.sum(w_flight**2, axis=1)), dtype=np.float64
                            ),
                            "log_abs_w1_pre": np.asarray(
                                np.log(np.abs(w_flight[:, 0])), np.float64
                            ),
                            "log_abs_w1_post": post[:, 0],
                            "log_abs_w2_post": post[:, 1],
                            "log_abs_w3_post": post[:, 2],
                            "sign_w1_post": np.sign(w_new[:, 0]).astype(np.int8),
                            "sign_w2_post": np.sign(w_new[:, 1]).astype(np.int8),
                            "sign_w3_post": np.sign(w_new[:, 2]).astype(np.int8),
                        }
                    )
            stop = n_coll[rows] >= MAX_COLLISIONS
            if model.background == "delta":
                stop |= np.sqrt(np.sum(w_new**2, axis=1)) < ABSORB_BELOW
            absorbed[rows[stop]] = True
            active = rows[~stop]
            if dt is np.float64 and not np.all(np.isfinite(w_new)):
                raise PowertailError(_OVERFLOW)
    if dt is np.float64:
        kept = log_abs[~absorbed]
        if np.any(np.isnan(kept) | (kept == np.inf)):
            raise PowertailError(_OVERFLOW)
    n_coll_at[absorbed] = np.where(np.isnan(log_abs[absorbed, :, 0]), -1, n_coll_at[absorbed])
    table = None
    if record_collisions:
        table = (
            pd.DataFrame({k: np.concatenate([e[k] for e in events]) for k in events[0]})
            if events
            else pd.DataFrame(
                {
                    "particle": np.zeros(0, np.int64),
                    "index": np.zeros(0, np.int64),
                    "log_t": np.zeros(0),
                }
            )
        )
    return ShearSimulation(
        model=model,
        times=t_obs,
        particle=streams.particle.copy(),
        log_abs=log_abs,
        sign=sign,
        n_collisions=n_coll_at,
        absorbed=absorbed,
        events=table,
        diagnostics={
            "collisions": int(n_coll.sum()),
            "proposals": int(proposals),
            "rounds": int(rounds),
        },
    )


def _simulate_compiled(
    model: ShearModel,
    t_obs: NDArray[np.float64],
    streams: ParticleStreams,
    initial: InitialCondition | ArrayLike,
    record_collisions: bool,
) -> ShearSimulation:
    """:func:`simulate` with the compiled engine (same outputs, see :mod:`.compiled`)."""
    from powertail.shear.compiled import (
        key_schedule,
        model_constants,
        run_particles,
        special_addresses,
    )

    n = streams.particle.size
    thermal = isinstance(initial, str)
    if thermal:
        if initial != "thermal":
            raise InputError(
                f"initial: expected 'thermal' or a velocity (3,) / array (n, 3), got {initial!r}"
            )
        w0 = np.zeros((1, 3))  # unused: the engine draws w0 ~ M_T from each particle's stream
    else:
        w0 = np.ascontiguousarray(_initial_state(model, initial, n, streams, np.float64))
    params, pc, table, step = model_constants(model)
    args = (params, pc, table, step, special_addresses(), key_schedule(streams.key))
    args += (streams.particle, w0, thermal, t_obs)
    projected = (
        model.background == "maxwellian"
        and model.gamma <= 0.0
        and model.scattering == "uniform-omega"
    )
    if projected and not record_collisions:  # the same paths by a specialised loop, 2x faster
        from powertail.shear.compiled_projected import run_projected

        log_abs, sign, n_coll_at, absorbed, n_coll, proposals = run_projected(*args, MAX_COLLISIONS)
        ev_f, ev_i = np.empty((0, 6)), np.empty((0, 5), dtype=np.int64)
    else:
        log_abs, sign, n_coll_at, absorbed, n_coll, proposals, ev_f, ev_i = run_particles(
            *args, record_collisions, MAX_COLLISIONS, ABSORB_BELOW
        )
    n_coll_at[absorbed] = np.where(np.isnan(log_abs[absorbed, :, 0]), -1, n_coll_at[absorbed])
    table_out = None
    if record_collisions:
        table_out = pd.DataFrame(
            {
                "particle": ev_i[:, 0],
                "index": ev_i[:, 1],
                "log_t": ev_f[:, 0],
                "log_speed_pre": ev_f[:, 1],
                "log_abs_w1_pre": ev_f[:, 2],
                "log_abs_w1_post": ev_f[:, 3],
                "log_abs_w2_post": ev_f[:, 4],
                "log_abs_w3_post": ev_f[:, 5],
                "sign_w1_post": ev_i[:, 2].astype(np.int8),
                "sign_w2_post": ev_i[:, 3].astype(np.int8),
                "sign_w3_post": ev_i[:, 4].astype(np.int8),
            }
        )
        # the NumPy engine's order: by collision index (its rounds), then by particle
        table_out = table_out.sort_values(["index", "particle"], kind="stable", ignore_index=True)
    return ShearSimulation(
        model=model,
        times=t_obs,
        particle=streams.particle.copy(),
        log_abs=log_abs,
        sign=sign,
        n_collisions=n_coll_at,
        absorbed=absorbed,
        events=table_out,
        diagnostics={
            "collisions": int(n_coll.sum()),
            "proposals": int(proposals.sum()),
            "rounds": int(n_coll.max()) + 1 if n else 0,
        },
    )


def simulate_unit(
    *,
    model: dict[str, Any],
    times: list[float],
    n_particles: int,
    first_particle: int,
    seed: int,
    initial: str | list[float] = "thermal",
    record_collisions: bool = False,
    precision: Precision = "extended",
    engine: Engine = "compiled",
) -> dict[str, Any]:
    """One unit of work (a batch of particles) for :func:`powertail.runs.run_units`.

    Takes and returns plain data (JSON scalars, arrays, a DataFrame) so that the result is saved
    without pickle; :func:`combine` rebuilds a :class:`ShearSimulation` from units.
    """
    sim = simulate(
        ShearModel(**model),
        times=times,
        n_particles=n_particles,
        seed=seed,
        first_particle=first_particle,
        initial=initial,
        record_collisions=record_collisions,
        precision=precision,
        engine=engine,
    )
    out: dict[str, Any] = {
        "particle": sim.particle,
        "log_abs": sim.log_abs,
        "sign": sim.sign,
        "n_collisions": sim.n_collisions,
        "absorbed": sim.absorbed,
        **sim.diagnostics,
    }
    if sim.events is not None:
        out["events"] = sim.events
    return out


def combine(model: ShearModel, times: ArrayLike, results: list[dict[str, Any]]) -> ShearSimulation:
    """Concatenate unit results (from :func:`simulate_unit`) into one :class:`ShearSimulation`."""
    if not results:
        raise InputError("results: expected at least one unit result, got none")
    events = [r["events"] for r in results if "events" in r]
    return ShearSimulation(
        model=model,
        times=check_times(times),
        particle=np.concatenate([r["particle"] for r in results]),
        log_abs=np.concatenate([r["log_abs"] for r in results]),
        sign=np.concatenate([r["sign"] for r in results]),
        n_collisions=np.concatenate([r["n_collisions"] for r in results]),
        absorbed=np.concatenate([r["absorbed"] for r in results]),
        events=pd.concat(events, ignore_index=True) if events else None,
        diagnostics={
            k: int(sum(int(r[k]) for r in results)) for k in ("collisions", "proposals", "rounds")
        },
    )


def batch_sizes(n_particles: int, batch: int) -> list[tuple[int, int]]:
    """Split ``n_particles`` into ``(first_particle, size)`` batches of at most ``batch``."""
    if n_particles < 1 or batch < 1:
        raise InputError(
            f"n_particles and batch: expected ints >= 1, got {n_particles} and {batch}"
        )
    return [(i, min(batch, n_particles - i)) for i in range(0, n_particles, batch)]

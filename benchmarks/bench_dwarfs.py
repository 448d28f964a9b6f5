"""Benchmark: powertail.dwarfs.integrate against galpy 1.12.1 and gala 1.11.0 on one NFW problem.

Run from the repository root in the dwarfs anchor environment (galpy, gala and powertail
editable; build it with ``bash benchmarks/anchors/make_env.sh dwarfs``), pinned to one core:

    OMP_NUM_THREADS=1 taskset -c 0 .anchors/dwarfs/bin/python benchmarks/bench_dwarfs.py
    OMP_NUM_THREADS=1 taskset -c 0 .anchors/dwarfs/bin/python benchmarks/bench_dwarfs.py \\
        --n 10000 --anchor-n 2000 --steps 500                      # a quick look

The problem (brief §2.4 units, G = 1, NFW with 4 pi rho_s r_s^3 = r_s = 1): a mono-energetic
eps = 0.2 population, ``--steps`` steps of dt = T/1000 (T = 6.7, the orbital time at r_h),
under three protocols of the amplitude A(t): ``static`` (A = 1), ``impulsive`` (A jumps to 0.5
at t = 0) and ``adiabatic`` (A falls linearly from 1 to 0.5 over the run). Every integrator runs
in this process, one thread (XLA single-threaded, galpy ``numcores=1``, the process pinned by
``taskset``), on the same initial conditions. For each row: particle-steps per second, and the
median / max energy error in units of E0 - Phi0 (brief §2.4.6). For static and impulsive runs
the error is |E_end - E_start| in the final potential; for the adiabatic run, where E is not
conserved, it is |E_end - E_ref| against a reference run (powertail ``yoshida4`` at dt/8).
The ratio column is our KDK leapfrog's throughput over the row's.

Anchors: galpy ``leapfrog_c`` / ``symplec4_c`` with ``TimeDependentAmplitudeWrapperPotential``
(its A(t) is a Python callable, called back from C at every force evaluation) and gala
``LeapfrogIntegrator`` with ``TimeInterpolatedPotential`` (GSL interpolation of the NFW mass
between time knots; linear knots, so the ramp and the jump are exact). The anchors run on
``--anchor-n`` stars (throughput is per particle-step, linear in N); galpy with a time-dependent
wrapper on ``--galpy-td-n`` (its Python callback makes it ~100x slower), and our block steps on
``--block-n``.
"""

from __future__ import annotations

import os

# one thread for XLA before JAX is imported (taskset pins the process to one core as well)
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

from powertail.dwarfs import (
    NFW,
    Impulsive,
    LinearRamp,
    TimeDependentPotential,
    integrate,
    sample_mono_energetic,
)

T_RADIAL = 6.7
DT = T_RADIAL / 1000
FINAL = 0.5
PROTOCOLS = ("static", "impulsive", "adiabatic")


def amplitude_history(protocol: str, steps: int):
    """The protocol's A(t) as a powertail history (None: static)."""
    return {
        "static": None,
        "impulsive": Impulsive(FINAL, t0=0.0),
        "adiabatic": LinearRamp(FINAL, duration=steps * DT),
    }[protocol]


def final_amplitude(protocol: str) -> float:
    return 1.0 if protocol == "static" else FINAL


def energies(x: np.ndarray, v: np.ndarray, amplitude: float) -> np.ndarray:
    return 0.5 * np.sum(v * v, axis=1) + amplitude * NFW().phi(np.linalg.norm(x, axis=1))


def errors(e_end: np.ndarray, e_ref: np.ndarray, amplitude: float) -> tuple[float, float]:
    err = np.abs(e_end - e_ref) / (e_ref + amplitude)  # units of E - Phi0, Phi0 = -A
    return float(np.median(err)), float(np.max(err))


def run_powertail(x, v, steps: int, protocol: str, method: str, **kw):
    h = amplitude_history(protocol, steps)
    pot = NFW() if h is None else TimeDependentPotential(NFW(), amplitude=h)
    integrate(pot, x, v, dt=DT, n_steps=steps, method=method, store="final", **kw)  # compile
    t0 = time.perf_counter()
    o = integrate(pot, x, v, dt=DT, n_steps=steps, method=method, store="final", **kw)
    return time.perf_counter() - t0, o.final_positions, o.final_velocities, o.substeps_per_step


def reference(x, v, steps: int, protocol: str):
    h = amplitude_history(protocol, steps)
    pot = NFW() if h is None else TimeDependentPotential(NFW(), amplitude=h)
    o = integrate(pot, x, v, dt=DT / 8, n_steps=8 * steps, method="yoshida4", store="final")
    return o.final_positions, o.final_velocities


def run_galpy(x, v, steps: int, protocol: str, method: str):
    from galpy.orbit import Orbit
    from galpy.potential import NFWPotential, TimeDependentAmplitudeWrapperPotential

    base = NFWPotential(amp=1.0, a=1.0)  # Phi = -amp ln(1 + r/a)/r: amp = 4 pi rho_s r_s^3
    h = amplitude_history(protocol, steps)
    pot = (
        base
        if h is None
        else TimeDependentAmplitudeWrapperPotential(pot=base, A=lambda t: float(h.value(t)))
    )
    big_r = np.hypot(x[:, 0], x[:, 1])
    phi = np.arctan2(x[:, 1], x[:, 0])
    v_r = (x[:, 0] * v[:, 0] + x[:, 1] * v[:, 1]) / big_r
    v_t = (x[:, 0] * v[:, 1] - x[:, 1] * v[:, 0]) / big_r
    orbits = Orbit(np.stack([big_r, v_r, v_t, x[:, 2], v[:, 2], phi], axis=1))
    ts = np.array([0.0, steps * DT])
    t0 = time.perf_counter()
    orbits.integrate(ts, pot, method=method, dt=DT, numcores=1)
    seconds = time.perf_counter() - t0
    t_end = ts[-1]
    xe = np.stack([orbits.x(t_end), orbits.y(t_end), orbits.z(t_end)], axis=1)
    ve = np.stack([orbits.vx(t_end), orbits.vy(t_end), orbits.vz(t_end)], axis=1)
    return seconds, xe, ve


def run_gala(x, v, steps: int, protocol: str):
    import gala.dynamics as gd
    import gala.integrate as gi
    import gala.potential as gp
    from gala.units import DimensionlessUnitSystem

    units = DimensionlessUnitSystem()
    if protocol == "static":
        pot = gp.NFWPotential(m=1.0, r_s=1.0, units=units)
    else:
        if protocol == "impulsive":  # A = 0.5 from t = 0 on: a constant table
            knots, masses = np.array([0.0, (steps + 1) * DT]), np.array([FINAL, FINAL])
        else:  # linear from 1 at t = 0 to 0.5 at the end
            knots = np.array([0.0, steps * DT, (steps + 1) * DT])
            masses = np.array([1.0, FINAL, FINAL])
        pot = gp.TimeInterpolatedPotential(
            gp.NFWPotential, knots, m=masses, r_s=1.0, units=units, interpolation_method="linear"
        )
    w0 = gd.PhaseSpacePosition(pos=x.T, vel=v.T)
    t0 = time.perf_counter()
    orbit = gp.Hamiltonian(pot).integrate_orbit(
        w0, dt=DT, n_steps=steps, Integrator=gi.LeapfrogIntegrator, save_all=False
    )
    seconds = time.perf_counter() - t0
    xe = np.asarray(orbit.xyz.value).reshape(3, -1).T
    ve = np.asarray(orbit.v_xyz.value).reshape(3, -1).T
    return seconds, xe, ve


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="stars for powertail")
    parser.add_argument("--anchor-n", type=int, default=10_000, help="stars for gala/galpy")
    parser.add_argument("--galpy-td-n", type=int, default=1_000, help="galpy with A(t)")
    parser.add_argument("--block-n", type=int, default=10_000, help="powertail block steps")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None, help="also write the table (CSV)")
    args = parser.parse_args()
    pop = sample_mono_energetic(NFW(), 0.2, args.n, seed=0)
    x, v = pop.positions, pop.velocities
    m = min(args.anchor_n, args.n)
    m_td = min(args.galpy_td_n, args.n)
    print(
        f"# {platform.platform()}  python {platform.python_version()}  N={args.n} "
        f"anchor N={m} (galpy A(t) N={m_td}) steps={args.steps} dt={DT:.5g} "
        f"affinity={sorted(os.sched_getaffinity(0))} XLA_FLAGS={os.environ['XLA_FLAGS']!r}"
    )
    header = (
        f"{'protocol':10s} {'integrator':24s} {'N':>7s} {'steps/s':>10s} {'med dE':>9s} "
        f"{'max dE':>9s} {'ours/row':>8s}"
    )
    print(header)
    rows = []
    for protocol in PROTOCOLS:
        amp = final_amplitude(protocol)
        # errors on the first m stars (the anchors' sample; powertail's first m are the same)
        if protocol == "adiabatic":
            e_ref = energies(*reference(x[:m], v[:m], args.steps, protocol), amp)
        else:
            e_ref = energies(x[:m], v[:m], amp)

        def error(xe, ve, e_ref=e_ref, amp=amp):
            k = min(len(xe), len(e_ref))
            return errors(energies(xe[:k], ve[:k], amp), e_ref[:k], amp)

        table = {}
        for method in ("leapfrog", "yoshida4", "block"):
            n = args.n if method != "block" else min(args.block_n, args.n)
            s, xe, ve, sub = run_powertail(x[:n], v[:n], args.steps, protocol, method)
            name = f"powertail {method}" + (f" ({sub:.1f} sub/step)" if method == "block" else "")
            table[name] = (n, n * args.steps / s, *error(xe, ve))
        for method in ("leapfrog_c", "symplec4_c"):
            try:
                n = m if protocol == "static" else m_td
                s, xe, ve = run_galpy(x[:n], v[:n], args.steps, protocol, method)
                table[f"galpy {method}"] = (n, n * args.steps / s, *error(xe, ve))
            except ImportError:
                print("# galpy is not installed: run in .anchors/dwarfs", file=sys.stderr)
        try:
            s, xe, ve = run_gala(x[:m], v[:m], args.steps, protocol)
            table["gala leapfrog"] = (m, m * args.steps / s, *error(xe, ve))
        except ImportError:
            print("# gala is not installed: run in .anchors/dwarfs", file=sys.stderr)
        ours = table["powertail leapfrog"][1]
        for name, (n, rate, med, mx) in table.items():
            ratio = ours / rate
            print(
                f"{protocol:10s} {name:24s} {n:7d} {rate:10.3g} {med:9.2g} {mx:9.2g} {ratio:8.2f}",
                flush=True,
            )
            rows.append((protocol, name, n, rate, med, mx, ratio))
    if args.out is not None:
        import pandas as pd

        pd.DataFrame(
            rows,
            columns=["protocol", "integrator", "n", "steps_per_s", "med_dE", "max_dE", "ratio"],
        ).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()

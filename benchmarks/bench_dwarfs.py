"""Benchmark: powertail.dwarfs.integrate (JAX KDK / Yoshida-4) against anchors on one NFW problem.

Run from the repository root (pin one core to compare "per core"):

    taskset -c 0 uv run python benchmarks/bench_dwarfs.py                 # N = 1e5, 1000 steps
    uv run python benchmarks/bench_dwarfs.py --n 10000 --steps 500        # a quick look

The problem (brief §2.4 units, G = 1, NFW with 4 pi rho_s r_s^3 = r_s = 1): a mono-energetic
eps = 0.2 population of ``--n`` stars, ``--steps`` steps of dt = T/1000 with T = 6.7, under three
protocols: static halo, impulsive A = 0.5 at t = 0, and a linear ramp to A = 0.5 over the run.
Every integrator runs in this process on the same initial conditions; the table gives
particle-steps per second, the median and maximum energy error (static protocol, in units of
E0 - Phi0, brief §2.4.6) and the throughput ratio to each anchor measured in the same run:

* ``numpy-kdk``: a vectorised float64 NumPy KDK, the brief's §2.4.7 baseline (2.3-2.6e7 /s/core);
* ``galpy leapfrog_c`` / ``symplec4_c`` (galpy 1.12.1; time dependence through
  ``TimeDependentAmplitudeWrapperPotential``) and ``gala`` Leapfrog (gala 1.11.0, static only),
  when those packages are installed (they are not dependencies of powertail: install them in a
  separate environment, e.g. ``uv pip install galpy==1.12.1 gala==1.11.0``).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

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


def protocols(steps: int) -> dict[str, Callable[[np.ndarray], np.ndarray] | None]:
    """Amplitude histories A(t) of the three protocols (None: static)."""
    ramp = LinearRamp(final=0.5, duration=steps * DT)
    jump = Impulsive(final=0.5, t0=0.0)
    return {"static": None, "impulsive": jump.value, "linear": ramp.value}


def energy_errors(e_start: np.ndarray, e_end: np.ndarray, phi0: float) -> tuple[float, float]:
    err = np.abs(e_end - e_start) / (e_start - phi0)
    return float(np.median(err)), float(np.max(err))


def run_powertail(x, v, steps: int, protocol: str, method: str) -> tuple[float, float, float]:
    history = {"static": None, "impulsive": Impulsive(0.5), "linear": LinearRamp(0.5, steps * DT)}
    h = history[protocol]
    pot = NFW() if h is None else TimeDependentPotential(NFW(), amplitude=h)
    # compile outside the timing (same shapes: a new shape would compile again)
    integrate(pot, x, v, dt=DT, n_steps=steps, method=method, store="final")
    t0 = time.perf_counter()
    o = integrate(pot, x, v, dt=DT, n_steps=steps, method=method, store="final")
    seconds = time.perf_counter() - t0
    med, mx = energy_errors(o.energy[0], o.energy[-1], o.central_potential[-1])
    return seconds, med, mx


def run_numpy(x, v, steps: int, protocol: str) -> tuple[float, float, float]:
    amp = protocols(steps)[protocol]
    a_of_t = (lambda t: 1.0) if amp is None else (lambda t: float(amp(np.asarray(t))))
    pot = NFW()
    x, v = x.copy(), v.copy()
    e0 = 0.5 * np.sum(v * v, axis=1) + a_of_t(0.0) * pot.phi_xyz(x)
    t0 = time.perf_counter()
    acc = pot.acceleration(x)
    for k in range(steps):
        v += 0.5 * DT * a_of_t(k * DT) * acc
        x += DT * v
        acc = pot.acceleration(x)
        v += 0.5 * DT * a_of_t((k + 1) * DT) * acc
    seconds = time.perf_counter() - t0
    e1 = 0.5 * np.sum(v * v, axis=1) + a_of_t(steps * DT) * pot.phi_xyz(x)
    return (seconds, *energy_errors(e0, e1, -a_of_t(steps * DT)))


def run_galpy(x, v, steps: int, protocol: str, method: str) -> tuple[float, float, float] | None:
    try:
        from galpy.orbit import Orbit
        from galpy.potential import NFWPotential, TimeDependentAmplitudeWrapperPotential
    except ImportError:
        return None
    base = NFWPotential(amp=1.0, a=1.0)  # Phi = -amp ln(1 + r/a)/r: amp = 4 pi rho_s r_s^3
    amp = protocols(steps)[protocol]
    pot = (
        base
        if amp is None
        else TimeDependentAmplitudeWrapperPotential(pot=base, A=lambda t: float(amp(np.asarray(t))))
    )
    big_r = np.hypot(x[:, 0], x[:, 1])
    phi = np.arctan2(x[:, 1], x[:, 0])
    v_r = (x[:, 0] * v[:, 0] + x[:, 1] * v[:, 1]) / big_r
    v_t = (x[:, 0] * v[:, 1] - x[:, 1] * v[:, 0]) / big_r
    orbits = Orbit(np.stack([big_r, v_r, v_t, x[:, 2], v[:, 2], phi], axis=1))
    ts = np.linspace(0.0, steps * DT, steps + 1)
    t0 = time.perf_counter()
    orbits.integrate(ts, pot, method=method, dt=DT)
    seconds = time.perf_counter() - t0
    e0 = orbits.E(ts[0], pot=pot)
    e1 = orbits.E(ts[-1], pot=pot)
    return (seconds, *energy_errors(np.asarray(e0), np.asarray(e1), -1.0))


def run_gala(x, v, steps: int, protocol: str) -> tuple[float, float, float] | None:
    if protocol != "static":
        return None
    try:
        import gala.dynamics as gd
        import gala.integrate as gi
        import gala.potential as gp
        from gala.units import DimensionlessUnitSystem
    except ImportError:
        return None
    pot = gp.NFWPotential(m=1.0, r_s=1.0, units=DimensionlessUnitSystem())
    w0 = gd.PhaseSpacePosition(pos=x.T, vel=v.T)
    t0 = time.perf_counter()
    orbit = gp.Hamiltonian(pot).integrate_orbit(
        w0, dt=DT, n_steps=steps, Integrator=gi.LeapfrogIntegrator
    )
    seconds = time.perf_counter() - t0
    e = orbit.energy().value
    return (seconds, *energy_errors(e[0], e[-1], -1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument(
        "--numpy-n", type=int, default=20_000, help="stars for the (slow) NumPy and galpy anchors"
    )
    args = parser.parse_args()
    pop = sample_mono_energetic(NFW(), 0.2, args.n, seed=0)
    x, v = pop.positions, pop.velocities
    print(
        f"# {platform.platform()}  python {platform.python_version()}  N={args.n} "
        f"steps={args.steps} dt={DT:.5g}"
    )
    print(
        f"{'protocol':10s} {'integrator':22s} {'N':>7s} {'steps/s':>10s} "
        f"{'med |dE|':>9s} {'max |dE|':>9s} {'ours/anchor':>11s}"
    )
    for protocol in ("static", "impulsive", "linear"):
        rows = {}
        for method in ("leapfrog", "yoshida4"):
            s, med, mx = run_powertail(x, v, args.steps, protocol, method)
            rows[f"powertail {method}"] = (args.n, args.n * args.steps / s, med, mx)
        m = min(args.numpy_n, args.n)
        s, med, mx = run_numpy(x[:m], v[:m], args.steps, protocol)
        rows["numpy-kdk (brief)"] = (m, m * args.steps / s, med, mx)
        for method in ("leapfrog_c", "symplec4_c"):
            out = run_galpy(x[:m], v[:m], args.steps, protocol, method)
            if out is not None:
                rows[f"galpy {method}"] = (m, m * args.steps / out[0], out[1], out[2])
        out = run_gala(x[:m], v[:m], args.steps, protocol)
        if out is not None:
            rows["gala leapfrog"] = (m, m * args.steps / out[0], out[1], out[2])
        ours = rows["powertail leapfrog"][1]
        for name, (n, rate, med, mx) in rows.items():
            ratio = "" if name.startswith("powertail") else f"{ours / rate:11.2f}"
            if protocol == "linear":  # the energy changes with A(t): no conservation to show
                med_s, max_s = f"{'-':>9s}", f"{'-':>9s}"
            else:
                med_s, max_s = f"{med:9.2g}", f"{mx:9.2g}"
            print(f"{protocol:10s} {name:22s} {n:7d} {rate:10.3g} {med_s} {max_s} {ratio}")


if __name__ == "__main__":
    main()

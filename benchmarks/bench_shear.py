"""Benchmark: collisions per second of the exact shear Monte Carlo, and the time-step bias of a
Bird-style time-stepped Monte Carlo at equal wall time.

Run from the repository root:

    uv run python benchmarks/bench_shear.py                 # default sizes
    uv run python benchmarks/bench_shear.py --particles 20000 --repeats 1

Part 1 times :func:`powertail.shear.simulate` (one process, one core) for γ = 0 (constant rate),
γ = −0.5 with the Maxwellian background (thinning + exact partner sampling) and the δ-model at
a = 0.5 (closed-form inversion). Targets from issue 8: ≥ 1e7 collisions/s (γ = 0) and ≥ 2e6 (γ =
−0.5) per core; the brief (section 5.6) gives 1e6 and 2e5 for a NumPy implementation.

Part 2 (anchor measured in the same run): for γ = 0, K = 0.5 from a thermal start, the exact second
moments at t = 4 are known (moment ODE, brief 1.11). A time-stepped scheme (free flight over Δt,
then a collision with probability 1 − exp(−β₀Δt), as in DSMC's per-step collision selection) is
run with as many particles as fit in the exact method's wall time; its error against the ODE is
shown in units of its standard error. The exact method's error is statistical only.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from powertail.shear import ShearModel, second_moments, simulate


def best_rate(
    model: ShearModel, times: list[float], n: int, repeats: int, initial: object, precision: str
) -> tuple:
    best, sim = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim = simulate(
            model, times=times, n_particles=n, seed=1, initial=initial, precision=precision
        )
        best = min(best, time.perf_counter() - t0)
    return sim.diagnostics["collisions"] / best, best, sim


def time_stepped(model: ShearModel, t_end: float, dt: float, n: int, seed: int) -> np.ndarray:
    """Bird-style time-stepped MC for γ = 0: flight over dt, then collide w.p. 1 - e^{-β₀ dt}."""
    rng = np.random.default_rng(seed)
    T, K, beta0 = model.temperature, model.shear, model.c0
    w = np.sqrt(T) * rng.standard_normal((n, 3))
    p = 1.0 - np.exp(-beta0 * dt)
    for _ in range(round(t_end / dt)):
        w[:, 0] -= K * w[:, 1] * dt
        hit = rng.random(n) < p
        m = int(hit.sum())
        vstar = np.sqrt(T) * rng.standard_normal((m, 3))
        omega = rng.standard_normal((m, 3))
        omega /= np.linalg.norm(omega, axis=1, keepdims=True)
        u = w[hit] - vstar
        w[hit] = w[hit] - np.sum(u * omega, axis=1, keepdims=True) * omega
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, default=50000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, one process")
    print("\n1. exact event-driven Monte Carlo, collisions per second")
    cases = [
        ("gamma=0 (Maxwell), extended", ShearModel(0.0, shear=0.5), [20.0], "thermal", 1e7, 1e6),
        ("gamma=0 (Maxwell), double", ShearModel(0.0, shear=0.5), [20.0], "thermal", 1e7, 1e6),
        ("gamma=-0.5 (thinning)", ShearModel(-0.5), [float(np.exp(20.0))], "thermal", 2e6, 2e5),
        (
            "delta a=0.5 (inversion)",
            ShearModel(-0.5, background="delta"),
            [float(np.exp(100.0))],
            (0.0, 20.0, 0.0),
            2e6,
            2e5,
        ),
    ]
    for name, model, times, init, issue_target, brief_target in cases:
        n = args.particles if model.gamma == 0 else args.particles // 5
        precision = "double" if name.endswith("double") else "extended"
        rate, seconds, sim = best_rate(model, times, n, args.repeats, init, precision)
        print(
            f"  {name:30s} {rate:10.3g} coll/s  ({sim.diagnostics['collisions']} collisions in "
            f"{seconds:.2f} s; thinning proposals {sim.diagnostics['proposals']}) "
            f"issue target {issue_target:.0e} -> ratio {rate / issue_target:.2f}; "
            f"brief NumPy target {brief_target:.0e} -> ratio {rate / brief_target:.2f}"
        )

    print("\n2. time-step bias at equal wall time (gamma = 0, K = 0.5, t = 4, thermal start)")
    model = ShearModel(0.0, shear=0.5)
    t_end = 4.0
    exact_M = second_moments(model, [t_end]).M[0]
    n_exact = args.particles
    t0 = time.perf_counter()
    sim = simulate(model, times=[t_end], n_particles=n_exact, seed=2)
    wall = time.perf_counter() - t0
    v = sim.velocity()[:, 0]

    def report(label: str, w: np.ndarray, seconds: float) -> None:
        cells = []
        for name, (i, j) in (("M11", (0, 0)), ("M12", (0, 1)), ("M22", (1, 1))):
            x = w[:, i] * w[:, j]
            err = x.mean() - exact_M[i, j]
            cells.append(f"{name} err {err:+.4f} ({err / (x.std() / np.sqrt(len(x))):+.1f} se)")
        print(f"  {label:30s} n={len(w):7d} {seconds:5.2f} s  " + "  ".join(cells))

    report("exact (event-driven)", v, wall)
    for dt in (0.5, 0.2, 0.05):
        probe = 2000
        t1 = time.perf_counter()
        time_stepped(model, t_end, dt, probe, seed=3)
        per_particle = (time.perf_counter() - t1) / probe
        n = max(probe, int(wall / per_particle))
        t1 = time.perf_counter()
        w = time_stepped(model, t_end, dt, n, seed=4)
        report(f"time-stepped dt={dt:g}", w, time.perf_counter() - t1)


if __name__ == "__main__":
    main()

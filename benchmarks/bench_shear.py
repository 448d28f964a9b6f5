"""Benchmark: collisions per second of the exact shear Monte Carlo, and the time-step bias of a
Bird-style time-stepped Monte Carlo at equal wall time.

Run from the repository root:

    uv run python benchmarks/bench_shear.py                 # default sizes
    uv run python benchmarks/bench_shear.py --particles 20000 --repeats 1

Measured figures, the command and the load they were taken under: ``docs/shear.md`` ("Speed").
Pin one thread for comparable numbers (the engine is single-threaded; this pins NumPy too):

    export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1
    uv run python benchmarks/bench_shear.py

Part 1 times :func:`powertail.shear.simulate` (one process, one core) for γ = 0 (constant rate),
γ = −0.5 with the Maxwellian background (thinning + exact partner sampling) and the δ-model at
a = 0.5 (closed-form inversion), with the compiled engine (default) and the NumPy reference
engine in the same run. Both the CPU time of the process (``time.process_time``: the per-core
figure, robust to other jobs on a shared machine) and the wall time are shown. Targets from
issue 8: ≥ 1e7 collisions/s (γ = 0) and ≥ 2e6 (γ = −0.5) per core; the brief (section 5.6) gives
1e6 and 2e5 for a NumPy implementation.

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
    model: ShearModel,
    times: list[float],
    n: int,
    repeats: int,
    initial: object,
    precision: str,
    engine: str,
) -> tuple:
    """Best-of-``repeats`` collisions per CPU second and per wall second (after a warm-up call
    that loads or compiles the engine)."""
    kwargs = {"times": times, "seed": 1, "initial": initial, "precision": precision}
    simulate(model, n_particles=4, engine=engine, **kwargs)
    cpu = wall = np.inf
    sim = None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        sim = simulate(model, n_particles=n, engine=engine, **kwargs)
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    n_coll = sim.diagnostics["collisions"]
    return n_coll / cpu, n_coll / wall, wall, sim


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
        ("gamma=0 (Maxwell)", ShearModel(0.0, shear=0.5), [20.0], "thermal", 1e7),
        ("gamma=-0.5 (thinning)", ShearModel(-0.5), [float(np.exp(20.0))], "thermal", 2e6),
        (
            "delta a=0.5 (inversion)",
            ShearModel(-0.5, background="delta"),
            [float(np.exp(100.0))],
            (0.0, 20.0, 0.0),
            None,  # the issue sets no target for the delta model
        ),
    ]
    engines = (("compiled", "extended"), ("numpy", "extended"), ("numpy", "double"))
    for name, model, times, init, issue_target in cases:
        n = args.particles if model.gamma == 0 else args.particles // 5
        rates = {}
        for engine, precision in engines:
            if engine == "numpy" and precision == "double" and model.gamma != 0:
                continue  # these runs leave the float64 range
            cpu_rate, wall_rate, seconds, sim = best_rate(
                model, times, n, args.repeats, init, precision, engine
            )
            label = engine if engine == "compiled" else f"numpy/{precision}"
            rates[label] = cpu_rate
            print(
                f"  {name:24s} {label:15s} {cpu_rate:9.3g} coll/s per CPU s, {wall_rate:9.3g} "
                f"per wall s ({sim.diagnostics['collisions']} collisions, {seconds:.2f} s wall; "
                f"thinning proposals {sim.diagnostics['proposals']})"
            )
        target = (
            f"; issue target {issue_target:.0e} -> ratio {rates['compiled'] / issue_target:.2f}"
            if issue_target
            else "; no issue target"
        )
        print(
            f"  {'':24s} compiled / numpy(extended) = "
            f"{rates['compiled'] / rates['numpy/extended']:.1f}{target}"
        )

    print("\n2. time-step bias at equal wall time (gamma = 0, K = 0.5, t = 4, thermal start)")
    model = ShearModel(0.0, shear=0.5)
    t_end = 4.0
    exact_M = second_moments(model, [t_end]).M[0]
    n_exact = 8 * args.particles  # the compiled engine is fast: use the wall time for statistics
    simulate(model, times=[t_end], n_particles=4, seed=2)  # warm-up (load the compiled engine)
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
        probe = 20000  # large enough that per-step overheads are amortised as in the real run
        t1 = time.perf_counter()
        time_stepped(model, t_end, dt, probe, seed=3)
        per_particle = (time.perf_counter() - t1) / probe
        n = max(probe, int(wall / per_particle))
        t1 = time.perf_counter()
        w = time_stepped(model, t_end, dt, n, seed=4)
        report(f"time-stepped dt={dt:g}", w, time.perf_counter() - t1)


if __name__ == "__main__":
    main()

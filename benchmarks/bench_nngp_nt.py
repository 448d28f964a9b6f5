"""Benchmark against neural-tangents: NNGP kernel + GP posterior of a depth-4 ReLU MLP.

Run from the repository root (the anchor environment is built by
``bash benchmarks/anchors/make_env.sh nngp``; it holds neural-tangents 0.6.5 + jax 0.5.3 and not
powertail, so this script calls it in a subprocess):

    uv run python benchmarks/bench_nngp_nt.py                     # n = 2000
    uv run python benchmarks/bench_nngp_nt.py --sizes 2000 8000
    uv run python benchmarks/bench_nngp_nt.py --sizes 2000 8000 --single-thread   # like for like

``--single-thread`` pins both sides to one core (OpenBLAS, numba and XLA: it sets
``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1`` and
``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"`` and restarts
itself, so that the libraries read them at import); use it on a shared machine.
``--engine jax`` times our JAX kernel engine instead of the default compiled one (``auto``).

What is measured, on the same float64 inputs (n training points with 8 features, 500 test points,
depth-4 ReLU MLP, sigma_w^2 = 2, sigma_b^2 = 0.09, no readout bias, noise eps = 1e-2 absolute):

* **kernel agreement**: max relative difference of the train x train and test x train NNGP
  kernels (target <= 1e-10);
* **kernel + posterior time**: ours = ``kernel_blocks`` (train x train upper triangle, test x
  train, test diagonal; compiled engine) + one Cholesky (``gaussian_summary``) + the Student-t
  predictive, reported split into kernel and posterior;
  neural-tangents = ``stax`` ``kernel_fn`` under ``jax.jit`` (train x train, test x train, test
  x test, as ``gradient_descent_mse_ensemble`` needs them) + ``predict.gp_inference`` with
  ``diag_reg_absolute_scale=True`` (its Cholesky solve). Both warm (compiled) and best of
  ``--repeats``, wall and CPU (process) time; the ratio NT / ours (wall) is the speed-up
  (target >= 2 on CPU). Posterior means and latent variances are compared too. The first,
  compiling call is reported apart (numba loads its compiled functions from the on-disk cache
  after the first run ever);
* **prior sweep**: the 36 (alpha, beta) inverse-gamma pairs of the paper's grid (log marginal
  likelihood + predictive at every test point) on top of one fit; reported as
  (fit + sweep) / fit, with "fit" = one Cholesky + test statistics, and also relative to
  kernel + fit (target <= 1.2).

Fails (exit status 1) when the kernels disagree beyond 1e-10, and with one line when the anchor
environment is missing. By default both sides use every core; the load average is printed
before and after each size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ANCHOR_PYTHON = Path(".anchors/nngp/bin/python")
DEPTH, WEIGHT_VARIANCE, BIAS_VARIANCE, NOISE = 4, 2.0, 0.09, 1e-2
N_TEST, N_FEATURES = 500, 8
GRID = (0.5, 1.0, 1.5, 2.0, 4.0, 8.0)
TOLERANCE = 1e-10


SINGLE_THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def _best(fn, repeats):
    """Best wall time of ``repeats`` calls, the CPU time of that call, and its result."""
    best, cpu, out = float("inf"), float("nan"), None
    for _ in range(max(1, repeats)):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, time.process_time() - c0
    return best, cpu, out


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def anchor_worker(inputs: str, outputs: str, repeats: int) -> None:
    """Inside the neural-tangents environment: kernels, posterior and timings to ``outputs``."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import neural_tangents as nt
    from neural_tangents import stax

    data = np.load(inputs)
    x, z, y = (jnp.asarray(data[k]) for k in ("x", "z", "y"))
    layers = []
    for _ in range(DEPTH):
        layers += [
            stax.Dense(512, W_std=np.sqrt(WEIGHT_VARIANCE), b_std=np.sqrt(BIAS_VARIANCE)),
            stax.Relu(),
        ]
    _, _, kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=1.0, b_std=None))
    kernel_fn = jax.jit(kernel_fn, static_argnames="get")

    def run():
        k_train = kernel_fn(x, None, get="nngp")
        k_test_train = kernel_fn(z, x, get="nngp")
        k_test = kernel_fn(z, None, get="nngp")
        predict = nt.predict.gp_inference(
            k_train, y[:, None], diag_reg=NOISE, diag_reg_absolute_scale=True
        )
        mean, cov = predict(get="nngp", k_test_train=k_test_train, k_test_test=k_test)
        mean.block_until_ready()
        return k_train, k_test_train, mean, cov

    t0 = time.perf_counter()
    run()  # compile
    t_first = time.perf_counter() - t0
    t_warm, cpu_warm, (k_train, k_test_train, mean, cov) = _best(run, repeats)
    np.savez(
        outputs,
        k_train=np.asarray(k_train),
        k_test_train=np.asarray(k_test_train),
        mean=np.asarray(mean)[:, 0],
        var=np.diag(np.asarray(cov)),
        t_first=t_first,
        t_warm=t_warm,
        cpu_warm=cpu_warm,
        versions=np.array([nt.__version__, jax.__version__]),
    )


def run_anchor(x: np.ndarray, z: np.ndarray, y: np.ndarray, repeats: int) -> dict:
    if not ANCHOR_PYTHON.exists():
        raise SystemExit(
            f"neural-tangents environment missing: expected {ANCHOR_PYTHON}; build it with "
            "`bash benchmarks/anchors/make_env.sh nngp`"
        )
    with tempfile.TemporaryDirectory() as tmp:
        inputs, outputs = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(inputs, x=x, z=z, y=y)
        env = {**os.environ, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
        proc = subprocess.run(
            [str(ANCHOR_PYTHON), __file__, "--worker", str(inputs), str(outputs), str(repeats)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"neural-tangents worker failed: {proc.stderr.strip()[-500:]}")
        with np.load(outputs) as out:
            return {k: out[k] for k in out.files}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engine", choices=["auto", "numba", "jax"], default="auto")
    parser.add_argument("--single-thread", action="store_true")
    args = parser.parse_args()
    if args.single_thread and any(os.environ.get(k) != v for k, v in SINGLE_THREAD_ENV.items()):
        env = {**os.environ, **SINGLE_THREAD_ENV}
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], env)

    from powertail.jaxconfig import jax_with_x64
    from powertail.nngp import (
        FullyConnected,
        gaussian_summary,
        kernel_blocks,
        student_t_log_marginal,
        student_t_predictive,
    )

    jax = jax_with_x64()
    arch = FullyConnected(
        depth=DEPTH,
        activation="relu",
        weight_variance=WEIGHT_VARIANCE,
        bias_variance=BIAS_VARIANCE,
    )
    import numba

    threads = "one thread each" if args.single_thread else "all threads"
    print(
        f"powertail side: jax {jax.__version__}, numba {numba.__version__} "
        f"({numba.get_num_threads()} threads), engine {args.engine}, {os.cpu_count()} cpus, "
        f"{threads}"
    )
    failed = False
    for n in args.sizes:
        rng = np.random.default_rng(n)
        x = rng.normal(size=(n, N_FEATURES))
        z = rng.normal(size=(N_TEST, N_FEATURES))
        y = np.sin(x[:, 0]) + 0.1 * rng.normal(size=n)

        load_before = _load()

        def kernels(x=x, z=z):
            blocks = kernel_blocks(x, z, architecture=arch, depths=[DEPTH], engine=args.engine)
            return blocks.at_depth(DEPTH)

        def ours(x=x, z=z, y=y):
            k, kx, kd = kernels()
            summary = gaussian_summary(k, y, kx, kd, noise=NOISE)
            return k, kx, kd, summary, student_t_predictive(summary, 2.0, 2.0)

        t0 = time.perf_counter()
        ours()  # compile (JAX: every tile shape; numba: load from its cache or compile)
        t_first = time.perf_counter() - t0
        t_ours, cpu_ours, (k, kx, kd, summary, _) = _best(ours, args.repeats)
        t_kernel, cpu_kernel, _ = _best(kernels, args.repeats)
        t_fit, cpu_fit, _ = _best(
            lambda k=k, y=y, kx=kx, kd=kd: gaussian_summary(k, y, kx, kd, noise=NOISE),
            args.repeats,
        )

        def sweep(summary=summary):
            for a in GRID:
                for b in GRID:
                    student_t_log_marginal(summary, a, b)
                    student_t_predictive(summary, a, b)

        t_sweep, _, _ = _best(sweep, args.repeats)
        anchor = run_anchor(x, z, y, args.repeats)
        k_nt, kx_nt = anchor["k_train"], anchor["k_test_train"]
        rel_train = float(np.max(np.abs(k - k_nt) / np.abs(k_nt)))
        rel_cross = float(np.max(np.abs(kx - kx_nt) / np.abs(kx_nt)))
        rel_mean = float(np.max(np.abs(summary.mean[:, 0] - anchor["mean"])))
        rel_mean /= float(np.max(np.abs(anchor["mean"])))
        rel_var = float(np.max(np.abs(summary.latent_var - anchor["var"]) / anchor["var"]))
        failed |= max(rel_train, rel_cross) > TOLERANCE
        nt_version, nt_jax = (str(v) for v in anchor["versions"])
        t_nt, cpu_nt = float(anchor["t_warm"]), float(anchor["cpu_warm"])
        print(
            f"n={n}: kernel max rel diff train x train {rel_train:.1e}, test x train "
            f"{rel_cross:.1e} (target <= {TOLERANCE:g}); posterior mean {rel_mean:.1e}, latent "
            f"variance {rel_var:.1e}"
        )
        print(
            f"n={n}: kernel + posterior: ours {t_ours:.2f} s wall / {cpu_ours:.2f} s CPU (first "
            f"call {t_first:.2f} s; kernel alone {t_kernel:.2f} s / {cpu_kernel:.2f} s CPU, "
            f"Cholesky + test statistics {t_fit:.2f} s / {cpu_fit:.2f} s CPU), neural-tangents "
            f"{nt_version} / jax {nt_jax} {t_nt:.2f} s wall / {cpu_nt:.2f} s CPU (first call "
            f"{float(anchor['t_first']):.2f} s); speed-up {t_nt / t_ours:.2f}x wall, "
            f"{cpu_nt / cpu_ours:.2f}x CPU (target >= 2); load {load_before} -> {_load()}"
        )
        print(
            f"n={n}: 36 (alpha, beta) pairs {t_sweep * 1e3:.1f} ms on a {t_fit:.3f} s fit: "
            f"(fit + sweep) / fit = {(t_fit + t_sweep) / t_fit:.3f}; relative to kernel + fit "
            f"{(t_ours + t_sweep) / t_ours:.3f} (target <= 1.2)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        anchor_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())

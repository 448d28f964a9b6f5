"""Benchmark: NNGP kernel + Student-t posterior of a depth-4 ReLU MLP, and the cost of prior sweeps.

Run from the repository root:

    uv run python benchmarks/bench_nngp.py                 # n = 2000
    uv run python benchmarks/bench_nngp.py --sizes 2000 8000

Measured in one run, as ratios:

* the kernel engines on the same inputs (all depths 1..4 in one pass; train x train, test x
  train, test diagonal): the compiled one (``engine="numba"``, the default on a CPU) and the
  JAX one (``engine="jax"``, tiles), against the NumPy reference recursion
  (``fc_kernels_reference``, one depth, full train x train): max relative difference and time
  ratios. Numba's threads follow ``NUMBA_NUM_THREADS``;
* one fit (Cholesky + test statistics) and the 36-point (alpha, beta) inverse-gamma sweep plus the
  9 Burr XII quadratures on top of it: the sweep's cost relative to the fit (target <= 1.2);
* if ``neural_tangents`` imports here, its ``stax`` kernel on the same inputs. It normally does
  not (it needs jax 0.5.3): the comparison with neural-tangents (kernel agreement, kernel +
  posterior time, sweep cost) is ``benchmarks/bench_nngp_nt.py``, which runs it in its own
  environment through a subprocess.
Exits with status 1 if the kernels disagree.
"""

from __future__ import annotations

import argparse
import platform
import sys

import numpy as np

from powertail.jaxconfig import jax_with_x64
from powertail.nngp import (
    BurrXII,
    FullyConnected,
    fc_kernels_reference,
    gaussian_summary,
    kernel_blocks,
    quadrature_posterior,
    student_t_log_marginal,
    student_t_predictive,
)
from timing import best_time

ARCH = FullyConnected(depth=4, activation="relu", weight_variance=2.0, bias_variance=0.09)
TOLERANCE = 1e-10
GRID = (0.5, 1.0, 1.5, 2.0, 4.0, 8.0)


def neural_tangents_kernel(x: np.ndarray, z: np.ndarray):
    try:
        import neural_tangents as nt
        from neural_tangents import stax
    except ImportError:
        return None
    layers = []
    for _ in range(ARCH.depth):
        layers += [stax.Dense(512, W_std=np.sqrt(2.0), b_std=0.3), stax.Relu()]
    _, _, kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=1.0, b_std=None))
    del nt
    return lambda: np.asarray(kernel_fn(z, x, "nngp"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    jax = jax_with_x64()
    print(f"python {platform.python_version()}, jax {jax.__version__}, {platform.machine()}")
    failed = False
    for n in args.sizes:
        rng = np.random.default_rng(n)
        x = rng.normal(size=(n, 8))
        z = rng.normal(size=(200, 8))
        y = np.sin(x[:, 0]) + 0.1 * rng.normal(size=n)
        t_ref, ref = best_time(lambda x=x: fc_kernels_reference(x, x, architecture=ARCH), 1)
        timings = {}
        for engine in ("jax", "numba"):

            def run(x=x, z=z, engine=engine):
                return kernel_blocks(x, z, architecture=ARCH, depths=range(1, 5), engine=engine)

            run()  # compile (jax: every tile shape; numba: load its on-disk cache)
            timings[engine], blocks = best_time(run, args.repeats)
            k = blocks.at_depth(4)[0]
            rel = float(np.max(np.abs(k - ref[0]) / np.abs(ref[0])))
            failed |= rel > TOLERANCE
            print(
                f"n={n}: kernel engine {engine} (4 depths) {timings[engine]:.3f} s; NumPy "
                f"reference (1 depth) {t_ref:.3f} s; ratio {t_ref / timings[engine]:.2f}; max "
                f"rel diff {rel:.1e}"
            )
        print(f"n={n}: compiled engine {timings['jax'] / timings['numba']:.2f}x the JAX engine")
        k, kx, kd = blocks.at_depth(4)
        t_fit, summary = best_time(
            lambda k=k, y=y, kx=kx, kd=kd: gaussian_summary(k, y, kx, kd, noise=1e-2), args.repeats
        )

        def sweep(summary=summary):
            for a in GRID:
                for b in GRID:
                    student_t_log_marginal(summary, a, b)
                    student_t_predictive(summary, a, b)
            for c in (1.0, 2.0, 3.0):
                for d in (1.0, 2.0, 3.0):
                    quadrature_posterior(summary, BurrXII(c, d), n_nodes=128)

        t_sweep, _ = best_time(sweep, args.repeats)
        print(
            f"n={n}: one fit {t_fit:.3f} s; 36 IG pairs + 9 Burr on top {t_sweep:.3f} s; "
            f"(fit + sweep) / fit = {(t_fit + t_sweep) / t_fit:.2f} (target <= 1.2)"
        )
        anchor = neural_tangents_kernel(x, z)
        if anchor is None:
            print(f"n={n}: neural-tangents: not importable here; see benchmarks/bench_nngp_nt.py")
        else:
            t_nt, k_nt = best_time(anchor, args.repeats)
            rel_nt = float(np.max(np.abs(kx - k_nt) / np.abs(k_nt)))
            failed |= rel_nt > TOLERANCE
            print(f"n={n}: neural-tangents test x train {t_nt:.3f} s; max rel diff {rel_nt:.1e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the band width of the two-stage eigen-solver, phase by phase (one process).

Run from the repository root (an idle machine; the numbers chose ``lapack.BAND_WIDTH``):

    uv run python benchmarks/bench_spectra_band_width.py                     # n = 4096
    uv run python benchmarks/bench_spectra_band_width.py --n 2048 --widths 16 32 64

For each precision and band half-width k_d, the Gram matrix of one seeded Gaussian
n x (2.69 n) matrix (the 4096 x 11008 LLM shape) is solved by
:func:`powertail.spectra.lapack.eigvalsh_lower`'s two phases: ``?sytrd_sy2sb`` (to the band,
BLAS-3, all threads) and ``?sytrd_sb2st`` + ``?sterf`` (bulge chasing and the tridiagonal
eigenvalues, one core). Prints the median time of each phase over ``--repeats`` runs (widths
interleaved, so that slow spells of a shared machine hit all of them), the total, and the
largest eigenvalue difference from ``numpy.linalg.eigvalsh`` in units of lambda_max (a few ulp:
the band width changes the arithmetic, not the result). LAPACK's own choice
(``ilaenv2stage``) is k_d = 32 in the OpenBLAS of NumPy's wheels.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info

from powertail.spectra import lapack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4096, help="matrix order (default 4096)")
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 48, 64, 96])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    routines = lapack._routines()
    if not routines:
        raise SystemExit("NumPy's LAPACK has no two-stage routines here; nothing to measure")
    threads = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    print(f"python {platform.python_version()}, numpy {np.__version__}, BLAS threads {threads}")
    rng = np.random.default_rng(0)
    w = rng.standard_normal((args.n, round(args.n * 11008 / 4096)))
    gram = w @ w.T
    print(f"{'dtype':8s} {'k_d':>4s} {'to band':>8s} {'chase+sterf':>12s} {'total':>7s} "
          f"{'max|diff|/lmax':>15s}")  # fmt: skip
    for dtype in (np.float64, np.float32):
        g = gram.astype(dtype)
        reference = np.linalg.eigvalsh(g.astype(np.float64))
        times: dict[int, list[tuple[float, float]]] = {k: [] for k in args.widths}
        diffs: dict[int, float] = {}
        for _ in range(args.repeats):
            for width in args.widths:
                a = np.array(g, order="F")
                t0 = time.perf_counter()
                band = lapack._to_band(routines[g.dtype.name], a, width)
                t1 = time.perf_counter()
                values = lapack._band_eigenvalues(routines[g.dtype.name], band, width)
                t2 = time.perf_counter()
                times[width].append((t1 - t0, t2 - t1))
                diffs[width] = float(np.max(np.abs(values - reference)) / reference[-1])
        for width, runs in times.items():
            one, two = np.median(np.array(runs), axis=0)
            print(f"{g.dtype.name:8s} {width:4d} {one:8.2f} {two:12.2f} {one + two:7.2f} "
                  f"{diffs[width]:15.1e}")  # fmt: skip


if __name__ == "__main__":
    main()

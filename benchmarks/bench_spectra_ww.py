"""Benchmark: powertail.spectra against WeightWatcher 0.7.7, layer by layer, in one run.

Needs the anchor environment (torch 2.13.0 CPU + weightwatcher 0.7.7 + powertail editable),
built once with ``bash benchmarks/anchors/make_env.sh spectra``. Run from the repository root:

    .anchors/spectra/bin/python benchmarks/bench_spectra_ww.py      # MiniLM, MPNet, 4 LLM matrices
    .anchors/spectra/bin/python benchmarks/bench_spectra_ww.py --models minilm --llm-matrices 0
    .anchors/spectra/bin/python benchmarks/bench_spectra_ww.py --llm-matrices 32   # the full stack
    # the issue's benchmark on a shared machine: both tools pinned to one BLAS thread,
    # powertail on all 32 matrices, WeightWatcher on the first 2 (same file prefix):
    .anchors/spectra/bin/python benchmarks/bench_spectra_ww.py --models mpnet \
        --llm-matrices 32 --ww-llm-matrices 2 --threads 1

Both tools get the same settings: ``randomize=True`` and ERG on (WeightWatcher ``detX=True``),
powertail in ``ww_compat`` mode (WeightWatcher's one-sided KS, 2-point minimum tail, 1e-5
absolute threshold, ``min_evals=8``, ERG rescaled over all eigenvalues). Every measurement runs
in its own fresh subprocess (``worker`` mode of this file), which reports:

* ``seconds``: wall time of the analysis call alone (imports and model resolution excluded),
  and ``cpu_seconds``: the CPU time of the process over the same call (all threads; less
  sensitive than wall time to other jobs on a shared machine);
* ``peak_rss_mib``: the process's peak resident memory (``ru_maxrss``), and
  ``base_rss_mib``: its resident memory after the imports, just before the analysis;
* ``solver_seconds``: time inside the eigen-solver (powertail: the Gram products and
  ``eigvalsh`` / two-stage solver / SVD fall-back; WeightWatcher: its ``svd_vals``),
  outermost calls only (powertail's shuffle and metrics count as overhead). powertail
  analyses narrow layers two at a time on threads and shuffles a wide layer during the
  single-core phase of its solver, so its solver share comes from a second, otherwise
  identical run with one thing at a time (``seconds_ours_layers_in_turn``);
* ``load``: the 1-minute load average at the start and end of the worker (mean).

``--threads N`` sets ``OPENBLAS_NUM_THREADS`` (and the OpenMP/MKL/numba counts) of both workers
alike; ``--rand-precision`` sets powertail's ``rand_precision`` for the shuffled-weights ESD:
``auto`` (the library default: float32 only on layers >= 2048 wide where it resolves every
eigenvalue, e.g. the 4096 x 11008 matrices; float64 on MiniLM and MPNet), ``float64``
(WeightWatcher 0.7.7 computes every ESD, the shuffled ones too, as float64 singular values of
``W.astype(float)``) or ``float32``. The layer's own ESD, hence |delta alpha|, is float64 always.

Outputs (``--out``, default ``runs/bench_spectra_ww``): ``layers_<model>.csv`` (both tools'
alpha, xmin, D, tail size, ERG count, lambda_max per layer and |delta alpha|), ``summary.csv``
and ``summary.json`` (one row per model: layers matched, fraction |delta alpha| <= 0.01, time
and memory ratios, solver share), and the table printed at the end.

The LLM-like stack is a safetensors file of ``--llm-matrices`` seeded Gaussian float32
4096 x 11008 matrices (the LLaMA-7B MLP shape), written block by block (never held in memory).
WeightWatcher needs minutes per matrix on 2 cores, so the default measures 4 matrices; both
tools process layers one at a time (time linear in the count, memory bounded by one layer),
so the 32-matrix figures printed are the 4-matrix times x 8, marked as extrapolated. With
``--ww-llm-matrices K`` both tools run on a K-matrix file (the per-matrix ratio) and powertail
alone on the full ``--llm-matrices`` file (its measured 32-matrix time and memory).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 0.01  # |delta alpha| target of the issue
LLM_SHAPE = (11008, 4096)
LLM_FULL = 32


# ------------------------------------------------------------------------------- workers
def _rss_mib() -> float:
    """Current resident set size of this process (Linux /proc), MiB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class _SolverClock:
    """Accumulates wall time of the outermost calls of wrapped functions."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._depth = 0

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return func(*args, **kwargs)
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1
                self._depth -= 1

        return timed


def _worker_ours(source: str, clock: _SolverClock) -> tuple[Callable[[], Any], Callable]:
    import powertail.spectra.analysis as analysis_mod
    import powertail.spectra.esd as esd_mod
    from powertail.spectra import analyze

    # Eigen-solver = Gram products + eigvalsh / two-stage solver (+ the SVD fall-back),
    # wherever they are called; the shuffle and the metrics are overhead.
    for name in ("gram_matrix", "_gram_lower", "eigvalsh_lower", "svd_esd", "esd_from_matrices"):
        setattr(esd_mod, name, clock.wrap(getattr(esd_mod, name)))
    analysis_mod.esd_from_matrices = clock.wrap(analysis_mod.esd_from_matrices)
    np.linalg.eigvalsh = clock.wrap(np.linalg.eigvalsh)
    import powertail.tails  # noqa: F401  (imported lazily by the metrics: not part of the call)

    rand_precision = os.environ.get("BENCH_RAND_PRECISION", "auto")
    if "BENCH_LAYER_THREADS" in os.environ:  # the solver-share run: one thing at a time
        import powertail.spectra.blas_threads as blas_threads_mod

        blas_threads_mod.LAYER_THREADS = int(os.environ["BENCH_LAYER_THREADS"])
        analysis_mod.OVERLAP_SHUFFLE = False  # else the shuffle would run inside the solver

    def run() -> Any:
        return analyze(
            source, ww_compat=True, randomize=True, seed=0, rand_precision=rand_precision
        )

    def table(result: Any) -> Any:
        layers = result.layers
        layers = layers[layers["status"] == "ok"].copy()
        layers["key"] = layers["tensor"].str.replace(r"\.weight$", "", regex=True)
        return layers[
            ["key", "alpha", "xmin", "D", "num_pl_spikes", "erg_num", "lambda_max", "num_evals"]
        ]

    return run, table


def _worker_ww(source: str, clock: _SolverClock) -> tuple[Callable[[], Any], Callable]:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import weightwatcher as ww
    import weightwatcher.weightwatcher as ww_mod

    ww_mod.svd_vals = clock.wrap(ww_mod.svd_vals)
    ww_mod.svd_values = clock.wrap(ww_mod.svd_values)
    folder = tempfile.mkdtemp(prefix="ww-input-")  # WeightWatcher reads a model directory
    os.symlink(os.path.abspath(source), os.path.join(folder, "model.safetensors"))

    def run() -> Any:
        return ww.WeightWatcher().analyze(model=folder, randomize=True, detX=True)

    def table(details: Any) -> Any:
        out = details.rename(columns={"name": "key", "detX_num": "erg_num"})
        return out[
            ["key", "alpha", "xmin", "D", "num_pl_spikes", "erg_num", "lambda_max", "num_evals"]
        ]

    return run, table


def worker(tool: str, source: str, out_csv: str) -> None:
    """Run one tool on one weights file in this process; print one JSON line of measurements."""
    clock = _SolverClock()
    run, table = (_worker_ours if tool == "ours" else _worker_ww)(source, clock)
    base = _rss_mib()
    c0, t0 = time.process_time(), time.perf_counter()
    result = run()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    layers = table(result)
    layers.to_csv(out_csv, index=False)
    print(
        json.dumps(
            {
                "tool": tool,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "solver_seconds": clock.seconds,
                "solver_calls": clock.calls,
                "base_rss_mib": base,
                "peak_rss_mib": peak,
                "n_layers": len(layers),
            }
        )
    )


# ------------------------------------------------------------------------------- driver
#: Set by ``--threads``: BLAS/OpenMP/numba threads of every worker (None: library default).
THREADS: int | None = None
#: Set by ``--rand-precision``: powertail's ``rand_precision`` (WeightWatcher has no choice).
RAND_PRECISION = "auto"


def _measure(
    tool: str, source: Path, out_csv: Path, *, layer_threads: int | None = None
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "worker", tool, str(source), str(out_csv)]
    env = dict(os.environ, BENCH_RAND_PRECISION=RAND_PRECISION)
    if layer_threads is not None:
        env["BENCH_LAYER_THREADS"] = str(layer_threads)
    if THREADS is not None:
        for var in (
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMBA_NUM_THREADS",
        ):
            env[var] = str(THREADS)
    load_before = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"bench_spectra_ww: the {tool} worker on {source} failed: {tail}")
    result = json.loads(lines[-1])
    result["load"] = (load_before + os.getloadavg()[0]) / 2  # 1-min load average, start/end
    return result


def _model_paths() -> dict[str, Path]:
    """MiniLM and MPNet weights, located by the project environment (``.venv``)."""
    venv_python = REPO / ".venv" / "bin" / "python"
    code = (
        "from powertail.spectra.experiments.models import MINILM, MPNET\n"
        "from powertail.spectra.sources import model_weights\n"
        "for m in (MINILM, MPNET):\n"
        "    try:\n"
        "        print(m.name, model_weights(m))\n"
        "    except Exception as exc:\n"
        "        print(m.name, '-', exc)\n"
    )
    proc = subprocess.run(
        [str(venv_python), "-c", code], capture_output=True, text=True, check=False
    )
    paths: dict[str, Path] = {}
    for line in proc.stdout.splitlines():
        name, _, rest = line.partition(" ")
        if rest and not rest.startswith("- "):
            paths[name] = Path(rest)
        elif rest:
            print(f"  {name}: not available ({rest[2:]})")
    return paths


def write_llm_stack(path: Path, count: int, shape: tuple[int, int] = LLM_SHAPE) -> None:
    """Write `count` seeded Gaussian float32 matrices of `shape` as one safetensors file.

    The header is written first and the matrices one row block at a time, so at most one
    block is in memory. Entries ~ N(0, 1/shape[1]) (an initialised layer's scale).
    """
    rows, cols = shape
    nbytes = rows * cols * 4
    header: dict[str, Any] = {}
    for i in range(count):
        header[f"model.layers.{i}.mlp.up_proj.weight"] = {
            "dtype": "F32",
            "shape": [rows, cols],
            "data_offsets": [i * nbytes, (i + 1) * nbytes],
        }
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    rng = np.random.default_rng(20260)
    step = 1024
    with open(path, "wb") as handle:
        handle.write(len(raw).to_bytes(8, "little"))
        handle.write(raw)
        for _ in range(count):
            for start in range(0, rows, step):
                block = rng.standard_normal((min(step, rows - start), cols), dtype=np.float32)
                handle.write((block / np.float32(np.sqrt(cols))).tobytes())


def _solver_share(source: Path, out_csv: Path) -> tuple[float, float]:
    """(solver share, seconds) of powertail with its layers one at a time.

    The solver clock adds up wall time inside the solver calls; with narrow layers analysed
    two at a time on threads that sum is not a share of the elapsed time, so the share is
    measured in a second run with ``LAYER_THREADS = 1``.
    """
    serial = _measure("ours", source, out_csv, layer_threads=1)
    return serial["solver_seconds"] / serial["seconds"], serial["seconds"]


def compare(name: str, source: Path, out: Path) -> dict[str, Any]:
    """Run both tools on `source`, join their layers, return the summary row of `name`."""
    import pandas as pd

    share, in_turn = _solver_share(source, out / f"ours_{name}_in_turn.csv")
    ours = _measure("ours", source, out / f"ours_{name}.csv")
    theirs = _measure("ww", source, out / f"ww_{name}.csv")
    a = pd.read_csv(out / f"ours_{name}.csv")
    b = pd.read_csv(out / f"ww_{name}.csv")
    both = a.merge(b, on="key", how="outer", suffixes=("", "_ww"), indicator=True)
    both["abs_dalpha"] = (both["alpha"] - both["alpha_ww"]).abs()
    both.to_csv(out / f"layers_{name}.csv", index=False)
    matched = both[both["_merge"] == "both"]
    within = int((matched["abs_dalpha"] <= TOLERANCE).sum())
    row = {
        "model": name,
        "layers_ours": len(a),
        "layers_ww": len(b),
        "layers_matched": len(matched),
        "frac_dalpha_le_0.01": within / len(matched) if len(matched) else float("nan"),
        "max_abs_dalpha": float(matched["abs_dalpha"].max()) if len(matched) else float("nan"),
        "median_abs_dalpha": float(matched["abs_dalpha"].median()),
        "erg_num_equal": int((matched["erg_num"] == matched["erg_num_ww"]).sum()),
        "seconds_ours": ours["seconds"],
        "seconds_ww": theirs["seconds"],
        "time_ratio": theirs["seconds"] / ours["seconds"],
        "cpu_seconds_ours": ours["cpu_seconds"],
        "cpu_seconds_ww": theirs["cpu_seconds"],
        "cpu_ratio": theirs["cpu_seconds"] / ours["cpu_seconds"],
        "peak_rss_mib_ours": ours["peak_rss_mib"],
        "peak_rss_mib_ww": theirs["peak_rss_mib"],
        "memory_ratio": theirs["peak_rss_mib"] / ours["peak_rss_mib"],
        "added_rss_mib_ours": ours["peak_rss_mib"] - ours["base_rss_mib"],
        "added_rss_mib_ww": theirs["peak_rss_mib"] - theirs["base_rss_mib"],
        "solver_share_ours": share,
        "seconds_ours_layers_in_turn": in_turn,
        "solver_share_ww": theirs["solver_seconds"] / theirs["seconds"],
        "load_ours": ours["load"],
        "load_ww": theirs["load"],
        "threads": THREADS if THREADS is not None else "default",
        "rand_precision": RAND_PRECISION,
        "outliers": "; ".join(
            f"{r.key} ({r.alpha:.3f} vs {r.alpha_ww:.3f})"
            for r in matched[matched["abs_dalpha"] > TOLERANCE].itertuples()
        ),
        "only_ours": "; ".join(both.loc[both["_merge"] == "left_only", "key"]),
        "only_ww": "; ".join(both.loc[both["_merge"] == "right_only", "key"]),
    }
    return row


def ours_only(name: str, source: Path, out: Path) -> dict[str, Any]:
    """powertail alone on `source` (the full LLM stack when WeightWatcher gets a subset)."""
    ours = _measure("ours", source, out / f"ours_{name}.csv")
    return {  # wide layers only: run one at a time anyway, so the wall-time share holds
        "model": name,
        "layers_ours": ours["n_layers"],
        "seconds_ours": ours["seconds"],
        "cpu_seconds_ours": ours["cpu_seconds"],
        "peak_rss_mib_ours": ours["peak_rss_mib"],
        "added_rss_mib_ours": ours["peak_rss_mib"] - ours["base_rss_mib"],
        "solver_share_ours": ours["solver_seconds"] / ours["seconds"],
        "load_ours": ours["load"],
        "threads": THREADS if THREADS is not None else "default",
        "rand_precision": RAND_PRECISION,
    }


@contextlib.contextmanager
def _llm_file(count: int, folder: Path) -> Iterator[Path]:
    path = folder / f"llm_stack_{count}x4096x11008.safetensors"
    write_llm_stack(path, count)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _write_summary(rows: list[dict[str, Any]], out: Path) -> Any:
    import pandas as pd

    table = pd.DataFrame(rows)
    table.to_csv(out / "summary.csv", index=False)
    (out / "summary.json").write_text(json.dumps(rows, indent=2))
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["minilm", "mpnet"])
    parser.add_argument("--llm-matrices", type=int, default=4)
    parser.add_argument(
        "--ww-llm-matrices",
        type=int,
        default=None,
        help="WeightWatcher (and a same-file powertail run) on only the first K matrices "
        "of the stack; powertail alone on all --llm-matrices (default: K = all)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS/OpenMP threads of both tools"
    )
    parser.add_argument("--rand-precision", choices=("auto", "float64", "float32"), default="auto")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "bench_spectra_ww")
    args = parser.parse_args()
    global THREADS, RAND_PRECISION
    THREADS, RAND_PRECISION = args.threads, args.rand_precision
    try:
        import torch
        import weightwatcher
    except ImportError as exc:
        print(
            f"bench_spectra_ww: needs the anchor environment (torch + weightwatcher), got "
            f"{exc}; build it with `bash benchmarks/anchors/make_env.sh spectra` and run "
            "`.anchors/spectra/bin/python benchmarks/bench_spectra_ww.py`"
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"weightwatcher {weightwatcher.__version__}, {os.cpu_count()} CPUs"
    )
    rows = []
    paths = _model_paths() if args.models else {}
    for name in args.models:
        if name not in paths:
            print(f"  {name}: skipped (weights not found)")
            continue
        print(f"  {name}: running both tools ...", flush=True)
        rows.append(compare(name, paths[name], args.out))
        _write_summary(rows, args.out)  # after every model: a long run keeps what it measured
    if args.llm_matrices > 0:
        subset = min(args.ww_llm_matrices or args.llm_matrices, args.llm_matrices)
        with tempfile.TemporaryDirectory(dir=args.out) as tmp:
            with _llm_file(subset, Path(tmp)) as path:
                name = f"llm{subset}"
                print(f"  {name}: {subset} x 4096x11008 float32, running both ...", flush=True)
                row = compare(name, path, args.out)
                factor = LLM_FULL / subset
                row["extrapolated_32_seconds_ours"] = row["seconds_ours"] * factor
                row["extrapolated_32_seconds_ww"] = row["seconds_ww"] * factor
                rows.append(row)
                _write_summary(rows, args.out)
            if subset < args.llm_matrices:
                # Same seeded writer: the first `subset` matrices are the ones WW saw.
                with _llm_file(args.llm_matrices, Path(tmp)) as path:
                    name = f"llm{args.llm_matrices}"
                    print(f"  {name}: powertail alone on all {args.llm_matrices} ...", flush=True)
                    rows.append(ours_only(name, path, args.out))
    if not rows:
        print("bench_spectra_ww: nothing measured")
        return 1
    import pandas as pd

    table = _write_summary(rows, args.out)
    cols = [
        "model",
        "layers_matched",
        "frac_dalpha_le_0.01",
        "max_abs_dalpha",
        "seconds_ours",
        "seconds_ww",
        "time_ratio",
        "cpu_ratio",
        "peak_rss_mib_ours",
        "peak_rss_mib_ww",
        "memory_ratio",
        "solver_share_ours",
        "solver_share_ww",
    ]
    cols += ["cpu_seconds_ours", "cpu_seconds_ww", "load_ours", "load_ww"]
    cols = [c for c in cols if c in table]
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for row in rows:
        if "outliers" not in row:  # a powertail-only row (the full stack): nothing to compare
            continue
        if row["outliers"]:
            print(f"  {row['model']} |dalpha| > {TOLERANCE}: {row['outliers']}")
        if row["only_ours"] or row["only_ww"]:
            print(
                f"  {row['model']} only ours: {row['only_ours'] or '-'}; only WW: "
                f"{row['only_ww'] or '-'}"
            )
        if "extrapolated_32_seconds_ours" in row and row["layers_matched"] < LLM_FULL:
            print(
                f"  32 x 4096x11008 extrapolated from {row['layers_matched']}: ours "
                f"{row['extrapolated_32_seconds_ours']:.0f} s, WW "
                f"{row['extrapolated_32_seconds_ww']:.0f} s"
            )
    print(f"wrote {args.out / 'summary.csv'} and layers_<model>.csv")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(*sys.argv[2:5])
        sys.exit(0)
    sys.exit(main())

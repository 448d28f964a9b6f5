"""Seed spread of the MNIST classification study (issue #6): SVGP vs SVTP and the conjugate
Gaussian / Student-t / Burr XII models, repeated over seeds at the ``--quick`` size.

Run from the repository root (one seed after the other; each seed is a resumable run directory
``<out>/seed-<k>``, so an interrupted study continues where it stopped):

    uv run python benchmarks/bench_nngp_classify_seeds.py --out runs/classify-seeds
    uv run python benchmarks/bench_nngp_classify_seeds.py --out runs/classify-seeds --seeds 0 1 2

Each seed runs what ``powertail nngp classify --quick --seed k`` runs except the finite-width unit
(its checks do not depend on the classifiers): 1,500 training and 500 test images, clean / shot
noise / impulse noise, the CNN NNGP kernels, the conjugate models, SVGP and SVTP trained to the
validation stopping rule. A seed re-draws the training subset, the corruption noise, the
validation split, the SVI initialisation, minibatches and Monte Carlo draws.

Writes ``<out>/seeds.csv`` (every score of every seed), ``<out>/summary.csv`` (mean ± standard
deviation over seeds per model and test set) and ``<out>/paired.csv`` (paired differences
SVTP − SVGP, Student-t − NNGP σ_v² = 1, Student-t − fitted NNGP, Burr XII − NNGP σ_v² = 1, with
sign counts), and prints the tables plus the wall and CPU time of each seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from powertail.nngp.classify_experiments import QUICK, run_classification
from powertail.nngp.classify_seeds import (
    METRICS,
    format_mean_std,
    paired_differences,
    seed_summary,
)
from powertail.runs import InProcessExecutor, Run

PAIRS = (
    ("SVTP", "SVGP"),
    ("Student-t", "NNGP (σ_v²=1)"),
    ("Student-t", "NNGP (fitted σ_v²)"),
    ("Burr XII", "NNGP (σ_v²=1)"),
)


def run_seed(out: Path, seed: int) -> tuple[pd.DataFrame, float, float]:
    """The quick classification study (no finite-width unit) for one seed; scores, wall and CPU
    seconds (CPU of this process, all threads)."""
    config = replace(QUICK, svi_progress_every=10)
    wall, cpu = time.perf_counter(), time.process_time()
    with Run.open(
        out / f"seed-{seed}",
        command=sys.argv,
        config={"classify": asdict(config), "finite_width": False},
        seed=seed,
    ) as run:
        table = run_classification(run, config, InProcessExecutor(), seed=seed, finite_width=False)
    return table.assign(seed=seed), time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory of the seed runs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    tables = []
    for seed in args.seeds:
        table, wall, cpu = run_seed(args.out, seed)
        print(f"seed {seed}: {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
        tables.append(table)
    scores = pd.concat(tables, ignore_index=True)
    scores.to_csv(args.out / "seeds.csv", index=False)
    summary = seed_summary(scores)
    summary.to_csv(args.out / "summary.csv", index=False)
    paired = pd.concat([paired_differences(scores, a, b) for a, b in PAIRS], ignore_index=True)
    paired.to_csv(args.out / "paired.csv", index=False)

    print(f"\nmean ± sd over seeds {args.seeds}")
    print(f"{'test set':<14} {'model':<20} " + " ".join(f"{m:>15}" for m in METRICS))
    for row in summary.itertuples():
        cells = [
            format_mean_std(getattr(row, f"{m}_mean"), getattr(row, f"{m}_std")) for m in METRICS
        ]
        print(f"{row.test_set:<14} {row.model:<20} " + " ".join(f"{c:>15}" for c in cells))
    print("\npaired differences (same seed): mean ± sd, seeds above / below zero")
    for row in paired.itertuples():
        print(
            f"{row.difference:<34} {row.test_set:<14} {row.metric:<8} "
            f"{format_mean_std(row.mean, row.std, 4):>17}  {row.n_above_zero}/{row.n_below_zero}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: powertail.tails.fit_power_law against powerlaw.Fit (Alstott et al., 2.0.0).

Run from the repository root:

    uv run python benchmarks/bench_tails.py            # sizes 2000, 5000, 20000
    uv run python benchmarks/bench_tails.py --sizes 2000 --repeats 3

For each seeded sample (a log-normal body with a Pareto tail, and a pure Pareto sample) both
libraries do the full xmin scan over every candidate in the same process; each time is the best of
`--repeats` runs (powerlaw: best of `--anchor-repeats`). ``ks="powerlaw"`` computes exactly the KS
statistic of powerlaw 2.0.0, so its alpha, xmin and D must agree with powerlaw's to 1e-9; the
default two-sided KS is shown alongside. Exits with status 1 if the results disagree.
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings

import numpy as np

from powertail.tails import fit_power_law
from timing import best_time

ALPHA = 2.5
TOLERANCE = 1e-9


def body_and_tail(n: int, seed: int) -> np.ndarray:
    """3/4 log-normal body below 1, 1/4 exact Pareto(ALPHA) tail above 1, shuffled."""
    rng = np.random.default_rng(seed)
    n_tail = n // 4
    body = rng.lognormal(-1.0, 0.7, 4 * n)
    body = body[body < 1.0][: n - n_tail]
    tail = (1.0 - rng.random(n_tail)) ** (-1.0 / (ALPHA - 1.0))
    return rng.permutation(np.concatenate([body, tail]))


def pure_pareto(n: int, seed: int) -> np.ndarray:
    """Exact Pareto(ALPHA) sample with xmin = 1."""
    return (1.0 - np.random.default_rng(seed).random(n)) ** (-1.0 / (ALPHA - 1.0))


def run_powerlaw(x: np.ndarray) -> tuple[float, float, float]:
    import powerlaw

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(x, verbose=0)
        pl = fit.power_law
        return float(pl.alpha), float(fit.xmin), float(pl.D)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000])
    parser.add_argument("--repeats", type=int, default=5, help="repeats for powertail")
    parser.add_argument("--anchor-repeats", type=int, default=2, help="repeats for powerlaw")
    parser.add_argument("--seed", type=int, default=20250101)
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import powerlaw

    print(
        f"powertail.tails.fit_power_law vs powerlaw {powerlaw.__version__} | numpy "
        f"{np.__version__} | Python {platform.python_version()} | {platform.machine()}"
    )
    header = (
        f"{'sample':<14}{'n':>7}{'powerlaw s':>12}{'ours s':>9}{'ratio':>8}{'2-sided s':>11}"
        f" | {'alpha pl':>9}{'alpha ours':>11}{'xmin pl':>10}{'xmin ours':>10}{'D pl':>8}"
        f"{'D ours':>8} | {'alpha 2s':>9}{'xmin 2s':>9}"
    )
    print(header)
    print("-" * len(header))
    failures = []
    ratios = []
    for n in args.sizes:
        for name, make in (("body+tail", body_and_tail), ("pure Pareto", pure_pareto)):
            x = make(n, args.seed + n)
            t_ref, ref = best_time(lambda x=x: run_powerlaw(x), args.anchor_repeats)
            t_pw, ours = best_time(
                lambda x=x: fit_power_law(x, ks="powerlaw", min_tail=3), args.repeats
            )
            t_2s, two = best_time(lambda x=x: fit_power_law(x), args.repeats)
            a_ref, xmin_ref, d_ref = ref  # type: ignore[misc]
            ratio = t_ref / t_pw
            ratios.append(ratio)
            print(
                f"{name:<14}{n:>7}{t_ref:>12.3f}{t_pw:>9.3f}{ratio:>7.0f}x{t_2s:>11.3f}"
                f" | {a_ref:>9.5f}{ours.alpha:>11.5f}{xmin_ref:>10.4f}{ours.xmin:>10.4f}"
                f"{d_ref:>8.5f}{ours.D:>8.5f} | {two.alpha:>9.5f}{two.xmin:>9.4f}"
            )
            agree = (
                ours.xmin == xmin_ref
                and abs(ours.alpha - a_ref) <= TOLERANCE * a_ref
                and abs(ours.D - d_ref) <= TOLERANCE
            )
            if not agree:
                failures.append(f"{name} n={n}")
    print("-" * len(header))
    print(
        "ours = fit_power_law(x, ks='powerlaw', min_tail=3) (powerlaw's KS, same candidates); "
        "2-sided = fit_power_law(x) defaults."
    )
    print(f"speed-up over powerlaw.Fit: min {min(ratios):.0f}x, max {max(ratios):.0f}x")
    if failures:
        print(f"DISAGREEMENT with powerlaw beyond {TOLERANCE:g}: {', '.join(failures)}")
        return 1
    print(f"alpha, xmin and D agree with powerlaw to {TOLERANCE:g} on every sample.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

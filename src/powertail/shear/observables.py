r"""What is measured from a :class:`~powertail.shear.montecarlo.ShearSimulation`, with confidence
intervals (brief 5, item 4): batch means for moments, binomial order statistics for quantiles,
the bootstrap for anything else, and the samples the asymptotic laws speak about (P1-P7, brief 3.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.shear.montecarlo import ShearSimulation

__all__ = [
    "Estimate",
    "GoodnessOfFit",
    "anderson_darling",
    "batch_means",
    "bootstrap",
    "collision_quantities",
    "flight_log_ratios",
    "log_moment_slope",
    "log_moment_table",
    "log_ratio_quantiles",
    "post_collision_ratios",
    "quantile_ci",
    "second_moment_table",
    "speed_tail_table",
]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval and the method that made it."""

    value: float
    stderr: float
    low: float
    high: float
    level: float
    method: str


def _sample(x: ArrayLike, name: str, minimum: int) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=float).ravel()
    arr = arr[np.isfinite(arr)]
    if arr.size < minimum:
        raise InputError(f"{name}: expected at least {minimum} finite values, got {arr.size}")
    return arr


@dataclass(frozen=True)
class GoodnessOfFit:
    """A goodness-of-fit statistic, its p-value and the sample size."""

    statistic: float
    pvalue: float
    n: int
    method: str


def _anderson_darling_limit_cdf(z: float) -> float:
    r"""CDF of the limiting Anderson-Darling law :math:`A^2_\infty` (Marsaglia & Marsaglia 2004,
    J. Stat. Softw. 9(2), "ADinf": absolute error below 2e-6)."""
    if z <= 0:
        return 0.0
    if z < 2.0:
        poly = (
            2.00012
            + (0.247105 - (0.0649821 - (0.0347962 - (0.011672 - 0.00168691 * z) * z) * z) * z) * z
        )
        return math.exp(-1.2337141 / z) / math.sqrt(z) * poly
    inner = 1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * z) * z) * z) * z) * z
    return math.exp(-math.exp(inner))


def anderson_darling(x: ArrayLike, cdf: Callable[[NDArray], NDArray]) -> GoodnessOfFit:
    r"""Anderson-Darling test of a sample against a fully specified continuous law (brief 5.4).

    .. math::

        A^2 = -n - rac1n \sum_{i=1}^n (2i - 1)\,igl[\ln F(x_{(i)})
              + \ln(1 - F(x_{(n+1-i)}))igr],

    with the p-value from the limiting law of :math:`A^2` (no parameter is estimated; the
    limit is accurate for :math:`n \gtrsim 20`). More sensitive in the tails than KS, which is
    what the Exp(1) and Cauchy laws of P3/P4 are about.
    """
    arr = np.sort(_sample(x, "x", 20))
    n = arr.size
    u = np.clip(np.asarray(cdf(arr), dtype=float), 1e-300, 1.0 - 1e-16)
    i = np.arange(1, n + 1)
    a2 = -n - float(np.sum((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1])))) / n
    p = 1.0 - _anderson_darling_limit_cdf(a2)
    return GoodnessOfFit(statistic=a2, pvalue=max(p, 0.0), n=n, method="anderson-darling")


def batch_means(x: ArrayLike, *, n_batches: int = 20, level: float = 0.95) -> Estimate:
    r"""Mean with a batch-means confidence interval (Student-t with ``n_batches - 1`` dof).

    The sample is cut into ``n_batches`` consecutive batches (fewer for samples under
    ``2 * n_batches`` values); the spread of the batch means gives
    the standard error :math:`s_b/\sqrt{n_b}`. Particles are independent, so this equals the
    ordinary standard error up to noise, and it is what a correlated stream would need.
    """
    from scipy.stats import t as student_t

    arr = _sample(x, "x", 4)
    n_batches = min(n_batches, arr.size // 2)  # at least two values per batch
    means = np.array([b.mean() for b in np.array_split(arr, n_batches)])
    value = float(arr.mean())
    se = float(means.std(ddof=1) / math.sqrt(n_batches))
    half = float(student_t.ppf(0.5 + level / 2, n_batches - 1)) * se
    return Estimate(value, se, value - half, value + half, level, f"batch means ({n_batches})")


def quantile_ci(x: ArrayLike, q: float, *, level: float = 0.95) -> Estimate:
    r"""Sample quantile with the distribution-free order-statistic interval.

    With :math:`B \sim \mathrm{Binomial}(n, q)`, the interval :math:`[x_{(l)}, x_{(u)}]` with
    :math:`l, u` the :math:`(1 \mp \text{level})/2` quantiles of :math:`B` covers the true quantile
    with probability at least ``level`` (up to the discreteness of :math:`B`).
    """
    from scipy.stats import binom

    if not 0.0 < q < 1.0:
        raise InputError(f"q: expected a probability in (0, 1), got {q!r}")
    arr = np.sort(_sample(x, "x", 10))
    n = arr.size
    lo = int(max(binom.ppf((1 - level) / 2, n, q) - 1, 0))
    hi = int(min(binom.ppf((1 + level) / 2, n, q), n - 1))
    value = float(np.quantile(arr, q))
    return Estimate(value, float("nan"), float(arr[lo]), float(arr[hi]), level, "order statistics")


def bootstrap(
    x: ArrayLike,
    statistic: Callable[[NDArray[np.float64]], float],
    *,
    seed: int,
    n_boot: int = 400,
    level: float = 0.95,
) -> Estimate:
    """Percentile bootstrap interval of ``statistic`` (seeded)."""
    arr = _sample(x, "x", 10)
    rng = np.random.default_rng(seed)
    reps = np.array([statistic(arr[rng.integers(0, arr.size, arr.size)]) for _ in range(n_boot)])
    value = float(statistic(arr))
    low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(value, float(reps.std(ddof=1)), float(low), float(high), level, "bootstrap")


def second_moment_table(sim: ShearSimulation, *, n_batches: int = 20) -> pd.DataFrame:
    r"""Batch-means estimates of :math:`M_{11}, M_{12}, M_{22}, M_{33}` at every output time.

    Returns
    -------
    DataFrame
        Columns ``t``, ``component``, ``value``, ``stderr``, ``low``, ``high``, ``model``.
    """
    v = sim.velocity()
    rows = []
    for k, t in enumerate(sim.times):
        for name, (i, j) in {"M11": (0, 0), "M12": (0, 1), "M22": (1, 1), "M33": (2, 2)}.items():
            est = _estimate_or_nan(v[:, k, i] * v[:, k, j], n_batches=n_batches)
            rows.append(
                {
                    "t": float(t),
                    "component": name,
                    "value": est.value,
                    "stderr": est.stderr,
                    "low": est.low,
                    "high": est.high,
                    "model": sim.model.label,
                }
            )
    return pd.DataFrame(rows)


def log_ratio_quantiles(
    sim: ShearSimulation,
    *,
    component: int = 1,
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95),
    level: float = 0.95,
) -> pd.DataFrame:
    r"""Quantiles of :math:`\ln|w_i(t)|/\ln t` at each output time :math:`t > 1` (P6, P7), with
    order-statistic CIs; absorbed δ-model particles are left out (their count is in ``n``)."""
    if component not in (0, 1, 2):
        raise InputError(f"component: expected 0, 1 or 2 (w1, w2, w3), got {component!r}")
    rows = []
    keep = ~sim.absorbed
    for k, t in enumerate(sim.times):
        if t <= 1.0:
            continue
        x = sim.log_abs[keep, k, component] / math.log(t)
        for q in quantiles:
            if np.isfinite(x).sum() < 10:  # e.g. nearly all delta-model particles absorbed
                nan = float("nan")
                est = Estimate(nan, nan, nan, nan, level, "too few values")
            else:
                est = quantile_ci(x, q, level=level)
            rows.append(
                {
                    "t": float(t),
                    "tau": math.log(t),
                    "q": q,
                    "value": est.value,
                    "low": est.low,
                    "high": est.high,
                    "n": int(np.isfinite(x).sum()),
                    "model": sim.model.label,
                }
            )
    return pd.DataFrame(rows)


def _estimate_or_nan(x: NDArray[np.float64], *, n_batches: int) -> Estimate:
    """Batch means, or an all-NaN estimate when fewer than 4 finite values exist."""
    if np.isfinite(x).sum() < 4:
        nan = float("nan")
        return Estimate(nan, nan, nan, nan, 0.95, "too few values")
    return batch_means(x, n_batches=n_batches)


def _events(sim: ShearSimulation) -> pd.DataFrame:
    if sim.events is None:
        raise InputError(
            "sim.events: this observable needs the collision log; simulate with "
            "record_collisions=True"
        )
    return sim.events


def collision_quantities(sim: ShearSimulation, *, min_log_t_prev: float) -> NDArray[np.float64]:
    r"""P3 sample: :math:`Q = c_0 t|w|^{-a}/(1-a)` at collisions whose previous collision happened
    at :math:`\ln t > ` ``min_log_t_prev`` (late collisions, brief 3.5)."""
    from powertail.shear.asymptotics import collision_quantity

    ev = _events(sim).sort_values(["particle", "index"])
    prev = ev.groupby("particle")["log_t"].shift(1)
    late = ev[prev > min_log_t_prev]
    return collision_quantity(
        late["log_t"].to_numpy(), late["log_speed_pre"].to_numpy(), sim.model.a, c0=sim.model.c0
    )


def post_collision_ratios(sim: ShearSimulation, *, min_log_t: float) -> NDArray[np.float64]:
    r"""P4 sample: :math:`w_3/w_2` just after collisions at :math:`\ln t >` ``min_log_t``."""
    ev = _events(sim)
    late = ev[ev["log_t"] > min_log_t]
    s = late["sign_w3_post"].to_numpy() * late["sign_w2_post"].to_numpy()
    return s * np.exp(late["log_abs_w3_post"].to_numpy() - late["log_abs_w2_post"].to_numpy())


def flight_log_ratios(sim: ShearSimulation, *, min_log_t: float) -> NDArray[np.float64]:
    r"""P1 sample: :math:`\ln t_{n+1}/\ln t_n` for consecutive collisions with
    :math:`\ln t_n >` ``min_log_t`` (limit :math:`1/(1-a)`)."""
    ev = _events(sim).sort_values(["particle", "index"])
    nxt = ev.groupby("particle")["log_t"].shift(-1)
    ok = (ev["log_t"] > min_log_t) & nxt.notna()
    return (nxt[ok] / ev["log_t"][ok]).to_numpy()


TAIL_SCAN = 20000
"""Largest speeds among which :func:`speed_tail_table` looks for the power-law cut-off x_min."""


def speed_tail_table(sim: ShearSimulation, *, hill_k: int = 500) -> pd.DataFrame:
    r"""Tail exponent of the speed :math:`|w(t)|` at every output time, via :mod:`powertail.tails`.

    Two estimators: the continuous power-law MLE with the Clauset :math:`x_{\min}` scan
    (:func:`~powertail.tails.fit_power_law`, density exponent ``alpha``, so the CCDF index is
    ``alpha - 1``; :math:`x_{\min}` among the :data:`TAIL_SCAN` largest speeds) and Hill on the
    ``hill_k`` largest speeds. For γ = 0 the brief (1.11) predicts
    :math:`P(|w| > r) \sim r^{-p^*(K)}` with :math:`p^*(K_c^{(p)}) = p`.
    """
    from scipy.special import logsumexp

    from powertail.tails import fit_power_law, hill_estimator

    rows = []
    for k, t in enumerate(sim.times):
        with np.errstate(over="ignore"):  # speeds beyond float64 become inf and are dropped
            speed = np.exp(0.5 * logsumexp(2.0 * sim.log_abs[:, k, :], axis=1))
        speed = speed[np.isfinite(speed)]
        # x_min is scanned over the largest TAIL_SCAN points only: the law is about the tail,
        # and the exact KS scan is O(candidates x tail), too slow for 4e5 speeds
        top = np.sort(speed)[-min(TAIL_SCAN, speed.size)]
        fit = fit_power_law(speed, xmin_range=(float(top), float(speed.max())))
        hill = hill_estimator(speed, k=min(hill_k, speed.size - 1))
        rows.append(
            {
                "t": float(t),
                "ccdf_index_mle": fit.alpha - 1.0,
                "ccdf_index_mle_sigma": fit.sigma,
                "xmin": fit.xmin,
                "n_tail": fit.n_tail,
                "ccdf_index_hill": hill.tail_index,
                "ccdf_index_hill_sigma": hill.sigma,
                "model": sim.model.label,
            }
        )
    return pd.DataFrame(rows)


def log_moment_table(sim: ShearSimulation, *, n_batches: int = 20) -> pd.DataFrame:
    r"""Log-moments :math:`E\ln|w_i(t)|` with batch-means CIs: the primary observables in the
    runaway regime, where ordinary moments are dominated by single particles (brief 5, item 4)."""
    rows = []
    keep = ~sim.absorbed
    for k, t in enumerate(sim.times):
        for i, name in enumerate(("w1", "w2", "w3")):
            est = _estimate_or_nan(sim.log_abs[keep, k, i], n_batches=n_batches)
            rows.append(
                {
                    "t": float(t),
                    "component": name,
                    "mean_log_abs": est.value,
                    "stderr": est.stderr,
                    "low": est.low,
                    "high": est.high,
                    "model": sim.model.label,
                }
            )
    return pd.DataFrame(rows)


def _log_mean_square(log_abs: NDArray[np.float64]) -> float:
    from scipy.special import logsumexp

    return float(logsumexp(2.0 * log_abs) - math.log(log_abs.size))


def log_moment_slope(
    sim: ShearSimulation, *, component: int, first: int, last: int, seed: int, n_boot: int = 200
) -> Estimate:
    r"""Slope :math:`\Delta\ln E[w_i^2]/\Delta\ln t` between output times ``first`` and ``last``
    (indices), computed in log form (no overflow), with a particle bootstrap CI (P10, brief 3.5:
    "test only slopes of ln-moments over wide windows, with bootstrap CIs")."""
    keep = ~sim.absorbed
    a = sim.log_abs[keep, first, component]
    b = sim.log_abs[keep, last, component]
    span = math.log(sim.times[last]) - math.log(sim.times[first])
    pairs = np.stack([a, b], axis=1)
    ok = np.isfinite(pairs).all(axis=1)
    pairs = pairs[ok]
    index = np.arange(pairs.shape[0], dtype=float)

    def slope(idx: NDArray[np.float64]) -> float:
        chosen = pairs[idx.astype(np.int64)]
        return (_log_mean_square(chosen[:, 1]) - _log_mean_square(chosen[:, 0])) / span

    return bootstrap(index, slope, seed=seed, n_boot=n_boot)

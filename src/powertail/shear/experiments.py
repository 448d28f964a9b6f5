r"""The shear study's experiments as declarative configs, and ``reproduce`` (quick or full).

Four parts, each a set of particle batches run as units (resumable, spread over Dask; every
particle has its own counter-based stream, so the numbers do not depend on the batching):

``maxwell``
    γ = 0 (Maxwell molecules), thermal start, K below and above :math:`K_c`: Monte Carlo second
    moments with batch-means CIs against the exact moment ODE (brief 1.11, 3.3).
``maxwell-tail``
    γ = 0 at the order-p thresholds :math:`K_c^{(p)}`, p = 2, 4, 6: the tail index of the speed
    (via :mod:`powertail.tails`) against the brief's Kesten-type prediction :math:`p^* = p`.
``regimes``
    the three regimes side by side with the Maxwellian background: γ = −0.5 (hyperbolic,
    infinitely many collisions), γ = −1.5 (frozen collisions), γ = 0.5 (hard potential, NESS):
    quantiles of :math:`\ln|w_2|` and collision counts against time (brief 1.3).
``delta``
    the δ-model of MNV2 at a = 0.5 from :math:`w_0 = (0, 20, 0)` to :math:`\ln t = 200`: the laws
    P1-P8 of brief 3.1 against their predictions (:mod:`powertail.shear.asymptotics`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from powertail.runs import Executor, Run, Unit, run_units, unit_seed
from powertail.shear.model import ShearModel
from powertail.shear.montecarlo import ShearSimulation, batch_sizes, combine, simulate_unit
from powertail.studies import StudyContext

__all__ = [
    "FULL",
    "QUICK",
    "ReproduceConfig",
    "SimulationSpec",
    "regimes_specs",
    "reproduce",
    "run_simulation",
]


@dataclass(frozen=True)
class SimulationSpec:
    """One Monte Carlo experiment: a model, output times, particles, start and batch size."""

    name: str
    model: ShearModel
    times: tuple[float, ...]
    n_particles: int
    batch: int
    initial: str | tuple[float, float, float] = "thermal"
    record_collisions: bool = False
    precision: str = "extended"
    engine: str = "compiled"


@dataclass(frozen=True)
class ReproduceConfig:
    """Sizes of the reproduction (particles per experiment and the batch size of a unit)."""

    maxwell_particles: int
    regime_particles: int
    delta_particles: int
    batch: int


QUICK = ReproduceConfig(
    maxwell_particles=40000, regime_particles=3000, delta_particles=5000, batch=1000
)
FULL = ReproduceConfig(
    maxwell_particles=400000, regime_particles=20000, delta_particles=40000, batch=5000
)

TAIL_ORDERS = (2, 4, 6)
"""Maxwell-molecule runs at K = K_c^{(p)}, where the brief predicts a CCDF tail index p."""
MAXWELL_SHEARS = (0.5, 1.0)
"""Below and above K_c = 0.843274 (uniform omega, c0 = 1)."""
DELTA_TAUS = (20.0, 30.0, 40.0, 60.0, 80.0, 100.0, 130.0, 160.0, 200.0)
REGIME_GAMMAS = (-0.5, -1.5, 0.5)


def run_simulation(
    run: Run, spec: SimulationSpec, executor: Executor, *, seed: int, on_done: Any = None
) -> ShearSimulation:
    """Run ``spec`` as units of ``spec.batch`` particles into ``run`` and combine them.

    All batches share one stream seed (derived from ``seed`` and ``spec.name``): particle ``i``
    always uses stream ``i``, so the result does not depend on ``spec.batch`` or the executor.
    """
    stream_seed = unit_seed(seed, spec.name)
    initial: Any = spec.initial if isinstance(spec.initial, str) else list(spec.initial)
    units = [
        Unit(
            key=f"{spec.name}-p{first}",
            fn=simulate_unit,
            kwargs={
                "model": spec.model.as_dict(),
                "times": list(spec.times),
                "n_particles": size,
                "first_particle": first,
                "seed": stream_seed,
                "initial": initial,
                "record_collisions": spec.record_collisions,
                "precision": spec.precision,
                "engine": spec.engine,
            },
        )
        for first, size in batch_sizes(spec.n_particles, spec.batch)
    ]
    results = run_units(run, units, executor, on_done=on_done)
    return combine(spec.model, spec.times, [results[u.key] for u in units])


def maxwell_specs(config: ReproduceConfig) -> list[SimulationSpec]:
    """γ = 0 thermal starts at the shears of :data:`MAXWELL_SHEARS`."""
    times = tuple(float(t) for t in (0.5, 1.0, 2.0, 4.0, 8.0, 12.0))
    return [
        SimulationSpec(
            name=f"maxwell-K{K:g}",
            model=ShearModel(0.0, shear=K),
            times=times,
            n_particles=config.maxwell_particles,
            batch=config.batch * 5,
            precision="double",  # speeds stay O(e^{lambda_K t}) here
        )
        for K in MAXWELL_SHEARS
    ]


def tail_specs(config: ReproduceConfig) -> list[SimulationSpec]:
    """γ = 0 at the order-p thresholds K_c^{(p)} of :data:`TAIL_ORDERS`, to t = 40."""
    from powertail.shear.moments import critical_shear_order

    return [
        SimulationSpec(
            name=f"maxwell-tail-p{p}",
            model=ShearModel(0.0, shear=round(critical_shear_order(ShearModel(0.0), p), 6)),
            times=(20.0, 40.0),
            n_particles=config.maxwell_particles,
            batch=config.batch * 5,
            precision="double",
        )
        for p in TAIL_ORDERS
    ]


def regimes_specs(config: ReproduceConfig) -> list[SimulationSpec]:
    """The three regimes of brief 1.3 with the Maxwellian background (β₀ = K = T = 1)."""
    specs = []
    for gamma in REGIME_GAMMAS:
        if gamma < 0:
            times = tuple(float(t) for t in np.exp(np.linspace(1.0, 40.0, 14)))
        else:
            times = tuple(float(t) for t in np.geomspace(0.5, 40.0, 14))
        specs.append(
            SimulationSpec(
                name=f"regime-g{gamma:g}",
                model=ShearModel(gamma),
                times=times,
                n_particles=config.regime_particles,
                batch=config.batch,
            )
        )
    return specs


def delta_spec(config: ReproduceConfig) -> SimulationSpec:
    """δ-model, a = 0.5, K = c₀ = 1, from (0, 20, 0) to ln t = 200 (brief 3.4)."""
    return SimulationSpec(
        name="delta-a0.5",
        model=ShearModel(-0.5, background="delta"),
        times=tuple(float(t) for t in np.exp(DELTA_TAUS)),
        n_particles=config.delta_particles,
        batch=config.batch,
        initial=(0.0, 20.0, 0.0),
        record_collisions=True,
    )


def maxwell_table(sim: ShearSimulation) -> pd.DataFrame:
    """MC second moments with batch-means CIs next to the exact ODE values."""
    from powertail.shear.moments import second_moments
    from powertail.shear.observables import second_moment_table

    table = second_moment_table(sim)
    ode = second_moments(sim.model, sim.times).M
    index = {"M11": (0, 0), "M12": (0, 1), "M22": (1, 1), "M33": (2, 2)}
    k_of_t = {float(t): k for k, t in enumerate(sim.times)}
    table["ode"] = [
        ode[k_of_t[t]][index[c]] for t, c in zip(table["t"], table["component"], strict=True)
    ]
    table["z"] = (table["value"] - table["ode"]) / table["stderr"]
    table["K"] = sim.model.shear
    return table


def regimes_table(sims: list[ShearSimulation]) -> pd.DataFrame:
    """Per regime and time: quantiles of ln|w2| and ln|w1|, mean collisions, sign(w1 w2) < 0."""
    rows = []
    for sim in sims:
        for k, t in enumerate(sim.times):
            lw2 = sim.log_abs[:, k, 1]
            lw1 = sim.log_abs[:, k, 0]
            rows.append(
                {
                    "gamma": sim.model.gamma,
                    "t": float(t),
                    "log_t": math.log(t),
                    "log_w2_q05": float(np.quantile(lw2, 0.05)),
                    "log_w2_median": float(np.median(lw2)),
                    "log_w2_q95": float(np.quantile(lw2, 0.95)),
                    "log_w1_median": float(np.median(lw1)),
                    "collisions_mean": float(sim.n_collisions[:, k].mean()),
                    "opposite_sign": float((sim.sign[:, k, 0] * sim.sign[:, k, 1] < 0).mean()),
                    **_p6_band(sim.model, math.log(t)),
                    "model": sim.model.label,
                }
            )
    return pd.DataFrame(rows)


def _p6_band(model: ShearModel, tau: float) -> dict[str, float]:
    """Predicted 5/50/95 % of ln|w2| at ln t = tau for -1 < gamma < 0 (P6, K = c0 = 1), else NaN."""
    from powertail.shear.asymptotics import log_w2_ratio_quantile

    keys = ("pred_log_w2_q05", "pred_log_w2_median", "pred_log_w2_q95")
    if not -1.0 < model.gamma < 0.0:
        return dict.fromkeys(keys, float("nan"))
    q = log_w2_ratio_quantile(np.array([0.05, 0.5, 0.95]), -model.gamma) * tau
    return {k: float(v) for k, v in zip(keys, q, strict=True)}


def frozen_table(sim: ShearSimulation) -> pd.DataFrame:
    """γ < −1 (brief 1.10, 3.2): collisions, frozen w₂ and |w₁|/t → K|w₂| at each output time."""
    from powertail.shear.asymptotics import frozen_w1_over_t
    from powertail.shear.observables import batch_means, quantile_ci

    rows = []
    for k, t in enumerate(sim.times):
        n = sim.n_collisions[:, k].astype(float)
        later = sim.n_collisions[:, -1] - sim.n_collisions[:, k]
        ratio = np.exp(sim.log_abs[:, k, 0] - math.log(t)) / frozen_w1_over_t(
            sim.log_abs[:, k, 1], shear=sim.model.shear
        )
        rows.append(
            {
                "t": float(t),
                "mean_collisions": batch_means(n).value,
                "max_collisions": int(n.max()),
                "fraction_colliding_later": float((later > 0).mean()),
                "median_abs_w2": float(np.exp(np.median(sim.log_abs[:, k, 1]))),
                "median_w1_over_t_K_w2": quantile_ci(ratio, 0.5).value,
                "opposite_sign": float((sim.sign[:, k, 0] * sim.sign[:, k, 1] < 0).mean()),
                "model": sim.model.label,
            }
        )
    return pd.DataFrame(rows)


def delta_laws_table(sim: ShearSimulation) -> pd.DataFrame:
    """P1-P7 and P10 measured on the δ-model run, each next to its prediction (brief 3.1)."""
    from scipy.stats import cauchy, expon, kstest

    from powertail.shear import asymptotics as asy
    from powertail.shear.observables import (
        anderson_darling,
        batch_means,
        collision_quantities,
        flight_log_ratios,
        log_moment_slope,
        post_collision_ratios,
        quantile_ci,
    )

    a = sim.model.a
    ok = ~sim.absorbed
    tau = math.log(sim.times[-1])
    rows: list[dict[str, Any]] = []

    def add(name: str, observable: str, est: Any, prediction: float) -> None:
        rows.append(
            {
                "law": name,
                "observable": observable,
                "value": est.value,
                "low": est.low,
                "high": est.high,
                "prediction": prediction,
                "model": sim.model.label,
            }
        )

    ratios = flight_log_ratios(sim, min_log_t=40.0)
    add("P1", "median ln t_{n+1}/ln t_n (ln t_n > 40)", quantile_ci(ratios, 0.5), 1 / (1 - a))
    k60 = int(np.argmin(np.abs(np.log(sim.times) - 60.0)))
    gained = (sim.n_collisions[ok, -1] - sim.n_collisions[ok, k60]).astype(float)
    pred_p2 = float(asy.collision_count(tau, a) - asy.collision_count(math.log(sim.times[k60]), a))
    add("P2", f"mean N(tau={tau:g}) - N(tau=60)", batch_means(gained), pred_p2)
    q = collision_quantities(sim, min_log_t_prev=20.0)
    add("P3", "mean Q at late collisions", batch_means(q), 1.0)
    add("P3", "P(Q > 1)", batch_means((q > 1).astype(float)), math.exp(-1))
    ks_q = kstest(q, "expon")
    rows.append(
        {
            "law": "P3",
            "observable": f"KS distance of Q to Exp(1) (p = {ks_q.pvalue:.3g}, n = {q.size})",
            "value": float(ks_q.statistic),
            "low": float("nan"),
            "high": float("nan"),
            "prediction": 0.0,
            "model": sim.model.label,
        }
    )
    ad_q = anderson_darling(q, expon.cdf)
    rows.append(
        {
            "law": "P3",
            "observable": f"AD statistic of Q to Exp(1) (p = {ad_q.pvalue:.3g}, n = {ad_q.n})",
            "value": ad_q.statistic,
            "low": float("nan"),
            "high": float("nan"),
            "prediction": 0.0,
            "model": sim.model.label,
        }
    )
    r = post_collision_ratios(sim, min_log_t=20.0)
    ks_r = kstest(r, "cauchy")
    ad_r = anderson_darling(r, cauchy.cdf)
    rows.append(
        {
            "law": "P4",
            "observable": f"AD statistic of w3/w2 to Cauchy (p = {ad_r.pvalue:.3g}, n = {ad_r.n})",
            "value": ad_r.statistic,
            "low": float("nan"),
            "high": float("nan"),
            "prediction": 0.0,
            "model": sim.model.label,
        }
    )
    rows.append(
        {
            "law": "P4",
            "observable": f"KS distance of w3/w2 to Cauchy (p = {ks_r.pvalue:.3g}, n = {r.size})",
            "value": float(ks_r.statistic),
            "low": float("nan"),
            "high": float("nan"),
            "prediction": 0.0,
            "model": sim.model.label,
        }
    )
    add("P4", "median |w3/w2| after late collisions", quantile_ci(np.abs(r), 0.5), 1.0)
    opposite = (sim.sign[ok, -1, 0] * sim.sign[ok, -1, 1] < 0).astype(float)
    add("P5", "fraction sign(w1 w2) < 0", batch_means(opposite), 1.0)
    x = sim.log_abs[ok, -1, 1] / tau
    for qq in (0.05, 0.25, 0.5, 0.75, 0.95):
        add(
            "P6",
            f"q{qq:g} of ln|w2|/ln t",
            quantile_ci(x, qq),
            float(asy.log_w2_ratio_quantile(qq, a)),
        )
    add(
        "P7",
        "median ln|w1|/ln t",
        quantile_ci(sim.log_abs[ok, -1, 0] / tau, 0.5),
        asy.log_w1_ratio_median(a),
    )
    first = int(np.argmin(np.abs(np.log(sim.times) - 60.0)))
    last = sim.times.size - 1
    if last > first:
        tau0 = math.log(sim.times[first])
        drift = (math.log(tau) - math.log(tau0)) / (tau - tau0)  # the 1/ln t factor
        for i, power in ((0, 2 / a + 2), (1, 2 / a)):
            add(
                "P10",
                f"d ln E[w{i + 1}^2] / d ln t, ln t in [{tau0:g}, {tau:g}]",
                log_moment_slope(sim, component=i, first=first, last=last, seed=0),
                power - drift,
            )
    absorbed = batch_means(sim.absorbed.astype(float))
    add("absorbed", "fraction collapsed to 0 (delta-model artefact)", absorbed, float("nan"))
    return pd.DataFrame(rows)


def delta_quantile_table(sim: ShearSimulation) -> pd.DataFrame:
    """Quantiles of ln|w2|/ln t against ln t with order-statistic CIs and the P6 prediction."""
    from powertail.shear.asymptotics import log_w2_ratio_quantile
    from powertail.shear.observables import log_ratio_quantiles

    table = log_ratio_quantiles(sim, component=1)
    table["prediction"] = log_w2_ratio_quantile(table["q"].to_numpy(), sim.model.a)
    return table


def reproduce(context: StudyContext) -> None:
    """Run the quick (or full) reproduction into ``context.run``: tables and figures."""
    from powertail.shear import plots
    from powertail.shear.asymptotics import collision_count, log_xi2_density
    from powertail.shear.observables import (
        batch_means,
        collision_quantities,
        post_collision_ratios,
        speed_tail_table,
    )

    config = FULL if context.full else QUICK
    run = context.run
    tails = tail_specs(config)
    specs = [*maxwell_specs(config), *tails, *regimes_specs(config), delta_spec(config)]
    n_units = sum(len(batch_sizes(s.n_particles, s.batch)) for s in specs)
    on_done = context.unit_progress("shear: particle batches", n_units)
    sims: dict[str, ShearSimulation] = {}
    with run.step("simulate particle batches"):
        for spec in specs:
            sims[spec.name] = run_simulation(
                run, spec, context.executor, seed=context.seed, on_done=on_done
            )
    with run.step("maxwell molecules: MC vs moment ODE"):
        table = pd.concat([maxwell_table(sims[s.name]) for s in maxwell_specs(config)])
        run.table("maxwell_moments", table)
        run.figure("maxwell_moments", plots.plot_second_moments(table).figure)
    with run.step("maxwell molecules: power-law tail at K_c^(p)"):
        parts = []
        for p, spec in zip(TAIL_ORDERS, tails, strict=True):
            part = speed_tail_table(sims[spec.name])
            part.insert(0, "predicted_ccdf_index", float(p))
            part.insert(0, "K", spec.model.shear)
            parts.append(part)
        run.table("maxwell_tail", pd.concat(parts, ignore_index=True))
    with run.step("three regimes side by side"):
        regime_sims = [sims[s.name] for s in regimes_specs(config)]
        table = regimes_table(regime_sims)
        run.table("regimes", table)
        run.figure("regimes", plots.plot_regimes(table)[0].figure)
        frozen = next(sim for sim in regime_sims if sim.model.gamma < -1)
        run.table("frozen_collisions", frozen_table(frozen))
    with run.step("delta model: asymptotic laws"):
        sim = sims[delta_spec(config).name]
        run.table("delta_laws", delta_laws_table(sim))
        quantiles = delta_quantile_table(sim)
        run.table("delta_quantiles", quantiles)
        run.figure("delta_quantiles", plots.plot_log_ratio_quantiles(quantiles).figure)
        log_t = np.log(sim.times)
        counts = [batch_means(sim.n_collisions[~sim.absorbed, k]) for k in range(sim.times.size)]
        mean = np.array([c.value for c in counts])
        predicted = collision_count(log_t, sim.model.a)
        predicted = predicted - predicted[-1] + mean[-1]
        run.figure(
            "delta_collision_count",
            plots.plot_collision_count(
                log_t, mean, [c.low for c in counts], [c.high for c in counts], predicted
            ).figure,
        )
        run.figure(
            "delta_collision_quantity_qq",
            plots.plot_exp_qq(collision_quantities(sim, min_log_t_prev=20.0)).figure,
        )
        run.figure(
            "delta_transverse_ratio",
            plots.plot_cauchy_ratio(post_collision_ratios(sim, min_log_t=20.0)).figure,
        )
        tau = math.log(sim.times[-1])
        a = sim.model.a
        u = sim.log_abs[~sim.absorbed, -1, 1] - (1 / a - 1) * tau  # ln|xi2| with K = c0 = 1
        grid = np.linspace(-(1 - a) * tau / a + 1e-6, tau, 800)
        run.figure(
            "delta_log_xi2_density",
            plots.plot_log_xi2_histogram(u, grid, log_xi2_density(grid, tau, a), tau=tau).figure,
        )


def output_times(*, t_max: float, n_times: int, t_min: float | None = None) -> tuple[float, ...]:
    """Log-spaced output times from ``t_min`` (default ``min(1, t_max / 1000)``) to ``t_max``."""
    from powertail.errors import InputError

    if not (math.isfinite(t_max) and t_max > 0):
        raise InputError(f"t_max: expected a finite time > 0, got {t_max}")
    if n_times < 1:
        raise InputError(f"n_times: expected an int >= 1, got {n_times}")
    low = min(1.0, t_max / 1e3) if t_min is None else t_min
    if n_times == 1:
        return (float(t_max),)
    if not 0 < low < t_max:
        raise InputError(f"t_min: expected 0 < t_min < t_max = {t_max}, got {low}")
    return tuple(float(t) for t in np.geomspace(low, t_max, n_times))


def simulation_tables(sim: ShearSimulation) -> dict[str, pd.DataFrame]:
    """The tables ``powertail shear simulate`` writes: ``summary``, ``log_quantiles`` and, for
    γ = 0, ``second_moments`` (with the exact ODE values)."""
    from powertail.shear.observables import log_moment_table, log_ratio_quantiles

    tables: dict[str, pd.DataFrame] = {}
    summary = {
        **sim.model.as_dict(),
        "particles": int(sim.particle.size),
        "t_max": float(sim.times[-1]),
        "collisions": sim.diagnostics["collisions"],
        "thinning_proposals": sim.diagnostics["proposals"],
        "absorbed_fraction": float(sim.absorbed.mean()),
        "mean_collisions_per_particle": float(sim.diagnostics["collisions"] / sim.particle.size),
    }
    tables["summary"] = pd.DataFrame([summary])
    if np.any(sim.times > 1.0):
        parts = []
        for component, name in enumerate(("w1", "w2", "w3")):
            part = log_ratio_quantiles(sim, component=component)
            part.insert(0, "component", name)
            parts.append(part)
        tables["log_quantiles"] = pd.concat(parts, ignore_index=True)
    tables["log_moments"] = log_moment_table(sim)
    if sim.model.gamma == 0.0:
        tables["second_moments"] = maxwell_table(sim)
    return tables


def regimes(
    run: Run, executor: Executor, *, n_particles: int, seed: int, on_done: Any = None
) -> pd.DataFrame:
    """Run the three regimes of :func:`regimes_specs` into ``run``: table and figure ``regimes``."""
    from powertail.shear import plots

    config = ReproduceConfig(
        maxwell_particles=1, regime_particles=n_particles, delta_particles=1, batch=QUICK.batch
    )
    with run.step("simulate the three regimes"):
        sims = [
            run_simulation(run, s, executor, seed=seed, on_done=on_done)
            for s in regimes_specs(config)
        ]
    with run.step("table and figure"):
        table = regimes_table(sims)
        run.table("regimes", table)
        run.figure("regimes", plots.plot_regimes(table)[0].figure)
    return table

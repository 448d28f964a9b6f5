"""Ensembles over (A, protocol, seed): one executor unit per member, resumable, on Dask.

:func:`sweep` is the library function behind ``powertail dwarfs sweep``. Each member integrates
every ε component at once (they are test particles in the same halo), so any dN/de is a
re-weighting afterwards (:func:`~powertail.dwarfs.populations.grid_weights`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, replace

import numpy as np
import pandas as pd

from powertail.dwarfs.simulation import SimulationConfig, simulation_unit
from powertail.errors import InputError
from powertail.runs import Executor, Run, Unit, run_units, unit_seed

__all__ = ["member_key", "summarise_members", "sweep", "sweep_units"]


def member_key(config: SimulationConfig, seed_index: int) -> str:
    """Unit key of one ensemble member, e.g. ``nfw-impulsive-a=0.5-seed=0``."""
    return f"{config.halo}-{config.protocol}-a={config.amplitude:g}-seed={seed_index}"


def sweep_units(
    base: SimulationConfig,
    *,
    amplitudes: Sequence[float],
    protocols: Sequence[str],
    seeds: int,
    root_seed: int,
) -> list[Unit]:
    """One :class:`~powertail.runs.Unit` per (amplitude, protocol, seed index), each seeded from
    ``root_seed`` and its key (so the numbers do not depend on the executor)."""
    if seeds < 1:
        raise InputError(f"seeds: expected at least 1 ensemble member per setting, got {seeds}")
    if not amplitudes or not protocols:
        raise InputError("amplitudes, protocols: expected at least one value each, got none")
    units = []
    for amplitude in amplitudes:
        for protocol in protocols:
            cfg = replace(base, amplitude=float(amplitude), protocol=protocol)
            for s in range(seeds):
                key = member_key(cfg, s)
                units.append(
                    Unit(
                        key=key,
                        fn=simulation_unit,
                        kwargs={
                            **asdict(cfg),
                            "eps": list(cfg.eps),
                            "seed": unit_seed(root_seed, key),
                        },
                    )
                )
    return units


def summarise_members(units: Sequence[Unit], results: dict[str, dict]) -> pd.DataFrame:
    """One row per (member, component): final/initial r_h, σ_los, r_h·σ (late third of the run),
    late virial ratio, mean and spread of e', unbound fraction and the energy error."""
    rows = []
    for unit in units:
        res = results[unit.key]
        series = res["series"]
        kw = unit.kwargs
        for k, eps in enumerate(kw["eps"]):
            s = series[series["component"] == k]
            if s.empty:
                continue
            late = s[s["t"] >= s["t"].max() * 2 / 3]
            e_new = res["e_final"][res["component"] == k]
            rh = late["r_h"].mean() / s["r_h"].iloc[0]
            sig = late["sigma_los"].mean() / s["sigma_los"].iloc[0]
            rows.append(
                {
                    "member": unit.key,
                    "halo": kw["halo"],
                    "protocol": kw["protocol"],
                    "amplitude": kw["amplitude"],
                    "eps": eps,
                    "rh_ratio": rh,
                    "sigma_los_ratio": sig,
                    "rh_sigma_ratio": rh * sig,
                    "virial_ratio_late": late["virial_ratio"].mean(),
                    "e_final_mean": float(np.mean(e_new[e_new < 1]))
                    if np.any(e_new < 1)
                    else np.nan,
                    "e_final_std": float(np.std(e_new[e_new < 1])) if np.any(e_new < 1) else np.nan,
                    "unbound_fraction": float(np.mean(e_new >= 1)),
                    "energy_error_median": res["energy_error_median"],
                }
            )
    return pd.DataFrame(rows)


def sweep(
    run: Run,
    base: SimulationConfig,
    *,
    amplitudes: Sequence[float],
    protocols: Sequence[str],
    seeds: int,
    executor: Executor,
    on_done: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run the ensemble into ``run`` (units saved as they finish; a rerun resumes) and return
    the per-member summary (also written as table ``members`` with its mean over seeds as
    ``summary``)."""
    root = run.seed if run.seed is not None else 0
    units = sweep_units(
        base, amplitudes=amplitudes, protocols=protocols, seeds=seeds, root_seed=root
    )
    results = run_units(run, units, executor, on_done=on_done)
    members = summarise_members(units, results)
    run.table("members", members)
    summary = (
        members.groupby(["protocol", "amplitude", "eps"])
        .agg(
            rh_ratio=("rh_ratio", "mean"),
            rh_ratio_std=("rh_ratio", "std"),
            sigma_los_ratio=("sigma_los_ratio", "mean"),
            rh_sigma_ratio=("rh_sigma_ratio", "mean"),
            e_final_mean=("e_final_mean", "mean"),
            unbound_fraction=("unbound_fraction", "mean"),
            members=("member", "count"),
        )
        .reset_index()
    )
    run.table("summary", summary)
    return summary

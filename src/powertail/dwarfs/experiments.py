r"""The dwarfs reproduction: impulsive vs adiabatic mass change of mono-energetic populations.

Every claim of the abstract (brief §0 items 3-6) gets a table with our number next to the
brief's (**[prototype]** numbers of §2.4, measured with the brief author's independent NumPy
code, or closed forms of §2.2) and a figure:

* NFW halo, components ε = 0.1, 0.2, 0.3: impulsive A = 0.5, 0.25, 1.5 and adiabatic
  A = 0.5, 0.25 — r_h, σ, r_h·σ, energy maps, tails, β(r), metallicity gradients and the mixing
  of two energetically distinct populations. The adiabatic ramp is the brief's linear one over
  t_ch = 100 T in the full variant; the quick variant uses a C² smooth ramp over 10 T, because
  the kinks of a short linear ramp set the whole (mono-energetic, hence coherent) population
  breathing by ±10 % in r_h (measured), which a smooth ramp does not;
* Plummer core (ω = 1), ε = 0.01, 0.05, 0.2: impulsive and adiabatic A = 0.5 — breathing
  period π/ω', damping and the bias of Wolf / Errani+18 masses over time.

Each experiment is one :class:`~powertail.runs.Unit` (:func:`simulation_unit`), so runs resume
and spread over Dask. The quick variant uses 2500 (NFW) and 1000 (Plummer) stars per component.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from powertail.dwarfs.model import e_from_energy, mono_energetic_density
from powertail.dwarfs.observables import (
    anisotropy_profile,
    log_slope_profile,
    metallicity_gradient,
    oscillation,
)
from powertail.dwarfs.potentials import NFW, Plummer
from powertail.dwarfs.predictions import (
    adiabatic_energies,
    adiabatic_powerlaw_scaling,
    breathing_period,
    impulsive_energy_quantiles,
)
from powertail.dwarfs.simulation import SimulationConfig, simulation_unit
from powertail.runs import Unit, run_units, unit_seed
from powertail.studies import StudyContext

__all__ = ["BRIEF", "FULL", "QUICK", "ReproductionConfig", "reproduce"]

T_NFW = 6.7
"""Orbital time at r_h of the ε = 0.2 NFW population (brief §2.4.1), the unit of t_ch."""
NFW_EPS = (0.1, 0.2, 0.3)
PLUMMER_EPS = (0.01, 0.05, 0.2)
GRID_EPS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
"""ε grid evolved once per protocol and re-weighted to an Errani+22 dN/de (brief §1.3)."""
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FEH_ZERO, FEH_SLOPE = -1.0, -3.5
"""[Fe/H](e) = FEH_ZERO + FEH_SLOPE e: more bound stars are more metal-rich (brief §1.5,
[inferred] rule; ε = 0.1 → −1.35, 0.3 → −2.05, a Sculptor-like spread)."""

BRIEF: dict[str, Any] = {
    # brief §2.4.1 / §2.4.3 [prototype], NFW, eps = 0.2 unless keyed otherwise
    "rh_ratio": {
        ("impulsive", 0.5): 1.32,
        ("adiabatic", 0.5): 1.305,
        ("impulsive", 1.5): 0.85,
        ("impulsive", 0.25): 2.155,
        ("adiabatic", 0.25): 1.73,
    },
    "sigma_ratio": {
        ("impulsive", 0.5): 0.78,
        ("adiabatic", 0.5): 0.76,
        ("impulsive", 1.5): 1.18,
        ("impulsive", 0.25): 0.605,
        ("adiabatic", 0.25): 0.585,
    },
    "rh_sigma_ratio": {
        ("impulsive", 0.5): 1.025,
        ("adiabatic", 0.5): 0.998,
        ("impulsive", 1.5): 1.00,
        ("impulsive", 0.25): 1.31,
        ("adiabatic", 0.25): 1.005,
    },
    # brief §2.4.3: differential expansion, r_h ratio per eps
    "rh_ratio_eps": {
        ("adiabatic", 0.5, 0.1): 1.28,
        ("adiabatic", 0.5, 0.3): 1.34,
        ("adiabatic", 0.25, 0.1): 1.66,
        ("adiabatic", 0.25, 0.3): 1.79,
        ("impulsive", 0.25, 0.1): 1.88,
        ("impulsive", 0.25, 0.3): 2.44,
    },
    # brief §2.4.2: adiabatic e' of eps = 0.2
    "adiabatic_e": {0.5: 0.2432, 0.25: 0.2934},
    # brief §2.4.1: impulsive A = 0.25 anisotropy and tail
    "beta_impulsive_0.25": {0.9: 0.65, 1.4: 0.84, 2.0: 0.9},
    "tail_slope_range": (-5.0, -3.0),
    # brief §2.4.4-2.4.5: Plummer, A = 0.5
    "breathing_period": 4.50,
    "breathing_amplitude": {0.01: 0.2, 0.05: 0.28, 0.2: 0.26},
    "wolf_range_60_120": {0.01: (0.43, 2.4), 0.05: (0.43, 2.4), 0.2: (0.83, 1.01)},
    "errani18_range_60_120": {0.01: (0.28, 1.54), 0.2: (0.76, 0.90)},
    "plummer_adiabatic": {"rh": 1.188, "sigma": 0.841},
}
"""The brief's numbers (../shared/papers/dwarf-spheroidal-mixing.md, sections in comments)."""


@dataclass(frozen=True)
class ReproductionConfig:
    """Sizes of the reproduction."""

    nfw_stars: int
    plummer_stars: int
    nfw_dt: float
    nfw_t_end_impulsive: float
    t_change_periods: float
    plummer_dt: float
    plummer_t_end: float
    plummer_snapshot: float
    method: str
    ramp: str
    grid_stars: int = 600


QUICK = ReproductionConfig(
    nfw_stars=2500,
    plummer_stars=1000,
    nfw_dt=T_NFW / 1000,
    nfw_t_end_impulsive=15 * T_NFW,
    t_change_periods=10.0,
    plummer_dt=0.02,
    plummer_t_end=180.0,
    plummer_snapshot=0.2,
    method="leapfrog",
    ramp="smooth",
)
FULL = ReproductionConfig(
    nfw_stars=20000,
    plummer_stars=10000,
    nfw_dt=T_NFW / 1000,
    nfw_t_end_impulsive=50 * T_NFW,
    t_change_periods=100.0,
    plummer_dt=0.01,
    plummer_t_end=200.0,
    plummer_snapshot=0.2,
    method="leapfrog",
    ramp="linear",
    grid_stars=2000,
)


def experiments(config: ReproductionConfig) -> dict[str, SimulationConfig]:
    """The experiments of the reproduction, keyed by unit key."""
    t_ch = config.t_change_periods * T_NFW
    nfw = SimulationConfig(
        halo="nfw",
        eps=NFW_EPS,
        amplitude=0.5,
        protocol="impulsive",
        t_change=0.0,
        t_end=config.nfw_t_end_impulsive,
        dt=config.nfw_dt,
        snapshot_every=T_NFW / 2,
        n_per_component=config.nfw_stars,
        method=config.method,  # type: ignore[arg-type]
    )
    adiabatic_end = t_ch + 5 * T_NFW
    ramp = config.ramp
    plummer = SimulationConfig(
        halo="plummer",
        eps=PLUMMER_EPS,
        amplitude=0.5,
        protocol="impulsive",
        t_change=0.0,
        t_end=config.plummer_t_end,
        dt=config.plummer_dt,
        snapshot_every=config.plummer_snapshot,
        n_per_component=config.plummer_stars,
        method=config.method,  # type: ignore[arg-type]
    )
    return {
        "nfw-impulsive-a=0.5": nfw,
        "nfw-impulsive-a=0.25": replace(nfw, amplitude=0.25),
        "nfw-impulsive-a=1.5": replace(nfw, amplitude=1.5),
        "nfw-adiabatic-a=0.5": replace(nfw, protocol=ramp, t_change=t_ch, t_end=adiabatic_end),
        "nfw-adiabatic-a=0.25": replace(
            nfw, amplitude=0.25, protocol=ramp, t_change=t_ch, t_end=adiabatic_end
        ),
        "nfw-grid-adiabatic-a=0.5": replace(
            nfw,
            eps=GRID_EPS,
            n_per_component=config.grid_stars,
            protocol=ramp,
            t_change=t_ch,
            t_end=adiabatic_end,
            snapshot_every=5 * T_NFW,
        ),
        "nfw-grid-adiabatic-a=0.25": replace(
            nfw,
            eps=GRID_EPS,
            n_per_component=config.grid_stars,
            amplitude=0.25,
            protocol=ramp,
            t_change=t_ch,
            t_end=adiabatic_end,
            snapshot_every=5 * T_NFW,
        ),
        "nfw-grid-impulsive-a=0.25": replace(
            nfw,
            eps=GRID_EPS,
            n_per_component=config.grid_stars,
            amplitude=0.25,
            snapshot_every=5 * T_NFW,
        ),
        "plummer-impulsive-a=0.5": plummer,
        "plummer-adiabatic-a=0.5": replace(
            plummer, protocol=ramp, t_change=100.0, t_end=150.0, snapshot_every=2.0
        ),
    }


def _late(df: pd.DataFrame, fraction: float = 1 / 3, *, after: float = 0.0) -> pd.DataFrame:
    """The last ``fraction`` of a time series, but never before ``after`` (the end of a ramp)."""
    t_max = df["t"].max()
    return df[df["t"] >= max(after, t_max * (1 - fraction))]


def _summary(results: dict[str, dict], configs: dict[str, SimulationConfig]) -> pd.DataFrame:
    rows = []
    for key, cfg in configs.items():
        if "-grid-" in key:
            continue
        res = results[key]
        series = res["series"]
        for k, eps in enumerate(cfg.eps):
            s = series[series["component"] == k]
            first, late = s.iloc[0], _late(s, after=cfg.t_change)
            rh, sig = late["r_h"].mean() / first["r_h"], late["sigma_3d"].mean() / first["sigma_3d"]
            mask = res["component"] == k
            e_new = res["e_final"][mask]
            # the brief's §2.4.1/§2.4.3 numbers are for the NFW halo only
            regime = "impulsive" if cfg.protocol == "impulsive" else "adiabatic"
            brief_key = (regime, cfg.amplitude) if cfg.halo == "nfw" else ("none", 0.0)
            brief_rh = (
                BRIEF["rh_ratio"].get(brief_key)
                if eps == 0.2
                else BRIEF["rh_ratio_eps"].get((*brief_key, eps))
            )
            rows.append(
                {
                    "halo": cfg.halo,
                    "regime": regime,
                    "protocol": cfg.protocol,
                    "amplitude": cfg.amplitude,
                    "eps": eps,
                    "rh_ratio": rh,
                    "brief_rh_ratio": brief_rh,
                    "sigma_ratio": sig,
                    "brief_sigma_ratio": BRIEF["sigma_ratio"].get(brief_key)
                    if eps == 0.2
                    else None,
                    "rh_sigma_ratio": rh * sig,
                    "brief_rh_sigma_ratio": (
                        BRIEF["rh_sigma_ratio"].get(brief_key) if eps == 0.2 else None
                    ),
                    "virial_ratio_late": late["virial_ratio"].mean(),
                    "virial_ratio_late_std": late["virial_ratio"].std(),
                    "e_final_mean": float(np.mean(e_new[e_new < 1])),
                    "e_final_std": float(np.std(e_new[e_new < 1])),
                    "unbound_fraction": float(np.mean(e_new >= 1)),
                    "energy_error_median": res["energy_error_median"],
                    "energy_error_max": res["energy_error_max"],
                }
            )
    return pd.DataFrame(rows)


def reproduce(context: StudyContext) -> None:
    """Run the reproduction into ``context.run``: units, tables and figures (module docstring)."""
    config = FULL if context.full else QUICK
    configs = experiments(config)
    units = [
        Unit(
            key=key,
            fn=simulation_unit,
            kwargs={**asdict(cfg), "eps": list(cfg.eps), "seed": unit_seed(context.seed, key)},
        )
        for key, cfg in configs.items()
    ]
    run = context.run
    with run.step("simulate ensemble"):
        on_done = context.unit_progress("dwarfs: experiments", len(units))
        results = run_units(run, units, context.executor, on_done=on_done)
    with run.step("sizes and dispersions"):
        summary = _summary(results, configs)
        run.table("summary", summary)
        _figures_sizes(run, summary, results, configs)
    with run.step("energy maps and mixing"):
        _energy_tables(run, results, configs, context.seed)
    with run.step("tails, anisotropy and metallicity"):
        _tails_and_metallicity(run, results)
    with run.step("adiabatic end states and the mono-energetic profile family"):
        _adiabatic_family(run, results)
    with run.step("metallicity gradients of a re-weighted energy grid"):
        _grid_metallicity(run, results)
    with run.step("cored halo breathing and mass estimators"):
        _breathing(run, results)
    with run.step("observed dwarfs"):
        _observed(run)


def _observed(run) -> None:
    from powertail.dwarfs.observations import classical_dsphs, derive_structure, map_population

    table = derive_structure(classical_dsphs())
    run.table("observed_dsphs", table)
    rows = []
    for name, r_s_values in (("Sculptor", (1.0, 2.8)), ("Fornax", (1.0, 3.0))):
        row = table[table["name"] == name].iloc[0]
        for r_s in r_s_values:
            m = map_population(row["R_h_circ_pc"], row["sigma_los"], r_s_kpc=r_s)
            rows.append(
                {
                    "galaxy": name,
                    "R_h_circ_pc": row["R_h_circ_pc"],
                    "sigma_los": row["sigma_los"],
                    **asdict(m),
                }
            )
    run.table("population_mapping", pd.DataFrame(rows))


# ---------------------------------------------------------------------------- analyses
def _ks_to_mono_energetic(r: np.ndarray, amplitude: float, e: float) -> float:
    """KS distance of radii ``r`` to the mono-energetic profile at ``e`` in ``amplitude·Φ_NFW``."""
    halo = NFW(m_s=amplitude)
    fine = np.linspace(0.0, r.max() * 1.5, 20001)
    shell = 4 * np.pi * fine**2 * mono_energetic_density(fine, halo, e)
    cdf = np.concatenate([[0.0], np.cumsum(np.diff(fine) * 0.5 * (shell[1:] + shell[:-1]))])
    rs = np.sort(r)
    model_cdf = np.interp(rs, fine, cdf / cdf[-1])
    ecdf = np.arange(1, rs.size + 1) / rs.size
    upper, lower = np.abs(ecdf - model_cdf), np.abs(ecdf - 1 / rs.size - model_cdf)
    return float(np.max(np.maximum(upper, lower)))


def _density(r: np.ndarray, bins: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Number density (unit total) of radii ``r`` in log bins, empty bins dropped."""
    hist, edges = np.histogram(r, bins=np.geomspace(r.min() * 1.01, r.max(), bins + 1))
    centres = np.sqrt(edges[1:] * edges[:-1])
    rho = hist / (4 * np.pi / 3 * np.diff(edges**3)) / r.size
    keep = hist > 0
    return centres[keep], rho[keep]


def _adiabatic_family(run, results) -> None:
    """Adiabatic end states against ρ★ ∝ [E' − AΦ(r)]^½ at each component's mean e'."""
    from powertail.dwarfs.plots import plot_density_panels

    rows, panels = [], {}
    for amplitude in (0.5, 0.25):
        res = results[f"nfw-adiabatic-a={amplitude:g}"]
        curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for k, eps in enumerate(NFW_EPS):
            mask = (res["component"] == k) & (res["e_final"] < 1)
            r = np.linalg.norm(res["positions_final"][mask], axis=1)
            e_final = res["e_final"][mask]
            e_mean = float(e_final.mean())
            curves[f"ε={eps:g}"] = _density(r)
            grid = np.geomspace(r.min(), r.max() * 1.2, 200)
            model = mono_energetic_density(grid, NFW(m_s=amplitude), e_mean)
            norm = np.trapezoid(4 * np.pi * grid**2 * model, grid)
            curves[f"model ε={eps:g}, e'={e_mean:.3f}"] = (
                grid[model > 0],
                model[model > 0] / norm,
            )
            rows.append(
                {
                    "amplitude": amplitude,
                    "eps": eps,
                    "e_final_mean": e_mean,
                    "e_final_std": float(e_final.std()),
                    "ks_to_mono_energetic_profile": _ks_to_mono_energetic(r, amplitude, e_mean),
                    "brief_ks": {0.5: 0.004, 0.25: 0.015}[amplitude] if eps == 0.2 else None,
                    "brief_e_std_max": 2e-3 if eps == 0.2 else None,
                }
            )
        panels[f"adiabatic A = {amplitude:g}"] = curves
    run.table("adiabatic_profile_family", pd.DataFrame(rows))
    run.figure("adiabatic_profile_family", plot_density_panels(panels))


def _grid_metallicity(run, results) -> None:
    """[Fe/H] gradients of an Errani+22 dN/de population built by re-weighting the ε grid."""
    from powertail.dwarfs.model import errani22_dnde
    from powertail.dwarfs.observables import weighted_quantile
    from powertail.dwarfs.plots import plot_metallicity_profiles
    from powertail.dwarfs.populations import Population, grid_weights

    rows, curves = [], {}
    for label, key, which in (
        ("initial", "nfw-grid-adiabatic-a=0.5", "initial"),
        ("adiabatic A=0.5", "nfw-grid-adiabatic-a=0.5", "final"),
        ("adiabatic A=0.25", "nfw-grid-adiabatic-a=0.25", "final"),
        ("impulsive A=0.25", "nfw-grid-impulsive-a=0.25", "final"),
    ):
        res = results[key]
        pop = Population(
            positions=res[f"positions_{which}"],
            velocities=res[f"velocities_{which}"],
            e_initial=res["e_initial"],
            component=res["component"],
            eps=np.asarray(GRID_EPS),
        )
        w = grid_weights(pop, errani22_dnde)
        keep = res["e_final"] < 1 if which == "final" else np.ones(w.size, bool)
        x, feh, ww = pop.positions[keep], FEH_ZERO + FEH_SLOPE * pop.e_initial[keep], w[keep]
        big_r = np.linalg.norm(x[:, :2], axis=1)
        r_e = float(weighted_quantile(big_r, 0.5, weights=ww))
        rows.append(
            {
                "state": label,
                "R_e": r_e,
                "dFeH_dR_per_Re": metallicity_gradient(x, feh, weights=ww),
                "dFeH_dR_per_rs": metallicity_gradient(x, feh, weights=ww, per_re=False),
            }
        )
        edges = r_e * np.linspace(0, 3, 10)
        idx = np.digitize(big_r, edges) - 1
        ok = (idx >= 0) & (idx < 9)
        mean_feh = np.bincount(idx[ok], weights=(ww * feh)[ok], minlength=9) / np.maximum(
            np.bincount(idx[ok], weights=ww[ok], minlength=9), 1e-300
        )
        curves[label] = (0.5 * (edges[1:] + edges[:-1]) / r_e, mean_feh)
    table = pd.DataFrame(rows)
    table["brief"] = "gradients flatten under slow removal, per kpc and per R_h (§2.2.5, [paper])"
    run.table("metallicity_gradients_grid", table)
    ax = plot_metallicity_profiles(curves)
    ax.set_title("Errani+22 dN/de from a re-weighted ε grid, [Fe/H] = −1 − 3.5 e")
    run.figure("metallicity_profiles_grid", ax.figure)


def _figures_sizes(run, summary, results, configs) -> None:
    from powertail.dwarfs.plots import plot_ratios_vs_amplitude, plot_time_series

    nfw = summary[summary["halo"] == "nfw"]
    run.figure("rh_sigma_vs_amplitude", plot_ratios_vs_amplitude(nfw[nfw["eps"] == 0.2]).figure)
    series = {}
    for key in (
        "nfw-impulsive-a=0.25",
        "nfw-adiabatic-a=0.25",
        "nfw-impulsive-a=0.5",
        "nfw-adiabatic-a=0.5",
    ):
        s = results[key]["series"]
        s = s[s["component"] == 1].copy()
        s["rh_sigma"] = s["r_h"] * s["sigma_3d"]
        series[key.removeprefix("nfw-")] = s
    ax = plot_time_series(series, "rh_sigma")
    ax.set_title("r_h·σ (ε = 0.2): conserved adiabatically, not impulsively")
    run.figure("rh_sigma_time_series", ax.figure)


def _energy_tables(run, results, configs, seed: int) -> None:
    from powertail.dwarfs.plots import plot_energy_cdf, plot_energy_mixing

    rows, samples, predictions = [], {}, {}
    for amplitude in (0.5, 0.25, 1.5):
        res = results[f"nfw-impulsive-a={amplitude:g}"]
        series = res["series"]
        # e' right after the jump: the energies at t = 0 in the new well (stars keep x, v)
        x0, v0 = res["positions_initial"], res["velocities_initial"]
        mask = res["component"] == 1
        energy = 0.5 * np.sum(v0[mask] ** 2, axis=1) + amplitude * NFW().phi(
            np.linalg.norm(x0[mask], axis=1)
        )
        e_new = e_from_energy(energy, -amplitude)
        predicted = impulsive_energy_quantiles(NFW(), 0.2, amplitude, QUANTILES)
        measured = np.quantile(e_new, QUANTILES)
        final = np.quantile(res["e_final"][mask], QUANTILES)
        for q, p, m, f in zip(QUANTILES, predicted, measured, final, strict=True):
            rows.append(
                {
                    "amplitude": amplitude,
                    "quantile": q,
                    "energy_map": p,
                    "simulated_t0": m,
                    "simulated_end": f,
                }
            )
        samples[f"A={amplitude:g}"] = res["e_final"][mask]
        predictions[f"A={amplitude:g}"] = (np.asarray(QUANTILES), predicted)
        del series
    run.table("impulsive_energy_quantiles", pd.DataFrame(rows))
    run.figure("impulsive_energy_cdf", plot_energy_cdf(samples, predictions).figure)

    # adiabatic: e' stays nearly mono-energetic, predicted by the action mapping
    rows = []
    rng = np.random.default_rng(seed)
    for amplitude in (0.5, 0.25):
        res = results[f"nfw-adiabatic-a={amplitude:g}"]
        for k, eps in enumerate(NFW_EPS):
            mask = np.flatnonzero(res["component"] == k)
            sub = rng.choice(mask, size=min(300, mask.size), replace=False)
            e_pred = e_from_energy(
                adiabatic_energies(
                    NFW(), res["positions_initial"][sub], res["velocities_initial"][sub], amplitude
                ),
                -amplitude,
            )
            rows.append(
                {
                    "amplitude": amplitude,
                    "eps": eps,
                    "e_final_mean": float(res["e_final"][mask].mean()),
                    "e_final_std": float(res["e_final"][mask].std()),
                    "action_mapping_mean": float(e_pred.mean()),
                    "action_mapping_std": float(e_pred.std()),
                    "powerlaw_cusp_prediction": eps * adiabatic_powerlaw_scaling(1.0, amplitude)[2],
                    "brief": BRIEF["adiabatic_e"].get(amplitude) if eps == 0.2 else None,
                }
            )
    run.table("adiabatic_energies", pd.DataFrame(rows))

    # mixing: eps = 0.1 and 0.3 after A = 0.25, impulsive vs adiabatic
    res_i, res_a = results["nfw-impulsive-a=0.25"], results["nfw-adiabatic-a=0.25"]
    rows, hists = [], {}
    for label, res in (("impulsive", res_i), ("adiabatic", res_a)):
        lo = res["e_final"][res["component"] == 0]
        hi = res["e_final"][res["component"] == 2]
        # [Fe/H] of stars that now share a binding energy: the window both populations reach
        both = (res["component"] == 0) | (res["component"] == 2)
        feh = FEH_ZERO + FEH_SLOPE * res["e_initial"][both]
        e_both = res["e_final"][both]
        lo_w, hi_w = max(lo.min(), hi.min()), min(lo.max(), hi.max())
        window = (e_both >= lo_w) & (e_both <= hi_w)
        rows.append(
            {
                "feh_std_initial_per_population": 0.0,
                "feh_std_in_shared_energy_window": float(np.std(feh[window]))
                if window.sum() > 1
                else float("nan"),
                "fraction_in_shared_window": float(window.mean()),
                "e_std_combined": float(np.std(e_both[e_both < 1])),
                "protocol": label,
                "eps_0.1_min": lo.min(),
                "eps_0.1_q95": np.quantile(lo, 0.95),
                "eps_0.1_max": lo.max(),
                "eps_0.3_q05": np.quantile(hi, 0.05),
                "eps_0.3_min": hi.min(),
                "eps_0.3_unbound": float(np.mean(hi >= 1)),
                "overlap_fraction": float(np.mean(hi < lo.max()) + np.mean(lo > hi.min())) / 2,
            }
        )
        hists[f"ε=0.1 {label}"] = lo
        hists[f"ε=0.3 {label}"] = hi[hi < 1.3]
    table = pd.DataFrame(rows)
    table["brief"] = ["ε=0.1→[0.1,0.4], q95 0.30; ε=0.3→[0.3,1.2], q05 0.33, 0.8% unbound", ""]
    run.table("mixing", table)
    ax = plot_energy_mixing(hists, bins=np.linspace(0.05, 1.3, 60))
    ax.set_title("A = 0.25: binding energies of two populations after the change")
    run.figure("energy_mixing", ax.figure)


def _tails_and_metallicity(run, results) -> None:
    from powertail.dwarfs.plots import (
        plot_anisotropy,
        plot_density_profiles,
        plot_metallicity_profiles,
    )

    rows, beta_curves, profiles = [], {}, {}
    for label, key in (
        ("impulsive", "nfw-impulsive-a=0.25"),
        ("adiabatic", "nfw-adiabatic-a=0.25"),
    ):
        res = results[key]
        mask = (res["component"] == 1) & (res["e_final"] < 1)
        x, v = res["positions_final"][mask], res["velocities_final"][mask]
        r = np.linalg.norm(x, axis=1)
        r_h = float(np.median(r))
        edges = r_h * np.array([0.3, 0.6, 0.8, 1.1, 1.7, 2.5, 4.0])
        prof = anisotropy_profile(x, v, edges=edges)
        beta_curves[f"{label} A=0.25"] = (prof.r / r_h, prof.beta)
        row: dict[str, Any] = {"protocol": label, "r_h": r_h}
        for target in (0.5, 0.9, 1.4, 2.0):
            sel = np.abs(np.log(r / (target * r_h))) < 0.2
            if sel.sum() >= 20:
                vr = np.sum(x[sel] * v[sel], axis=1) / r[sel]
                vt2 = np.sum(v[sel] ** 2, axis=1) - vr**2
                row[f"beta_{target:g}rh"] = 1 - vt2.mean() / (2 * np.mean(vr**2))
            else:  # no stars there (the adiabatic population has a sharp edge)
                row[f"beta_{target:g}rh"] = float("nan")
            row[f"brief_beta_{target:g}rh"] = (
                BRIEF["beta_impulsive_0.25"].get(target) if label == "impulsive" else None
            )
        if np.sum(r > 1.5 * r_h) > 50:
            slope, err = log_slope_profile(x, rmin=r_h, rmax=min(4 * r_h, r.max()), bins=8)
        else:
            slope, err = float("nan"), float("nan")
        row.update(
            {
                "log_slope_1_4rh": slope,
                "log_slope_err": err,
                "fraction_beyond_2rh": float(np.mean(r > 2 * r_h)),
                "brief_log_slope": "-3 to -5" if label == "impulsive" else "edge at 1.45 r_h",
            }
        )
        rows.append(row)
        hist, edges_r = np.histogram(r, bins=np.geomspace(r.min() * 1.01, r.max(), 25))
        centres = np.sqrt(edges_r[1:] * edges_r[:-1])
        rho = hist / (4 * np.pi / 3 * np.diff(edges_r**3)) / r.size
        keep = hist > 0
        profiles[f"{label} A=0.25"] = (centres[keep], rho[keep])
        if label == "adiabatic":
            # the analytic family: mono-energetic profile in the final well at the mean e'
            e_mean = float(np.mean(res["e_final"][mask]))
            grid = np.geomspace(centres[0], r.max() * 1.2, 200)
            model = mono_energetic_density(grid, NFW(m_s=0.25), e_mean)
            profiles[f"model: mono-energetic e'={e_mean:.3f} in 0.25·Φ"] = (
                grid[model > 0],
                model[model > 0],
            )
            # brief §5.3 target 6: KS distance of the radii to that profile (brief: 0.015)
            row["ks_to_mono_energetic_profile"] = _ks_to_mono_energetic(r, 0.25, e_mean)
            row["brief_ks"] = 0.015
    run.table("tails_anisotropy", pd.DataFrame(rows))
    run.figure("anisotropy", plot_anisotropy(beta_curves).figure)
    run.figure("density_profiles", plot_density_profiles(profiles).figure)

    # metallicity gradients: [Fe/H] linear in the initial e, all three components, equal weights
    rows, curves = [], {}
    for label, key, which in (
        ("initial", "nfw-adiabatic-a=0.25", "initial"),
        ("adiabatic A=0.5", "nfw-adiabatic-a=0.5", "final"),
        ("adiabatic A=0.25", "nfw-adiabatic-a=0.25", "final"),
        ("impulsive A=0.25", "nfw-impulsive-a=0.25", "final"),
    ):
        res = results[key]
        feh = FEH_ZERO + FEH_SLOPE * res["e_initial"]
        bound = res["e_final"] < 1 if which == "final" else np.ones(feh.size, bool)
        x = res[f"positions_{which}"][bound]
        grad_re = metallicity_gradient(x, feh[bound])
        grad_len = metallicity_gradient(x, feh[bound], per_re=False)
        rows.append({"state": label, "dFeH_dR_per_Re": grad_re, "dFeH_dR_per_rs": grad_len})
        big_r = np.linalg.norm(x[:, :2], axis=1)
        r_e = np.median(big_r)
        edges = r_e * np.linspace(0, 3, 10)
        idx = np.digitize(big_r, edges) - 1
        ok = (idx >= 0) & (idx < 9)
        mean_feh = np.bincount(idx[ok], weights=feh[bound][ok], minlength=9) / np.maximum(
            np.bincount(idx[ok], minlength=9), 1
        )
        curves[label] = (0.5 * (edges[1:] + edges[:-1]) / r_e, mean_feh)
    run.table("metallicity_gradients", pd.DataFrame(rows))
    ax = plot_metallicity_profiles(curves)
    ax.set_title("[Fe/H] = −1 − 3.5 e: gradients flatten as DM is removed")
    run.figure("metallicity_profiles", ax.figure)


def _breathing(run, results) -> None:
    from powertail.dwarfs.plots import plot_mass_estimator_bias, plot_time_series

    res = results["plummer-impulsive-a=0.5"]
    predicted = breathing_period(Plummer(), 0.5)
    series = res["series"]
    rows, curves, bias = [], {}, {}
    for k, eps in enumerate(PLUMMER_EPS):
        s = series[series["component"] == k]
        early = s[(s["t"] > 0) & (s["t"] <= 45)]
        late = s[s["t"] >= s["t"].max() - 45]
        osc_early = oscillation(early["t"].to_numpy(), early["r_h"].to_numpy())
        osc_late = oscillation(late["t"].to_numpy(), late["r_h"].to_numpy())
        window = s[(s["t"] >= 60) & (s["t"] <= 120)]
        brief_wolf = BRIEF["wolf_range_60_120"].get(eps)
        brief_e18 = BRIEF["errani18_range_60_120"].get(eps)
        rows.append(
            {
                "eps": eps,
                "predicted_period": predicted,
                "measured_period": osc_early.period,
                "brief_period": BRIEF["breathing_period"],
                "amplitude_t<45": osc_early.amplitude,
                "amplitude_last_45": osc_late.amplitude,
                "brief_amplitude_early": BRIEF["breathing_amplitude"].get(eps),
                "rh_late_over_initial": late["r_h"].mean() / s["r_h"].iloc[0],
                "wolf_min_60_120": window["wolf_ratio"].min(),
                "wolf_max_60_120": window["wolf_ratio"].max(),
                "brief_wolf_range": None
                if brief_wolf is None
                else f"{brief_wolf[0]}-{brief_wolf[1]}",
                "errani18_min_60_120": window["errani18_ratio"].min(),
                "errani18_max_60_120": window["errani18_ratio"].max(),
                "brief_errani18_range": None
                if brief_e18 is None
                else f"{brief_e18[0]}-{brief_e18[1]}",
                "wolf_ratio_t0": s["wolf_ratio"].iloc[0],
            }
        )
        curves[f"ε={eps:g}"] = s
        bias[f"ε={eps:g}"] = s
    run.table("breathing", pd.DataFrame(rows))
    from powertail.dwarfs.plots import plot_time_series_panels

    everyone = series[series["component"] == -1].copy()
    everyone["FeH_gradient"] = FEH_SLOPE * everyone["de_dR"]
    fig = plot_time_series_panels(
        curves,
        ["r_h", "sigma_los", "beta", "J_r", "wolf_ratio"],
        extra={"[Fe/H] gradient per R_e (all stars)": (everyone["t"], everyone["FeH_gradient"])},
        marks=predicted * np.arange(0, 41),
        marks_label="multiples of the predicted breathing period",
    )
    fig.suptitle("Plummer core, impulsive A = 0.5: damped breathing and mass-estimator bias")
    run.figure("breathing_time_series", fig)
    ax = plot_time_series(curves, "r_h", marks=predicted * np.arange(0, 41))
    ax.set_title(f"Plummer core, impulsive A = 0.5: breathing period π/ω' = {predicted:.2f}")
    run.figure("breathing", ax.figure)
    ax = plot_mass_estimator_bias(bias)
    ax.set_title("Plummer, impulsive A = 0.5: mass estimators over time")
    run.figure("mass_estimator_bias", ax.figure)

    # adiabatic in the core: r ∝ A^(-1/4), sigma ∝ A^(1/4), e' = eps / sqrt(A)
    res = results["plummer-adiabatic-a=0.5"]
    r_pred, s_pred, e_pred = adiabatic_powerlaw_scaling(2.0, 0.5)
    rows = []
    for k, eps in enumerate(PLUMMER_EPS):
        s = res["series"][res["series"]["component"] == k]
        late = _late(s, 0.2)
        e_fin = res["e_final"][res["component"] == k]
        rows.append(
            {
                "eps": eps,
                "rh_ratio": late["r_h"].mean() / s["r_h"].iloc[0],
                "harmonic_rh_prediction": r_pred,
                "sigma_ratio": late["sigma_3d"].mean() / s["sigma_3d"].iloc[0],
                "harmonic_sigma_prediction": s_pred,
                "e_final_over_eps": float(e_fin.mean() / eps),
                "harmonic_e_prediction": e_pred,
                "e_final_relative_std": float(e_fin.std() / e_fin.mean()),
            }
        )
    table = pd.DataFrame(rows)
    table["brief"] = [f"r_h x{BRIEF['plummer_adiabatic']['rh']}, σ x0.841, e' = ε/√A", "", ""]
    run.table("plummer_adiabatic", table)

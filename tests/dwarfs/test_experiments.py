"""The reproduction pipeline end to end at toy size, and its plots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from powertail.dwarfs import experiments
from powertail.runs import InProcessExecutor, Run
from powertail.studies import StudyContext

TINY = experiments.ReproductionConfig(
    nfw_stars=40,
    plummer_stars=30,
    nfw_dt=0.0335,
    nfw_t_end_impulsive=6.7,
    t_change_periods=1.0,
    plummer_dt=0.05,
    plummer_t_end=92.0,
    plummer_snapshot=1.0,
    method="leapfrog",
    ramp="smooth",
    grid_stars=12,
)


def test_reproduce_writes_every_table_and_figure(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(experiments, "QUICK", TINY)
    run = Run.open(tmp_path / "dwarfs", command=["test"], config={"tiny": True}, seed=0)
    with run:
        experiments.reproduce(
            StudyContext(run=run, full=False, seed=0, executor=InProcessExecutor())
        )
    tables = {p.stem for p in (tmp_path / "dwarfs" / "tables").glob("*.csv")}
    assert tables == {
        "summary",
        "impulsive_energy_quantiles",
        "adiabatic_energies",
        "mixing",
        "tails_anisotropy",
        "metallicity_gradients",
        "breathing",
        "plummer_adiabatic",
        "adiabatic_profile_family",
        "metallicity_gradients_grid",
        "observed_dsphs",
        "population_mapping",
    }
    figures = {p.stem for p in (tmp_path / "dwarfs" / "figures").glob("*.png")}
    assert figures == {
        "rh_sigma_vs_amplitude",
        "rh_sigma_time_series",
        "impulsive_energy_cdf",
        "energy_mixing",
        "anisotropy",
        "density_profiles",
        "metallicity_profiles",
        "adiabatic_profile_family",
        "metallicity_profiles_grid",
        "breathing",
        "breathing_time_series",
        "mass_estimator_bias",
    }
    summary = pd.read_csv(tmp_path / "dwarfs" / "tables" / "summary.csv")
    assert set(summary["protocol"]) == {"impulsive", "smooth"}
    assert set(summary["regime"]) == {"impulsive", "adiabatic"}
    # the impulsive energy map holds exactly at t = 0 (stars keep x, v): e' in [eps, eps/A]
    q = pd.read_csv(tmp_path / "dwarfs" / "tables" / "impulsive_energy_quantiles.csv")
    low = (0.2 * (1 / q["amplitude"]).clip(upper=1)) - 1e-12
    high = (0.2 * (1 / q["amplitude"]).clip(lower=1)) + 1e-12
    assert q["simulated_t0"].between(low, high).all()
    # resuming loads every unit instead of recomputing it
    again = Run.open(tmp_path / "dwarfs", command=["test"], config={"tiny": True}, seed=0)
    with again:
        experiments.reproduce(
            StudyContext(run=again, full=False, seed=0, executor=InProcessExecutor())
        )
    assert again.manifest.units.computed == 0


@pytest.mark.slow
def test_quick_reproduction_matches_the_brief(tmp_path: Path) -> None:
    """The quick variant's headline numbers against the brief's §2.4 [prototype] values."""
    run = Run.open(tmp_path / "dwarfs", command=["test"], config={}, seed=0)
    with run:
        experiments.reproduce(
            StudyContext(run=run, full=False, seed=0, executor=InProcessExecutor())
        )
    s = pd.read_csv(tmp_path / "dwarfs" / "tables" / "summary.csv")
    nfw = s[(s["halo"] == "nfw") & (s["eps"] == 0.2)].set_index(["regime", "amplitude"])
    assert nfw.loc[("adiabatic", 0.25), "rh_sigma_ratio"] == pytest.approx(1.0, abs=0.02)
    assert nfw.loc[("impulsive", 0.25), "rh_sigma_ratio"] > 1.2
    assert nfw.loc[("impulsive", 0.25), "rh_ratio"] == pytest.approx(2.15, abs=0.15)
    t = pd.read_csv(tmp_path / "dwarfs" / "tables" / "tails_anisotropy.csv").set_index("protocol")
    assert t.loc["impulsive", "beta_1.4rh"] > 0.75
    assert -5.5 < t.loc["impulsive", "log_slope_1_4rh"] < -3.0

"""The reproduction's pieces: regimes CLI, the delta-law table, and (slow) the quick reproduce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from powertail.cli import app
from powertail.shear import ShearModel, simulate
from powertail.shear.experiments import delta_laws_table, output_times

runner = CliRunner()


def test_regimes_command(tmp_path) -> None:
    out = tmp_path / "regimes"
    result = runner.invoke(app, ["shear", "regimes", "--particles", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "tables" / "regimes.csv")
    assert sorted(table["gamma"].unique()) == [-1.5, -0.5, 0.5]
    assert (out / "figures" / "regimes.png").is_file()
    last = table.groupby("gamma").tail(1).set_index("gamma")
    # hyperbolic runaway vs frozen vs stationary: the brief's qualitative picture (section 1.3)
    assert last.loc[-0.5, "log_w2_median"] > 20
    assert last.loc[-1.5, "log_w2_median"] < 3 and last.loc[-1.5, "log_w1_median"] > 35
    assert abs(last.loc[0.5, "log_w2_median"]) < 2


def test_delta_laws_table_names_every_law() -> None:
    sim = simulate(
        ShearModel(-0.5, background="delta"),
        times=np.exp([40.0, 60.0, 100.0]),
        n_particles=300,
        seed=5,
        initial=[0.0, 20.0, 0.0],
        record_collisions=True,
    )
    table = delta_laws_table(sim)
    assert set(table["law"]) == {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P10", "absorbed"}
    with_ci = table.dropna(subset=["low"])
    assert (with_ci["low"] <= with_ci["value"]).all() and (
        with_ci["value"] <= with_ci["high"]
    ).all()
    assert table["observable"].str.startswith("KS distance").sum() == 2
    assert table["model"].str.contains("delta gamma=-0.5").all()


def test_output_times() -> None:
    t = output_times(t_max=100.0, n_times=5)
    assert t[0] == pytest.approx(0.1) and t[-1] == pytest.approx(100.0)


@pytest.mark.slow
def test_quick_reproduce_agrees_with_predictions(tmp_path) -> None:
    out = tmp_path / "r"
    result = runner.invoke(app, ["shear", "reproduce", "--out", str(out)])
    assert result.exit_code == 0, result.output
    tables = out / "shear" / "tables"  # the study part of `powertail reproduce`
    moments = pd.read_csv(tables / "maxwell_moments.csv")
    assert moments["z"].abs().max() < 4
    laws = pd.read_csv(tables / "delta_laws.csv").set_index("observable")
    p6 = laws[laws["law"] == "P6"]
    assert (p6["value"] - p6["prediction"]).abs().max() < 0.03
    assert laws.loc["mean Q at late collisions", "value"] == pytest.approx(1.0, abs=0.05)

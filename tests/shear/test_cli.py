"""``powertail shear``: a small run end to end, and bad input gives one line and exit code 2."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from powertail.cli import app

runner = CliRunner()


def test_simulate_writes_tables(tmp_path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "shear",
            "simulate",
            "--gamma",
            "0",
            "--shear",
            "0.5",
            "--particles",
            "400",
            "--t-max",
            "4",
            "--n-times",
            "3",
            "--batch",
            "200",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "collisions per particle" in result.output
    moments = pd.read_csv(out / "tables" / "second_moments.csv")
    assert set(moments["component"]) == {"M11", "M12", "M22", "M33"}
    assert (moments["model"].str.contains("uniform-omega")).all()
    summary = pd.read_csv(out / "tables" / "summary.csv")
    assert summary.loc[0, "scattering"] == "uniform-omega"
    assert summary.loc[0, "normalisation"] == "unit"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gamma", "0", "--temperature", "0"], "--temperature: expected T > 0, got 0.0"),
        (["--gamma", "0", "--shear", "-1"], "--shear: expected K >= 0, got -1.0"),
        (["--gamma", "2"], "--gamma: expected a value in (-3, 1], got 2.0"),
        (["--gamma", "0", "--background", "delta"], "--gamma: the delta background needs"),
        (["--gamma", "0", "--initial", "1,2"], "--initial: expected 'thermal' or three finite"),
        (
            ["--gamma", "0", "--initial", "inf,0,0"],
            "three finite numbers 'w1,w2,w3', got 'inf,0,0'",
        ),
        (["--gamma", "0", "--scattering", "iso"], "--scattering: expected one of uniform-omega"),
        (["--gamma", "0", "--background", "gas"], "--background: expected one of"),
        (["--gamma", "0", "--normalisation", "8pi"], "--normalisation: expected one of"),
        (["--gamma", "0", "--t-max", "-1"], "--t-max: expected a finite time > 0, got -1.0"),
        (["--gamma", "0", "--t-max", "inf"], "--t-max: expected a finite time > 0, got inf"),
        (["--gamma", "0", "--engine", "gpu"], "--engine: expected compiled or numpy, got 'gpu'"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(tmp_path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, ["shear", "simulate", *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shear", "-0.5"], "--shear: expected K >= 0, got -0.5"),
        (["--temperature", "-1"], "--temperature: expected T > 0, got -1.0"),
        (["--background", "delta"], "--background: the delta background needs gamma < 0"),
        (["--normalisation", "8pi"], "--normalisation: expected one of"),
    ],
)
def test_moments_errors_name_the_flag(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["shear", "moments", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_simulate_writes_the_collision_log(tmp_path) -> None:
    out = tmp_path / "delta"
    args = ["shear", "simulate", "--gamma", "-0.5", "--background", "delta", "--initial", "0,20,0"]
    args += ["--particles", "50", "--t-max", "1e20", "--n-times", "4", "--collisions"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    log = pd.read_csv(out / "tables" / "collisions.csv")
    summary = pd.read_csv(out / "tables" / "summary.csv")
    assert len(log) == summary.loc[0, "collisions"]
    assert (log.groupby("particle")["log_t"].diff().dropna() > 0).all()  # times increase


def test_reproduce_subcommand_is_the_study_part_of_powertail_reproduce(tmp_path):
    import json

    from typer.testing import CliRunner

    from powertail.cli import app

    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["shear", "reproduce", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "shear" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["command"][:3] == ["powertail", "shear", "reproduce"]
    assert (out / "index.html").is_file() and (out / "shear" / "index.html").is_file()

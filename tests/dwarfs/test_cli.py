"""``powertail dwarfs``: a small simulate run, error lines and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from powertail.cli import app


def test_simulate_writes_a_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "dwarfs",
            "simulate",
            "--eps",
            "0.2",
            "-A",
            "0.5",
            "--stars",
            "30",
            "--t-end",
            "1",
            "--dt",
            "0.01",
            "--snapshot-every",
            "0.5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "r_h" in result.output
    assert (out / "tables" / "series.csv").is_file()
    assert (out / "index.html").is_file()


def test_bad_eps_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "dwarfs",
            "simulate",
            "--eps",
            "1.5",
            "-A",
            "0.5",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2
    assert "eps: expected a binding energy e = 1 - E/Phi0 strictly between 0" in result.output
    assert not (tmp_path / "r").exists()


def test_bad_halo_and_amplitude(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "dwarfs",
            "simulate",
            "--eps",
            "0.2",
            "-A",
            "0.5",
            "--halo",
            "burkert",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2
    assert "halo: expected one of nfw" in result.output
    result = CliRunner().invoke(app, ["dwarfs", "simulate", "--eps", "0.2", "-A", "-1"])
    assert result.exit_code == 2


def test_observe_prints_the_classical_table() -> None:
    result = CliRunner().invoke(app, ["dwarfs", "observe"])
    assert result.exit_code == 0, result.output
    assert "Sculptor" in result.output and "M_Wolf" in result.output


def test_observe_lvdb(shared_data_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["dwarfs", "observe", "--lvdb", "--data-dir", str(shared_data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "Antlia II" in result.output


def test_sweep_runs_units_and_resumes(tmp_path: Path) -> None:
    args = [
        "dwarfs",
        "sweep",
        "--eps",
        "0.1",
        "--eps",
        "0.3",
        "-A",
        "0.5",
        "-A",
        "1.5",
        "--stars",
        "20",
        "--t-end",
        "0.6",
        "--dt",
        "0.01",
        "--snapshot-every",
        "0.3",
        "--seeds",
        "2",
        "--out",
        str(tmp_path / "sweep"),
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    members = pd.read_csv(tmp_path / "sweep" / "tables" / "members.csv")
    assert len(members) == 2 * 2 * 2  # amplitudes x seeds x components
    assert members["member"].nunique() == 4
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    assert manifest["units"]["computed"] == 0 and manifest["units"]["resumed"] == 4


def test_sweep_validates_before_writing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "dwarfs",
            "sweep",
            "--eps",
            "0.2",
            "-A",
            "0.5",
            "--protocol",
            "sudden",
            "--out",
            str(tmp_path / "s"),
        ],
    )
    assert result.exit_code == 2
    assert "protocol: expected one of constant, impulsive, linear, smooth" in result.output
    assert not (tmp_path / "s").exists()

"""``powertail spectra mlp3``: the quick path on a small MNIST file, and one-line errors."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from powertail.cli import app

from ._mlp3_reference import write_tiny_mnist

runner = CliRunner()


def test_quick_command_on_a_small_mnist_file_writes_tables_and_figures(tmp_path):
    mnist = write_tiny_mnist(tmp_path / "mnist.pkl.gz")
    out = tmp_path / "run"
    args = ["spectra", "mlp3", "--quick", "--mnist", str(mnist), "--out", str(out)]
    small = ["--seeds", "1", "--max-epochs", "2", "--train-size", "96", "--no-progress"]
    result = runner.invoke(app, [*args, *small])
    assert result.exit_code == 0, result.output
    assert "3 units; best test error" in result.output
    summary = pd.read_csv(out / "tables" / "mlp3-summary.csv")
    assert list(summary["lr_multiplier"]) == [1.0, 8.0, 32.0]
    epochs = pd.read_parquet(out / "tables" / "mlp3-epochs.parquet")
    assert len(epochs) == 3 * 3  # epochs 0, 1, 2 of three units
    # the ECS test runs every 2nd epoch in the quick variant, and on the last one
    assert epochs["fc1_ecs_erg_k"].notna().tolist() == [True, False, True] * 3
    assert (
        (epochs["fc1_ecs_erg_k"] >= epochs["fc1_ecs_pl_k"]) | epochs["fc1_ecs_pl_k"].isna()
    ).all()
    figures = {p.stem for p in (out / "figures").glob("*.png")}
    assert {
        "mlp3-error-vs-lr",
        "mlp3-alpha-vs-lr",
        "mlp3-funnel",
        "mlp3-ecs",
        "mlp3-esd",
    } <= figures
    assert {"mlp3-trap", "mlp3-error-vs-alpha"} <= figures
    assert (out / "index.html").is_file()


def test_bad_inputs_are_one_line_errors_and_write_nothing(tmp_path):
    mnist = write_tiny_mnist(tmp_path / "mnist.pkl.gz")
    for extra, expected in (
        (["--sweep", "foo"], "Error: --sweep: expected a non-empty subset"),
        (["--trainable", "fc9"], "Error: --trainable: expected a non-empty subset"),
        (["--train-size", "100000"], "Error: --train-size: expected an int in [1, 540]"),
    ):
        out = tmp_path / f"out-{extra[0].strip('-')}"
        args = ["spectra", "mlp3", "--mnist", str(mnist), "--out", str(out), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0]
        assert not out.exists()

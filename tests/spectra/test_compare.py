"""Two models side by side, in the library and on the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
from safetensors.numpy import save_file
from typer.testing import CliRunner

from powertail.cli import app
from powertail.spectra import analyze, compare_analyses


def _pair(rng):
    base = {
        "fc1.weight": rng.standard_t(3, size=(200, 60)),
        "fc2.weight": rng.standard_t(4, size=(120, 60)),
        "fc1.bias": np.zeros(200),
    }
    tuned = {
        **base,
        "fc2.weight": base["fc2.weight"] * 2.0,
        "head.weight": rng.normal(size=(60, 30)),
    }
    tuned.pop("fc1.weight")
    return base, tuned


def test_compare_joins_on_name_and_keeps_unmatched_layers():
    a, b = _pair(np.random.default_rng(0))
    table = compare_analyses(analyze(a), analyze(b)).set_index("name")
    assert set(table.index) == {"fc1.weight", "fc2.weight", "head.weight"}  # no biases
    assert table.loc["fc1.weight", "status_b"] == "absent"
    assert table.loc["head.weight", "status_a"] == "absent"
    # fc2 is only rescaled: alpha is scale-invariant, lambda_max scales by 4
    assert abs(table.loc["fc2.weight", "delta_alpha"]) < 1e-9
    ratio = table.loc["fc2.weight", "lambda_max_b"] / table.loc["fc2.weight", "lambda_max_a"]
    assert np.isclose(ratio, 4.0)


def test_compare_command(tmp_path):
    a, b = _pair(np.random.default_rng(1))
    save_file({k: v.astype(np.float32) for k, v in a.items()}, str(tmp_path / "a.safetensors"))
    save_file({k: v.astype(np.float32) for k, v in b.items()}, str(tmp_path / "b.safetensors"))
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "spectra",
            "compare",
            str(tmp_path / "a.safetensors"),
            str(tmp_path / "b.safetensors"),
            "--out",
            str(out),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 layers only in B, 1 only in A" in result.output
    table = pd.read_parquet(out / "tables" / "comparison.parquet")
    assert len(table) == 3 and (out / "figures" / "compare-alpha.png").is_file()

"""``powertail spectra analyze``: a real run on a small file, resume, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import save_file
from typer.testing import CliRunner

from powertail.cli import app
from powertail.spectra import analyze

runner = CliRunner()


def _model(path):
    rng = np.random.default_rng(0)
    tensors = {
        "embed.weight": rng.standard_t(3, size=(500, 64)).astype(np.float32),
        "fc1.weight": rng.standard_t(3, size=(128, 64)).astype(np.float32),
        "fc1.bias": np.zeros(128, np.float32),
        "conv.weight": rng.normal(size=(16, 8, 3, 3)).astype(np.float32),
    }
    save_file(tensors, str(path))
    return tensors


def test_analyze_writes_tables_figures_and_matches_the_library(tmp_path):
    tensors = _model(tmp_path / "m.safetensors")
    out = tmp_path / "run"
    args = ["spectra", "analyze", str(tmp_path / "m.safetensors"), "--out", str(out)]
    result = runner.invoke(app, [*args, "--randomize", "--no-progress", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "3 layers fitted, 0 failed, 0 skipped (+1 bias/norm/buffer tensors)" in result.output
    layers = pd.read_parquet(out / "tables" / "layers.parquet").set_index("name").sort_index()
    lib = analyze(tensors, randomize=True, seed=3).layers.set_index("name").sort_index()
    np.testing.assert_allclose(layers["alpha"], lib["alpha"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(
        layers["rand_lambda_max"], lib["rand_lambda_max"], rtol=1e-12, equal_nan=True
    )
    for name in ("funnel", "esd-0", "rand-esd"):
        assert (out / "figures" / f"{name}.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    again = runner.invoke(app, [*args, "--randomize", "--no-progress", "--seed", "3"])
    assert again.exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["units"]["resumed"] == 3 and manifest["units"]["computed"] == 0


def test_bad_inputs_are_one_line_errors_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 3)
    empty = tmp_path / "empty"
    empty.mkdir()
    for target, expected in ((bad, "expected a safetensors file"), (empty, "empty directory")):
        out = tmp_path / f"out-{target.name}"
        result = runner.invoke(app, ["spectra", "analyze", str(target), "--out", str(out)])
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0]
        assert not out.exists()  # nothing half-written
    tensors = _model(tmp_path / "good.safetensors")
    tensors["fc1.weight"][3, 5] = np.nan
    tensors["fc1.weight"][7, 1] = np.inf
    save_file(tensors, str(tmp_path / "nan.safetensors"))
    for command in (["analyze"], ["compare", str(tmp_path / "good.safetensors")]):
        out = tmp_path / f"out-nan-{command[0]}"
        args = ["spectra", *command, str(tmp_path / "nan.safetensors"), "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "'fc1.weight'" in lines[0]
        assert "got 2 NaN/inf of its 8192 entries" in lines[0]
        assert not out.exists()  # refused before the run directory is made
    result = runner.invoke(
        app, ["spectra", "analyze", str(bad), "--ww-compat", "--normalization", "1/N"]
    )
    assert result.exit_code == 2 and "with ww_compat=True" in result.output


@pytest.mark.slow  # starting a LocalCluster takes ~40 s on the shared 2-core machine
def test_same_numbers_in_process_and_on_a_local_dask_cluster(tmp_path):
    _model(tmp_path / "m.safetensors")
    tables = []
    for label, extra in (("inproc", []), ("dask", ["--workers", "2"])):
        out = tmp_path / label
        args = ["spectra", "analyze", str(tmp_path / "m.safetensors"), "--out", str(out)]
        result = runner.invoke(app, [*args, "--randomize", "--no-progress", *extra])
        assert result.exit_code == 0, result.output
        tables.append(pd.read_parquet(out / "tables" / "layers.parquet").set_index("name"))
    a, b = tables
    # Same seeds per layer name; only BLAS summation order may differ between processes.
    for col in ("alpha", "D", "erg_delta", "rand_lambda_max", "rand_num_spikes"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9, equal_nan=True)

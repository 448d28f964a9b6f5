"""``powertail reproduce``: report, resume after a kill, and the same numbers on a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from powertail.errors import RunConfigMismatchError
from powertail.reproduce import reproduce
from powertail.runs import make_executor

RESULT_COLUMNS = [
    "unit",
    "alpha_true",
    "alpha",
    "sigma",
    "xmin",
    "D",
    "n_tail",
    "ci_low",
    "ci_high",
]


def _recovery(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "tails" / "tables" / "recovery.csv")[RESULT_COLUMNS]


def _unit_dirs(out: Path) -> dict[str, int]:
    """Unit directory name -> inode; a unit that is recomputed gets a new directory (new inode)."""
    units = out / "tails" / "units"
    if not units.is_dir():
        return {}
    return {
        p.name: p.stat().st_ino
        for p in units.iterdir()
        if p.is_dir() and not p.name.startswith(".")
    }


def test_reproduce_writes_a_report_and_lists_missing_studies(tmp_path, monkeypatch):
    # The MLP3 training of the spectra part is tested on its own; here its smallest sweep will do.
    from powertail.spectra.experiments import mlp3, mlp3_sweep

    monkeypatch.setattr(mlp3, "QUICK", mlp3_sweep.SMOKE)
    result = reproduce(tmp_path / "r", only=["tails", "spectra"])
    statuses = {o.name: o.status for o in result.outcomes}
    assert statuses["tails"] == "complete"
    assert statuses["spectra"] == "complete"  # its experiments module is a package
    page = result.report.read_text()
    assert "tails/index.html" in page
    assert "href='tables/studies.csv'" in page  # the per-study table is one click away
    study_page = (tmp_path / "r" / "tails" / "index.html").read_text()
    assert "recovery of known power-law exponents" in study_page  # the page says what it shows
    assert "\\alpha" not in study_page and ".. math::" not in study_page  # TeX is rendered
    assert "x<sub>min</sub>" in study_page
    studies = pd.read_csv(tmp_path / "r" / "tables" / "studies.csv")
    assert list(studies["study"]) == ["tails", "spectra"]
    # every fit of the demo recovers the true exponent within 3 sigma
    table = _recovery(tmp_path / "r")
    assert ((table["alpha"] - table["alpha_true"]).abs() <= 3 * table["sigma"]).all()

    again = reproduce(tmp_path / "r", only=["tails"])
    assert again.outcomes[0].status == "resumed"
    with pytest.raises(RunConfigMismatchError, match="full: false there, true now"):
        reproduce(tmp_path / "r", full=True, only=["tails"])


def test_killed_reproduce_resumes_without_redoing_finished_units(tmp_path):
    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "powertail",
        "reproduce",
        "--only",
        "tails",
        "--no-progress",
        "--out",
        str(out),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while len(_unit_dirs(out)) < 3:
            assert process.poll() is None, "reproduce finished before it could be killed"
            assert time.monotonic() < deadline, "no unit was saved within 120 s"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    before = _unit_dirs(out)
    total = len(_recovery_units_expected())
    assert 3 <= len(before) < total

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    after = _unit_dirs(out)
    assert len(after) == total
    assert {k: after[k] for k in before} == before  # the saved units were not recomputed

    manifest = json.loads((out / "tails" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["previous_sessions"][-1]["status"] == "interrupted"
    assert manifest["previous_sessions"][-1]["units"]["completed"] >= len(before)
    assert manifest["units"]["resumed"] == len(before)
    assert manifest["units"]["computed"] == total - len(before)

    clean = reproduce(tmp_path / "clean", only=["tails"])
    assert clean.outcomes[0].status == "complete"
    pd.testing.assert_frame_equal(_recovery(out), _recovery(tmp_path / "clean"))


def _recovery_units_expected() -> list[tuple[float, int]]:
    from powertail.tails.experiments import QUICK

    return [(a, s) for a in QUICK.alphas for s in range(QUICK.seeds)]


def test_same_numbers_in_process_and_on_a_local_dask_cluster(tmp_path):
    local = reproduce(tmp_path / "local", only=["tails"], seed=3)
    with make_executor(workers=2) as executor:
        dask = reproduce(tmp_path / "dask", only=["tails"], seed=3, executor=executor)
    assert local.outcomes[0].status == dask.outcomes[0].status == "complete"
    pd.testing.assert_frame_equal(_recovery(tmp_path / "local"), _recovery(tmp_path / "dask"))


def test_a_failing_study_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    from powertail import reproduce as reproduce_module
    from powertail.studies import Study

    package = tmp_path / "pkg" / "broken_study"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "experiments.py").write_text(
        "def reproduce(context):\n    raise RuntimeError('boom')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    studies = (
        Study("broken", "broken_study", "a study whose reproduction raises"),
        Study("tails", "powertail.tails", "the tails demo"),
    )
    monkeypatch.setattr(reproduce_module, "STUDIES", studies)
    result = reproduce_module.reproduce(tmp_path / "out")
    outcomes = {o.name: o for o in result.outcomes}
    assert outcomes["broken"].status == "failed"
    assert "RuntimeError: boom" in outcomes["broken"].message
    assert outcomes["tails"].status == "complete"
    broken_manifest = json.loads((tmp_path / "out" / "broken" / "manifest.json").read_text())
    assert broken_manifest["status"] == "failed"
    assert "RuntimeError: boom" in broken_manifest["error"]

"""The Run handle: directory checks, manifest updates, tables, figures, statuses, locking."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from powertail.errors import InputError, PowertailError, RunConfigMismatchError
from powertail.runs import Run, config_hash, default_run_dir, read_manifest

CONFIG = {"alpha": 1.5, "n": 10}


def open_run(directory, **overrides):
    args = {"command": ["powertail", "demo"], "config": CONFIG, "seed": 1, **overrides}
    return Run.open(directory, **args)


def manifest_json(directory):
    return json.loads((directory / "manifest.json").read_text())


def test_open_creates_directory_and_manifest(tmp_path):
    out = tmp_path / "a" / "b"
    with open_run(out) as run:
        data = manifest_json(out)
        assert data["status"] == "running" and data["config"] == CONFIG
        assert data["config_hash"] == config_hash(CONFIG) == run.config_hash
        assert data["seed"] == 1 and data["command"] == ["powertail", "demo"]
        assert not run.resumed
    data = manifest_json(out)
    assert data["status"] == "complete" and data["finished"] >= data["started"]
    assert data["error"] is None


def test_steps_are_timed_and_written_after_each_step(tmp_path):
    with open_run(tmp_path) as run:
        with run.step("load"):
            pass
        assert [s["name"] for s in manifest_json(tmp_path)["steps"]] == ["load"]
        with pytest.raises(ZeroDivisionError), run.step("fit"):
            _ = 1 / 0
        steps = run.manifest.steps
    assert [(s.name, s.status, s.resumed) for s in steps] == [
        ("load", "complete", False),
        ("fit", "failed", False),
    ]
    assert all(s.seconds >= 0 for s in steps)


def test_context_manager_records_how_the_session_ended(tmp_path):
    with pytest.raises(RuntimeError, match="bad"), open_run(tmp_path / "f"):
        raise RuntimeError("bad")
    failed = read_manifest(tmp_path / "f" / "manifest.json")
    assert failed.status == "failed" and failed.error == "RuntimeError: bad"

    with pytest.raises(KeyboardInterrupt), open_run(tmp_path / "i") as run:
        with run.step("long"):
            raise KeyboardInterrupt
    interrupted = read_manifest(tmp_path / "i" / "manifest.json")
    assert interrupted.status == "interrupted"
    assert interrupted.steps[0].status == "interrupted"


def test_finished_run_refuses_more_writes(tmp_path):
    run = open_run(tmp_path)
    run.finish()
    with pytest.raises(PowertailError, match=re.escape("got one finished with status 'complete'")):
        run.table("t", pd.DataFrame({"a": [1]}))
    with pytest.raises(PowertailError, match="expected an open run"):
        run.finish()
    with pytest.raises(InputError, match=re.escape("status: expected 'complete', 'failed'")):
        open_run(tmp_path).finish("running")  # type: ignore[arg-type]


def test_same_config_resumes_and_other_config_or_seed_is_refused(tmp_path):
    with open_run(tmp_path) as run:
        run.save_unit("u0", {"v": 1})
    reordered = {"n": 10, "alpha": 1.5}
    with open_run(tmp_path, config=reordered) as run:
        assert run.resumed and run.has_unit("u0")
        assert run.manifest.previous_sessions[0]["status"] == "complete"
    other = {"alpha": 2.0, "n": 10}
    message = (
        "holds a run with another configuration (alpha: 1.5 there, 2.0 now); "
        "choose another output directory or delete this one"
    )
    with pytest.raises(RunConfigMismatchError, match=re.escape(message)):
        open_run(tmp_path, config=other)
    nested = {"alpha": 1.5, "n": 10, "options": {"normalization": "1/N", "k": 1}}
    with pytest.raises(
        RunConfigMismatchError,
        match=re.escape('options: unset there, {"k": 1, "normalization": "1/N"} now'),
    ):
        open_run(tmp_path, config=nested)
    with pytest.raises(
        RunConfigMismatchError, match="expected a run with seed 2, got one with seed 1"
    ):
        open_run(tmp_path, seed=2)
    with pytest.raises(InputError, match=re.escape("expected no earlier run (resume is off)")):
        open_run(tmp_path, resume=False)
    assert manifest_json(tmp_path)["status"] == "complete"  # refused opens change nothing


def test_a_nested_setting_that_differs_is_named_by_its_dotted_path(tmp_path):
    first = {"options": {"normalization": "none", "ks": "ww", "big": "x" * 200}, "n": 1}
    with open_run(tmp_path, config=first):
        pass
    second = {"options": {"normalization": "1/N", "ks": "ww", "big": "x" * 200}, "n": 1}
    with pytest.raises(
        RunConfigMismatchError, match=re.escape('options.normalization: "none" there, "1/N" now')
    ):
        open_run(tmp_path, config=second)


def test_directory_that_is_not_a_run_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=re.escape("got other files (notes.txt)")):
        open_run(tmp_path)
    with pytest.raises(InputError, match=re.escape("expected a directory, got the file")):
        open_run(tmp_path / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_second_process_cannot_open_a_run_in_use(tmp_path):
    with open_run(tmp_path):
        with pytest.raises(PowertailError, match="locked by another powertail run"):
            open_run(tmp_path)
    with open_run(tmp_path) as run:  # released on finish
        assert run.resumed


def test_table_writes_csv_and_parquet(tmp_path):
    df = pd.DataFrame({"layer": ["a", "b"], "alpha": [2.5, 3.25]})
    with open_run(tmp_path) as run:
        artifact = run.table("summary", df)
        run.table("summary", df.assign(alpha=[1.0, 2.0]))  # replaces, not duplicates
    assert artifact.files == ("tables/summary.csv", "tables/summary.parquet")
    assert (tmp_path / "tables" / "summary.csv").read_text() == "layer,alpha\na,1.0\nb,2.0\n"
    back = pd.read_parquet(tmp_path / "tables" / "summary.parquet")
    pd.testing.assert_frame_equal(back, df.assign(alpha=[1.0, 2.0]))
    assert [a.name for a in read_manifest(tmp_path / "manifest.json").artifacts] == ["summary"]


def test_table_that_parquet_rejects_leaves_no_files(tmp_path):
    with open_run(tmp_path) as run:
        with pytest.raises(InputError, match=re.escape("table 'bad': expected a DataFrame that")):
            run.table("bad", pd.DataFrame({"mixed": [1, "x"]}))
        with pytest.raises(InputError, match=re.escape("table 'bad': expected a pandas DataFrame")):
            run.table("bad", {"a": [1]})  # type: ignore[arg-type]
        assert list((tmp_path / "tables").iterdir()) == []
        assert run.artifacts == ()


def test_figure_writes_png_and_reproducible_svg_and_closes_it(tmp_path):
    def make():
        fig, ax = plt.subplots()
        ax.loglog(np.arange(1, 10), np.arange(1, 10) ** -2.0)
        return fig

    with open_run(tmp_path) as run:
        fig = make()
        artifact = run.figure("ccdf", fig)
        assert not plt.fignum_exists(fig.number)
        svg = (tmp_path / "figures" / "ccdf.svg").read_bytes()
        run.figure("ccdf", make())
    assert artifact.files == ("figures/ccdf.png", "figures/ccdf.svg")
    assert (tmp_path / "figures" / "ccdf.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "figures" / "ccdf.svg").read_bytes() == svg
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["ccdf.png", "ccdf.svg"]


def test_diagnostics_and_manifest_copy(tmp_path):
    with open_run(tmp_path) as run:
        run.record_diagnostic("negative_variance_clipped", {"count": 3, "min": -1e-12})
        copy = run.manifest
        copy.diagnostics["tampered"] = True
        with pytest.raises(InputError, match=re.escape("diagnostics['bad']: expected a finite")):
            run.record_diagnostic("bad", float("inf"))
    data = manifest_json(tmp_path)
    assert data["diagnostics"] == {"negative_variance_clipped": {"count": 3, "min": -1e-12}}


def test_default_run_dir(tmp_path):
    import datetime as dt

    now = dt.datetime(2025, 1, 2, 3, 4, 5)
    first = default_run_dir("spectra analyze", root=tmp_path, now=now)
    assert first == tmp_path / "spectra-analyze-20250102-030405"
    first.mkdir()
    assert default_run_dir("spectra analyze", root=tmp_path, now=now).name.endswith("-2")
    with pytest.raises(InputError, match="command_name: expected a non-empty command name"):
        default_run_dir("  ", root=tmp_path)

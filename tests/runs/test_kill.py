"""A run killed in the middle resumes from its saved units and gives the clean run's numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from powertail.runs import Run

# The script runs 6 units in-process; with CRASH_AT set, that unit kills its own process with
# os._exit (no exception handling, no atexit: like SIGKILL), so the kill point is deterministic.
SCRIPT = textwrap.dedent(
    """
    import os, sys, uuid
    from pathlib import Path

    import numpy as np

    from powertail.runs import InProcessExecutor, Run, Unit, run_units, unit_seed

    SEED = 5

    def work(*, key, seed):
        if os.environ.get("CRASH_AT") == key:
            os._exit(13)
        (Path(os.environ["CALLS_DIR"]) / f"{key}.{uuid.uuid4().hex}").touch()
        rng = np.random.default_rng(seed)
        return {"x": rng.standard_normal(3), "u": float(rng.uniform())}

    if __name__ == "__main__":
        out = sys.argv[1]
        units = [
            Unit(f"u{i}", work, {"key": f"u{i}", "seed": unit_seed(SEED, f"u{i}")})
            for i in range(6)
        ]
        with Run.open(out, command=sys.argv, config={"units": 6}, seed=SEED) as run:
            with run.step("units"):
                run_units(run, units, InProcessExecutor())
    """
)


def run_script(tmp_path, out, calls_dir, crash_at=None):
    script = tmp_path / "work.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "CRASH_AT"}
    env["CALLS_DIR"] = str(calls_dir)
    if crash_at is not None:
        env["CRASH_AT"] = crash_at
    calls_dir.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(script), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def called(calls_dir):
    return sorted(p.name.split(".")[0] for p in calls_dir.iterdir())


def test_killed_run_resumes_only_unfinished_units(tmp_path):
    out = tmp_path / "run"
    killed = run_script(tmp_path, out, tmp_path / "calls1", crash_at="u3")
    assert killed.returncode == 13, killed.stderr
    assert called(tmp_path / "calls1") == ["u0", "u1", "u2"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"  # the process died without a word
    assert sorted(os.listdir(out / "units")) == ["u0", "u1", "u2"]

    resumed = run_script(tmp_path, out, tmp_path / "calls2")
    assert resumed.returncode == 0, resumed.stderr
    assert called(tmp_path / "calls2") == ["u3", "u4", "u5"]

    clean = run_script(tmp_path, tmp_path / "clean", tmp_path / "calls3")
    assert clean.returncode == 0, clean.stderr
    assert len(called(tmp_path / "calls3")) == 6

    config = {"units": 6}
    with (
        Run.open(out, command="check", config=config, seed=5) as a,
        Run.open(tmp_path / "clean", command="check", config=config, seed=5) as b,
    ):
        m = a.manifest
        assert m.previous_sessions[-2]["status"] == "interrupted"
        assert m.previous_sessions[-1]["status"] == "complete"
        assert m.previous_sessions[-1]["units"] == {"completed": 6, "computed": 3, "resumed": 3}
        for i in range(6):
            ra, rb = a.load_unit(f"u{i}"), b.load_unit(f"u{i}")
            assert np.array_equal(ra["x"], rb["x"]) and ra["u"] == rb["u"]
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]

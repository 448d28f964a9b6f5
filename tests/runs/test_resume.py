"""run_units skips saved units, saves new ones at once and records the counts."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import RunConfigMismatchError
from powertail.runs import InProcessExecutor, Run, Unit, run_units, unit_seed

from ._units import calls, draw, fail

SEED = 11
CONFIG = {"n": 5}


def make_units(calls_dir, keys):
    return [
        Unit(k, draw, {"key": k, "seed": unit_seed(SEED, k), "n": 5, "calls_dir": str(calls_dir)})
        for k in keys
    ]


def test_resumed_units_are_not_recomputed(tmp_path):
    calls_dir = tmp_path / "calls"
    calls_dir.mkdir()
    out = tmp_path / "run"
    keys = [f"u{i}" for i in range(5)]
    with Run.open(out, command="t", config=CONFIG, seed=SEED) as run:
        first = run_units(run, make_units(calls_dir, keys[:2]), InProcessExecutor())
    done = []
    with Run.open(out, command="t", config=CONFIG, seed=SEED) as run:
        results = run_units(
            run, make_units(calls_dir, keys), InProcessExecutor(), on_done=done.append
        )
        counts = run.manifest.units
    assert calls(calls_dir) == dict.fromkeys(keys, 1)
    assert done[:2] == ["u0", "u1"] and sorted(done) == keys
    assert list(results) == keys
    assert (counts.completed, counts.computed, counts.resumed) == (5, 3, 2)
    for k in keys[:2]:
        assert np.array_equal(results[k]["x"], first[k]["x"])
    with pytest.raises(RunConfigMismatchError):
        Run.open(out, command="t", config={"n": 6}, seed=SEED)


def test_results_equal_with_and_without_resume(tmp_path):
    keys = ["a", "b", "c"]
    with Run.open(tmp_path / "clean", command="t", config=CONFIG, seed=SEED) as run:
        clean = run_units(run, make_units(tmp_path, keys), InProcessExecutor())
    with Run.open(tmp_path / "split", command="t", config=CONFIG, seed=SEED) as run:
        run_units(run, make_units(tmp_path, ["b"]), InProcessExecutor())
    with Run.open(tmp_path / "split", command="t", config=CONFIG, seed=SEED) as run:
        split = run_units(run, make_units(tmp_path, keys), InProcessExecutor())
    for k in keys:
        for field in ("x", "mean", "n"):
            assert np.array_equal(clean[k][field], split[k][field])
        assert clean[k]["frame"].equals(split[k]["frame"])


def test_failing_unit_keeps_the_units_saved_before_it(tmp_path):
    units = [*make_units(tmp_path, ["a", "b"]), Unit("c", fail, {"key": "c"})]
    with pytest.raises(ArithmeticError, match="boom in c") as info:
        with Run.open(tmp_path / "run", command="t", config=CONFIG, seed=SEED) as run:
            run_units(run, units, InProcessExecutor())
    assert "(raised while computing unit 'c')" in info.value.__notes__
    run_dir = tmp_path / "run"
    assert sorted(p.name for p in (run_dir / "units").iterdir()) == ["a", "b"]
    with Run.open(run_dir, command="t", config=CONFIG, seed=SEED) as run:
        assert run.manifest.previous_sessions[0]["status"] == "failed"
        assert run.manifest.previous_sessions[0]["units"]["computed"] == 2

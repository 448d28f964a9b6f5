"""Executors: option checks, error reporting, and the same numbers on every back end."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.runs import (
    DaskExecutor,
    InProcessExecutor,
    Run,
    SchedulerUnreachableError,
    Unit,
    make_executor,
    run_units,
    unit_seed,
)

from ._units import draw, fail

SEED = 2024
KEYS = [f"alpha={a}" for a in (1.5, 2.0, 2.5, 3.0, 3.5, 4.0)]


def units():
    return [Unit(k, draw, {"key": k, "seed": unit_seed(SEED, k), "n": 50}) for k in KEYS]


def assert_same(a, b):
    assert list(a) == list(b)
    for key in a:
        assert np.array_equal(a[key]["x"], b[key]["x"])
        assert a[key]["mean"] == b[key]["mean"]
        assert a[key]["frame"].equals(b[key]["frame"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"workers": 0},
            "workers: expected an int of at least 1, got 0; omit it to run in-process",
        ),
        ({"workers": -2}, "workers: expected an int of at least 1, got -2"),
        ({"workers": True}, "workers: expected an int of at least 1, got True"),
        ({"workers": 2.0}, "workers: expected an int of at least 1, got 2.0"),
        (
            {"workers": 2, "scheduler": "tcp://127.0.0.1:8786"},
            "workers/scheduler: expected at most one of them, got workers=2 and "
            "scheduler='tcp://127.0.0.1:8786'",
        ),
        ({"scheduler": ""}, "scheduler: expected an address such as 'tcp://host:8786', got ''"),
        ({"scheduler": "nonsense"}, "scheduler: expected an address such as 'tcp://host:8786'"),
        ({"scheduler": "tcp://h:1", "timeout": 0}, "timeout: expected a positive number"),
    ],
)
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        make_executor(**kwargs)


def test_unreachable_scheduler_says_how_to_start_one():
    message = (
        "scheduler: expected a Dask scheduler answering at 'tcp://127.0.0.1:1', got no answer "
        "within 1 s; check the address, or start one with `dask scheduler` and workers with "
        "`dask worker tcp://127.0.0.1:1`"
    )
    with pytest.raises(SchedulerUnreachableError, match=re.escape(message)):
        make_executor(scheduler="tcp://127.0.0.1:1", timeout=1)


def test_bad_units_are_refused():
    with pytest.raises(InputError, match=re.escape("units: expected unique keys, got 'a' twice")):
        InProcessExecutor().map([Unit("a", draw), Unit("a", draw)])
    with pytest.raises(InputError, match=re.escape("units: expected a sequence of powertail")):
        InProcessExecutor().map([draw])  # type: ignore[list-item]
    with pytest.raises(InputError, match=re.escape("unit key: expected a non-empty str")):
        Unit("", draw)
    with pytest.raises(InputError, match=re.escape("fn of unit 'a': expected a callable")):
        Unit("a", 3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=re.escape("kwargs of unit 'a': expected a dict")):
        Unit("a", draw, {1: 2})  # type: ignore[dict-item]


def test_in_process_map_keeps_order_and_reports_progress():
    done = []
    with make_executor() as ex:
        assert isinstance(ex, InProcessExecutor) and ex.description == "in-process"
        results = ex.map(units(), on_done=done.append)
    assert list(results) == KEYS and done == KEYS


def test_unit_error_keeps_its_type_and_names_the_unit():
    with pytest.raises(ArithmeticError, match="boom in bad") as info:
        InProcessExecutor().map([*units(), Unit("bad", fail, {"key": "bad"})])
    assert info.value.__notes__ == ["(raised while computing unit 'bad')"]


def test_local_cluster_gives_the_same_numbers_as_in_process(tmp_path):
    reference = InProcessExecutor().map(units())
    done = []
    with make_executor(workers=2) as ex:
        assert isinstance(ex, DaskExecutor)
        assert ex.description == "local Dask cluster (2 processes)"
        on_cluster = ex.map(units(), on_done=done.append)
        # Through the run store, half resumed from an in-process session.
        with Run.open(tmp_path, command="t", config={}, seed=SEED) as run:
            run_units(run, units()[:3], InProcessExecutor())
        with Run.open(tmp_path, command="t", config={}, seed=SEED) as run:
            stored = run_units(run, units(), ex)
        with pytest.raises(ArithmeticError, match="boom in bad") as info:
            ex.map([Unit("bad", fail, {"key": "bad"})])
        assert info.value.__notes__ == ["(raised while computing unit 'bad')"]
    assert sorted(done) == sorted(KEYS)
    assert_same(reference, on_cluster)
    assert_same(reference, stored)
    assert all(r["pid"] != reference[KEYS[0]]["pid"] for r in on_cluster.values())  # workers


def test_existing_scheduler_gives_the_same_numbers():
    from distributed import LocalCluster

    # A malformed address first: it must not leave Dask in a state that breaks later clients.
    with pytest.raises(InputError, match="missing port number"):
        make_executor(scheduler="tcp://localhost")

    with LocalCluster(
        n_workers=1,
        processes=False,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        with make_executor(scheduler=cluster.scheduler_address, timeout=10) as ex:
            assert ex.description == f"Dask scheduler {cluster.scheduler_address}"
            results = ex.map(units())
    assert_same(InProcessExecutor().map(units()), results)


def test_local_cluster_starts_when_the_default_dashboard_port_is_taken():
    import socket

    from powertail.runs import make_executor

    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            blocker.bind(("0.0.0.0", 8787))
        except OSError:
            pass  # already taken by someone else: the situation under test
        else:
            blocker.listen()
        with make_executor(workers=1) as executor:
            assert "local Dask cluster" in executor.description

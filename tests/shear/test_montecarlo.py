"""Engine input validation, overflow-safe long runs, and unit-level reproducibility/resume."""

from __future__ import annotations

import re

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.runs import InProcessExecutor, Run
from powertail.shear import ShearModel, simulate
from powertail.shear.experiments import SimulationSpec, run_simulation
from powertail.shear.montecarlo import check_times


@pytest.mark.parametrize(
    ("times", "message"),
    [
        (
            [1.0, 3.0, 2.0],
            "times: expected strictly increasing times, got t[1] = 3.0 >= t[2] = 2.0",
        ),
        ([1.0, 1.0], "times: expected strictly increasing times"),
        ([0.0, 1.0], "times: expected finite times > 0"),
        ([1.0, np.inf], "times: expected finite times > 0"),
        ([], "times: expected a non-empty 1-d sequence"),
        ("abc", "times: expected a sequence of numbers"),
    ],
)
def test_bad_times(times: object, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        check_times(times)


def test_bad_simulation_arguments() -> None:
    m = ShearModel(0.0)
    with pytest.raises(InputError, match=re.escape("n_particles: expected an int >= 1, got 0")):
        simulate(m, times=[1.0], n_particles=0, seed=0)
    with pytest.raises(InputError, match=re.escape("seed: expected an int >= 0, got -1")):
        simulate(m, times=[1.0], n_particles=3, seed=-1)
    with pytest.raises(
        InputError, match=re.escape("initial: expected 'thermal', a finite velocity")
    ):
        simulate(m, times=[1.0], n_particles=3, seed=0, initial=[1.0, 2.0])
    with pytest.raises(InputError, match="model: expected a ShearModel"):
        simulate({"gamma": 0.0}, times=[1.0], n_particles=3, seed=0)  # type: ignore[arg-type]


def test_speeds_beyond_float64_stay_exact_in_log_form() -> None:
    # delta-model, a = 0.25: ln|w1| ~ (1/a + 1) ln t, about 5 * 250 = 1250 > 709 (float64 range)
    sim = simulate(
        ShearModel(-0.25, background="delta"),
        times=np.exp([250.0]),
        n_particles=50,
        seed=1,
        initial=[0.0, 20.0, 0.0],
    )
    ok = ~sim.absorbed
    assert np.isfinite(sim.log_abs[ok]).all()
    assert np.median(sim.log_abs[ok, 0, 0]) > 900
    # free shear flight since the last collision: w1 = w1(t_c) - K w2 (t - t_c), so the ratio
    # ln|w1| - ln|w2| - ln t stays O(1) even though |w1| is not representable in float64
    assert np.abs(sim.log_abs[ok, 0, 0] - sim.log_abs[ok, 0, 1] - 250.0).max() < 5


def test_units_are_independent_of_batch_size_and_resume(tmp_path) -> None:
    model = ShearModel(-0.5, shear=0.8)
    times = (0.5, 5.0, 50.0)
    results = []
    for batch, folder in ((7, "a"), (40, "b")):
        spec = SimulationSpec(name="x", model=model, times=times, n_particles=40, batch=batch)
        with Run.open(tmp_path / folder, command="test", config={"b": batch}, seed=3) as run:
            results.append(run_simulation(run, spec, InProcessExecutor(), seed=3))
    np.testing.assert_array_equal(results[0].log_abs, results[1].log_abs)
    # resuming loads the saved units: same numbers, nothing recomputed
    spec = SimulationSpec(name="x", model=model, times=times, n_particles=40, batch=7)
    with Run.open(tmp_path / "a", command="test", config={"b": 7}, seed=3) as run:
        again = run_simulation(run, spec, InProcessExecutor(), seed=3)
        assert run.manifest.units.resumed == 6
    np.testing.assert_array_equal(again.log_abs, results[0].log_abs)


@pytest.mark.slow
def test_same_numbers_on_a_local_dask_cluster(tmp_path) -> None:
    from powertail.runs import make_executor

    spec = SimulationSpec(
        name="x", model=ShearModel(-0.5), times=(1.0, 100.0), n_particles=60, batch=15
    )
    with Run.open(tmp_path / "local", command="t", config={}, seed=1) as run:
        local = run_simulation(run, spec, InProcessExecutor(), seed=1)
    with (
        make_executor(workers=2) as executor,
        Run.open(tmp_path / "dask", command="t", config={}, seed=1) as run,
    ):
        dask = run_simulation(run, spec, executor, seed=1)
    np.testing.assert_array_equal(local.log_abs, dask.log_abs)
    np.testing.assert_array_equal(local.n_collisions, dask.n_collisions)


@pytest.mark.parametrize(
    "model", [ShearModel(0.0, shear=0.5), ShearModel(0.0, background="bgk")], ids=str
)
def test_double_precision_follows_the_same_paths(model: ShearModel) -> None:
    # constant rates: no decision depends on the state, so the two precisions see the same events
    kwargs = {"times": [0.5, 3.0, 9.0], "n_particles": 300, "seed": 4}
    ext = simulate(model, engine="numpy", **kwargs)
    dbl = simulate(model, engine="numpy", precision="double", **kwargs)
    np.testing.assert_array_equal(ext.n_collisions, dbl.n_collisions)
    np.testing.assert_allclose(dbl.log_abs, ext.log_abs, rtol=1e-9, atol=1e-9)


def test_double_precision_overflow_is_an_error_not_a_wrong_number() -> None:
    from powertail.errors import PowertailError

    with pytest.raises(PowertailError, match=re.escape("rerun with precision='extended'")):
        simulate(
            ShearModel(-0.25, background="delta"),
            times=np.exp([250.0]),
            n_particles=20,
            seed=1,
            initial=[0.0, 20.0, 0.0],
            precision="double",
            engine="numpy",
        )
    with pytest.raises(InputError, match=re.escape("precision: expected one of extended, double")):
        simulate(ShearModel(0.0), times=[1.0], n_particles=2, seed=0, precision="quad")  # type: ignore[arg-type]

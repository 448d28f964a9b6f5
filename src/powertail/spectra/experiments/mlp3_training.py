r"""Plain SGD on the MLP3 network, one jitted epoch at a time, with the paper's stopping rule.

One epoch is a single compiled XLA program: the training images are permuted with a key drawn
from the seed and the epoch number, cut into :math:`\lfloor n/B \rfloor` mini-batches (the last,
incomplete batch is dropped; the permutation changes every epoch, so every image is used), and
``jax.lax.scan`` runs the SGD steps

.. math:: \theta \leftarrow \theta - \eta\, m \odot \nabla_\theta L_B(\theta)

where :math:`m` is 1 on the trainable layers and 0 on the frozen ones (``optax.multi_transform``
with ``optax.set_to_zero``; the paper's code gives frozen layers LR 0). :math:`\eta` is part of
the optimiser state, so settings that differ only in the learning rate share one compilation.
The Python loop over steps never runs, so batch size 1 (54,000 steps per epoch) is usable on a
CPU.

Stopping (paper's ``EarlyStopper(3, 1e-4)``): the epoch's training loss is the mean of its
mini-batch losses; training halts once that loss has failed to fall more than ``min_delta``
below the best loss so far in ``patience`` consecutive epochs, or after ``max_epochs``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.spectra.experiments.mlp3_model import LAYERS, Params, init_params, loss_with_error

__all__ = [
    "MIN_DELTA",
    "PATIENCE",
    "TRAINABLE",
    "EpochResult",
    "Setting",
    "should_stop",
    "train",
]

#: Smallest improvement of the training loss that counts (paper: 1e-4).
MIN_DELTA = 1e-4
#: Epochs without such an improvement before training stops (paper: 3).
PATIENCE = 3
#: Which layers train: all three, FC1 only or FC2 only (the others stay at their initial values).
TRAINABLE: dict[str, tuple[str, ...]] = {"all": LAYERS, "fc1": ("fc1",), "fc2": ("fc2",)}


@dataclass(frozen=True)
class Setting:
    """One training configuration of the sweep.

    Attributes
    ----------
    batch_size : int
        Mini-batch size :math:`B` (>= 1).
    learning_rate : float
        SGD step :math:`\\eta` (> 0).
    trainable : str
        ``"all"``, ``"fc1"`` or ``"fc2"`` (:data:`TRAINABLE`).
    """

    batch_size: int
    learning_rate: float
    trainable: str = "all"

    def __post_init__(self) -> None:
        if (
            isinstance(self.batch_size, bool)
            or int(self.batch_size) != self.batch_size
            or (self.batch_size < 1)
        ):
            raise InputError(f"batch_size: expected an int >= 1, got {self.batch_size!r}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise InputError(
                f"learning_rate: expected a finite number > 0, got {self.learning_rate!r}"
            )
        if self.trainable not in TRAINABLE:
            raise InputError(
                f"trainable: expected one of {sorted(TRAINABLE)}, got {self.trainable!r}"
            )

    @property
    def key(self) -> str:
        """Short name, e.g. ``all-bs32-lr0.08`` (part of the unit key)."""
        return f"{self.trainable}-bs{self.batch_size}-lr{self.learning_rate:g}"


def should_stop(
    losses: Sequence[float], *, min_delta: float = MIN_DELTA, patience: int = PATIENCE
) -> bool:
    """Whether the stopping rule fires after the last of ``losses`` (one per epoch, in order).

    A loss counts as an improvement when it is below ``best - min_delta`` (``best`` the lowest
    loss so far, starting at +inf); every other epoch adds one to a counter that an improvement
    resets. The rule fires when the counter reaches ``patience``. A NaN loss never improves.
    """
    best, count = math.inf, 0
    for loss in losses:
        if loss < best - min_delta:
            best, count = loss, 0
        else:
            count += 1
    return count >= patience


@dataclass(frozen=True, eq=False)
class EpochResult:
    """The state after an epoch (epoch 0: the initial weights, ``train_loss`` NaN).

    ``train_loss`` and ``train_error`` are the means over the epoch's mini-batches, each taken
    before its SGD step (the paper's running training loss and accuracy); ``last`` is True on
    the final epoch (the stopping rule fired or ``max_epochs`` was reached).
    """

    epoch: int
    params: Params
    train_loss: float
    train_error: float
    seconds: float
    last: bool


def _optimizer(learning_rate: float, trainable: str) -> Any:
    """SGD on the trainable layers, zero updates on the others. The learning rate lives in the
    optimiser state (``optax.inject_hyperparams``, float32), so one compiled epoch serves every
    learning rate."""
    import numpy as np
    import optax

    labels = {name: ("train" if name in TRAINABLE[trainable] else "freeze") for name in LAYERS}
    sgd = optax.inject_hyperparams(optax.sgd, hyperparam_dtype=np.float32)
    return optax.multi_transform(
        {"train": sgd(learning_rate=learning_rate), "freeze": optax.set_to_zero()},
        {name: {"w": label, "b": label} for name, label in labels.items()},
    )


@functools.cache
def _epoch_function(batch_size: int, trainable: str, n_train: int) -> Any:
    """The jitted ``epoch(params, opt_state, x, y, key)`` returning
    ``(params, opt_state, mean loss, mean error)`` over the epoch's mini-batches."""
    import optax

    jax = jax_with_x64()
    # Only ``update`` is used here; it reads the learning rate from the state.
    optimizer = _optimizer(0.0, trainable)
    n_steps = n_train // batch_size
    grad = jax.value_and_grad(loss_with_error, has_aux=True)

    def step(carry: Any, idx: Any) -> Any:
        params, opt_state, x, y = carry
        (loss, error), grads = grad(params, x[idx], y[idx])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, x, y), (loss, error)

    def epoch(params: Any, opt_state: Any, x: Any, y: Any, key: Any) -> Any:
        order = jax.random.permutation(key, n_train)[: n_steps * batch_size]
        (params, opt_state, _, _), (losses, errors) = jax.lax.scan(
            step, (params, opt_state, x, y), order.reshape(n_steps, batch_size)
        )
        return params, opt_state, losses.mean(), errors.mean()

    return jax.jit(epoch)


def train(
    setting: Setting,
    x_train: Any,
    y_train: Any,
    *,
    init_seed: int,
    order_seed: int,
    max_epochs: int,
    min_delta: float = MIN_DELTA,
    patience: int = PATIENCE,
) -> Iterator[EpochResult]:
    """Train from the initial weights of ``init_seed``; yield the state after every epoch.

    Parameters
    ----------
    setting : Setting
        Batch size, learning rate and trainable layers.
    x_train : array of shape (n, 784), float32
    y_train : array of shape (n,), integer labels
    init_seed : int
        Seed of the initial weights (:func:`~.mlp3_model.init_params`).
    order_seed : int
        Seed of the per-epoch permutations (epoch e uses ``fold_in(key(order_seed), e)``).
    max_epochs : int
        At most this many epochs.
    min_delta, patience
        The stopping rule (:func:`should_stop`).

    Yields
    ------
    EpochResult
        Epoch 0 (initial weights) first, then one per epoch until the rule fires.

    Raises
    ------
    InputError
        If ``max_epochs < 1`` or the batch size exceeds the training set.
    """
    import time

    jax = jax_with_x64()
    jnp = jax.numpy
    n = int(x_train.shape[0])
    if isinstance(max_epochs, bool) or int(max_epochs) < 1:
        raise InputError(f"max_epochs: expected an int >= 1, got {max_epochs!r}")
    if setting.batch_size > n:
        raise InputError(
            f"batch_size: expected at most the {n} training images, got {setting.batch_size}"
        )
    epoch_fn = _epoch_function(setting.batch_size, setting.trainable, n)
    x = jnp.asarray(x_train, dtype=jnp.float32)
    y = jnp.asarray(y_train, dtype=jnp.int32)
    params = init_params(init_seed)
    opt_state = _optimizer(float(setting.learning_rate), setting.trainable).init(params)
    order_key = jax.random.key(int(order_seed))
    yield EpochResult(
        epoch=0, params=params, train_loss=math.nan, train_error=math.nan, seconds=0.0, last=False
    )
    losses: list[float] = []
    for epoch in range(1, int(max_epochs) + 1):
        started = time.perf_counter()
        params, opt_state, loss, error = epoch_fn(
            params, opt_state, x, y, jax.random.fold_in(order_key, epoch)
        )
        losses.append(float(loss))  # blocks until the epoch is done
        last = epoch == max_epochs or should_stop(losses, min_delta=min_delta, patience=patience)
        yield EpochResult(
            epoch=epoch,
            params=params,
            train_loss=losses[-1],
            train_error=float(error),
            seconds=time.perf_counter() - started,
            last=last,
        )
        if last:
            return

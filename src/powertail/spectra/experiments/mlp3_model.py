r"""The SETOL three-layer MLP (paper Sec. 6, appendix A.5): 784 -> 300 -> 100 -> 10, ReLU.

.. math::

    h_1 = \mathrm{ReLU}(x W_1 + b_1),\quad h_2 = \mathrm{ReLU}(h_1 W_2 + b_2),\quad
    z = h_2 W_3 + b_3,\qquad
    L = -\frac{1}{B}\sum_{n=1}^{B} \log \operatorname{softmax}(z_n)_{y_n}

with :math:`W_1` (784 x 300, "FC1"), :math:`W_2` (300 x 100, "FC2"), :math:`W_3` (100 x 10,
"out"). Weights are Glorot-normal (Keras' ``glorot_normal``: a normal truncated at two standard
deviations, rescaled to variance :math:`2/(n_{in}+n_{out})`), biases zero (brief §1.8). The loss
is the mean cross-entropy over the mini-batch (the PyTorch code's default). Everything is
float32, whatever ``jax_enable_x64`` says; the spectra analysis widens the weights to float64.

Parameters are a dict ``{"fc1": {"w", "b"}, "fc2": {...}, "out": {...}}`` of JAX arrays, with
``w`` stored as (fan_in, fan_out) so that a layer is ``x @ w + b``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from powertail.jaxconfig import jax_with_x64

__all__ = [
    "LAYERS",
    "LAYER_SIZES",
    "PIXELS",
    "forward",
    "init_params",
    "loss_and_error",
    "loss_with_error",
    "mean_loss",
    "to_numpy",
]

#: Layer names, input to output.
LAYERS: tuple[str, ...] = ("fc1", "fc2", "out")
#: (fan_in, fan_out) of each layer in :data:`LAYERS`.
LAYER_SIZES: tuple[tuple[int, int], ...] = ((784, 300), (300, 100), (100, 10))
#: Pixels of a flattened 28 x 28 MNIST image.
PIXELS = 784

Params = dict[str, dict[str, Any]]


def init_params(seed: int) -> Params:
    """Glorot-normal weights and zero biases, float32, drawn from JAX key ``seed``.

    Parameters
    ----------
    seed : int
        Non-negative integer seed of the initial weights (one per seed of a sweep, shared by
        every setting of that seed).

    Returns
    -------
    dict
        ``{"fc1": {"w": (784, 300), "b": (300,)}, "fc2": ..., "out": ...}``.
    """
    jax = jax_with_x64()
    jnp = jax.numpy
    init = jax.nn.initializers.glorot_normal()
    keys = jax.random.split(jax.random.key(int(seed)), len(LAYERS))
    return {
        name: {
            "w": init(key, (fan_in, fan_out), jnp.float32),
            "b": jnp.zeros((fan_out,), jnp.float32),
        }
        for name, (fan_in, fan_out), key in zip(LAYERS, LAYER_SIZES, keys, strict=True)
    }


def forward(params: Params, x: Any) -> Any:
    """Logits :math:`z` of a batch ``x`` of shape (B, 784) (module docstring)."""
    jax = jax_with_x64()
    h = x
    for name in LAYERS[:-1]:
        h = jax.nn.relu(h @ params[name]["w"] + params[name]["b"])
    return h @ params["out"]["w"] + params["out"]["b"]


def mean_loss(params: Params, x: Any, y: Any) -> Any:
    """Mean cross-entropy :math:`L` of the batch (``y`` integer labels 0-9)."""
    return loss_with_error(params, x, y)[0]


def loss_with_error(params: Params, x: Any, y: Any) -> tuple[Any, Any]:
    """:math:`L` and the fraction of the batch classified wrongly (traceable JAX scalars)."""
    import optax

    jnp = jax_with_x64().numpy
    logits = forward(params, x)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, jnp.mean(jnp.argmax(logits, axis=-1) != y)


@functools.cache
def _jitted_loss_and_error() -> Any:
    return jax_with_x64().jit(loss_with_error)


def loss_and_error(params: Params, x: Any, y: Any) -> tuple[float, float]:
    """Mean cross-entropy and classification error (fraction wrong) of ``params`` on (x, y).

    Parameters
    ----------
    params : dict
        Network parameters (:func:`init_params`).
    x : array of shape (n, 784), float32
    y : array of shape (n,), integer labels

    Returns
    -------
    (float, float)
    """
    loss, error = _jitted_loss_and_error()(params, x, y)
    return float(loss), float(error)


def to_numpy(params: Params) -> dict[str, dict[str, np.ndarray]]:
    """The parameters as NumPy float32 arrays (for the spectra analysis and for tests)."""
    return {name: {k: np.asarray(v) for k, v in layer.items()} for name, layer in params.items()}

r"""Finite CNNs with a random readout variance trained in **all** layers by gradient descent,
against the CNN NTK limit (brief sections 1.8 item 3 and 5.3 items 7-8, for convolutions).

The network is the one whose kernels :func:`~powertail.nngp.kernels.conv_kernels` computes,
``depth × [Conv(3×3, SAME; σ_w, σ_b), φ] → Flatten → Dense(σ)``, in the NTK parameterisation
with ``C`` channels per layer, all of θ = (W, b, V) ~ N(0, 1):

.. math::

    z^{1}_{pc} = \frac{\sigma_w}{\sqrt{9C_0}}\sum_{\delta\in3\times3}\sum_{c'}
        W^{1}_{\delta c',c}\,x_{p+\delta,c'} + \sigma_b b^{1}_c,\qquad
    z^{l+1}_{pc} = \frac{\sigma_w}{\sqrt{9C}}\sum_{\delta,c'}
        W^{l+1}_{\delta c',c}\,\phi(z^l_{p+\delta,c'}) + \sigma_b b^{l+1}_c,\\
    f(x) = \sigma\,g_\theta(x),\qquad g_\theta(x) = \frac{1}{\sqrt{PC}}\sum_{p,c}V_{pc}\,
        \phi(z^L_{pc}(x))

(zero padding: pixels outside the image count as 0, the fan-in stays 9C; P pixels), with
:math:`\sigma^2 \sim H` drawn once per network and held fixed. Full-batch gradient descent on
½‖f(X) − y‖² of all of θ tends, as C → ∞, to kernel regression with the CNN NTK Θ, so for
:math:`H = IG(\alpha, \beta)` the trained test outputs tend to
:math:`MVT_{2\alpha}(\mu_{NTK}, (\beta/\alpha)\Sigma_{NTK})`
(:func:`~powertail.nngp.finite_width.ntk_limit` with a
:class:`~powertail.nngp.kernels.ConvFlatten`) and the initial outputs to
:math:`MVT_{2\alpha}(0, (\beta/\alpha)K_{**})` with the CNN NNGP K.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.finite_width import (
    EnsembleOutputs,
    _check_conv,
    _descent_program,
    _image_problem,
    _jax_activation,
    _train_in_chunks,
)
from powertail.nngp.kernels import ConvFlatten
from powertail.nngp.priors import ScalePrior

__all__ = ["conv_gradient_descent_ensemble"]

_ACTIVATIONS_PER_CHUNK = 25_000_000
"""Default chunk: about this many floats of parameters and per-layer activations (≈ 200 MB)."""


def conv_gradient_descent_ensemble(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: ConvFlatten,
    prior: ScalePrior,
    channels: int,
    n_networks: int,
    seed: int,
    step_fraction: float = 1.0,
    tolerance: float = 1e-6,
    max_steps: int = 20_000,
    chunk: int | None = None,
) -> EnsembleOutputs:
    r"""CNNs (module docstring) with σ² ~ ``prior`` drawn once per network, trained in all
    layers by full-batch gradient descent on ½‖f(X) − y‖².

    The step of member k is :math:`\eta_k = c/\lambda_{max}(\hat\Theta_k(X, X))` with the
    member's empirical NTK :math:`\hat\Theta_k = \sigma_k^2 J_gJ_g^T` at initialisation
    (c = ``step_fraction``); steps run until :math:`\max|f(X) - y| <` ``tolerance`` for every
    member of a chunk, or ``max_steps`` (check ``train_residual``). ``chunk`` networks are
    trained at a time (default: about 2.5·10⁷ floats of parameters and activations per chunk).
    The draws (σ² of all networks, then per network W, b layer by layer and V) do not depend on
    the chunking.

    Parameters
    ----------
    x_train, x_test : array_like (n, H, W, C₀), (m, H, W, C₀)
    y_train : array_like (n,)
    architecture : ConvFlatten
        Depth, activation, σ_w², σ_b² (its readout variance is replaced by σ²).
    channels : int
        Channels C of every convolution layer.

    Returns
    -------
    EnsembleOutputs
        ``initial`` and ``trained`` test outputs (n_networks, m), the σ² draws, the largest
        training residual and the most steps taken in a chunk.
    """
    _check_conv(architecture, channels, n_networks)
    for name, value in (("max_steps", max_steps), ("chunk", 1 if chunk is None else chunk)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: expected an int >= 1, got {value!r}")
    if not 0 < step_fraction < 2:
        raise InputError(f"step_fraction: expected a float in (0, 2), got {step_fraction!r}")
    if not tolerance > 0:
        raise InputError(f"tolerance: expected a float > 0, got {tolerance!r}")
    xt, y, xs = _image_problem(x_train, y_train, x_test)
    x = np.concatenate([xt, xs])
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("x_train, y_train, x_test: expected finite values, got NaN or inf")
    pixels, in_channels = x.shape[1] * x.shape[2], x.shape[3]
    if chunk is None:
        floats = _parameter_count(in_channels, channels, architecture.depth, pixels)
        floats += x.shape[0] * pixels * 10 * channels * architecture.depth  # patches + outputs
        chunk = max(1, min(n_networks, _ACTIVATIONS_PER_CHUNK // floats))
    rng = np.random.default_rng(seed)
    train_chunk = _compiled_conv_descent(
        architecture.activation,
        float(np.sqrt(architecture.weight_variance)),
        float(np.sqrt(architecture.bias_variance)),
        step_fraction,
        tolerance,
        max_steps,
    )
    return _train_in_chunks(
        train_chunk,
        lambda: _draw_conv(rng, in_channels, channels, architecture.depth, pixels),
        rng=rng,
        prior=prior,
        n_networks=n_networks,
        chunk=chunk,
        x=x,
        y=y,
    )


def _parameter_count(in_channels: int, channels: int, depth: int, pixels: int) -> int:
    """Weights and biases of the convolutions plus the P·C readout."""
    fan_ins = [9 * in_channels, *[9 * channels] * (depth - 1)]
    return sum((fan_in + 1) * channels for fan_in in fan_ins) + pixels * channels


def _draw_conv(
    rng: np.random.Generator, in_channels: int, channels: int, depth: int, pixels: int
) -> dict[str, Any]:
    """One CNN's N(0, 1) parameters: per layer the 3×3 kernel as a (9·C_in, C) matrix (rows in
    the (row offset, column offset, input channel) order of :func:`_patches`), then the bias;
    the (P·C,) readout last."""
    hidden, fan_in = [], 9 * in_channels
    for _ in range(depth):
        hidden.append((rng.standard_normal((fan_in, channels)), rng.standard_normal(channels)))
        fan_in = 9 * channels
    return {"hidden": hidden, "readout": rng.standard_normal(pixels * channels)}


def _patches(h: Any) -> Any:
    """3×3 SAME (zero-padded) patches in JAX: (n, H, W, C) → (n, H, W, 9C), the
    (row offset, column offset, channel) order of ``finite_width._same_patches``."""
    jnp = jax_with_x64().numpy
    height, width = h.shape[1], h.shape[2]
    p = jnp.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return jnp.concatenate(
        [p[:, i : i + height, j : j + width] for i in range(3) for j in range(3)], axis=-1
    )


@lru_cache(maxsize=8)
def _compiled_conv_descent(
    activation: str, sw: float, sb: float, step_fraction: float, tolerance: float, max_steps: int
) -> Any:
    r"""jit-compiled gradient descent of a chunk of CNNs: the unit-readout network
    :math:`g_\theta` of the module docstring, each convolution as patches @ W."""
    jnp = jax_with_x64().numpy
    phi = _jax_activation(activation)

    def unit(params: Any, x: Any) -> Any:
        h = x
        for w, b in params["hidden"]:
            patches = _patches(h)
            h = phi(sw / jnp.sqrt(patches.shape[-1]) * (patches @ w) + sb * b)
        flat = h.reshape(h.shape[0], -1)
        return flat @ params["readout"] / jnp.sqrt(flat.shape[-1])

    return _descent_program(unit, step_fraction, tolerance, max_steps)

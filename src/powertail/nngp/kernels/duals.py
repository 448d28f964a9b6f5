r"""Dual activations: Gaussian expectations :math:`E[\phi(u)\phi(v)]` and
:math:`E[\phi'(u)\phi'(v)]` for :math:`(u, v) \sim N(0, [[k_{11}, k_{12}], [k_{12}, k_{22}]])`,
in JAX (brief section 1.2). The NumPy reference is :mod:`powertail.nngp.kernels.reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powertail.jaxconfig import jax_with_x64

_TINY = 1e-300
"""Floor under square roots, so the gradient stays finite where the argument is 0 (x = x')."""

Dual = Callable[[Any, Any, Any], tuple[Any, Any]]


def relu_dual(k11: Any, k12: Any, k22: Any) -> tuple[Any, Any]:
    r"""Arc-cosine kernel of order 1 (ReLU) and its derivative kernel.

    .. math::

        \theta = \arccos\frac{k_{12}}{\sqrt{k_{11}k_{22}}},\quad
        E[\phi\phi] = \frac{1}{2\pi}\Bigl[\sqrt{k_{11}k_{22} - k_{12}^2}
            + (\pi - \theta)\,k_{12}\Bigr],\quad
        \dot K = \frac{\pi - \theta}{2\pi}

    (brief section 1.2, "ReLU"). :math:`\theta` is computed with ``arctan2`` of
    :math:`(\sqrt{1-c^2}, c)`, :math:`c` the correlation, and a floored square root, so values and
    gradients are finite at :math:`c = \pm 1` and for zero inputs (:math:`k_{11}k_{22} = 0`,
    where both kernels are 0 and 1/2).

    Parameters
    ----------
    k11, k12, k22 : jax.Array
        Broadcastable variances and covariance.

    Returns
    -------
    (jax.Array, jax.Array)
        :math:`E[\phi(u)\phi(v)]` and :math:`E[\phi'(u)\phi'(v)]`.
    """
    jnp = jax_with_x64().numpy
    prod = k11 * k22
    norm = jnp.sqrt(jnp.maximum(prod, _TINY))
    c = jnp.clip(jnp.where(prod > 0, k12 / norm, 0.0), -1.0, 1.0)
    sin = jnp.sqrt(jnp.maximum(1.0 - c * c, _TINY))
    theta = jnp.arctan2(sin, c)
    value = jnp.where(prod > 0, norm * (sin + (jnp.pi - theta) * c) / (2 * jnp.pi), 0.0)
    derivative = (jnp.pi - theta) / (2 * jnp.pi)
    return value, derivative


def erf_dual(k11: Any, k12: Any, k22: Any) -> tuple[Any, Any]:
    r"""Dual of :math:`\phi = \mathrm{erf}` and its derivative kernel.

    .. math::

        E[\phi\phi] = \frac{2}{\pi}\arcsin\frac{2k_{12}}{\sqrt{(1+2k_{11})(1+2k_{22})}},\quad
        \dot K = \frac{4}{\pi}\Bigl[(1+2k_{11})(1+2k_{22}) - 4k_{12}^2\Bigr]^{-1/2}

    (brief section 1.2, "Erf"); the arcsine is evaluated as
    :math:`\arctan2(2k_{12}, \sqrt{(1+2k_{11})(1+2k_{22}) - 4k_{12}^2})`.

    Parameters
    ----------
    k11, k12, k22 : jax.Array
        Broadcastable variances and covariance.

    Returns
    -------
    (jax.Array, jax.Array)
        :math:`E[\phi(u)\phi(v)]` and :math:`E[\phi'(u)\phi'(v)]`.
    """
    jnp = jax_with_x64().numpy
    a = (1.0 + 2.0 * k11) * (1.0 + 2.0 * k22)
    root = jnp.sqrt(jnp.maximum(a - 4.0 * k12 * k12, _TINY))
    value = (2.0 / jnp.pi) * jnp.arctan2(2.0 * k12, root)
    derivative = (4.0 / jnp.pi) / root
    return value, derivative


def identity_dual(k11: Any, k12: Any, k22: Any) -> tuple[Any, Any]:
    r"""Dual of the identity: :math:`E[uv] = k_{12}`, :math:`\dot K = 1`."""
    jnp = jax_with_x64().numpy
    return k12 + 0.0 * (k11 + k22), jnp.ones_like(k12 + 0.0 * (k11 + k22))


DUALS: dict[str, Dual] = {"relu": relu_dual, "erf": erf_dual, "identity": identity_dual}
"""Activation name to its dual."""

r"""NNGP and NTK of a 3×3 SAME convolution stack read out through Flatten (brief section 1.2,
"Conv(3×3, stride 1, SAME) followed by Flatten and Dense"; the official ``get_cnn_kernel``).

Because Flatten reads every pixel with its own weights, only the spatially diagonal
covariances :math:`K_p(x, x')` are needed: cost O(n₁ n₂ P L 9) for P pixels and L layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.kernels.architecture import ACTIVATIONS, Activation
from powertail.nngp.kernels.duals import DUALS
from powertail.nngp.kernels.fc import FCKernels


@dataclass(frozen=True)
class ConvFlatten:
    """``depth × [Conv(3×3, SAME; σ_w, σ_b), φ] → Flatten → Dense(σ_v)`` (channels and widths
    do not enter the infinite-width kernel)."""

    depth: int = 1
    activation: Activation = "relu"
    weight_variance: float = 1.0
    bias_variance: float = 0.0
    readout_variance: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 1:
            raise InputError(
                f"depth: expected an int >= 1 (convolution layers), got {self.depth!r}"
            )
        if self.activation not in ACTIVATIONS:
            raise InputError(
                f"activation: expected one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"
            )
        for name in ("weight_variance", "readout_variance"):
            if not 0 < float(getattr(self, name)) < np.inf:
                raise InputError(
                    f"{name}: expected a finite float > 0, got {getattr(self, name)!r}"
                )
        if not 0 <= float(self.bias_variance) < np.inf:
            raise InputError(
                f"bias_variance: expected a finite float >= 0, got {self.bias_variance!r}"
            )


def _conv_mean(k: Any) -> Any:
    """Mean over the 3×3 window of the last two (spatial) axes, zero padding, divisor 9."""
    jnp = jax_with_x64().numpy
    pad = [(0, 0)] * (k.ndim - 2) + [(1, 1), (1, 1)]
    p = jnp.pad(k, pad)
    h, w = k.shape[-2], k.shape[-1]
    total = sum(p[..., i : i + h, j : j + w] for i in range(3) for j in range(3))
    return total / 9.0


def conv_propagate(
    k12: Any, k11: Any, k22: Any, *, activation: str, variances: Any, depths: tuple[int, ...]
) -> tuple[Any, Any]:
    r"""The CNN-Flatten recursion on spatially diagonal covariances (last two axes = pixels).

    .. math::

        K^1_p = \sigma_w^2\,\tfrac19\textstyle\sum_{\delta\in 3\times3} K^0_{p+\delta} + \sigma_b^2,
        \quad
        K^{l+1}_p = \sigma_w^2\,\tfrac19\sum_\delta E[\phi\phi](K^l)_{p+\delta} + \sigma_b^2,\\
        \Theta^{l+1}_p = K^{l+1}_p + \sigma_w^2\,\tfrac19\sum_\delta
            (\dot K(K^l)\odot\Theta^l)_{p+\delta},\quad
        K_{out} = \sigma_v^2\,\tfrac1P\sum_p E[\phi\phi](K^L)_p,\quad
        \Theta_{out} = \sigma_v^2\,\tfrac1P\sum_p (E[\phi\phi] + \dot K\odot\Theta^L)_p

    (brief section 1.2; zero padding counts as 0 but the divisor stays 9).
    """
    jnp = jax_with_x64().numpy
    dual = DUALS[activation]
    sw, sb, sv = variances[0], variances[1], variances[2]
    k12 = sw * _conv_mean(k12) + sb
    k11 = sw * _conv_mean(k11) + sb
    k22 = sw * _conv_mean(k22) + sb
    theta = k12
    nngp, ntk = [], []
    for layer in range(1, depths[-1] + 1):
        e12, d12 = dual(k11, k12, k22)
        if layer in depths:
            nngp.append(sv * jnp.mean(e12, axis=(-2, -1)))
            ntk.append(sv * jnp.mean(e12 + d12 * theta, axis=(-2, -1)))
        if layer < depths[-1]:
            e11, _ = dual(k11, k11, k11)
            e22, _ = dual(k22, k22, k22)
            k12 = sw * _conv_mean(e12) + sb
            theta = k12 + sw * _conv_mean(d12 * theta)
            k11, k22 = sw * _conv_mean(e11) + sb, sw * _conv_mean(e22) + sb
    return jnp.stack(nngp), jnp.stack(ntk)


@lru_cache(maxsize=32)
def _compiled(activation: str, depths: tuple[int, ...], diagonal: bool) -> Any:
    jax = jax_with_x64()
    jnp = jax.numpy

    def cross(x1: Any, x2: Any, variances: Any) -> tuple[Any, Any]:
        c = x1.shape[-1]
        k12 = jnp.einsum("ahwc,bhwc->abhw", x1, x2) / c
        k11 = (jnp.sum(x1 * x1, axis=-1) / c)[:, None]
        k22 = (jnp.sum(x2 * x2, axis=-1) / c)[None, :]
        return conv_propagate(
            k12, k11, k22, activation=activation, variances=variances, depths=depths
        )

    def diag(x1: Any, variances: Any) -> tuple[Any, Any]:
        k = jnp.sum(x1 * x1, axis=-1) / x1.shape[-1]
        return conv_propagate(k, k, k, activation=activation, variances=variances, depths=depths)

    return jax.jit(diag if diagonal else cross)


def _images(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 4 or 0 in arr.shape:
        raise InputError(
            f"{name}: expected images of shape (n, height, width, channels), got shape "
            f"{arr.shape}; add a channel axis with x[..., None]"
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: expected finite pixels, got NaN or inf")
    return arr


def conv_kernels(
    x1: ArrayLike,
    x2: ArrayLike | None = None,
    *,
    architecture: ConvFlatten,
    depths: Sequence[int] | None = None,
    diagonal: bool = False,
    tile: int = 64,
) -> FCKernels:
    """NNGP and NTK of :class:`ConvFlatten` between image sets, in tiles of ``tile`` images.

    Parameters
    ----------
    x1 : array_like of shape (n1, H, W, C)
    x2 : array_like of shape (n2, H, W, C), optional (default ``x1``)
    architecture : ConvFlatten
    depths : sequence of int, optional
        Convolution depths to read out, all from one pass (default ``architecture.depth``).
    diagonal : bool
        Only :math:`K(x, x)` per image of ``x1``.
    tile : int
        Images per tile; a tile pair holds ``tile² H W`` floats per intermediate.

    Returns
    -------
    FCKernels
        Shapes (n_depths, n1, n2) or (n_depths, n1).
    """
    if not isinstance(architecture, ConvFlatten):
        raise InputError(f"architecture: expected a ConvFlatten, got {type(architecture).__name__}")
    kept = tuple(sorted({int(d) for d in (depths or (architecture.depth,))}))
    if kept[0] < 1 or kept[-1] > architecture.depth:
        raise InputError(
            f"depths: expected depths between 1 and {architecture.depth}, got {tuple(kept)}"
        )
    v = np.array(
        [architecture.weight_variance, architecture.bias_variance, architecture.readout_variance]
    )
    a = _images(x1, "x1")
    if diagonal:
        fn = _compiled(architecture.activation, kept, True)
        parts = [fn(a[i : i + tile], v) for i in range(0, a.shape[0], tile)]
        return FCKernels(
            depths=kept,
            nngp=np.concatenate([np.asarray(p[0]) for p in parts], axis=1),
            ntk=np.concatenate([np.asarray(p[1]) for p in parts], axis=1),
        )
    b = a if x2 is None else _images(x2, "x2")
    if b.shape[1:] != a.shape[1:]:
        raise InputError(f"x2: expected images of shape {a.shape[1:]}, got {b.shape[1:]}")
    fn = _compiled(architecture.activation, kept, False)
    nngp = np.empty((len(kept), a.shape[0], b.shape[0]))
    ntk = np.empty_like(nngp)
    for i in range(0, a.shape[0], tile):
        for j in range(0, b.shape[0], tile):
            k, t = fn(a[i : i + tile], b[j : j + tile], v)
            nngp[:, i : i + tile, j : j + tile] = np.asarray(k)
            ntk[:, i : i + tile, j : j + tile] = np.asarray(t)
    return FCKernels(depths=kept, nngp=nngp, ntk=ntk)

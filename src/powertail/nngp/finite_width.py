r"""Finite-width networks with a random readout variance, at initialisation and after gradient
descent on the readout or on all layers (brief sections 1.8 and 5.3 items 7-8).

A network ``depth × [Dense(σ_w, σ_b), φ] → Dense(σ)`` in the NTK parameterisation, with
:math:`\sigma^2 \sim H` drawn **once per network**:

* at initialisation, as width → ∞, :math:`f(X_*) \sim \int N(0, \sigma^2 K_{**})\,dH`; for
  :math:`H = IG(\alpha,\beta)` that is :math:`MVT_{2\alpha}(0, (\beta/\alpha)K_{**})`;
* after training the readout only by gradient descent on the squared loss to convergence,
  :math:`f_\infty(X_*) \mid \sigma^2 \sim N(\mu, \sigma^2\Sigma)` with
  :math:`\mu = K_{*X}K^{-1}y`, :math:`\Sigma = K_{**} - K_{*X}K^{-1}K_{X*}`; mixed over the
  **prior** this is :math:`MVT_{2\alpha}(\mu, (\beta/\alpha)\Sigma)` — df :math:`2\alpha`, not the
  Bayesian posterior's :math:`2\alpha + n`.

Readout-only training is linear in the readout V, so gradient descent on V is exactly the
function-space iteration with the member's empirical kernel
:math:`\hat\Theta = \frac{\sigma^2}{N}\Phi\Phi^T` (Φ = last hidden features):
:math:`f \leftarrow f - \eta\,\hat\Theta_{\cdot X}(f_X - y)`, which is evaluated for any
number of steps in closed form in the eigenbasis of :math:`\hat\Theta_{XX}`; the step is
:math:`\eta = c/\lambda_{max}(\hat\Theta_{XX})` per member (brief 1.8 item 5: a fixed step diverges
for members with large σ²).

:func:`fit_student_t_df` estimates the degrees of freedom from the quadratic form
:math:`Q = (f-\mu)^T S^{-1}(f-\mu)/d \sim F(d, \nu)`.

Training all layers: :func:`linearised_full_training` (the network linearised at
initialisation, closed form) and :func:`gradient_descent_ensemble` (the nonlinear network, JAX
gradient descent), both against :func:`ntk_limit`. Convolutional networks:
:func:`conv_readout_ensemble` (Conv(3×3, SAME) stack → Flatten → Dense, at initialisation and
readout-trained) against :func:`student_t_limit` with the library's CNN NNGP, and trained in all
layers by gradient descent (``conv_gradient_descent_ensemble``, defined in
:mod:`powertail.nngp.finite_conv` and importable from here) against :func:`ntk_limit` with the
library's CNN NTK.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.kernels import ConvFlatten, FullyConnected, conv_kernels, fc_kernels
from powertail.nngp.priors import ScalePrior

__all__ = [
    "EnsembleOutputs",
    "conv_readout_ensemble",
    "fit_student_t_df",
    "gradient_descent_ensemble",
    "linearised_full_training",
    "ntk_limit",
    "readout_trained_ensemble",
    "sample_dense_features",
    "student_t_limit",
]

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "erf": special.erf,
    "identity": lambda z: z,
}


def __getattr__(name: str) -> Any:
    """Serve ``conv_gradient_descent_ensemble`` from :mod:`powertail.nngp.finite_conv` (imported
    on first use: that module builds on the helpers here)."""
    if name == "conv_gradient_descent_ensemble":
        from powertail.nngp.finite_conv import conv_gradient_descent_ensemble

        return conv_gradient_descent_ensemble
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check(architecture: FullyConnected, width: int, n_networks: int) -> None:
    if not isinstance(architecture, FullyConnected) or architecture.residual:
        raise InputError("architecture: expected a FullyConnected (residual=False) network")
    if architecture.depth < 1:
        raise InputError("architecture: expected depth >= 1 (hidden layers carry the features)")
    for name, value in (("width", width), ("n_networks", n_networks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: expected an int >= 1, got {value!r}")


def sample_dense_features(
    x: ArrayLike,
    *,
    architecture: FullyConnected,
    width: int,
    n_networks: int,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Last-hidden-layer features :math:`\phi(z^{(L)}(x))` of ``n_networks`` random networks.

    :math:`z^{1} = \frac{\sigma_w}{\sqrt{d}}W^1x + \sigma_b b^1`,
    :math:`z^{l+1} = \frac{\sigma_w}{\sqrt N}W^{l+1}\phi(z^l) + \sigma_b b^{l+1}`, all entries
    N(0, 1).

    Returns
    -------
    ndarray of shape (n_networks, n_points, width)
    """
    _check(architecture, width, n_networks)
    xs = np.asarray(x, dtype=np.float64)
    if xs.ndim != 2:
        raise InputError(f"x: expected shape (n_points, n_features), got {xs.shape}")
    phi = _ACTIVATIONS[architecture.activation]
    sw, sb = np.sqrt(architecture.weight_variance), np.sqrt(architecture.bias_variance)
    out = np.empty((n_networks, xs.shape[0], width))
    for k in range(n_networks):
        h = xs
        for _ in range(architecture.depth):
            fan_in = h.shape[1]
            w = rng.standard_normal((fan_in, width))
            z = (sw / np.sqrt(fan_in)) * (h @ w) + sb * rng.standard_normal(width)
            h = phi(z)
        out[k] = h
    return out


@dataclass(frozen=True)
class EnsembleOutputs:
    r"""Outputs of an ensemble at the test points.

    Attributes
    ----------
    initial : ndarray (n_networks, m)
        :math:`f_0(X_*)`.
    trained : ndarray (n_networks, m) or None
        After readout-only gradient descent.
    scales : ndarray (n_networks,)
        The readout variance :math:`\sigma^2` of each network.
    train_residual : float
        Largest :math:`|f_X - y|` after training (convergence check).
    steps : int or None
        Gradient steps taken (nonlinear training: the most over the members).
    """

    initial: np.ndarray
    trained: np.ndarray | None
    scales: np.ndarray
    train_residual: float
    steps: int | None = None


def readout_trained_ensemble(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected,
    prior: ScalePrior,
    width: int,
    n_networks: int,
    seed: int,
    steps: int = 10**6,
    step_fraction: float = 1.0,
) -> EnsembleOutputs:
    """Sample ``n_networks`` networks with σ² ~ ``prior`` (one draw each) and train their readout
    by ``steps`` of gradient descent on ½‖f(X) − y‖² (``steps=0``: initial outputs only)."""
    rng = np.random.default_rng(seed)
    xt = np.asarray(x_train, dtype=np.float64)
    xs = np.asarray(x_test, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    if xt.ndim != 2 or xs.ndim != 2 or xt.shape[1] != xs.shape[1] or y.size != xt.shape[0]:
        raise InputError(
            f"x_train, y_train, x_test: expected (n, d), (n,), (m, d); got {xt.shape}, "
            f"{np.shape(y_train)}, {xs.shape}"
        )
    if not 0 < step_fraction < 2:
        raise InputError(f"step_fraction: expected a float in (0, 2), got {step_fraction!r}")
    n = xt.shape[0]
    feats = sample_dense_features(
        np.vstack([xt, xs]), architecture=architecture, width=width, n_networks=n_networks, rng=rng
    )
    scales = np.asarray(prior.sample(rng, n_networks), dtype=np.float64)
    readout = rng.standard_normal((n_networks, width))
    gram = np.einsum("kpw,kqw->kpq", feats, feats[:, :n]) / width
    unit = np.einsum("kpw,kw->kp", feats, readout) / np.sqrt(width)
    return _readout_descent(scales, gram, unit, y, steps, step_fraction)


def _readout_descent(
    scales: np.ndarray,
    gram: np.ndarray,
    unit: np.ndarray,
    y: np.ndarray,
    steps: int,
    step_fraction: float,
) -> EnsembleOutputs:
    r"""``steps`` steps of gradient descent on the readout of networks
    :math:`f = \sigma\,\Phi V/\sqrt N`, given per member the feature Gram
    ``gram`` :math:`=\Phi\Phi_X^T/N` (all points × training points, training points first),
    the unit-readout outputs ``unit`` :math:`=\Phi V/\sqrt N` and σ² (``scales``)."""
    n = y.size
    f0 = np.sqrt(scales)[:, None] * unit
    if steps == 0:
        return EnsembleOutputs(
            initial=f0[:, n:], trained=None, scales=scales, train_residual=np.nan
        )
    theta = scales[:, None, None] * gram
    lam, vec = np.linalg.eigh(theta[:, :n])
    eta = step_fraction / lam[:, -1:]
    # ``steps`` iterations of f <- f - eta Theta_{.X} (f_X - y), in closed form per eigenvector
    # of Theta_XX: the training error decays by (1 - eta lambda)^steps, and the test outputs move
    # by Theta_{*X} U diag((1 - (1 - eta lambda)^steps) / lambda) U^T (f_X(0) - y).
    lam = np.maximum(lam, 1e-300)
    gain = -np.expm1(steps * np.log1p(-np.minimum(eta * lam, 1.0 - 1e-16))) / lam
    e0 = np.einsum("kqj,kq->kj", vec, f0[:, :n] - y)
    move = np.einsum("kpq,kqj,kj->kp", theta, vec, gain * e0)
    f = f0 - move
    return EnsembleOutputs(
        initial=f0[:, n:],
        trained=f[:, n:],
        scales=scales,
        train_residual=float(np.max(np.abs(f[:, :n] - y))),
        steps=steps,
    )


def student_t_limit(
    x_train: ArrayLike | None,
    y_train: ArrayLike | None,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected | ConvFlatten,
    alpha: float,
    beta: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""The infinite-width law :math:`MVT_{2\alpha}(\mu, (\beta/\alpha)\Sigma)` as
    ``(mu, shape, df)``: at initialisation without training data, else after readout-only
    training (dense inputs (n, d), or images (n, H, W, C) for a :class:`ConvFlatten`; the
    library's NNGP at unit readout variance)."""
    xs = np.asarray(x_test, dtype=np.float64)

    def nngp(x: np.ndarray) -> np.ndarray:
        return _unit_readout_kernels(x, architecture).nngp[0]

    if x_train is None:
        return np.zeros(xs.shape[0]), (beta / alpha) * nngp(xs), 2.0 * alpha
    xt = np.asarray(x_train, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    both = nngp(np.concatenate([xt, xs]))
    n = xt.shape[0]
    k_xx, k_sx, k_ss = both[:n, :n], both[n:, :n], both[n:, n:]
    sol = np.linalg.solve(k_xx, np.column_stack([y, k_sx.T]))
    mu = k_sx @ sol[:, 0]
    sigma = k_ss - k_sx @ sol[:, 1:]
    return mu, (beta / alpha) * 0.5 * (sigma + sigma.T), 2.0 * alpha


def fit_student_t_df(
    samples: ArrayLike,
    mean: ArrayLike,
    shape: ArrayLike,
    *,
    bounds: tuple[float, float] = (0.2, 500),
) -> tuple[float, np.ndarray]:
    r"""Maximum-likelihood df of :math:`MVT_\nu(\mu, S)` with μ and S fixed, from the quadratic
    form :math:`Q_k = (f_k-\mu)^TS^{-1}(f_k-\mu)/d \sim F(d, \nu)`.

    Returns
    -------
    (nu_hat, q) : the estimate and the quadratic forms.
    """
    f = np.asarray(samples, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    s = np.asarray(shape, dtype=np.float64)
    if f.ndim != 2 or mu.shape != (f.shape[1],) or s.shape != (f.shape[1], f.shape[1]):
        raise InputError(
            "samples, mean, shape: expected (k, d), (d,), (d, d); got "
            f"{f.shape}, {mu.shape}, {s.shape}"
        )
    d = f.shape[1]
    chol = np.linalg.cholesky(s)
    white = np.linalg.solve(chol, (f - mu).T)
    q = np.sum(white**2, axis=0) / d
    res = optimize.minimize_scalar(
        lambda log_nu: -np.sum(stats.f.logpdf(q, d, np.exp(log_nu))),
        bounds=tuple(np.log(bounds)),
        method="bounded",
    )
    return float(np.exp(res.x)), q


def _relu_grad(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(np.float64)


def _erf_grad(z: np.ndarray) -> np.ndarray:
    return 2.0 / np.sqrt(np.pi) * np.exp(-(z**2))


_GRADIENTS = {"relu": _relu_grad, "erf": _erf_grad, "identity": np.ones_like}


def linearised_full_training(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected,
    prior: ScalePrior,
    width: int,
    n_networks: int,
    seed: int,
    steps: int = 10**6,
) -> EnsembleOutputs:
    r"""One-hidden-layer networks with σ² ~ ``prior`` trained in **all** layers by gradient
    descent on the network linearised at initialisation (the NTK regime, brief 1.8 item 3).

    For :math:`f = \frac{\sigma}{\sqrt N}\sum_j V_j\phi(z_j)`,
    :math:`z_j = \frac{\sigma_w}{\sqrt d}W_j\cdot x + \sigma_b b_j`, the empirical NTK is

    .. math::

        \hat\Theta(x, x') = \frac{\sigma^2}{N}\sum_j\Bigl[\phi(z_j)\phi(z'_j)
          + V_j^2\phi'(z_j)\phi'(z'_j)\bigl(\sigma_w^2\,x\cdot x'/d + \sigma_b^2\bigr)\Bigr],

    and ``steps`` steps of size :math:`1/\lambda_{max}` are evaluated exactly in its eigenbasis.
    As width → ∞ the outputs tend to :math:`MVT_{2\alpha}(\mu_{NTK}, (\beta/\alpha)\Sigma_{NTK})`
    (:func:`ntk_limit`); at finite width the true (nonlinear) dynamics differ by O(1/√N), which
    this function leaves out.
    """
    if not isinstance(architecture, FullyConnected) or architecture.depth != 1:
        raise InputError("architecture: expected a FullyConnected network with depth=1")
    _check(architecture, width, n_networks)
    rng = np.random.default_rng(seed)
    xt = np.asarray(x_train, dtype=np.float64)
    xs = np.asarray(x_test, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    x = np.vstack([xt, xs])
    n, d = xt.shape[0], x.shape[1]
    phi, dphi = _ACTIVATIONS[architecture.activation], _GRADIENTS[architecture.activation]
    sw2, sb2 = architecture.weight_variance, architecture.bias_variance
    gram = sw2 * (x @ x.T) / d + sb2
    scales = np.asarray(prior.sample(rng, n_networks), dtype=np.float64)
    f0 = np.empty((n_networks, x.shape[0]))
    theta = np.empty((n_networks, x.shape[0], n))
    for k in range(n_networks):
        w = rng.standard_normal((d, width))
        z = np.sqrt(sw2 / d) * (x @ w) + np.sqrt(sb2) * rng.standard_normal(width)
        v = rng.standard_normal(width)
        h, g = phi(z), dphi(z) * v
        f0[k] = np.sqrt(scales[k] / width) * (h @ v)
        theta[k] = scales[k] / width * (h @ h[:n].T + (g @ g[:n].T) * gram[:, :n])
    lam, vec = np.linalg.eigh(theta[:, :n])
    eta = 1.0 / lam[:, -1:]
    lam = np.maximum(lam, 1e-300)
    gain = -np.expm1(steps * np.log1p(-np.minimum(eta * lam, 1.0 - 1e-16))) / lam
    e0 = np.einsum("kqj,kq->kj", vec, f0[:, :n] - y)
    f = f0 - np.einsum("kpq,kqj,kj->kp", theta, vec, gain * e0)
    return EnsembleOutputs(
        initial=f0[:, n:],
        trained=f[:, n:],
        scales=scales,
        train_residual=float(np.max(np.abs(f[:, :n] - y))),
    )


def _unit_readout_kernels(x: np.ndarray, architecture: FullyConnected | ConvFlatten) -> Any:
    """The library's NNGP and NTK of `x` for `architecture` with unit readout variance (the
    random σ² of a scale mixture multiplies them); a dense network is taken without its
    residual blocks, as the finite networks here have none."""
    if isinstance(architecture, ConvFlatten):
        return conv_kernels(x, architecture=replace(architecture, readout_variance=1.0))
    unit = replace(architecture, readout_variance=1.0, residual=False)
    return fc_kernels(x, architecture=unit)


def ntk_limit(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected | ConvFlatten,
    alpha: float,
    beta: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    r""":math:`MVT_{2\alpha}(\mu_{NTK}, (\beta/\alpha)\Sigma_{NTK})` as ``(mu, shape, df)`` with
    :math:`\mu_{NTK} = \Theta_{*X}\Theta^{-1}y` and
    :math:`\Sigma_{NTK} = K_{**} + \Theta_{*X}\Theta^{-1}K\Theta^{-1}\Theta_{X*}
    - (\Theta_{*X}\Theta^{-1}K_{X*} + \text{transpose})` (brief 1.8 item 3; library NNGP K and
    NTK Θ at unit readout variance; dense inputs (n, d), or images (n, H, W, C) for a
    :class:`ConvFlatten`, whose kernels come from :func:`~powertail.nngp.kernels.conv_kernels`)."""
    xt = np.asarray(x_train, dtype=np.float64)
    xs = np.asarray(x_test, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    kern = _unit_readout_kernels(np.concatenate([xt, xs]), architecture)
    n = xt.shape[0]
    k, t = kern.nngp[0], kern.ntk[0]
    solve = np.linalg.solve(t[:n, :n], np.column_stack([y, t[:n, n:]]))  # Θ⁻¹[y, Θ_X*]
    a = solve[:, 1:].T  # Θ_*X Θ⁻¹
    mu = a @ y
    cross = a @ k[:n, n:]
    sigma = k[n:, n:] + a @ k[:n, :n] @ a.T - cross - cross.T
    return mu, (beta / alpha) * 0.5 * (sigma + sigma.T), 2.0 * alpha


def _same_patches(h: np.ndarray) -> np.ndarray:
    """3×3 SAME (zero-padded) patches: (n, H, W, C) → (n, H, W, 9C)."""
    _, height, width, _ = h.shape
    p = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return np.concatenate(
        [p[:, i : i + height, j : j + width] for i in range(3) for j in range(3)], axis=-1
    )


def _check_conv(architecture: ConvFlatten, channels: int, n_networks: int) -> None:
    if not isinstance(architecture, ConvFlatten):
        raise InputError(f"architecture: expected a ConvFlatten, got {type(architecture).__name__}")
    for name, value in (("channels", channels), ("n_networks", n_networks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: expected an int >= 1, got {value!r}")


def _image_problem(
    x_train: ArrayLike, y_train: ArrayLike, x_test: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test)`` as float arrays (n, H, W, C), (n,), (m, H, W, C)."""
    xt = np.asarray(x_train, dtype=np.float64)
    xs = np.asarray(x_test, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    if xt.ndim != 4 or xs.shape[1:] != xt.shape[1:] or y.size != xt.shape[0]:
        raise InputError(
            "x_train, y_train, x_test: expected images (n, H, W, C), (n,), (m, H, W, C); got "
            f"{xt.shape}, {np.shape(y_train)}, {xs.shape}"
        )
    return xt, y, xs


def conv_readout_ensemble(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: ConvFlatten,
    prior: ScalePrior,
    channels: int,
    n_networks: int,
    seed: int,
    steps: int = 10**6,
    step_fraction: float = 1.0,
) -> EnsembleOutputs:
    r"""Finite CNNs ``depth × [Conv(3×3, SAME; σ_w, σ_b), φ] → Flatten → Dense(σ)`` with
    ``channels`` channels per layer and σ² ~ ``prior`` drawn once per network, at initialisation
    and after ``steps`` of readout-only gradient descent (``steps=0``: initial outputs only).

    NTK parameterisation, all weights N(0, 1):
    :math:`z^{l+1}_{p} = \frac{\sigma_w}{\sqrt{9C_l}}\sum_{\delta\in3\times3}\sum_c
    W^{l+1}_{\delta c}\,\phi(z^l_{p+\delta,c}) + \sigma_b b^{l+1}` (zero padding),
    :math:`f = \frac{\sigma}{\sqrt{PC}}\sum_{p,c}V_{pc}\,\phi(z^L_{pc})`; as channels → ∞ the
    outputs tend to :func:`student_t_limit` with the library's CNN NNGP
    (:func:`~powertail.nngp.kernels.conv_kernels`).

    Parameters
    ----------
    x_train, x_test : array_like (n, H, W, C₀), (m, H, W, C₀)
    y_train : array_like (n,)
    """
    _check_conv(architecture, channels, n_networks)
    if not 0 < step_fraction < 2:
        raise InputError(f"step_fraction: expected a float in (0, 2), got {step_fraction!r}")
    xt, y, xs = _image_problem(x_train, y_train, x_test)
    rng = np.random.default_rng(seed)
    x = np.concatenate([xt, xs])
    n = xt.shape[0]
    phi = _ACTIVATIONS[architecture.activation]
    sw, sb = np.sqrt(architecture.weight_variance), np.sqrt(architecture.bias_variance)
    gram = np.empty((n_networks, x.shape[0], n))
    unit = np.empty((n_networks, x.shape[0]))
    for k in range(n_networks):
        h = x
        for _ in range(architecture.depth):
            patches = _same_patches(h)
            w = rng.standard_normal((patches.shape[-1], channels))
            z = (sw / np.sqrt(patches.shape[-1])) * (patches @ w) + sb * rng.standard_normal(
                channels
            )
            h = phi(z)
        feats = h.reshape(x.shape[0], -1)
        gram[k] = feats @ feats[:n].T / feats.shape[1]
        unit[k] = feats @ rng.standard_normal(feats.shape[1]) / np.sqrt(feats.shape[1])
    scales = np.asarray(prior.sample(rng, n_networks), dtype=np.float64)
    return _readout_descent(scales, gram, unit, y, steps, step_fraction)


def _jax_activation(name: str) -> Any:
    jax = jax_with_x64()
    return {
        "relu": jax.nn.relu,
        "erf": jax.scipy.special.erf,
        "identity": lambda z: z,
    }[name]


def gradient_descent_ensemble(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected,
    prior: ScalePrior,
    width: int,
    n_networks: int,
    seed: int,
    step_fraction: float = 1.0,
    tolerance: float = 1e-6,
    max_steps: int = 20_000,
    chunk: int | None = None,
) -> EnsembleOutputs:
    r"""Dense networks with σ² ~ ``prior`` (one draw per network) trained in **all** layers by
    full-batch gradient descent on ½‖f(X) − y‖² — the nonlinear network, not its linearisation
    (brief 1.8 item 3).

    :math:`f(x) = \sigma\,g_\theta(x)`, :math:`g_\theta = \frac{1}{\sqrt N}V\cdot\phi(z^L)`,
    :math:`z^{l+1} = \frac{\sigma_w}{\sqrt{N_l}}W^{l+1}\phi(z^l) + \sigma_b b^{l+1}` (NTK
    parameterisation, all of θ = (W, b, V) ~ N(0, 1) and trained, σ fixed). The step of member k
    is :math:`\eta_k = c/\lambda_{max}(\hat\Theta_k(X, X))` with the member's empirical NTK
    :math:`\hat\Theta_k = \sigma_k^2 J_gJ_g^T` at initialisation (a common step diverges for
    members with large σ², brief 1.8 item 5). Steps run until
    :math:`\max|f(X) - y| <` ``tolerance`` for every member of a chunk, or ``max_steps``
    (check ``train_residual`` of the result). ``chunk`` networks are trained at a time
    (default: about 10⁷ parameters per chunk, which bounds the memory).
    As width → ∞ the trained test outputs tend to
    :math:`MVT_{2\alpha}(\mu_{NTK}, (\beta/\alpha)\Sigma_{NTK})` (:func:`ntk_limit`).
    """
    if not isinstance(architecture, FullyConnected) or architecture.residual:
        raise InputError("architecture: expected a FullyConnected (residual=False) network")
    _check(architecture, width, n_networks)
    for name, value in (("max_steps", max_steps), ("chunk", 1 if chunk is None else chunk)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: expected an int >= 1, got {value!r}")
    if not 0 < step_fraction < 2:
        raise InputError(f"step_fraction: expected a float in (0, 2), got {step_fraction!r}")
    if not tolerance > 0:
        raise InputError(f"tolerance: expected a float > 0, got {tolerance!r}")
    xt = np.asarray(x_train, dtype=np.float64)
    xs = np.asarray(x_test, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    if xt.ndim != 2 or xs.ndim != 2 or xt.shape[1] != xs.shape[1] or y.size != xt.shape[0]:
        raise InputError(
            f"x_train, y_train, x_test: expected (n, d), (n,), (m, d); got {xt.shape}, "
            f"{np.shape(y_train)}, {xs.shape}"
        )
    n_params = sum(
        (n_in + 2) * width for n_in in [xt.shape[1], *[width] * (architecture.depth - 1)]
    )
    if chunk is None:
        chunk = max(1, min(n_networks, 10_000_000 // n_params))
    rng = np.random.default_rng(seed)
    train_chunk = _compiled_descent(
        architecture.activation,
        float(np.sqrt(architecture.weight_variance)),
        float(np.sqrt(architecture.bias_variance)),
        step_fraction,
        tolerance,
        max_steps,
    )
    x = np.vstack([xt, xs])
    return _train_in_chunks(
        train_chunk,
        lambda: _draw_dense(rng, x.shape[1], width, architecture.depth),
        rng=rng,
        prior=prior,
        n_networks=n_networks,
        chunk=chunk,
        x=x,
        y=y,
    )


def _train_in_chunks(
    train_chunk: Any,
    draw: Any,
    *,
    rng: np.random.Generator,
    prior: ScalePrior,
    n_networks: int,
    chunk: int,
    x: np.ndarray,
    y: np.ndarray,
) -> EnsembleOutputs:
    """Draw σ² for all networks, then train them `chunk` at a time: ``draw()`` gives one
    network's parameters, ``train_chunk(params, scales, x, y)`` returns (f₀, f, steps) on the
    rows of `x` (the first ``len(y)`` rows are the training inputs)."""
    n = y.size
    initial, trained, residual, steps = [], [], 0.0, 0
    scales = np.asarray(prior.sample(rng, n_networks), dtype=np.float64)
    for start in range(0, n_networks, chunk):
        size = min(chunk, n_networks - start)
        params = _stack([draw() for _ in range(size)])
        f0, f, taken = train_chunk(params, scales[start : start + size], x, y)
        f0, f = np.asarray(f0), np.asarray(f)
        initial.append(f0[:, n:])
        trained.append(f[:, n:])
        residual = max(residual, float(np.max(np.abs(f[:, :n] - y))))
        steps = max(steps, int(taken))
    return EnsembleOutputs(
        initial=np.concatenate(initial),
        trained=np.concatenate(trained),
        scales=scales,
        train_residual=residual,
        steps=steps,
    )


def _draw_dense(rng: np.random.Generator, n_in: int, width: int, depth: int) -> dict[str, Any]:
    """One network's N(0, 1) parameters, drawn layer by layer (W then b), readout last: the
    draws of a network do not depend on how networks are chunked."""
    hidden, fan_in = [], n_in
    for _ in range(depth):
        hidden.append((rng.standard_normal((fan_in, width)), rng.standard_normal(width)))
        fan_in = width
    return {"hidden": hidden, "readout": rng.standard_normal(width)}


def _stack(members: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack per-network parameters along a leading network axis."""
    depth = len(members[0]["hidden"])
    return {
        "hidden": [
            tuple(np.stack([m["hidden"][layer][i] for m in members]) for i in range(2))
            for layer in range(depth)
        ],
        "readout": np.stack([m["readout"] for m in members]),
    }


@lru_cache(maxsize=8)
def _compiled_descent(
    activation: str, sw: float, sb: float, step_fraction: float, tolerance: float, max_steps: int
) -> Any:
    """jit-compiled gradient descent of a chunk of dense networks (leading axis = network)."""
    jnp = jax_with_x64().numpy
    phi = _jax_activation(activation)

    def unit(params: Any, x: Any) -> Any:
        h = x
        for w, b in params["hidden"]:
            h = phi(sw / jnp.sqrt(h.shape[-1]) * (h @ w) + sb * b)
        return h @ params["readout"] / jnp.sqrt(h.shape[-1])

    return _descent_program(unit, step_fraction, tolerance, max_steps)


def _descent_program(unit: Any, step_fraction: float, tolerance: float, max_steps: int) -> Any:
    r"""jit-compiled full-batch gradient descent on ½‖f(X) − y‖² of a chunk of networks
    f(x) = σ · ``unit(θ, x)`` (leading axis of θ and σ² = network), all of θ trained: per member
    :math:`\eta = c/\lambda_{max}(\hat\Theta(X, X))` at initialisation, steps until
    :math:`\max|f(X) - y| <` ``tolerance`` or ``max_steps``. Returns ``run(θ, σ², x, y)`` →
    (initial outputs, trained outputs, most steps taken); the first ``len(y)`` rows of ``x``
    are the training points."""
    jax = jax_with_x64()
    jnp = jax.numpy

    def member(params: Any, scale: Any, x: Any, y: Any) -> Any:
        n = y.shape[0]
        sigma = jnp.sqrt(scale)

        def train_outputs(p: Any) -> Any:
            return sigma * unit(p, x[:n])

        # empirical NTK on the training points, column by column: J (J^T e_i)
        _, pullback = jax.vjp(train_outputs, params)
        theta = jax.vmap(lambda e: jax.jvp(train_outputs, (params,), (pullback(e)[0],))[1])(
            jnp.eye(n)
        )
        eta = step_fraction / jnp.linalg.eigvalsh(theta)[-1]
        grad = jax.grad(lambda p: 0.5 * jnp.sum((train_outputs(p) - y) ** 2))

        def not_done(state: Any) -> Any:
            p, t = state
            return (jnp.max(jnp.abs(train_outputs(p) - y)) > tolerance) & (t < max_steps)

        def step(state: Any) -> Any:
            p, t = state
            return jax.tree_util.tree_map(lambda a, g: a - eta * g, p, grad(p)), t + 1

        trained, taken = jax.lax.while_loop(not_done, step, (params, 0))
        return sigma * unit(params, x), sigma * unit(trained, x), taken

    batched = jax.vmap(member, in_axes=(0, 0, None, None))

    def run(params: Any, scales: Any, x: Any, y: Any) -> Any:
        f0, f, taken = batched(params, scales, x, y)
        return f0, f, jnp.max(taken)

    return jax.jit(run)

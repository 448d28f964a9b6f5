r"""Finite-width networks with a random readout variance, at initialisation and after readout-only
gradient descent (brief sections 1.8 and 5.3 items 7-8).

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from powertail.errors import InputError
from powertail.nngp.kernels import FullyConnected, fc_kernels
from powertail.nngp.priors import ScalePrior

__all__ = [
    "EnsembleOutputs",
    "fit_student_t_df",
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
    """

    initial: np.ndarray
    trained: np.ndarray | None
    scales: np.ndarray
    train_residual: float


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
    f0 = np.sqrt(scales)[:, None] * np.einsum("kpw,kw->kp", feats, readout) / np.sqrt(width)
    if steps == 0:
        return EnsembleOutputs(
            initial=f0[:, n:], trained=None, scales=scales, train_residual=np.nan
        )
    theta = scales[:, None, None] * np.einsum("kpw,kqw->kpq", feats, feats[:, :n]) / width
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
    )


def student_t_limit(
    x_train: ArrayLike | None,
    y_train: ArrayLike | None,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected,
    alpha: float,
    beta: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""The infinite-width law :math:`MVT_{2\alpha}(\mu, (\beta/\alpha)\Sigma)` as
    ``(mu, shape, df)``: at initialisation without training data, else after readout-only
    training."""
    xs = np.asarray(x_test, dtype=np.float64)
    unit = FullyConnected(
        depth=architecture.depth,
        activation=architecture.activation,
        weight_variance=architecture.weight_variance,
        bias_variance=architecture.bias_variance,
    )
    if x_train is None:
        k = fc_kernels(xs, architecture=unit).nngp[0]
        return np.zeros(xs.shape[0]), (beta / alpha) * k, 2.0 * alpha
    xt = np.asarray(x_train, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    both = fc_kernels(np.vstack([xt, xs]), architecture=unit).nngp[0]
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


def ntk_limit(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    *,
    architecture: FullyConnected,
    alpha: float,
    beta: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    r""":math:`MVT_{2\alpha}(\mu_{NTK}, (\beta/\alpha)\Sigma_{NTK})` as ``(mu, shape, df)`` with
    :math:`\mu_{NTK} = \Theta_{*X}\Theta^{-1}y` and
    :math:`\Sigma_{NTK} = K_{**} + \Theta_{*X}\Theta^{-1}K\Theta^{-1}\Theta_{X*}
    - (\Theta_{*X}\Theta^{-1}K_{X*} + \text{transpose})` (brief 1.8 item 3; library NNGP K and
    NTK Θ at unit readout variance)."""
    xt = np.asarray(x_train, dtype=np.float64)
    xs = np.asarray(x_test, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).ravel()
    unit = FullyConnected(
        depth=architecture.depth,
        activation=architecture.activation,
        weight_variance=architecture.weight_variance,
        bias_variance=architecture.bias_variance,
    )
    kern = fc_kernels(np.vstack([xt, xs]), architecture=unit)
    n = xt.shape[0]
    k, t = kern.nngp[0], kern.ntk[0]
    solve = np.linalg.solve(t[:n, :n], np.column_stack([y, t[:n, n:]]))  # Θ⁻¹[y, Θ_X*]
    a = solve[:, 1:].T  # Θ_*X Θ⁻¹
    mu = a @ y
    cross = a @ k[:n, n:]
    sigma = k[n:, n:] + a @ k[:n, :n] @ a.T - cross - cross.T
    return mu, (beta / alpha) * 0.5 * (sigma + sigma.T), 2.0 * alpha

r"""Type-II maximum likelihood of the kernel and prior hyper-parameters with optax.

The ICLR code's ``regression train`` learns :math:`(\sigma_w, \sigma_b, \sigma_v, \varepsilon,
\alpha, \beta)` by Adam on the negative log marginal likelihood per training point, every
parameter positive through a softplus (brief section 2.1, "ICLR code"). Here the loss is
differentiated through the JAX kernel recursion and a Cholesky factorisation in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.kernels import FullyConnected
from powertail.nngp.kernels.fc import check_inputs, propagate
from powertail.nngp.posterior.student_t import log_marginal_core

PARAMETERS = ("weight_variance", "bias_variance", "readout_variance", "noise", "alpha", "beta")
"""Names of the learnable hyper-parameters (all positive)."""
Model = Literal["gp", "tp"]


@dataclass(frozen=True)
class Type2Result:
    """Learned hyper-parameters and the loss curve.

    Attributes
    ----------
    architecture : FullyConnected
        With the learned weight and bias variances (and readout variance for ``"gp"``).
    noise : float
        Learned :math:`\\varepsilon` (absolute, kernel units).
    alpha, beta : float
        Learned inverse-gamma parameters (the initial values for ``"gp"``).
    model : {"gp", "tp"}
    losses : ndarray of shape (steps,)
        Negative log marginal likelihood per training point before each step.
    """

    architecture: FullyConnected
    noise: float
    alpha: float
    beta: float
    model: str
    losses: np.ndarray


def _softplus_inverse(x: float) -> float:
    return float(x + np.log(-np.expm1(-x)))


def negative_log_marginal(
    raw: dict[str, Any],
    fixed: dict[str, float],
    gram: tuple[Any, Any],
    y: Any,
    *,
    activation: str,
    depth: int,
    model: Model,
    residual: bool = False,
) -> Any:
    """Loss of type-II ML: :math:`-\\log p(y)/n` (JAX, differentiable in ``raw``).

    ``raw`` holds softplus-inverse values of the trained parameters, ``fixed`` the others.
    For ``"tp"`` the readout variance is 1 (the prior carries the scale) and the formula is
    :func:`~powertail.nngp.posterior.student_t.log_marginal_core`; for ``"gp"`` it is the
    Gaussian :math:`\\log N(y; 0, \\sigma_v^2(K + \\varepsilon I))`.
    """
    jax = jax_with_x64()
    jnp = jax.numpy
    p = {name: jax.nn.softplus(value) for name, value in raw.items()} | fixed
    k12, kdiag = gram
    variances = jnp.stack([p["weight_variance"], p["bias_variance"], jnp.asarray(1.0)])
    k = propagate(
        k12,
        kdiag[:, None],
        kdiag[None, :],
        activation=activation,
        variances=variances,
        depths=(depth,),
        residual=residual,
    )[0][0]
    n = y.shape[0]
    n_outputs = y.shape[1]
    k_noisy = k + p["noise"] * jnp.eye(n)
    chol = jnp.linalg.cholesky(0.5 * (k_noisy + k_noisy.T))
    white = jax.scipy.linalg.solve_triangular(chol, y, lower=True)
    quad = jnp.sum(white**2)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
    if model == "tp":
        log_p = log_marginal_core(
            n * n_outputs,
            n_outputs,
            quad,
            logdet,
            p["alpha"],
            p["beta"],
            xp=jnp,
            gammaln=jax.scipy.special.gammaln,
        )
    else:  # N(0, s K~): quad / s and logdet + n log s
        sv = p["readout_variance"]
        log_p = -0.5 * (n * n_outputs * jnp.log(2 * jnp.pi * sv) + n_outputs * logdet + quad / sv)
    return -log_p / n


def fit_hyperparameters(
    x: ArrayLike,
    y: ArrayLike,
    *,
    architecture: FullyConnected,
    model: Model = "tp",
    noise: float = 1e-2,
    alpha: float = 2.0,
    beta: float = 2.0,
    trainable: tuple[str, ...] | None = None,
    steps: int = 300,
    learning_rate: float = 1e-2,
) -> Type2Result:
    """Learn hyper-parameters by Adam on the negative log marginal likelihood.

    Parameters
    ----------
    x : array_like of shape (n, d)
    y : array_like of shape (n,) or (n, C)
    architecture : FullyConnected
        Depth and activation stay fixed; its variances are the initial values.
    model : {"tp", "gp"}
        Student-t process (IG prior on the readout variance) or Gaussian NNGP.
    noise, alpha, beta : float
        Initial values.
    trainable : tuple of str, optional
        Which of :data:`PARAMETERS` to learn (default: all that the model uses).
    steps : int, default 300
    learning_rate : float, default 1e-2

    Returns
    -------
    Type2Result
    """
    import optax

    jax = jax_with_x64()
    jnp = jax.numpy
    if model not in ("gp", "tp"):
        raise InputError(f"model: expected 'gp' or 'tp', got {model!r}; pick one of those")
    a = check_inputs(x, name="x")
    targets = np.asarray(y, dtype=np.float64)
    targets = targets[:, None] if targets.ndim == 1 else targets
    if targets.ndim != 2 or targets.shape[0] != a.shape[0] or not np.all(np.isfinite(targets)):
        raise InputError(
            f"y: expected finite targets of shape ({a.shape[0]},) or ({a.shape[0]}, C), got "
            f"{np.shape(y)}; pass one row per input"
        )
    used = {"weight_variance", "bias_variance", "noise"}
    used |= {"readout_variance"} if model == "gp" else {"alpha", "beta"}
    chosen = tuple(sorted(used)) if trainable is None else tuple(trainable)
    unknown = [name for name in chosen if name not in PARAMETERS]
    if unknown:
        raise InputError(
            f"trainable: expected names from {', '.join(PARAMETERS)}, got {unknown}; "
            "check the spelling"
        )
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InputError(f"steps: expected an int >= 1, got {steps!r}")
    initial = {
        "weight_variance": architecture.weight_variance,
        "bias_variance": max(architecture.bias_variance, 1e-8),
        "readout_variance": architecture.readout_variance,
        "noise": noise,
        "alpha": alpha,
        "beta": beta,
    }
    for name in chosen:
        if not initial[name] > 0:
            raise InputError(f"{name}: expected a positive initial value, got {initial[name]!r}")
    raw = {name: jnp.asarray(_softplus_inverse(initial[name])) for name in chosen}
    fixed = {name: value for name, value in initial.items() if name not in chosen}
    d = a.shape[1]
    gram = (jnp.asarray(a @ a.T / d), jnp.asarray(np.einsum("ij,ij->i", a, a) / d))
    yj = jnp.asarray(targets)

    def loss(params: dict[str, Any]) -> Any:
        return negative_log_marginal(
            params,
            fixed,
            gram,
            yj,
            activation=architecture.activation,
            depth=architecture.depth,
            model=model,
            residual=architecture.residual,
        )

    optimiser = optax.adam(learning_rate)
    state = optimiser.init(raw)

    @jax.jit
    def step(params: dict[str, Any], opt_state: Any) -> tuple[Any, Any, Any]:
        value, grads = jax.value_and_grad(loss)(params)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    losses = np.empty(steps)
    for i in range(steps):
        raw, state, value = step(raw, state)
        losses[i] = float(value)
    if not np.all(np.isfinite(losses)):
        raise InputError(
            "learning_rate: expected a finite loss curve, got NaN or inf (the kernel became "
            "singular); lower learning_rate or raise the initial noise"
        )
    final = {name: float(jax.nn.softplus(value)) for name, value in raw.items()} | fixed
    arch = replace(
        architecture,
        weight_variance=final["weight_variance"],
        bias_variance=final["bias_variance"],
        readout_variance=final["readout_variance"] if model == "gp" else 1.0,
    )
    return Type2Result(
        architecture=arch,
        noise=final["noise"],
        alpha=final["alpha"],
        beta=final["beta"],
        model=model,
        losses=losses,
    )

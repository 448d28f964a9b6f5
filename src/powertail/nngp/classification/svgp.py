r"""Sparse variational classification with a softmax likelihood: SVGP and the Student-t SVTP
(brief section 1.6b, the ICLR version; appendices C and D of the paper).

M inducing inputs Z, per class :math:`q(u_c) = N(m_c, S_c)` with diagonal :math:`S_c`
(softplus, used directly as the variance) and, with :math:`A = K_{xZ}K_{ZZ}^{-1}`,

.. math::

    f_c(x) \mid \sigma^2 \sim N\bigl(A m_c,\ \sigma^2 (A S_c A^T + K_{xx} - A K_{Zx})\bigr).

* **SVGP**: :math:`\sigma^2 = \sigma_v^2` is a trainable readout variance, the prior is
  :math:`u_c \sim N(0, \sigma_v^2 K_{ZZ})` and the conditional above is read with
  :math:`S_c \to S_c/\sigma_v^2` (so that :math:`q(u_c) = N(m_c, S_c)`):
  :math:`\mathrm{KL} = \sum_c \tfrac12[\mathrm{tr}((\sigma_v^2K)^{-1}S_c)
  + m_c^T(\sigma_v^2K)^{-1}m_c - M + \ln|\sigma_v^2K| - \ln|S_c|]`.
* **SVTP**: :math:`\sigma^2 \sim IG(\alpha, \beta)` a priori, :math:`q(\sigma^2) = IG(a, b)`,
  :math:`q(u_c\mid\sigma^2) = N(m_c, \sigma^2 S_c)`,
  :math:`u_c\mid\sigma^2 \sim N(0, \sigma^2 K_{ZZ})`;

  .. math::

      \mathrm{KL} = \sum_c \tfrac12\bigl[\mathrm{tr}(K^{-1}S_c) + \tfrac ab\,m_c^TK^{-1}m_c - M
        + \ln|K| - \ln|S_c|\bigr] + \mathrm{KL}(IG(a,b)\,\|\,IG(\alpha,\beta)).

The ELBO per minibatch is the mean over samples and points of :math:`\log\mathrm{softmax}(f)_y`
minus KL / N (samples of :math:`\sigma^2` by the reparameterisation
:math:`\sigma^2 = b/G,\ G \sim \mathrm{Gamma}(a)`, one draw per Monte Carlo sample shared by
the points of a batch: each point's marginal is exact, and it is 100 times cheaper than a
Gamma draw per point). Optimiser: optax Adam, the learning rate
halved after ``patience`` epochs without a better validation NLL (same Monte Carlo draws every
epoch), early stop after ``stop_patience`` epochs without one or once the rate is below
``min_lr``, ``max_epochs`` only a ceiling; the best parameters by validation NLL are kept
(:class:`SVIConfig`). The test predictive averages the softmax over
samples drawn independently per point (marginal t or normal per point and class).

Departures from the official code (ours, for a CPU budget):

* the kernel hyper-parameters (σ_w, σ_b, Z, the jitter) are frozen, so :math:`K_{ZZ}`,
  :math:`K_{XZ}` and the diagonal are computed once (brief section 5.2, "precompute K_XZ when Z
  is frozen"); the official code learns them through the kernel. In their place one trainable
  amplitude scales the kernel (normalised to unit mean diagonal over Z): σ_v² for SVGP, a
  separate amplitude for SVTP (σ_v stays 1 there, as in the official code), both started so
  that the prior logit variance is ``prior_logit_variance``;
* the whitened parameterisation :math:`u_c = L v_c` with
  :math:`q(v_c) = N(m_c, \mathrm{diag}\,s_c)` (times σ² for SVTP), so the KL is the formula
  above with :math:`K = I`; the official code's diagonal S in u-space converges far more
  slowly here (measured: validation NLL 1.25 against 0.97 after 100 epochs on 400 images);
* learning rate 5e-2 and fewer Monte Carlo samples (table in :class:`SVIConfig`).

:func:`svi_kl` keeps the general (unwhitened) form of both KL terms for tests and other uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64

__all__ = [
    "SVIConfig",
    "SVIFit",
    "fit_svi",
    "inducing_indices",
    "kl_inverse_gamma",
    "svi_kl",
]

Method = Literal["svgp", "svtp"]


def kl_inverse_gamma(a: Any, b: Any, alpha: Any, beta: Any, *, xp: Any = np) -> Any:
    r""":math:`\mathrm{KL}(IG(a,b)\,\|\,IG(\alpha,\beta)) = (a-\alpha)\psi(a) - \ln\Gamma(a)
    + \ln\Gamma(\alpha) + \alpha(\ln b - \ln\beta) + a(\beta - b)/b` (brief section 1.6b)."""
    if xp is np:
        digamma, gammaln = special.digamma, special.gammaln
    else:
        digamma, gammaln = xp.scipy.special.digamma, xp.scipy.special.gammaln
        xp = xp.numpy
    return (
        (a - alpha) * digamma(a)
        - gammaln(a)
        + gammaln(alpha)
        + alpha * (xp.log(b) - xp.log(beta))
        + a * (beta - b) / b
    )


def svi_kl(
    m: Any,
    s: Any,
    chol_zz: Any,
    *,
    method: Method,
    readout: Any = 1.0,
    a: Any = None,
    b: Any = None,
    alpha: float = 2.0,
    beta: float = 2.0,
    jnp: Any = np,
) -> Any:
    """The KL term of the module docstring for ``m``, diagonal ``s`` of shape (M, C) and the lower
    Cholesky factor of :math:`K_{ZZ}` (JAX or NumPy through ``jnp``)."""
    if jnp is np:
        from scipy.linalg import solve_triangular
    else:
        from jax.scipy.linalg import solve_triangular
    n_inducing = m.shape[0]
    linv = solve_triangular(chol_zz, jnp.eye(n_inducing), lower=True)
    kinv_diag = jnp.sum(linv**2, axis=0)  # diag(K^-1)
    white = solve_triangular(chol_zz, m, lower=True)
    maha = jnp.sum(white**2, axis=0)  # m_c^T K^-1 m_c
    trace = kinv_diag @ s  # tr(K^-1 S_c) per class
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(chol_zz)))
    logdet_s = jnp.sum(jnp.log(s), axis=0)
    if method == "svgp":
        return 0.5 * jnp.sum(
            trace / readout
            + maha / readout
            - n_inducing
            + n_inducing * jnp.log(readout)
            + logdet
            - logdet_s
        )
    gauss = 0.5 * jnp.sum(trace + (a / b) * maha - n_inducing + logdet - logdet_s)
    xp = np if jnp is np else jax_with_x64()
    return gauss + kl_inverse_gamma(a, b, alpha, beta, xp=xp)


def inducing_indices(labels: ArrayLike, n_inducing: int, *, n_classes: int) -> np.ndarray:
    """The first training points of each class, count per class proportional to its frequency
    (official initialisation)."""
    y = np.asarray(labels)
    counts = np.bincount(y, minlength=n_classes)
    share = counts / counts.sum() * n_inducing
    k = np.floor(share).astype(int)
    for c in np.argsort(-(share - k))[: n_inducing - k.sum()]:
        k[c] += 1
    return np.sort(np.concatenate([np.flatnonzero(y == c)[: k[c]] for c in range(n_classes)]))


@dataclass(frozen=True)
class SVIConfig:
    """Optimisation settings (ICLR defaults in brackets where we differ).

    Stopping rule, all on the validation NLL (evaluated with the same Monte Carlo draws every
    epoch, so that it changes only with the parameters): halve the learning rate after
    ``patience`` epochs without a better value; stop after ``stop_patience`` epochs without
    one, or once the learning rate is below ``min_lr``; ``max_epochs`` is only a ceiling. The
    best parameters by validation NLL are kept.
    """

    method: Method = "svgp"
    alpha: float = 2.0
    beta: float = 2.0
    batch_size: int = 100
    train_samples: int = 32  # [100]
    valid_samples: int = 200  # [1000]
    test_samples: int = 2000  # [10,000]
    learning_rate: float = 5e-2  # [1e-2]
    patience: int = 5
    stop_patience: int = 20
    min_lr: float = 1e-4
    max_epochs: int = 500
    jitter: float = 1e-6
    prior_logit_variance: float = 10.0

    def __post_init__(self) -> None:
        if self.method not in ("svgp", "svtp"):
            raise InputError(f"method: expected 'svgp' or 'svtp', got {self.method!r}")
        for name in ("patience", "stop_patience", "max_epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name}: expected an int >= 1, got {value!r}")
        if not 0 < self.min_lr <= self.learning_rate:
            raise InputError(
                f"min_lr: expected 0 < min_lr <= learning_rate={self.learning_rate!r}, "
                f"got {self.min_lr!r}"
            )
        if not (self.alpha > 0 and self.beta > 0):
            raise InputError(f"alpha, beta: expected > 0, got {self.alpha!r}, {self.beta!r}")


@dataclass
class SVIFit:
    """Trained variational parameters and the training history."""

    config: SVIConfig
    params: dict[str, np.ndarray]
    chol_zz: np.ndarray
    kernel_scale: float = 1.0
    history: list[dict[str, float]] = field(default_factory=list)
    stop_reason: str = ""

    def variational(self) -> dict[str, float]:
        """The readout variance (SVGP) or q(σ²) = IG(a, b) (SVTP) after training."""
        p = {k: np.asarray(v) for k, v in self.params.items()}
        if self.config.method == "svgp":
            return {"readout": float(_softplus(p["readout"]))}
        return {
            "a": float(_softplus(p["a"])),
            "b": float(_softplus(p["b"])),
            "amplitude": float(_softplus(p["amplitude"])),
        }

    def predict_proba(
        self, k_xz: ArrayLike, k_xx_diag: ArrayLike, *, seed: int, n_samples: int | None = None
    ) -> np.ndarray:
        """Mean softmax over ``n_samples`` draws per point (default ``config.test_samples``)."""
        proj, resid = _project(
            self.chol_zz,
            np.asarray(k_xz, dtype=np.float64) / self.kernel_scale,
            np.asarray(k_xx_diag, dtype=np.float64) / self.kernel_scale,
        )
        return _mean_softmax(
            self.config.method,
            self.params,
            proj,
            resid,
            seed=seed,
            n_samples=n_samples or self.config.test_samples,
        )


PREDICT_ROWS = 256
"""Points per compiled prediction call (inputs are zero-padded to it: one compilation)."""
PREDICT_SAMPLES = 100
"""Samples per compiled prediction call; more samples are more calls."""


def _mean_softmax(
    method: str, params: Any, proj: np.ndarray, resid: np.ndarray, *, seed: int, n_samples: int
) -> np.ndarray:
    """Average of softmax(f) over ``n_samples`` draws per point, in fixed-shape chunks."""
    jax = jax_with_x64()
    fn = _predict_fn(method)
    key = jax.random.PRNGKey(seed)
    rows, m = PREDICT_ROWS, proj.shape[0]
    calls = max(1, -(-n_samples // PREDICT_SAMPLES))
    out = []
    for i in range(0, m, rows):
        part_p = np.zeros((rows, proj.shape[1]))
        part_r = np.zeros(rows)
        part_p[: min(rows, m - i)] = proj[i : i + rows]
        part_r[: min(rows, m - i)] = resid[i : i + rows]
        total = 0.0
        for _ in range(calls):
            key, sub = jax.random.split(key)
            total = total + np.asarray(fn(params, part_p, part_r, sub, PREDICT_SAMPLES))
        out.append(total[: min(rows, m - i)] / calls)
    p = np.concatenate(out)
    return p / p.sum(axis=1, keepdims=True)


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def _inv_softplus(y: float) -> float:
    return float(y + np.log(-np.expm1(-y)))


def _project(chol_zz: np.ndarray, k_xz: np.ndarray, k_xx: np.ndarray) -> tuple[Any, Any]:
    r""":math:`B = K_{xZ}L^{-T}` and the residual variance :math:`K_{xx} - \|B_x\|^2`."""
    from scipy.linalg import solve_triangular

    proj = solve_triangular(chol_zz, k_xz.T, lower=True).T
    return proj, np.maximum(k_xx - np.sum(proj**2, axis=1), 0.0)


def _conditional(params: Any, proj: Any, resid: Any, method: str) -> Any:
    """Mean (B, C) and variance per unit σ² (B, C) of f at a batch (whitened: u = L v);
    SVGP folds σ_v² into the residual."""
    jax = jax_with_x64()
    s = jax.nn.softplus(params["s"])
    mean = proj @ params["m"]
    if method == "svgp":
        readout = jax.nn.softplus(params["readout"])
        return mean, (proj**2) @ s + readout * resid[:, None]
    amp = jax.nn.softplus(params["amplitude"])
    return jax.numpy.sqrt(amp) * mean, amp * ((proj**2) @ s + resid[:, None])


def _draw_scale(params: Any, key: Any, shape: tuple[int, ...], method: str) -> Any:
    jax = jax_with_x64()
    if method == "svgp":
        return 1.0
    a = jax.nn.softplus(params["a"])
    b = jax.nn.softplus(params["b"])
    return b / jax.random.gamma(key, a, shape=shape)


def _sample_logits(params: Any, proj: Any, resid: Any, key: Any, n: int, method: str) -> Any:
    jax = jax_with_x64()
    mean, var = _conditional(params, proj, resid, method)
    k1, k2 = jax.random.split(key)
    scale = _draw_scale(params, k1, (n, 1, 1), method)
    eps = jax.random.normal(k2, (n, *mean.shape))
    return mean[None] + jax.numpy.sqrt(scale * var[None]) * eps


_PREDICT: dict[str, Any] = {}


def _predict_fn(method: str) -> Any:
    if method not in _PREDICT:
        jax = jax_with_x64()

        def predict(params: Any, proj: Any, resid: Any, key: Any, n: int) -> Any:
            logits = _sample_logits(params, proj, resid, key, n, method)
            return jax.numpy.mean(jax.nn.softmax(logits, axis=-1), axis=0)

        _PREDICT[method] = jax.jit(predict, static_argnums=4)
    return _PREDICT[method]


def _mean_nll(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.maximum(p[np.arange(y.size), y], 1e-12))))


@lru_cache(maxsize=1)
def _optimiser() -> Any:
    import optax

    return optax.inject_hyperparams(optax.adam)(learning_rate=1e-2)


@lru_cache(maxsize=8)
def _step_fn(method: str, n_samples: int) -> Any:
    """One compiled Adam step on the negative ELBO per point (cached: one compilation per method
    and sample count in a process, whatever the data)."""
    import optax

    jax = jax_with_x64()
    jnp = jax.numpy
    optimiser = _optimiser()

    def loss(p: Any, kb: Any, kd: Any, yb: Any, key: Any, n: Any, alpha: Any, beta: Any) -> Any:
        logits = _sample_logits(p, kb, kd, key, n_samples, method)
        logp = jax.nn.log_softmax(logits, axis=-1)
        fit = jnp.mean(jnp.take_along_axis(logp, yb[None, :, None], axis=-1))
        s = jax.nn.softplus(p["s"])
        eye = jnp.eye(s.shape[0])
        if method == "svgp":
            readout = jax.nn.softplus(p["readout"])
            kl = svi_kl(p["m"], s, eye, method="svgp", readout=readout, jnp=jnp)
        else:
            a, b = jax.nn.softplus(p["a"]), jax.nn.softplus(p["b"])
            kl = svi_kl(p["m"], s, eye, method="svtp", a=a, b=b, alpha=alpha, beta=beta, jnp=jnp)
        return -(fit - kl / n)

    def step(p: Any, st: Any, kb: Any, kd: Any, yb: Any, key: Any, n: Any, al: Any, be: Any) -> Any:
        value, grads = jax.value_and_grad(loss)(p, kb, kd, yb, key, n, al, be)
        updates, st = optimiser.update(grads, st, p)
        return optax.apply_updates(p, updates), st, value

    return jax.jit(step)


def fit_svi(
    k_zz: ArrayLike,
    k_xz: ArrayLike,
    k_xx_diag: ArrayLike,
    labels: ArrayLike,
    valid: tuple[ArrayLike, ArrayLike, ArrayLike],
    *,
    n_classes: int,
    config: SVIConfig,
    seed: int,
    progress: Callable[[dict[str, float]], None] | None = None,
) -> SVIFit:
    """Train SVGP or SVTP on precomputed kernel blocks (stopping rule: :class:`SVIConfig`).

    Parameters
    ----------
    k_zz : (M, M) inducing kernel; k_xz : (N, M); k_xx_diag : (N,) training blocks
    labels : (N,) int
    valid : (k_vz, k_vv_diag, labels_valid)
        Validation blocks for the plateau schedule, early stopping and checkpoint selection.
    progress : callable, optional
        Called after every epoch with its history record (epoch, loss, valid_nll, lr).
    """
    jax = jax_with_x64()
    jnp = jax.numpy
    kzz = np.asarray(k_zz, dtype=np.float64)
    kxz = np.asarray(k_xz, dtype=np.float64)
    kxx = np.asarray(k_xx_diag, dtype=np.float64)
    y = np.asarray(labels)
    n, m_ind = kxz.shape
    if kzz.shape != (m_ind, m_ind) or kxx.shape != (n,) or y.shape != (n,):
        raise InputError(
            f"kernel blocks: expected k_zz ({m_ind}, {m_ind}), k_xx_diag ({n},) and {n} labels "
            f"for k_xz {kxz.shape}; got {kzz.shape}, {kxx.shape}, {y.shape}"
        )
    scale = float(np.mean(np.diag(kzz)))
    kzz, kxz, kxx = kzz / scale, kxz / scale, kxx / scale
    valid = (np.asarray(valid[0]) / scale, np.asarray(valid[1]) / scale, valid[2])
    chol = np.linalg.cholesky(kzz + config.jitter * np.eye(m_ind))
    params: dict[str, Any] = {
        "m": jnp.zeros((m_ind, n_classes)),
        "s": jnp.full((m_ind, n_classes), _inv_softplus(1.0)),
    }
    if config.method == "svgp":
        params["readout"] = jnp.asarray(_inv_softplus(config.prior_logit_variance))
    else:
        prior_mean = config.beta / (config.alpha - 1) if config.alpha > 1 else config.beta
        params["amplitude"] = jnp.asarray(_inv_softplus(config.prior_logit_variance / prior_mean))
        params["a"] = jnp.asarray(_inv_softplus(config.alpha))
        params["b"] = jnp.asarray(_inv_softplus(config.beta))
    method = config.method

    optimiser = _optimiser()
    state = optimiser.init(params)
    state.hyperparams["learning_rate"] = jnp.asarray(config.learning_rate)
    step = _step_fn(method, config.train_samples)
    prior = (jnp.asarray(float(n)), jnp.asarray(config.alpha), jnp.asarray(config.beta))

    kxz, kxx = _project(chol, kxz, kxx)
    k_vz, k_vv = _project(chol, np.asarray(valid[0], dtype=np.float64), np.asarray(valid[1]))
    y_v = np.asarray(valid[2])
    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    fit = SVIFit(
        config=config,
        params={k: np.asarray(v) for k, v in params.items()},
        chol_zz=chol,
        kernel_scale=scale,
    )
    best, since, stale, lr = np.inf, 0, 0, config.learning_rate
    batch = min(config.batch_size, n)
    valid_seed = (seed + 104_729) % 2**31  # common random numbers for the validation NLL
    fit.stop_reason = f"max_epochs={config.max_epochs} reached"
    for epoch in range(config.max_epochs):
        order = rng.permutation(n)
        losses = []
        for i in range(0, n - batch + 1, batch):
            idx = order[i : i + batch]
            key, sub = jax.random.split(key)
            params, state, value = step(params, state, kxz[idx], kxx[idx], y[idx], sub, *prior)
            losses.append(float(value))
        p_valid = _mean_softmax(
            method, params, k_vz, k_vv, seed=valid_seed, n_samples=config.valid_samples
        )
        nll = _mean_nll(p_valid / p_valid.sum(axis=1, keepdims=True), y_v)
        record = {"epoch": epoch, "loss": float(np.mean(losses)), "valid_nll": nll, "lr": lr}
        fit.history.append(record)
        if progress is not None:
            progress(record)
        if nll < best - 1e-4:
            best, since, stale = nll, 0, 0
            fit.params = {k: np.asarray(v) for k, v in params.items()}
            continue
        since, stale = since + 1, stale + 1
        if stale >= config.stop_patience:
            fit.stop_reason = f"no better validation NLL in {stale} epochs"
            break
        if since >= config.patience:
            lr, since = 0.5 * lr, 0
            state.hyperparams["learning_rate"] = jnp.asarray(lr)
            if lr < config.min_lr:
                fit.stop_reason = f"learning rate {lr:.2g} below min_lr={config.min_lr:g}"
                break
    return fit

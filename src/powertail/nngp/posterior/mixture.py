r"""Any scale prior: the posterior and predictive as a finite mixture over :math:`\sigma^2`.

Conditionally on :math:`\sigma^2` the model is a Gaussian process; mixing over
:math:`\sigma^2 \sim H` is a one-dimensional integral. :func:`quadrature_posterior` computes it by
Gauss–Legendre quadrature in :math:`t = \ln\sigma^2` on a window found from the unnormalised
posterior (deterministic, exact to numerical precision); :func:`importance_posterior` is the
official code's prior-proposal importance sampler, kept as the "faithful" option with its
effective sample size (brief section 1.5).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from powertail.errors import InputError
from powertail.nngp.posterior.factor import EigenFactor, GaussianSummary
from powertail.nngp.priors import PointMass, ScalePrior

__all__ = [
    "ConjugateLikelihood",
    "FixedNoiseLikelihood",
    "ScaleLikelihood",
    "ScaleMixturePosterior",
    "importance_posterior",
    "quadrature_posterior",
]

LOG_2PI = float(np.log(2 * np.pi))
WINDOW_DROP = 60.0
"""Nodes cover where the log posterior of t = ln σ² is within this many nats of its maximum."""
PRIOR_TAIL = 1e-12
"""Prior quantiles (this and 1 - this) bound the first search grid together with the likelihood."""
SEARCH_POINTS = 2001
"""Points of each of the two grid searches that locate the quadrature window."""
DEFAULT_NODES = 256
"""Gauss-Legendre nodes; IG(α, β) is reproduced to ~1e-12 (tests/nngp/test_mixture.py)."""
IS_SAMPLES = 1000
"""Samples of the official importance sampler (brief section 1.5, step 1)."""
IS_SEED = 101
"""Seed of the official importance sampler (``random_state = 101``)."""


class ScaleLikelihood(ABC):
    r"""The data's view of :math:`\sigma^2`: likelihood and conditional predictive moments."""

    n: int
    n_outputs: int

    @abstractmethod
    def log_likelihood(self, s2: np.ndarray) -> np.ndarray:
        """:math:`\\log p(y \\mid \\sigma^2)` for an array of :math:`\\sigma^2`."""

    @abstractmethod
    def moments(self, s2: np.ndarray, *, noisy: bool) -> tuple[np.ndarray, np.ndarray]:
        """Conditional predictive means (J or 1, m, C) and variances (J, m)."""

    @abstractmethod
    def log_scale_guess(self) -> float:
        """A value of :math:`\\ln\\sigma^2` near the likelihood's mode."""


@dataclass(frozen=True)
class ConjugateLikelihood(ScaleLikelihood):
    r"""Noise scaled by :math:`\sigma^2`: :math:`y \mid \sigma^2 \sim N(0, \sigma^2\tilde K)`."""

    summary: GaussianSummary

    @property
    def n(self) -> int:  # type: ignore[override]
        return self.summary.n

    @property
    def n_outputs(self) -> int:  # type: ignore[override]
        return self.summary.n_outputs

    def log_likelihood(self, s2: np.ndarray) -> np.ndarray:
        r"""
        .. math::

            \log p(y\mid\sigma^2) = -\tfrac{nC}{2}\ln 2\pi - \tfrac{C}{2}\ln|\tilde K|
              - \tfrac{nC}{2}\ln\sigma^2 - \frac{q}{2\sigma^2}

        (brief section 1.5).
        """
        s = self.summary
        nc = s.n * s.n_outputs
        return (
            -0.5 * nc * LOG_2PI
            - 0.5 * s.n_outputs * s.logdet
            - 0.5 * nc * np.log(s2)
            - s.quad_form / (2 * s2)
        )

    def moments(self, s2: np.ndarray, *, noisy: bool) -> tuple[np.ndarray, np.ndarray]:
        if self.summary.mean is None:
            raise InputError("summary: expected test statistics, got none; pass k_test_train")
        var = self.summary.predictive_var(noisy=noisy)
        return self.summary.mean[None], s2[:, None] * var[None, :]

    def log_scale_guess(self) -> float:
        s = self.summary
        return float(np.log(max(s.quad_form, 1e-300) / (s.n * s.n_outputs)))


@dataclass(frozen=True)
class FixedNoiseLikelihood(ScaleLikelihood):
    r"""Noise not scaled: :math:`y \mid \sigma^2 \sim N(0, \sigma^2 K + \tau^2 I)`.

    With :math:`K = U\Lambda U^T` every quantity costs O(n) per :math:`\sigma^2` (likelihood) and
    O(n m) (predictive):

    .. math::

        \log p(y\mid\sigma^2) = -\tfrac{nC}{2}\ln 2\pi
          - \tfrac{C}{2}\sum_j\ln(\sigma^2\lambda_j + \tau^2)
          - \tfrac12\sum_{j,c}\frac{(U^Ty)_{jc}^2}{\sigma^2\lambda_j + \tau^2},\\
        \mu_*(\sigma^2) = K_{*X}U\,
          \mathrm{diag}\Bigl(\frac{\sigma^2}{\sigma^2\lambda+\tau^2}\Bigr)U^Ty,
        \quad
        \mathrm{var}_*(\sigma^2) = \sigma^2 k_{**} - \sum_j\frac{\sigma^4 (K_{*X}U)_{\cdot j}^2}
          {\sigma^2\lambda_j+\tau^2}

    (brief section 1.4, "noise either scaled by σ² (conjugate) or fixed").
    """

    factor: EigenFactor
    noise_variance: float

    def __post_init__(self) -> None:
        if not (0.0 < self.noise_variance < np.inf):
            raise InputError(
                f"noise_variance: expected a finite float > 0 for the fixed-noise model, got "
                f"{self.noise_variance!r}; pass the observation noise variance"
            )

    @property
    def n(self) -> int:  # type: ignore[override]
        return self.factor.n

    @property
    def n_outputs(self) -> int:  # type: ignore[override]
        return int(self.factor.projected_y.shape[1])

    def log_likelihood(self, s2: np.ndarray) -> np.ndarray:
        lam = s2[:, None] * self.factor.eigenvalues[None, :] + self.noise_variance  # (J, n)
        p2 = np.sum(self.factor.projected_y**2, axis=1)  # (n,)
        c = self.n_outputs
        return (
            -0.5 * self.n * c * LOG_2PI
            - 0.5 * c * np.sum(np.log(lam), axis=1)
            - 0.5 * np.sum(p2[None, :] / lam, axis=1)
        )

    def moments(self, s2: np.ndarray, *, noisy: bool) -> tuple[np.ndarray, np.ndarray]:
        f = self.factor
        if f.projected_cross is None or f.test_diag is None:
            raise InputError("factor: expected test statistics, got none; pass k_test_train")
        lam = s2[:, None] * f.eigenvalues[None, :] + self.noise_variance  # (J, n)
        gain = s2[:, None] / lam  # (J, n)
        means = np.einsum("mn,jn,nc->jmc", f.projected_cross, gain, f.projected_y)
        reduction = (s2[:, None] ** 2 / lam) @ (f.projected_cross**2).T  # (J, m)
        var = np.maximum(s2[:, None] * f.test_diag[None, :] - reduction, 0.0)
        return means, var + (self.noise_variance if noisy else 0.0)

    def log_scale_guess(self) -> float:
        p2 = np.sum(self.factor.projected_y**2) / (self.n * self.n_outputs)
        mean_lam = max(float(np.mean(self.factor.eigenvalues)), 1e-300)
        return float(np.log(max(p2 - self.noise_variance, 1e-3 * p2, 1e-300) / mean_lam))


@dataclass(frozen=True)
class ScaleMixturePosterior:
    r"""The posterior of :math:`\sigma^2` as weighted nodes, and the mixture predictive.

    Attributes
    ----------
    s2 : ndarray of shape (J,)
        Nodes (quadrature) or samples (importance sampling) of :math:`\sigma^2`.
    log_weights : ndarray of shape (J,)
        Normalised log posterior weights.
    log_marginal : float
        :math:`\log p(y)` (an estimate for importance sampling).
    means : ndarray of shape (J or 1, m, C) or None
    variances : ndarray of shape (J, m) or None
    method : str
        ``"quadrature"``, ``"importance"`` or ``"point"``.
    ess : float
        Effective sample size :math:`1/\sum_s \bar w_s^2` (number of nodes carrying weight, for
        quadrature).
    """

    s2: np.ndarray
    log_weights: np.ndarray
    log_marginal: float
    means: np.ndarray | None
    variances: np.ndarray | None
    method: str
    ess: float

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        r"""Marginal predictive log density per test point and output:
        :math:`\log\sum_j \bar w_j N(y_*; \mu_j, v_j)` (brief section 1.5, step 3)."""
        if self.means is None or self.variances is None:
            raise InputError("posterior: expected test statistics, got none; pass k_test_train")
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.shape != self.means.shape[1:]:
            raise InputError(f"y: expected shape {self.means.shape[1:]}, got {np.shape(y)}")
        var = self.variances[:, :, None]
        with np.errstate(divide="ignore"):
            comp = -0.5 * (LOG_2PI + np.log(var) + (arr[None] - self.means) ** 2 / var)
        return special.logsumexp(comp + self.log_weights[:, None, None], axis=0)

    def mean(self) -> np.ndarray:
        """Predictive mean, shape (m, C)."""
        if self.means is None:
            raise InputError("posterior: expected test statistics, got none")
        w = np.exp(self.log_weights)
        return np.tensordot(w, np.broadcast_to(self.means, (w.size, *self.means.shape[1:])), 1)

    def var(self) -> np.ndarray:
        """Predictive variance per point and output, shape (m, C) (law of total variance)."""
        if self.means is None or self.variances is None:
            raise InputError("posterior: expected test statistics, got none")
        w = np.exp(self.log_weights)
        means = np.broadcast_to(self.means, (w.size, *self.means.shape[1:]))
        second = np.tensordot(w, self.variances[:, :, None] + means**2, 1)
        return np.maximum(second - self.mean() ** 2, 0.0)

    def cdf(self, y: ArrayLike) -> np.ndarray:
        """Predictive CDF per test point and output, shape (m, C)."""
        if self.means is None or self.variances is None:
            raise InputError("posterior: expected test statistics, got none")
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        sd = np.sqrt(np.maximum(self.variances, 1e-300))[:, :, None]
        w = np.exp(self.log_weights)[:, None, None]
        return np.sum(w * special.ndtr((arr[None] - self.means) / sd), axis=0)

    def interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval by bisection on :meth:`cdf`, each of shape (m, C).

        The bracket mean ± k·sd with :math:`k^2 = 2/(1 - \text{confidence})` holds the interval
        by Chebyshev's inequality.
        """
        if not 0 < confidence < 1:
            raise InputError(f"confidence: expected a float in (0, 1), got {confidence!r}")
        mean, sd = self.mean(), np.sqrt(self.var())
        k = np.sqrt(2.0 / (1.0 - confidence)) + 1.0
        ends = []
        for target in (0.5 * (1 - confidence), 0.5 * (1 + confidence)):
            lo, hi = mean - k * sd - 1e-12, mean + k * sd + 1e-12
            for _ in range(80):
                mid = 0.5 * (lo + hi)
                below = self.cdf(mid) < target
                lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            ends.append(0.5 * (lo + hi))
        return ends[0], ends[1]

    def scale_moments(self) -> tuple[float, float]:
        """Posterior mean and variance of :math:`\\sigma^2`."""
        w = np.exp(self.log_weights)
        m1 = float(np.sum(w * self.s2))
        return m1, float(np.sum(w * (self.s2 - m1) ** 2))


@lru_cache(maxsize=16)
def _legendre(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n_nodes)


def _window(log_post: object, lo: float, hi: float) -> tuple[float, float]:
    for _ in range(2):
        t = np.linspace(lo, hi, SEARCH_POINTS)
        g = log_post(t)  # type: ignore[operator]
        if not np.any(np.isfinite(g)):
            raise InputError(
                "prior: expected a density that overlaps the likelihood of σ², got zero posterior "
                f"mass on ln σ² in [{lo:.3g}, {hi:.3g}]; check the prior's parameters"
            )
        keep = np.flatnonzero(g > np.nanmax(g) - WINDOW_DROP)
        step = t[1] - t[0]
        lo, hi = t[keep[0]] - step, t[keep[-1]] + step
    return float(lo), float(hi)


def _with_moments(
    likelihood: ScaleLikelihood, s2: np.ndarray, *, noisy: bool, predictive: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not predictive:
        return None, None
    return likelihood.moments(s2, noisy=noisy)


def _has_test(likelihood: ScaleLikelihood) -> bool:
    if isinstance(likelihood, ConjugateLikelihood):
        return likelihood.summary.mean is not None
    if isinstance(likelihood, FixedNoiseLikelihood):
        return likelihood.factor.projected_cross is not None
    return True


def quadrature_posterior(
    likelihood: ScaleLikelihood | GaussianSummary,
    prior: ScalePrior,
    *,
    n_nodes: int = DEFAULT_NODES,
    noisy: bool = True,
) -> ScaleMixturePosterior:
    r"""Posterior and predictive under any scale prior by quadrature in :math:`t = \ln\sigma^2`.

    .. math::

        p(y) = \int p(y\mid\sigma^2)\,h(\sigma^2)\,d\sigma^2
             = \int e^{t}\,p(y\mid e^{t})\,h(e^{t})\,dt
             \approx \sum_j \omega_j\,e^{t_j}\,p(y\mid e^{t_j})\,h(e^{t_j}),\qquad
        p(y_*\mid y) \approx \sum_j \bar w_j\,N\bigl(y_*;\ \mu_*(\sigma_j^2),\ v_*(\sigma_j^2)\bigr)

    with Gauss–Legendre nodes :math:`t_j`, weights :math:`\omega_j` on the window where the
    integrand is within ``WINDOW_DROP`` nats of its maximum (brief section 1.5,
    "Recommended instead"). For :class:`~powertail.nngp.priors.InverseGamma` this reproduces
    the closed form of :mod:`~powertail.nngp.posterior.student_t`.

    Parameters
    ----------
    likelihood : ScaleLikelihood or GaussianSummary
        A summary means the conjugate model (:class:`ConjugateLikelihood`).
    prior : ScalePrior
    n_nodes : int, default 256
    noisy : bool, default True
        Predict :math:`y_*` (add the noise) rather than the latent :math:`f_*`.

    Returns
    -------
    ScaleMixturePosterior
    """
    like = (
        ConjugateLikelihood(likelihood) if isinstance(likelihood, GaussianSummary) else likelihood
    )
    if not isinstance(prior, ScalePrior):
        raise InputError(
            f"prior: expected a ScalePrior (e.g. InverseGamma(2, 2)), got {type(prior).__name__}"
        )
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int) or n_nodes < 2:
        raise InputError(f"n_nodes: expected an int >= 2, got {n_nodes!r}; use e.g. 256")
    predictive = _has_test(like)
    if isinstance(prior, PointMass):
        s2 = np.array([prior.value])
        means, variances = _with_moments(like, s2, noisy=noisy, predictive=predictive)
        return ScaleMixturePosterior(
            s2=s2,
            log_weights=np.zeros(1),
            log_marginal=float(like.log_likelihood(s2)[0]),
            means=means,
            variances=variances,
            method="point",
            ess=1.0,
        )

    def log_post(t: np.ndarray) -> np.ndarray:
        s2 = np.exp(t)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            value = like.log_likelihood(s2) + prior.logpdf(s2) + t
        return np.where(np.isfinite(value), value, -np.inf)

    guess = like.log_scale_guess()
    spread = 12.0 * np.sqrt(2.0 / (like.n * like.n_outputs)) + 5.0
    lo = min(guess - spread, prior.log_quantile(PRIOR_TAIL))
    hi = max(guess + spread, prior.log_quantile(1.0 - PRIOR_TAIL))
    lo, hi = max(lo, -700.0), min(hi, 700.0)
    lo, hi = _window(log_post, lo, hi)
    x, w = _legendre(n_nodes)
    t = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    with np.errstate(divide="ignore"):
        log_terms = log_post(t) + np.log(0.5 * (hi - lo) * w)
    log_marginal = float(special.logsumexp(log_terms))
    log_weights = log_terms - log_marginal
    s2 = np.exp(t)
    means, variances = _with_moments(like, s2, noisy=noisy, predictive=predictive)
    return ScaleMixturePosterior(
        s2=s2,
        log_weights=log_weights,
        log_marginal=log_marginal,
        means=means,
        variances=variances,
        method="quadrature",
        ess=float(1.0 / np.sum(np.exp(2 * log_weights))),
    )


def importance_posterior(
    likelihood: ScaleLikelihood | GaussianSummary,
    prior: ScalePrior,
    *,
    n_samples: int = IS_SAMPLES,
    seed: int = IS_SEED,
    noisy: bool = True,
) -> ScaleMixturePosterior:
    r"""The official estimator: prior-proposal self-normalised importance sampling.

    .. math::

        \sigma_s^2 \sim H,\quad \bar w_s \propto p(y\mid\sigma_s^2),\quad
        p(y_*\mid y) \approx \sum_s \bar w_s\,N(y_*; \mu_*, \sigma_s^2\,\Sigma_{*,jj}),\quad
        \mathrm{ESS} = 1/\textstyle\sum_s \bar w_s^2

    (brief section 1.5, steps 1-3). The effective sample size falls like :math:`n^{-1/2}`;
    prefer :func:`quadrature_posterior`.
    """
    like = (
        ConjugateLikelihood(likelihood) if isinstance(likelihood, GaussianSummary) else likelihood
    )
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise InputError(f"n_samples: expected an int >= 1, got {n_samples!r}; use e.g. 1000")
    rng = np.random.default_rng(seed)
    s2 = np.maximum(prior.sample(rng, n_samples), np.finfo(float).tiny)
    log_lik = like.log_likelihood(s2)
    log_norm = float(special.logsumexp(log_lik))
    log_weights = log_lik - log_norm
    means, variances = _with_moments(like, s2, noisy=noisy, predictive=_has_test(like))
    return ScaleMixturePosterior(
        s2=s2,
        log_weights=log_weights,
        log_marginal=log_norm - float(np.log(n_samples)),
        means=means,
        variances=variances,
        method="importance",
        ess=float(1.0 / np.sum(np.exp(2 * log_weights))),
    )

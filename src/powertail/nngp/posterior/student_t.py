"""Exact Student-t process regression under an inverse-gamma prior on the readout variance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from powertail.errors import InputError
from powertail.nngp.posterior.factor import GaussianSummary
from powertail.nngp.priors import InverseGamma

__all__ = [
    "StudentTPredictive",
    "scale_posterior",
    "student_t_log_marginal",
    "student_t_predictive",
]


def _check_ab(alpha: ArrayLike, beta: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(alpha, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64)
    if not (np.all(a > 0) and np.all(np.isfinite(a))):
        raise InputError(f"alpha: expected finite values > 0, got {alpha!r}")
    if not (np.all(b > 0) and np.all(np.isfinite(b))):
        raise InputError(f"beta: expected finite values > 0, got {beta!r}")
    return a, b


def log_marginal_core(
    n_total: Any,
    n_outputs: Any,
    quad_form: Any,
    logdet: Any,
    alpha: Any,
    beta: Any,
    *,
    xp: Any = np,
    gammaln: Callable[[Any], Any] = special.gammaln,
) -> Any:
    r"""Log marginal likelihood of the Student-t process from the data's sufficient statistics.

    With :math:`\sigma^2 \sim IG(\alpha, \beta)` and
    :math:`y_c \mid \sigma^2 \sim N(0, \sigma^2\tilde K)` for :math:`C` outputs sharing
    :math:`\sigma^2` (``n_total`` :math:`= nC`),

    .. math::

        \log p(y) = \ln\Gamma(\alpha + \tfrac{nC}{2}) - \ln\Gamma(\alpha)
          - \tfrac{nC}{2}\ln(2\pi\beta) - \tfrac{C}{2}\ln|\tilde K|
          - (\alpha + \tfrac{nC}{2})\ln\bigl(1 + \tfrac{q}{2\beta}\bigr)

    (brief section 1.4, "Marginal likelihood"; multi-output form from "Multi-output").
    Backend-agnostic: ``xp``/``gammaln`` are NumPy/SciPy here and ``jax.numpy`` /
    ``jax.scipy.special.gammaln`` in type-II maximum likelihood.
    """
    half = 0.5 * n_total
    return (
        gammaln(alpha + half)
        - gammaln(alpha)
        - half * xp.log(2 * xp.pi * beta)
        - 0.5 * n_outputs * logdet
        - (alpha + half) * xp.log1p(quad_form / (2 * beta))
    )


def student_t_log_marginal(
    summary: GaussianSummary, alpha: ArrayLike, beta: ArrayLike
) -> np.ndarray:
    """Log marginal likelihood of the Student-t process, vectorised over (alpha, beta).

    The formula is :func:`log_marginal_core` (brief section 1.4); cost O(1) per pair after
    :func:`~powertail.nngp.posterior.factor.gaussian_summary`.

    Parameters
    ----------
    summary : GaussianSummary
    alpha, beta : array_like
        Broadcastable prior parameters.

    Returns
    -------
    ndarray
        Broadcast shape of ``alpha`` and ``beta``.
    """
    a, b = _check_ab(alpha, beta)
    return log_marginal_core(
        summary.n * summary.n_outputs, summary.n_outputs, summary.quad_form, summary.logdet, a, b
    )


def scale_posterior(summary: GaussianSummary, alpha: float, beta: float) -> InverseGamma:
    r"""Posterior of the readout variance: :math:`\sigma^2 \mid y \sim IG(\alpha + nC/2,\
    \beta + q/2)` (brief section 1.4, "Posterior of the scale")."""
    _check_ab(alpha, beta)
    return InverseGamma(
        alpha=float(alpha + 0.5 * summary.n * summary.n_outputs),
        beta=float(beta + 0.5 * summary.quad_form),
    )


@dataclass(frozen=True)
class StudentTPredictive:
    """Marginal (per test point and output) Student-t predictive.

    Attributes
    ----------
    df : float
        :math:`2\\alpha + nC`.
    loc : ndarray of shape (m, C)
    scale : ndarray of shape (m,)
        Standard scale (square root of the scale-matrix diagonal).
    shape_matrix : ndarray of shape (m, m) or None
        Joint scale matrix, when the summary holds the full test covariance.
    """

    df: float
    loc: np.ndarray
    scale: np.ndarray
    shape_matrix: np.ndarray | None = None

    def dist(self) -> stats.rv_continuous:
        """The marginals as a frozen ``scipy.stats.t`` of shape (m, C)."""
        return stats.t(self.df, loc=self.loc, scale=self.scale[:, None])

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        """Log density of targets of shape (m,) or (m, C), per point and output."""
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.shape != self.loc.shape:
            raise InputError(f"y: expected shape {self.loc.shape}, got {np.shape(y)}")
        return self.dist().logpdf(arr)

    def joint_logpdf(self, y: ArrayLike) -> np.ndarray:
        """Joint log density of each output's test vector (needs ``shape_matrix``)."""
        if self.shape_matrix is None:
            raise InputError(
                "shape_matrix: expected the joint scale, got None; build the summary with "
                "k_test_test to get joint predictives"
            )
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        return np.array(
            [
                stats.multivariate_t(self.loc[:, c], shape=self.shape_matrix, df=self.df).logpdf(
                    arr[:, c]
                )
                for c in range(arr.shape[1])
            ]
        )

    def cdf(self, y: ArrayLike) -> np.ndarray:
        """Predictive CDF per point and output."""
        arr = np.asarray(y, dtype=np.float64)
        return self.dist().cdf(arr[:, None] if arr.ndim == 1 else arr)

    def interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval, each end of shape (m, C)."""
        if not 0 < confidence < 1:
            raise InputError(f"confidence: expected a float in (0, 1), got {confidence!r}")
        return self.dist().interval(confidence)

    def mean(self) -> np.ndarray:
        """Predictive mean (defined for df > 1; the location otherwise)."""
        return self.loc

    def var(self) -> np.ndarray:
        """Predictive variance per point, ``inf`` when df <= 2."""
        if self.df <= 2:
            return np.full(self.scale.shape, np.inf)
        return self.scale**2 * self.df / (self.df - 2)


def student_t_predictive(
    summary: GaussianSummary, alpha: float, beta: float, *, noisy: bool = True
) -> StudentTPredictive:
    r"""Posterior predictive of the Student-t process at the test inputs.

    .. math::

        f_* \mid y \sim MVT_{2\alpha + nC}\Bigl(\mu_*,\
            \frac{2\beta + q}{2\alpha + nC}\,\Sigma_*\Bigr)

    with :math:`\mu_* = K_{*X}\tilde K^{-1}y` and
    :math:`\Sigma_* = K_{**} - K_{*X}\tilde K^{-1}K_{X*}` (brief section 1.4, "Posterior
    predictive"; multi-output from "Multi-output"). ``noisy=True`` adds the conjugate noise
    :math:`\varepsilon I` to :math:`\Sigma_*` (predicting :math:`y_*`); ``noisy=False`` is the
    latent predictive the official code scores (brief section 1.4, quirk 3).

    Parameters
    ----------
    summary : GaussianSummary
        Must hold test statistics.
    alpha, beta : float
    noisy : bool, default True

    Returns
    -------
    StudentTPredictive
    """
    _check_ab(alpha, beta)
    nc = summary.n * summary.n_outputs
    factor = (2 * beta + summary.quad_form) / (2 * alpha + nc)
    var = summary.predictive_var(noisy=noisy)
    shape = None
    if summary.latent_cov is not None:
        cov = summary.latent_cov + (summary.noise * np.eye(var.size) if noisy else 0.0)
        shape = factor * cov
    if summary.mean is None:
        raise InputError("summary: expected test statistics, got none; pass k_test_train")
    return StudentTPredictive(
        df=float(2 * alpha + nc), loc=summary.mean, scale=np.sqrt(factor * var), shape_matrix=shape
    )

r"""Likelihood-ratio comparison of a power-law tail with alternative tails (Vuong / Clauset)."""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from powertail.errors import InputError
from powertail.tails.cutoff import fit_truncated_power_law
from powertail.tails.powerlaw import fit_power_law
from powertail.tails.validation import check_choice, check_positive_scalar, finite_vector

__all__ = [
    "ALTERNATIVES",
    "LikelihoodRatio",
    "compare_power_law",
    "exponential_tail_loglikelihoods",
    "loglikelihood_ratio",
    "lognormal_tail_loglikelihoods",
]

Alternative = Literal["truncated_power_law", "exponential", "lognormal"]
#: Accepted values of ``alternative`` in :func:`compare_power_law`.
ALTERNATIVES: tuple[str, ...] = ("truncated_power_law", "exponential", "lognormal")


class LikelihoodRatio(NamedTuple):
    """``(R, p)`` as ``powerlaw``'s ``distribution_compare`` returns them.

    ``R > 0`` favours the first model; `p` is the significance of the sign of `R`.
    """

    R: float
    p: float


def loglikelihood_ratio(
    loglik1: ArrayLike,
    loglik2: ArrayLike,
    *,
    nested: bool,
    normalized: bool = False,
) -> LikelihoodRatio:
    r"""Log-likelihood ratio test of two fitted models on the same points.

    With pointwise log-likelihood differences :math:`\ell_i = \ln p_1(x_i) - \ln p_2(x_i)`,
    :math:`R = \sum_i \ell_i` and :math:`s^2 = \frac1n\sum_i(\ell_i - \bar\ell)^2`:

    * non-nested models (Vuong 1989; Clauset et al. 2009, Eq. 5.4):
      :math:`p = \operatorname{erfc}\bigl(|R| / \sqrt{2 n s^2}\bigr)`;
    * nested models (model 2 contains model 1, e.g. a power law inside the power law with
      cut-off): Wilks' theorem, :math:`p = P(\chi^2_1 > 2|R|)`.

    Parameters
    ----------
    loglik1, loglik2 : array_like of shape (n,)
        :math:`\ln p(x_i)` of each model at the same points.
    nested : bool
        Whether one model is a special case of the other.
    normalized : bool, default False
        Return :math:`R/\sqrt{n s^2}` instead of `R` (the p-value is unchanged).

    Returns
    -------
    LikelihoodRatio
        ``(R, p)``.

    Raises
    ------
    InputError
        If the inputs are not finite 1-D arrays of equal length.
    """
    l1 = finite_vector(loglik1, name="loglik1")
    l2 = finite_vector(loglik2, name="loglik2")
    if l1.shape != l2.shape:
        raise InputError(
            f"loglik1 and loglik2 must be evaluated at the same points; got lengths {l1.size} "
            f"and {l2.size}"
        )
    diff = l1 - l2
    n = diff.size
    r = float(diff.sum())
    var = float(np.mean((diff - diff.mean()) ** 2))
    if nested:
        p = float(special.chdtrc(1, 2.0 * abs(r)))  # chi-square(1) survival
    elif var > 0:
        p = float(special.erfc(abs(r) / math.sqrt(2.0 * n * var)))
    else:
        p = 1.0
    if normalized:
        r = r / math.sqrt(n * var) if var > 0 else 0.0
    return LikelihoodRatio(R=r, p=p)


def exponential_tail_loglikelihoods(tail: NDArray[np.float64], xmin: float) -> NDArray[np.float64]:
    r"""Pointwise log-likelihoods of the MLE exponential on :math:`x \ge x_{\min}`.

    .. math::

        p(x) = \lambda e^{-\lambda (x - x_{\min})}, \qquad
        \hat\lambda = 1/\overline{(x - x_{\min})}

    Parameters
    ----------
    tail : ndarray of shape (k,)
        Points ``>= xmin``, not all equal to `xmin`.
    xmin : float
        Lower end.

    Returns
    -------
    ndarray of shape (k,)
    """
    excess = tail - xmin
    lam = 1.0 / float(np.mean(excess))
    return math.log(lam) - lam * excess


def lognormal_tail_loglikelihoods(tail: NDArray[np.float64], xmin: float) -> NDArray[np.float64]:
    r"""Pointwise log-likelihoods of the MLE lognormal truncated to :math:`x \ge x_{\min}`.

    .. math::

        p(x) = \frac{\phi\bigl((\ln x - \mu)/s\bigr)}{x\, s\, Q\bigl((\ln x_{\min} - \mu)/s\bigr)},

    :math:`\phi` the standard normal density and :math:`Q` its survival function; :math:`(\mu, s)`
    maximise the likelihood (L-BFGS-B on :math:`(\mu, \ln s)`, from the moments of
    :math:`\ln x`).

    Parameters
    ----------
    tail : ndarray of shape (k,)
        Points ``>= xmin``.
    xmin : float
        Lower end.

    Returns
    -------
    ndarray of shape (k,)
    """
    logs = np.log(tail)
    lxm = math.log(xmin)

    def pointwise(mu: float, log_s: float) -> NDArray[np.float64]:
        s = math.exp(log_s)
        zed = (logs - mu) / s
        return (
            -logs
            - log_s
            - 0.5 * math.log(2 * math.pi)
            - 0.5 * zed**2
            - float(special.log_ndtr(-(lxm - mu) / s))  # log of the normal survival
        )

    def nll(p: NDArray[np.float64]) -> float:
        return -float(pointwise(float(p[0]), float(p[1])).sum())

    p0 = np.array([float(logs.mean()), math.log(max(float(logs.std()), 1e-3))])
    res = optimize.minimize(
        nll, p0, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000}
    )
    return pointwise(float(res.x[0]), float(res.x[1]))


def compare_power_law(
    x: ArrayLike,
    *,
    alternative: Alternative,
    xmin: float | None = None,
) -> LikelihoodRatio:
    """Compare the power-law tail of `x` with an alternative tail above the same `xmin`.

    Both models are fitted by maximum likelihood to the points ``x >= xmin``; ``R > 0`` favours
    the power law. ``"truncated_power_law"`` (power law with exponential cut-off) contains the
    power law, so the nested test is used for it; the exponential and the lognormal use
    Vuong's non-nested test (see :func:`loglikelihood_ratio`).

    Parameters
    ----------
    x : array_like of shape (n,)
        Observations, finite and strictly positive.
    alternative : {"truncated_power_law", "exponential", "lognormal"}
        The competing tail model.
    xmin : float, optional
        Lower end of the tail; default: the `xmin` chosen by :func:`fit_power_law` with its
        defaults (the same as ``powerlaw.Fit(x).distribution_compare``).

    Returns
    -------
    LikelihoodRatio
        ``(R, p)``.

    Raises
    ------
    InputError
        On invalid `x`, `alternative` or `xmin`.
    """
    alternative = check_choice(alternative, name="alternative", choices=ALTERNATIVES)
    if xmin is None:
        pl = fit_power_law(x)
    else:
        check_positive_scalar(xmin, name="xmin")
        pl = fit_power_law(x, xmin=xmin, min_tail=2)
    data = np.asarray(x, dtype=np.float64)
    tail = np.sort(data[data >= pl.xmin])
    ll_pl = pl.loglikelihoods(tail)
    if alternative == "truncated_power_law":
        ll_alt = fit_truncated_power_law(tail, xmin=pl.xmin).loglikelihoods(tail)
        return loglikelihood_ratio(ll_pl, ll_alt, nested=True)
    if alternative == "exponential":
        ll_alt = exponential_tail_loglikelihoods(tail, pl.xmin)
    else:
        ll_alt = lognormal_tail_loglikelihoods(tail, pl.xmin)
    return loglikelihood_ratio(ll_pl, ll_alt, nested=False)

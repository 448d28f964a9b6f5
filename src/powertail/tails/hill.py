r"""Hill's estimator of the tail index from the :math:`k` largest order statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError
from powertail.tails.validation import check_int, positive_sample

__all__ = ["HillEstimate", "hill_estimator"]


@dataclass(frozen=True)
class HillEstimate:
    r"""Result of :func:`hill_estimator`, in both tail conventions.

    For a tail :math:`P(X > x) \propto x^{-\gamma}` (CCDF exponent :math:`\gamma`, the "tail
    index") the density falls as :math:`x^{-\alpha}` with :math:`\alpha = 1 + \gamma`, the
    exponent that :func:`~powertail.tails.fit_power_law` and WeightWatcher report.

    Attributes
    ----------
    xi : float
        Hill's statistic :math:`\hat\xi = 1/\hat\gamma`, the extreme-value index.
    tail_index : float
        :math:`\hat\gamma = 1/\hat\xi`, the CCDF exponent.
    alpha : float
        :math:`\hat\alpha = 1 + 1/\hat\xi`, the density exponent (compare with MLE `alpha`).
    sigma : float
        Asymptotic standard error of `alpha` (and of `tail_index`), :math:`\hat\gamma/\sqrt k`.
    k : int
        Number of upper order statistics used.
    threshold : float
        :math:`X_{(k+1)}`, the (k+1)-th largest value, the implied :math:`x_{\min}`.
    """

    xi: float
    tail_index: float
    alpha: float
    sigma: float
    k: int
    threshold: float


def hill_estimator(x: ArrayLike, *, k: int) -> HillEstimate:
    r"""Hill (1975) estimator from the `k` largest observations.

    With the order statistics :math:`X_{(1)} \ge X_{(2)} \ge \dots \ge X_{(n)}`,

    .. math::

        \hat\xi_k = \frac{1}{k}\sum_{i=1}^{k} \ln X_{(i)} - \ln X_{(k+1)},
        \qquad \hat\gamma = 1/\hat\xi_k, \qquad \hat\alpha = 1 + \hat\gamma .

    It is the conditional MLE of a Pareto tail above :math:`X_{(k+1)}` using the :math:`k`
    points strictly above it, so the Clauset MLE at :math:`x_{\min} = X_{(k+1)}` (which also
    counts the point at :math:`x_{\min}`) satisfies
    :math:`\hat\alpha_\mathrm{MLE} - 1 = \frac{k+1}{k}(\hat\alpha_\mathrm{Hill} - 1)`.

    Parameters
    ----------
    x : array_like of shape (n,)
        Observations, finite and strictly positive.
    k : int
        Number of upper order statistics, ``1 <= k <= n - 1``.

    Returns
    -------
    HillEstimate
        :math:`\hat\xi`, :math:`\hat\gamma`, :math:`\hat\alpha`, its standard error and the
        threshold.

    Raises
    ------
    InputError
        If `x` is not a valid positive sample, `k` is out of range, or the `k + 1` largest
        values are all equal (:math:`\hat\xi = 0`).

    References
    ----------
    Hill, B. M. (1975), "A simple general approach to inference about the tail of a
    distribution", Ann. Statist. 3, 1163-1174.
    """
    data = positive_sample(x, name="x")
    k = check_int(k, name="k", minimum=1)
    n = data.size
    if k > n - 1:
        raise InputError(
            f"k must be at most n - 1 = {n - 1} (one point is the threshold); got k={k}"
        )
    top = np.sort(data)[::-1][: k + 1]
    log_top = np.log(top)
    xi = float(np.mean(log_top[:k]) - log_top[k])  # Hill (1975)
    if xi <= 0:
        raise InputError(
            f"the {k + 1} largest values of x are all equal ({top[0]}), so Hill's estimate is 0; "
            f"use a larger k"
        )
    gamma = 1.0 / xi
    return HillEstimate(
        xi=xi,
        tail_index=gamma,
        alpha=1.0 + gamma,
        sigma=gamma / math.sqrt(k),
        k=k,
        threshold=float(top[k]),
    )

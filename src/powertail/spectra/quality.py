r"""SETOL layer-quality estimates on the effective correlation space (experimental).

Every function takes the ECS eigenvalues :math:`\tilde\lambda_i` (the tail kept by the ERG or PL
rule) in **mean-1 units of the whole ESD** (:math:`\tilde\lambda = \lambda\,n/\sum_j\lambda_j`),
so the results do not depend on the weight scale or on the ``normalization`` option. The paper
itself treats these as approximations (brief §1.5, §1.6, §6.4); they are reported as
experimental columns next to :math:`\alpha`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError

__all__ = [
    "free_cumulants",
    "quality_cumulant",
    "quality_inverse_mp",
    "quality_levy_wigner",
    "quality_tail_norm",
]


def _ecs(values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(
            f"ecs: expected at least one finite positive eigenvalue, got {arr.size} values "
            "(some non-positive or NaN); pass the ECS tail in mean-1 units"
        )
    return arr


def quality_tail_norm(ecs: ArrayLike) -> float:
    r"""Tail-norm quality of the discrete-spike R-transform (brief §1.5, first row).

    With :math:`R(z) = \frac{1}{\tilde M}\sum_i\tilde\lambda_i` (a constant) the norm generating
    function is :math:`G(\lambda) \approx (\sum_i\tilde\lambda_i)\lambda`, so
    :math:`\bar Q^2 \approx (\sum_{ECS}\tilde\lambda_i)^2` and

    .. math::  \bar Q = \sum_{i \in ECS} \tilde\lambda_i .
    """
    return float(np.sum(_ecs(ecs)))


def quality_levy_wigner(ecs: ArrayLike, *, alpha: float) -> float:
    r"""Lévy-Wigner log-quality :math:`\log_{10}\bar Q^2` (brief §1.5, fourth row).

    With :math:`R(z) = b z^{\alpha-2}` and :math:`b = \alpha - 2`,

    .. math::  \bar Q^2 = \frac{1}{\tilde M}\sum_{i\in ECS}\tilde\lambda_i^{\alpha-1}
               \approx \tilde\lambda_{\max}^{\alpha-1},

    returned as :math:`\log_{10}\bar Q^2` (computed with a log-sum-exp).
    """
    lam = _ecs(ecs)
    logs = (alpha - 1.0) * np.log(lam)
    top = float(logs.max())
    return (top + math.log(float(np.sum(np.exp(logs - top)))) - math.log(lam.size)) / math.log(10)


def quality_inverse_mp(ecs: ArrayLike, *, alpha: float, lambda_min: float) -> float:
    r"""Inverse-MP quality :math:`\bar Q^2` (brief §1.5, third row, text derivation).

    On the cut, :math:`\operatorname{Re}R(z) = \kappa/z`, so
    :math:`G(\lambda) = \kappa(\ln\lambda - \ln\tilde\lambda_{\min})` and, with
    :math:`\kappa = \alpha/2` (the text's :math:`\alpha \approx 2\kappa`),

    .. math::

        \bar Q^2 = \kappa\sum_{i\in ECS}\bigl(\ln\tilde\lambda_i - \ln\tilde\lambda_{\min}\bigr).

    (Gtable's prefactor :math:`2\alpha` differs; see brief §1.5.)
    """
    lam = _ecs(ecs)
    if not lambda_min > 0:
        raise InputError(f"lambda_min: expected > 0, got {lambda_min!r}; pass the ECS cut-off")
    return float(0.5 * alpha * np.sum(np.log(lam) - math.log(lambda_min)))


def free_cumulants(moments: ArrayLike) -> NDArray[np.float64]:
    r"""First free cumulants :math:`\kappa_1..\kappa_5` from moments :math:`m_1..m_5` (brief §1.6).

    .. math::

        \kappa_1 &= m_1,\quad \kappa_2 = m_2 - m_1^2,\quad
        \kappa_3 = m_3 - 3m_2m_1 + 2m_1^3,\\
        \kappa_4 &= m_4 - 4m_3m_1 - 2m_2^2 + 10m_2m_1^2 - 5m_1^4,\\
        \kappa_5 &= m_5 - 5m_4m_1 - 5m_3m_2 + 15m_3m_1^2 + 15m_2^2m_1 - 35m_2m_1^3 + 14m_1^5.

    Parameters
    ----------
    moments : array_like of shape (k,), 1 <= k <= 5
        :math:`m_1, \dots, m_k`.

    Returns
    -------
    ndarray of shape (k,)
    """
    m = np.asarray(moments, dtype=np.float64).ravel()
    if not 1 <= m.size <= 5:
        raise InputError(f"moments: expected 1 to 5 moments, got {m.size}; pass m_1..m_5")
    m = np.concatenate([m, np.zeros(5 - m.size)])
    m1, m2, m3, m4, m5 = m
    k = np.array(
        [
            m1,
            m2 - m1**2,
            m3 - 3 * m2 * m1 + 2 * m1**3,
            m4 - 4 * m3 * m1 - 2 * m2**2 + 10 * m2 * m1**2 - 5 * m1**4,
            m5
            - 5 * m4 * m1
            - 5 * m3 * m2
            + 15 * m3 * m1**2
            + 15 * m2**2 * m1
            - 35 * m2 * m1**3
            + 14 * m1**5,
        ]
    )
    return k[: np.asarray(moments).size]


def quality_cumulant(ecs: ArrayLike, *, order: int = 5) -> float:
    r"""Computational R-transform quality :math:`\bar Q^2` from free cumulants (brief §1.6).

    The ECS eigenvalues are centred and divided by their standard deviation, their normalised
    moments :math:`m_k = \frac{1}{\tilde M}\sum_i x_i^k` give free cumulants
    (:func:`free_cumulants`), :math:`R(z) = \sum_k \kappa_k z^{k-1}`, and

    .. math::  \bar Q^2 = \sum_{i\in ECS} G(\tilde\lambda_i), \qquad
               G(\lambda) = \sum_{k=1}^{K}\frac{\kappa_k}{k}\Bigl(\frac{\lambda}{\tilde M}\Bigr)^k .

    The paper does not fix the order of these operations; this is one documented choice.
    Returns NaN for fewer than two ECS eigenvalues or zero spread.
    """
    lam = _ecs(ecs)
    if lam.size < 2 or float(np.std(lam)) == 0.0:
        return math.nan
    x = (lam - lam.mean()) / lam.std()
    moments = np.array([np.mean(x**k) for k in range(1, order + 1)])
    kappa = free_cumulants(moments)
    z = lam / lam.size
    return float(sum(kappa[k - 1] / k * np.sum(z**k) for k in range(1, order + 1)))

r"""The doubly truncated Pareto law on :math:`[x_{\min}, x_{\max}]`: likelihood, MLE, CDF.

Density, with :math:`\beta = \alpha - 1` and :math:`q = \ln(x_{\max}/x_{\min})`,

.. math::

    p(x) = \frac{\alpha - 1}{x_{\min}^{1-\alpha} - x_{\max}^{1-\alpha}}\, x^{-\alpha}
         = \frac{C(\beta)}{x_{\min}} \Bigl(\frac{x}{x_{\min}}\Bigr)^{-\alpha},
    \qquad C(\beta) = \frac{\beta}{1 - e^{-\beta q}},

valid for every real :math:`\alpha` (:math:`C(0) = 1/q`). In the variable
:math:`t = \ln(x/x_{\min}) / q \in [0, 1]` the law is a truncated exponential with rate
:math:`s = \beta q`, whose mean is

.. math::

    h(s) = \frac{1}{s} - \frac{1}{e^{s} - 1}, \qquad h(0) = \tfrac12,\ h(-s) = 1 - h(s).

The likelihood equation (score = 0) for :math:`k` tail points is therefore
:math:`h(\beta q) = \bar d / q` with :math:`\bar d = \frac1k\sum \ln(x_i/x_{\min})`: one monotone
equation, solved here for many candidates at once. The Fisher information per point is
:math:`\operatorname{Var}[\ln x] = q^2 v(\beta q)` with :math:`v = -h'`, so
:math:`\sigma_\alpha = 1/(q\sqrt{k\,v(\beta q)})`, which tends to :math:`(\alpha-1)/\sqrt k` as
:math:`x_{\max}\to\infty`.

References
----------
Aban, Meerschaert & Panorska (2006), "Parameter estimation for the truncated Pareto
distribution", J. Am. Stat. Assoc. 101, 270-277.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "log_normalisation",
    "mean_fraction",
    "solve_rate",
    "truncated_cdf_parameters",
    "variance_fraction",
]

# |s| below which h and v use their Taylor series (the closed forms cancel there).
# Series error at the threshold is below 1e-17; the closed forms lose ~eps/s^2 < 1e-12 above it.
_SERIES_S = 1e-2
# |s| below which the rate is treated as s = +/-_MIN_S in the CDF (log-uniform limit); the
# resulting CDF error is below _MIN_S/8 and the cancellation error below eps/_MIN_S.
_MIN_S = 1e-7


def mean_fraction(s: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Mean of the truncated exponential on [0, 1] with rate `s`.

    .. math:: h(s) = \frac{1}{s} - \frac{1}{e^{s} - 1}, \qquad h(0) = 1/2

    Parameters
    ----------
    s : ndarray
        Rates :math:`s = \beta q` (any real value).

    Returns
    -------
    ndarray
        :math:`h(s) \in (0, 1)`, decreasing in `s`.
    """
    s = np.asarray(s, dtype=np.float64)
    a = np.abs(s)
    small = a < _SERIES_S
    a_safe = np.where(small, 1.0, a)
    # 1/(e^a - 1) written with e^{-a} so that no exponential overflows.
    em = np.exp(-a_safe)
    h_pos = 1.0 / a_safe - em / (-np.expm1(-a_safe))
    a_s = np.where(small, a, 0.0)  # series argument, kept small so no power overflows
    h_pos = np.where(small, 0.5 - a_s / 12.0 + a_s**3 / 720.0 - a_s**5 / 30240.0, h_pos)
    return np.where(s >= 0, h_pos, 1.0 - h_pos)


def variance_fraction(s: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Variance of the truncated exponential on [0, 1] with rate `s`, :math:`v = -h'`.

    .. math:: v(s) = \frac{1}{s^2} - \frac{1}{4\sinh^2(s/2)}, \qquad v(0) = 1/12

    Parameters
    ----------
    s : ndarray
        Rates (any real value); `v` is even in `s`.

    Returns
    -------
    ndarray
        :math:`v(s) \in (0, 1/12]`.
    """
    a = np.abs(np.asarray(s, dtype=np.float64))
    small = a < 5 * _SERIES_S
    a_safe = np.where(small, 1.0, a)
    em = np.exp(-a_safe)
    v = 1.0 / a_safe**2 - em / np.expm1(-a_safe) ** 2
    a_s = np.where(small, a, 0.0)
    series = 1.0 / 12.0 - a_s**2 / 240.0 + a_s**4 / 6048.0 - a_s**6 / 172800.0
    return np.where(small, series, v)


def solve_rate(
    u: NDArray[np.float64], *, tol: float = 1e-14, max_iter: int = 200
) -> NDArray[np.float64]:
    r"""Solve :math:`h(s) = u` for every entry of `u` in (0, 1) (vectorised safeguarded Newton).

    Parameters
    ----------
    u : ndarray
        Targets :math:`\bar d / q` in the open interval (0, 1).
    tol : float
        Relative tolerance on `s`.
    max_iter : int
        Iteration cap (convergence is quadratic; ~10 iterations are typical).

    Returns
    -------
    ndarray
        The rates `s`; positive for `u < 1/2`, negative for `u > 1/2`.
    """
    u = np.asarray(u, dtype=np.float64)
    flip = u > 0.5
    w = np.where(flip, 1.0 - u, u)  # solve h(s) = w <= 1/2, s >= 0; then s -> -s if flipped
    lo = np.zeros_like(w)
    hi = 1.0 / w  # h(s) < 1/s for s > 0, so h(1/w) < w: the root lies in [0, 1/w]
    # Both are lower bounds of the root (h is convex for s > 0: 1/2 - s/12 <= h(s), and
    # h(1/w - 2) > w); from below, Newton on a convex decreasing function never overshoots.
    s = np.maximum(1.0 / w - 2.0, 12.0 * (0.5 - w))
    s = np.clip(s, lo, hi)
    for _ in range(max_iter):
        f = mean_fraction(s) - w
        lo = np.where(f > 0, s, lo)
        hi = np.where(f <= 0, s, hi)
        step = f / variance_fraction(s)  # Newton: s + f / v since h' = -v
        s_new = s + step
        outside = (s_new <= lo) | (s_new >= hi)
        s_new = np.where(outside, 0.5 * (lo + hi), s_new)
        done = np.abs(s_new - s) <= tol * np.maximum(1.0, np.abs(s_new))
        s = s_new
        if done.all():
            break
    return np.where(flip, -s, s)


def log_normalisation(beta: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Logarithm of :math:`C(\beta) = \beta / (1 - e^{-\beta q})`, with :math:`q = \infty` allowed.

    Parameters
    ----------
    beta : ndarray
        :math:`\alpha - 1`.
    q : ndarray
        :math:`\ln(x_{\max}/x_{\min}) > 0`, or ``inf`` for the untruncated law
        (then `beta` must be positive and :math:`C = \beta`).

    Returns
    -------
    ndarray
        :math:`\ln C`.
    """
    beta = np.asarray(beta, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    s = beta * np.where(np.isinf(q), 1.0, q)
    a = np.abs(s)
    small = a < _SERIES_S
    a_safe = np.where(small, 1.0, a)
    # beta > 0: ln beta - ln(1 - e^{-s});  beta < 0: ln|beta| - |s| - ln(1 - e^{-|s|})
    tail = -np.log1p(-np.exp(-a_safe))
    tail = np.where(np.isinf(q), 0.0, tail)
    log_abs_beta = np.log(np.where(small, 1.0, np.abs(beta)))
    out = np.where(s > 0, log_abs_beta + tail, log_abs_beta - a_safe + tail)
    # small |s|: C = (1/q) * s / (1 - e^{-s}) = (1/q) (1 + s/2 + s^2/12 - s^4/720)
    s_s = np.where(small, s, 0.0)
    series = -np.log(np.where(np.isinf(q), 1.0, q)) + np.log1p(s_s / 2 + s_s**2 / 12 - s_s**4 / 720)
    return np.where(small & np.isfinite(q), series, out)


def truncated_cdf_parameters(
    beta: NDArray[np.float64], q: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Write the truncated Pareto CDF as :math:`F = \sigma + \rho(e^{u} - 1)`, :math:`u \le 0`.

    With :math:`d = \ln(x/x_{\min}) \in [0, q]`,

    .. math::

        F(d) = \frac{1 - e^{-\beta d}}{1 - e^{-\beta q}}
        \;=\; \begin{cases}
            \rho\,\bigl(e^{-\beta d} - 1\bigr), & \rho = 1/(e^{-\beta q} - 1),\ \beta > 0,\\
            1 + \rho\,\bigl(e^{\beta(q - d)} - 1\bigr), & \rho = -1/(e^{\beta q} - 1),\ \beta < 0,
        \end{cases}

    so that :math:`u = -\beta d + \omega` (:math:`\omega = 0` or :math:`\beta q`) never exceeds 0.
    ``q = inf`` gives the plain Pareto CDF :math:`1 - e^{-\beta d}` (:math:`\rho = -1`).

    Parameters
    ----------
    beta : ndarray
        :math:`\alpha - 1`; rates with :math:`|\beta q|` below ``_MIN_S`` are moved to
        :math:`\pm` ``_MIN_S``/q (log-uniform limit; CDF error below 2e-8).
    q : ndarray
        :math:`\ln(x_{\max}/x_{\min})`, ``inf`` when untruncated.

    Returns
    -------
    beta_used, omega, sigma, rho : ndarray
        The parameters of the form above.
    """
    beta = np.asarray(beta, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    finite = np.isfinite(q)
    q_safe = np.where(finite, q, 1.0)
    tiny = finite & (np.abs(beta * q_safe) < _MIN_S)
    beta = np.where(tiny, np.where(beta < 0, -_MIN_S, _MIN_S) / q_safe, beta)
    pos = beta > 0
    s_abs = np.abs(beta) * q_safe
    denom = np.where(finite, np.expm1(-s_abs), -1.0)  # = e^{-|beta| q} - 1 < 0
    rho = np.where(pos, 1.0 / denom, -1.0 / denom)
    sigma = np.where(pos, 0.0, 1.0)
    omega = np.where(pos, 0.0, beta * q_safe)
    return beta, omega, sigma, rho

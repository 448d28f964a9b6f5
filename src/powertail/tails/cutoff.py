r"""Power law with an exponential cut-off ("truncated power law" in ``powerlaw``'s vocabulary).

Density on :math:`x \ge x_{\min}`, for any real :math:`\alpha` and :math:`\Lambda > 0`
(or :math:`\Lambda = 0` with :math:`\alpha > 1`, the pure power law):

.. math::

    p(x) = \frac{x^{-\alpha} e^{-\Lambda x}}{Z}, \qquad
    Z = \int_{x_{\min}}^{\infty} t^{-\alpha} e^{-\Lambda t}\,dt
      = \Lambda^{\alpha-1}\,\Gamma(1-\alpha, \Lambda x_{\min})
      = x_{\min}^{1-\alpha} e^{-z} I(\alpha, z),

with :math:`z = \Lambda x_{\min}` and

.. math::

    I(\alpha, z) = \int_0^\infty \exp\!\bigl(-(\alpha - 1)v - z(e^{v} - 1)\bigr)\,dv .

The upper incomplete gamma function of negative order that ``powerlaw`` evaluates with mpmath is
replaced here by this integral: its exponent is concave in :math:`v`, so it is evaluated by
adaptive quadrature around its single maximum, in log space, without overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

from powertail.errors import InputError
from powertail.tails.validation import check_positive_scalar, positive_sample

__all__ = ["TruncatedPowerLawFit", "fit_truncated_power_law", "tpl_log_normaliser"]

# The integrand is dropped where it is below exp(-_LOG_CUT) times its peak (relative 1e-26).
_LOG_CUT = 60.0
# Relative accuracy asked of the quadrature.
_QUAD_RTOL = 1e-12
# Search box for the optimiser: alpha in [-_ALPHA_BOX, _ALPHA_BOX], z = Lambda*xmin in
# [_Z_MIN, _Z_MAX]. z = 1e-12 puts the cut-off 12 decades above xmin (a pure power law).
_ALPHA_BOX = 50.0
_Z_MIN = 1e-12
_Z_MAX = 1e6


def _exponent(v: NDArray[np.float64], alpha: float, z: float) -> NDArray[np.float64]:
    return -(alpha - 1.0) * v - z * np.expm1(v)


def _upper_limit(alpha: float, z: float, extra: float, v0: float) -> tuple[float, float]:
    """Mode of exponent + extra*v on [v0, inf) and a point beyond which it is _LOG_CUT lower."""
    # d/dv [-(alpha-1) v - z(e^v - 1) + extra v] = -(alpha - 1 - extra) - z e^v
    slope0 = -(alpha - 1.0 - extra)
    mode = max(v0, math.log(slope0 / z)) if (slope0 > 0 and z > 0) else v0

    def g(v: float) -> float:
        return float(_exponent(np.array(v), alpha, z)) + extra * v

    top = g(mode)
    step = 1.0
    upper = mode + step
    while g(upper) > top - _LOG_CUT:
        step *= 2.0
        upper = mode + step
    return mode, upper


def _moments(alpha: float, z: float, v0: float = 0.0) -> tuple[float, float, float]:
    r"""Return :math:`\ln \int_{v_0}^\infty e^{\phi}`, :math:`E[v]`, :math:`E[e^v - 1]`.

    :math:`\phi(v) = -(\alpha-1)v - z(e^v - 1)`; expectations are under the density
    proportional to :math:`e^{\phi}` on :math:`[v_0, \infty)`.
    """
    mode, upper = _upper_limit(alpha, z, 1.0, v0)  # covers the e^v weight of the last moment
    mode0, _ = _upper_limit(alpha, z, 0.0, v0)
    peak = float(_exponent(np.array(mode0), alpha, z))

    def f(v: float) -> NDArray[np.float64]:
        w = math.exp(float(_exponent(np.array(v), alpha, z)) - peak)
        return np.array([w, w * v, w * math.expm1(v)])

    pts = sorted({p for p in (mode0, mode) if v0 < p < upper})
    val, _ = integrate.quad_vec(
        f, v0, upper, epsrel=_QUAD_RTOL, epsabs=0.0, norm="max", points=pts or None
    )
    return peak + math.log(val[0]), val[1] / val[0], val[2] / val[0]


def tpl_log_normaliser(alpha: float, Lambda: float, xmin: float) -> float:
    r"""Logarithm of :math:`Z = \int_{x_{\min}}^\infty t^{-\alpha} e^{-\Lambda t}\,dt`.

    .. math:: \ln Z = (1 - \alpha)\ln x_{\min} - \Lambda x_{\min} + \ln I(\alpha, \Lambda x_{\min})

    Parameters
    ----------
    alpha : float
        Power-law exponent (any real value when ``Lambda > 0``).
    Lambda : float
        Cut-off rate :math:`\Lambda \ge 0` (``Lambda = 0`` needs ``alpha > 1``).
    xmin : float
        Lower end, ``> 0``.

    Returns
    -------
    float
        :math:`\ln Z`.

    Raises
    ------
    InputError
        If the integral diverges (``Lambda = 0`` and ``alpha <= 1``) or an argument is invalid.
    """
    xmin_v = check_positive_scalar(xmin, name="xmin")
    lam = float(Lambda)
    if not math.isfinite(lam) or lam < 0:
        raise InputError(f"Lambda must be a finite number >= 0; got {Lambda!r}")
    if lam == 0.0:
        if alpha <= 1.0:
            raise InputError(
                f"alpha must be > 1 when Lambda = 0 (otherwise the density cannot be "
                f"normalised); got alpha={alpha}"
            )
        return (1.0 - alpha) * math.log(xmin_v) - math.log(alpha - 1.0)
    z = lam * xmin_v
    log_i, _, _ = _moments(float(alpha), z)
    return (1.0 - alpha) * math.log(xmin_v) - z + log_i


@dataclass(frozen=True)
class TruncatedPowerLawFit:
    r"""Result of :func:`fit_truncated_power_law`.

    Attributes
    ----------
    alpha : float
        Exponent of :math:`x^{-\alpha}`.
    Lambda : float
        Cut-off rate :math:`\Lambda` of :math:`e^{-\Lambda x}` (``powerlaw``'s name; 1/Lambda
        is the cut-off scale). 0 means the pure power law fits at least as well.
    xmin : float
        Lower end of the fitted range.
    loglikelihood : float
        Total log-likelihood of the tail at the MLE.
    n_tail : int
        Number of points with ``x >= xmin``.
    n : int
        Number of points passed in.
    converged : bool
        Whether the optimiser reported convergence.
    """

    alpha: float
    Lambda: float
    xmin: float
    loglikelihood: float
    n_tail: int
    n: int
    converged: bool

    def pdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Fitted density, zero below `xmin`.

        Parameters
        ----------
        x : array_like
            Points (any shape).

        Returns
        -------
        ndarray
            Same shape as `x`.
        """
        x = np.asarray(x, dtype=np.float64)
        log_z = tpl_log_normaliser(self.alpha, self.Lambda, self.xmin)
        inside = x >= self.xmin
        xs = np.where(inside, x, self.xmin)
        return np.where(inside, np.exp(-self.alpha * np.log(xs) - self.Lambda * xs - log_z), 0.0)

    def loglikelihoods(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log-density of each point of `x` with ``x >= xmin``, in ascending order.

        Parameters
        ----------
        x : array_like of shape (n,)
            A sample.

        Returns
        -------
        ndarray of shape (n_tail,)
        """
        x = np.sort(np.asarray(x, dtype=np.float64).ravel())
        tail = x[x >= self.xmin]
        log_z = tpl_log_normaliser(self.alpha, self.Lambda, self.xmin)
        return -self.alpha * np.log(tail) - self.Lambda * tail - log_z

    def ccdf(self, x: ArrayLike) -> NDArray[np.float64]:
        r"""Fitted complementary CDF :math:`P(X \ge x)` (1 below `xmin`), by quadrature.

        Parameters
        ----------
        x : array_like
            Points (any shape); one quadrature per point, meant for plotting.

        Returns
        -------
        ndarray
            Same shape as `x`.
        """
        x = np.asarray(x, dtype=np.float64)
        z = self.Lambda * self.xmin
        out = np.ones(x.shape)
        if z == 0.0:
            ratio = np.maximum(x, self.xmin) / self.xmin
            return ratio ** (1.0 - self.alpha)
        log_all, _, _ = _moments(self.alpha, z)
        flat = out.reshape(-1)
        for i, xi in enumerate(x.reshape(-1)):
            if xi > self.xmin:
                log_part, _, _ = _moments(self.alpha, z, v0=math.log(xi / self.xmin))
                flat[i] = math.exp(log_part - log_all)
        return out


def fit_truncated_power_law(x: ArrayLike, *, xmin: float) -> TruncatedPowerLawFit:
    r"""Maximum-likelihood fit of :math:`p(x) \propto x^{-\alpha}e^{-\Lambda x}` above `xmin`.

    With :math:`y_i = x_i/x_{\min}`, :math:`z = \Lambda x_{\min}`, :math:`A = \overline{\ln y}` and
    :math:`B = \overline{y - 1}` over the :math:`k` tail points, the mean log-likelihood is

    .. math::

        \frac{\ell}{k} = -\alpha A - z B - \ln I(\alpha, z) - \ln x_{\min},

    an exponential family in :math:`(\alpha, \Lambda)`, hence concave with a unique maximum.
    Its score is :math:`(E[\ln y] - A,\ E[y - 1] - B)`. If at the pure power law
    (:math:`\Lambda = 0`, :math:`\alpha = 1 + 1/A`) the data mean already exceeds the model
    mean, :math:`B \ge 1/(\alpha - 2)`, the maximum is on the boundary and ``Lambda = 0`` is
    returned; otherwise L-BFGS-B maximises over :math:`(\alpha, \ln z)` with the exact gradient.

    Parameters
    ----------
    x : array_like of shape (n,)
        Observations, finite and strictly positive; only ``x >= xmin`` are used.
    xmin : float
        Lower end of the fit (e.g. ``fit_power_law(x).xmin``, as ``powerlaw.Fit`` does).

    Returns
    -------
    TruncatedPowerLawFit
        ``alpha``, ``Lambda``, ``loglikelihood`` and the tail size.

    Raises
    ------
    InputError
        If `x` is not a valid positive sample, or fewer than 2 distinct values lie above
        `xmin`.

    Notes
    -----
    ``powerlaw`` 2.0.0 bounds :math:`\alpha` to (0, 3) by default and stops Nelder-Mead at a
    tolerance of 1e-4; this fit has neither restriction (alpha in [-50, 50]).
    """
    data = positive_sample(x, name="x")
    xmin_v = check_positive_scalar(xmin, name="xmin")
    tail = np.sort(data[data >= xmin_v])
    if tail.size < 2 or tail[-1] == xmin_v:
        raise InputError(
            f"xmin={xmin_v} leaves {tail.size} points with no spread above it; a cut-off "
            f"fit needs at least 2 distinct values >= xmin; lower xmin"
        )
    k = tail.size
    y = tail / xmin_v
    mean_log = float(np.mean(np.log(y)))
    mean_excess = float(np.mean(y - 1.0))
    log_xmin = math.log(xmin_v)
    alpha_pl = 1.0 + 1.0 / mean_log

    def total_loglik(alpha: float, z: float, log_i: float) -> float:
        return k * (-alpha * mean_log - z * mean_excess - log_i - log_xmin)

    if alpha_pl > 2.0 and mean_excess >= 1.0 / (alpha_pl - 2.0):
        # KKT at Lambda = 0: the score in z is E_PL[y - 1] - B = 1/(alpha-2) - B <= 0.
        log_i = -math.log(alpha_pl - 1.0)
        return TruncatedPowerLawFit(
            alpha=alpha_pl,
            Lambda=0.0,
            xmin=xmin_v,
            loglikelihood=total_loglik(alpha_pl, 0.0, log_i),
            n_tail=k,
            n=int(data.size),
            converged=True,
        )

    def objective(p: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        alpha, theta = float(p[0]), float(p[1])
        z = math.exp(theta)
        log_i, e_v, e_w = _moments(alpha, z)
        f = alpha * mean_log + z * mean_excess + log_i  # -(mean log-likelihood) + const
        grad = np.array([mean_log - e_v, z * (mean_excess - e_w)])
        return f, grad

    z0 = min(max(1.0 / (1.0 + mean_excess), _Z_MIN), _Z_MAX)
    p0 = np.array([min(max(alpha_pl, -_ALPHA_BOX), _ALPHA_BOX), math.log(z0)])
    res = optimize.minimize(
        objective,
        p0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_ALPHA_BOX, _ALPHA_BOX), (math.log(_Z_MIN), math.log(_Z_MAX))],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500},
    )
    alpha, z = float(res.x[0]), math.exp(float(res.x[1]))
    log_i, _, _ = _moments(alpha, z)
    return TruncatedPowerLawFit(
        alpha=alpha,
        Lambda=z / xmin_v,
        xmin=xmin_v,
        loglikelihood=total_loglik(alpha, z, log_i),
        n_tail=k,
        n=int(data.size),
        converged=bool(res.success),
    )

r"""The mathematics of HTSR and SETOL as pure functions of eigenvalue arrays.

* :func:`alpha_hat` - the scale-adjusted shape metric (brief §1.3);
* :func:`erg_crossing` - the ERG / TRACE-LOG condition (brief §1.4, §1.9 step 4);
* :func:`delta_lambda_min` - the gap between the PL and ERG cut-offs (brief §1.4);
* :func:`trace_log` - :math:`\sum \ln\tilde\lambda` above a cut-off;
* :func:`mp_edges`, :func:`mp_cdf`, :func:`mp_median`, :func:`tracy_widom_width` -
  Marchenko-Pastur bulk and its edge fluctuations (brief §1.3);
* :func:`bbp_spike_location` - where a rank-one perturbation lands (brief §2.5);
* :func:`histogram_jsd`, :func:`quantile_js_distance` - distances between an ESD and the ESD of
  the shuffled weights (brief §1.3 Rand-Distance, §2.5).

Eigenvalue arrays may come in any order; every function sorts what it needs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

from powertail.errors import InputError

__all__ = [
    "ErgCrossing",
    "alpha_hat",
    "bbp_spike_location",
    "delta_lambda_min",
    "erg_crossing",
    "histogram_jsd",
    "mp_cdf",
    "mp_edges",
    "mp_median",
    "quantile_js_distance",
    "trace_log",
    "tracy_widom_width",
]


def _values(eigenvalues: ArrayLike, *, name: str = "eigenvalues") -> NDArray[np.float64]:
    arr = np.asarray(eigenvalues, dtype=np.float64).ravel()
    if arr.size == 0:
        raise InputError(f"{name}: expected at least one eigenvalue, got none; pass the ESD")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(
            f"{name}: expected finite non-negative eigenvalues, got min {np.nanmin(arr)!r} "
            f"and {int(np.sum(~np.isfinite(arr)))} NaN/inf; pass the eigenvalues of W^T W"
        )
    return arr


@dataclass(frozen=True)
class ErgCrossing:
    """Where the top-down cumulative :math:`\\sum\\ln\\tilde\\lambda` first turns negative.

    Attributes
    ----------
    crossed : bool
        False when the cumulative log-sum never becomes negative ("no crossing").
    num : int
        :math:`\\tilde M` = number of eigenvalues in the ERG tail, the crossing one included
        (WeightWatcher's ``detX_num``); 0 without a crossing.
    lambda_min : float
        :math:`\\lambda_{\\min}^{ERG}` in the input units (NaN without a crossing).
    lambda_min_normalized : float
        :math:`\\tilde\\lambda_{\\min}^{ERG}` in mean-1 units (NaN without a crossing).
    scale : float
        :math:`n / \\sum_j \\lambda_j`, the factor to mean-1 units (1 without rescaling).
    log_sums : ndarray of shape (n,)
        :math:`S_k` for k = 1..n (top-down cumulative sums of :math:`\\ln\\tilde\\lambda`).
    """

    crossed: bool
    num: int
    lambda_min: float
    lambda_min_normalized: float
    scale: float
    log_sums: NDArray[np.float64]


def erg_crossing(eigenvalues: ArrayLike, *, rescale: bool = True) -> ErgCrossing:
    r"""Locate the ERG / TRACE-LOG cut-off of an ESD (Martin & Hinrichs 2025, §3 and brief §1.4).

    With eigenvalues rescaled to mean one, :math:`\tilde\lambda_i = \lambda_i\,n/\sum_j\lambda_j`
    (`rescale`), and sorted from the largest down, the cumulative sums

    .. math::

        S_k = \sum_{i=1}^{k} \ln \tilde\lambda_{(i)}, \qquad
        k^* = \min\{k : S_k < 0\}, \qquad
        \tilde\lambda^{ERG}_{\min} = \tilde\lambda_{(k^*)}

    mark the effective correlation space on which :math:`\det\tilde X = 1`, i.e.
    :math:`\operatorname{Tr}\ln\tilde X \approx 0` (the crossing eigenvalue is included, as
    WeightWatcher's ``detX_num``). Logs are summed, never multiplied, so nothing overflows;
    zeros contribute :math:`-\infty`.

    Parameters
    ----------
    eigenvalues : array_like of shape (n,)
        Non-negative eigenvalues :math:`\lambda_i`, any order.
    rescale : bool, default True
        Rescale to mean one first (the paper's convention). ``False`` uses the values as given.

    Returns
    -------
    ErgCrossing
        ``crossed=False`` with NaN cut-offs when :math:`S_k \ge 0` for every k.
    """
    lam = np.sort(_values(eigenvalues))[::-1]
    total = float(lam.sum())
    if rescale and total <= 0:
        raise InputError("eigenvalues: expected a positive sum to rescale, got all zeros")
    scale = lam.size / total if rescale else 1.0
    with np.errstate(divide="ignore"):
        logs = np.log(lam * scale)
    sums = np.cumsum(logs)
    below = np.flatnonzero(sums < 0)
    sums.setflags(write=False)
    if below.size == 0:
        return ErgCrossing(False, 0, math.nan, math.nan, scale, sums)
    k = int(below[0])
    return ErgCrossing(True, k + 1, float(lam[k]), float(lam[k] * scale), scale, sums)


def alpha_hat(alpha: float, lambda_max: float) -> float:
    r"""AlphaHat, the HTSR scale-adjusted shape metric (brief §1.3; WW ``alpha_weighted``).

    .. math::  \hat\alpha = \alpha \log_{10}\lambda_{\max}

    It depends on the eigenvalue scale (the ``normalization`` option): under
    :math:`W \to cW` it shifts by :math:`2\alpha\log_{10}c`.
    """
    return float(alpha) * math.log10(lambda_max)


def delta_lambda_min(xmin: float, scale: float, erg_lambda_min_normalized: float) -> float:
    r"""Gap between the power-law and ERG cut-offs in mean-1 units (brief §1.4, §1.9 step 4).

    .. math::

        \Delta\lambda_{\min} = \tilde\lambda^{PL}_{\min} - \tilde\lambda^{ERG}_{\min}
        = x_{\min}\,\frac{n}{\sum_j \lambda_j} - \tilde\lambda^{ERG}_{\min},

    with ``scale`` = :math:`n/\sum_j\lambda_j` from :func:`erg_crossing` (the same pooled ESD
    as the fit). The paper finds :math:`\Delta\lambda_{\min} \to 0^+` as :math:`\alpha \to 2^+`
    and :math:`\Delta\lambda_{\min} < 0` with :math:`\alpha < 2` (WeightWatcher PR #295's
    ``detX_delta``).
    """
    return float(xmin) * float(scale) - float(erg_lambda_min_normalized)


def trace_log(eigenvalues: ArrayLike, *, lower: float, scale: float) -> float:
    r"""Trace-log over a tail: :math:`\sum_{\lambda_i \ge \text{lower}} \ln(\lambda_i\,s)`.

    With ``lower`` = :math:`\lambda_{\min}^{PL}` and ``scale`` = :math:`n/\sum\lambda` this is
    the TRACE-LOG residual on the power-law tail (0 is the ideal of brief §1.7).

    Parameters
    ----------
    eigenvalues : array_like of shape (n,)
        Positive eigenvalues.
    lower : float
        Tail cut-off in the units of `eigenvalues`.
    scale : float
        Factor to the normalised units.

    Returns
    -------
    float
    """
    lam = _values(eigenvalues)
    tail = lam[lam >= lower]
    with np.errstate(divide="ignore"):
        return float(np.sum(np.log(tail * scale)))


def mp_edges(ratio: float) -> tuple[float, float]:
    r"""Marchenko-Pastur support :math:`[(1-\sqrt c)^2, (1+\sqrt c)^2]` for unit variance.

    For an :math:`N \times M` matrix with i.i.d. entries of variance :math:`\sigma^2`, the
    eigenvalues of :math:`W^\top W / N` fill :math:`\sigma^2[(1-\sqrt c)^2, (1+\sqrt c)^2]` with
    :math:`c = M/N = 1/Q \le 1` (brief §1.3, :math:`\lambda^\pm = \sigma^2(1 \pm 1/\sqrt Q)^2`).

    Parameters
    ----------
    ratio : float
        :math:`c = M/N` in (0, 1].

    Returns
    -------
    (float, float)
        Lower and upper edge for :math:`\sigma^2 = 1`.
    """
    c = _ratio(ratio)
    return (1.0 - math.sqrt(c)) ** 2, (1.0 + math.sqrt(c)) ** 2


def _ratio(ratio: float) -> float:
    c = float(ratio)
    if not 0.0 < c <= 1.0:
        raise InputError(f"ratio: expected M/N in (0, 1], got {ratio!r}; pass min/max of the shape")
    return c


def mp_cdf(x: float, ratio: float) -> float:
    r"""Marchenko-Pastur CDF (unit variance) by quadrature of its density.

    .. math::

        \rho(x) = \frac{\sqrt{(x_+ - x)(x - x_-)}}{2\pi c\,x}, \qquad x \in [x_-, x_+].

    The substitution :math:`x = x_- + (x_+ - x_-)(1 - \cos\varphi)/2` removes the square-root
    end points (and the :math:`1/\sqrt x` pole at :math:`c = 1`), so plain Gauss-Kronrod
    quadrature is accurate to ~1e-12.

    Parameters
    ----------
    x : float
        Point.
    ratio : float
        :math:`c = M/N` in (0, 1].

    Returns
    -------
    float
    """
    c = _ratio(ratio)
    lo, hi = mp_edges(c)
    if x <= lo:
        return 0.0
    if x >= hi:
        return 1.0
    half = (hi - lo) / 2.0
    phi_x = math.acos(1.0 - (x - lo) / half)

    def integrand(phi: float) -> float:
        xx = lo + half * (1.0 - math.cos(phi))
        return (half * math.sin(phi)) ** 2 / (2.0 * math.pi * c * xx)

    value, _ = integrate.quad(integrand, 0.0, phi_x, epsabs=1e-13, epsrel=1e-12, limit=200)
    return float(value)


@functools.lru_cache(maxsize=256)
def mp_median(ratio: float) -> float:
    """Median of the unit-variance Marchenko-Pastur law with :math:`c = M/N` (root of the CDF).

    Cached: a model has a handful of layer shapes, and each costs ~40 CDF quadratures.
    """
    lo, hi = mp_edges(ratio)
    return float(optimize.brentq(lambda x: mp_cdf(x, ratio) - 0.5, lo, hi, xtol=1e-13))


def tracy_widom_width(n: int, m: int) -> float:
    r"""Scale of the largest-eigenvalue fluctuations of :math:`W^\top W/N` (Johnstone 2001).

    For i.i.d. unit-variance entries, :math:`\lambda_{\max}(W^\top W) \approx \mu + s\,TW_1`
    with :math:`\mu = (\sqrt N + \sqrt M)^2` and
    :math:`s = (\sqrt N + \sqrt M)(N^{-1/2} + M^{-1/2})^{1/3}`; divided by :math:`N` this returns
    :math:`s/N`, which shrinks as :math:`N^{-2/3}` (brief §1.3, :math:`\Delta_{TW}`).

    Parameters
    ----------
    n, m : int
        Larger and smaller side.

    Returns
    -------
    float
    """
    root = math.sqrt(n) + math.sqrt(m)
    return root * (1.0 / math.sqrt(n) + 1.0 / math.sqrt(m)) ** (1.0 / 3.0) / n


def bbp_spike_location(theta: float, ratio: float) -> float:
    r"""Limit of the top eigenvalue of :math:`(G/\sqrt N + \theta u v^\top)^\top(\cdot)`.

    Benaych-Georges & Nadakuditi (2012), the rectangular BBP transition (brief §2.5, §5.3.5):

    .. math::

        \lambda_{\max} \to (c + \theta^2)\Bigl(1 + \frac{1}{\theta^2}\Bigr)
        \ \text{ if } \theta > c^{1/4}, \quad\text{else } (1 + \sqrt c)^2,

    with :math:`c = M/N = 1/Q`, unit vectors :math:`u, v` and :math:`G` standard Gaussian.

    Parameters
    ----------
    theta : float
        Spike strength :math:`\theta \ge 0`.
    ratio : float
        :math:`c = M/N` in (0, 1].

    Returns
    -------
    float
    """
    c = _ratio(ratio)
    if theta <= c**0.25:
        return mp_edges(c)[1]
    return (c + theta**2) * (1.0 + 1.0 / theta**2)


def histogram_jsd(a: ArrayLike, b: ArrayLike, *, bins: int = 100) -> float:
    r"""Jensen-Shannon divergence (bits, in [0, 1]) of two ESDs on one log-spaced histogram grid.

    .. math::

        \mathrm{JSD}(p, q) = \tfrac12 \mathrm{KL}(p\,\|\,m) + \tfrac12 \mathrm{KL}(q\,\|\,m),
        \quad m = (p + q)/2,

    with :math:`p, q` the bin probabilities of :math:`\log_{10}\lambda` on `bins` equal bins
    spanning both samples (brief §1.3 Rand-Distance, §3.3 pitfall 12).

    Parameters
    ----------
    a, b : array_like
        Positive eigenvalues of the two ESDs.
    bins : int, default 100
        Number of bins.

    Returns
    -------
    float
    """
    va, vb = _values(a, name="a"), _values(b, name="b")
    la, lb = np.log10(va[va > 0]), np.log10(vb[vb > 0])
    lo, hi = min(la.min(), lb.min()), max(la.max(), lb.max())
    if hi <= lo:
        return 0.0
    edges = np.linspace(lo, hi, bins + 1)
    p = np.histogram(la, edges)[0] / la.size
    q = np.histogram(lb, edges)[0] / lb.size
    return _jsd(p, q, base=2.0)


def _jsd(p: NDArray[np.float64], q: NDArray[np.float64], *, base: float) -> float:
    m = 0.5 * (p + q)

    def kl(x: NDArray[np.float64]) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log(x[mask] / m[mask])))

    return max(0.0, 0.5 * (kl(p) + kl(q)) / math.log(base))


def quantile_js_distance(a: ArrayLike, b: ArrayLike) -> float:
    r"""WeightWatcher's ``rand_distance``: JS *distance* between sorted, sum-normalised vectors.

    Both vectors (same length) are sorted and divided by their sums, then treated as discrete
    distributions over the index: :math:`\sqrt{\mathrm{JSD}}` with natural logs (brief §2.5).
    This compares quantile profiles, not histogram densities; see :func:`histogram_jsd`.

    Parameters
    ----------
    a, b : array_like of shape (n,)
        Eigenvalues of the ESD and of the shuffled ESD.

    Returns
    -------
    float
    """
    x = np.sort(_values(a, name="a"))
    y = np.sort(_values(b, name="b"))
    if x.size != y.size:
        raise InputError(
            f"a, b: expected equally long eigenvalue vectors, got {x.size} and {y.size}; "
            "use histogram_jsd for different sizes"
        )
    return math.sqrt(_jsd(x / x.sum(), y / y.sum(), base=math.e))

r"""Continuous power-law tail fit with the joint (Clauset) choice of :math:`x_{\min}`.

:func:`fit_power_law` is the one entry point; :class:`PowerLawFit` is its frozen result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.tails._ks import CandidateModels, ks_extremes
from powertail.tails.truncated import (
    log_normalisation,
    solve_rate,
    truncated_cdf_parameters,
    variance_fraction,
)
from powertail.tails.validation import (
    check_choice,
    check_int,
    check_positive_scalar,
    positive_sample,
)

__all__ = ["KS_VARIANTS", "PowerLawFit", "fit_power_law"]

KSVariant = Literal["two-sided", "powerlaw", "ww"]
#: Accepted values of ``ks`` (see :func:`fit_power_law`).
KS_VARIANTS: tuple[str, ...] = ("two-sided", "powerlaw", "ww")


def _readonly(a: NDArray[np.float64]) -> NDArray[np.float64]:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PowerLawFit:
    r"""Result of :func:`fit_power_law` (names follow the ``powerlaw`` package).

    Attributes
    ----------
    alpha : float
        Density exponent :math:`\alpha` of :math:`p(x) \propto x^{-\alpha}` on the tail.
    xmin : float
        Lower end of the power-law tail.
    xmax : float or None
        Upper truncation point if the doubly truncated law was fitted, else ``None``.
    sigma : float
        Standard error of `alpha` from the Fisher information:
        :math:`(\alpha-1)/\sqrt{n_\mathrm{tail}}` without `xmax`; with `xmax`,
        :math:`1/(q\sqrt{n_\mathrm{tail} v(\beta q)})`
        (see :mod:`powertail.tails.truncated`).
    D : float
        Kolmogorov-Smirnov distance of the chosen tail, in the variant `ks`.
    n_tail : int
        Number of observations in the tail, :math:`x_{\min} \le x` (and :math:`\le x_{\max}`).
    n : int
        Number of observations passed in.
    ks : str
        KS variant used to choose `xmin`: ``"two-sided"``, ``"powerlaw"`` or ``"ww"``.
    min_tail : int
        Smallest tail size that was allowed.
    loglikelihood : float
        Total log-likelihood of the tail under the fitted law.
    fixed_xmin : bool
        True when `xmin` was given by the caller (no scan).
    xmin_candidates : ndarray of shape (c,)
        Every :math:`x_{\min}` that was tried, ascending.
    alpha_curve : ndarray of shape (c,)
        :math:`\hat\alpha(x_{\min})` for each candidate (NaN where the tail has no spread).
    D_curve : ndarray of shape (c,)
        :math:`D(x_{\min})` for each candidate (NaN where the tail has no spread).
    n_tail_curve : ndarray of shape (c,)
        Tail size for each candidate.
    """

    alpha: float
    xmin: float
    xmax: float | None
    sigma: float
    D: float
    n_tail: int
    n: int
    ks: str
    min_tail: int
    loglikelihood: float
    fixed_xmin: bool
    xmin_candidates: NDArray[np.float64]
    alpha_curve: NDArray[np.float64]
    D_curve: NDArray[np.float64]
    n_tail_curve: NDArray[np.float64]

    @property
    def standard_err(self) -> float:
        """Alias of `sigma` (the name ``powerlaw`` 2.x uses)."""
        return self.sigma

    def _log_q(self) -> float:
        return np.inf if self.xmax is None else float(np.log(self.xmax / self.xmin))

    def pdf(self, x: ArrayLike) -> NDArray[np.float64]:
        r"""Fitted density :math:`p(x)`, zero outside :math:`[x_{\min}, x_{\max}]`.

        .. math::

            p(x) = \frac{C(\beta)}{x_{\min}}\Bigl(\frac{x}{x_{\min}}\Bigr)^{-\alpha},
            \quad C = \frac{\beta}{1 - (x_{\max}/x_{\min})^{-\beta}},\ \beta = \alpha - 1

        Parameters
        ----------
        x : array_like
            Points at which to evaluate (any shape).

        Returns
        -------
        ndarray
            Same shape as `x`.
        """
        x = np.asarray(x, dtype=np.float64)
        log_c = float(log_normalisation(np.array(self.alpha - 1.0), np.array(self._log_q())))
        inside = (x >= self.xmin) & (x <= (np.inf if self.xmax is None else self.xmax))
        xs = np.where(inside, x, self.xmin)
        logp = log_c - np.log(self.xmin) - self.alpha * np.log(xs / self.xmin)
        return np.where(inside, np.exp(logp), 0.0)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        r"""Fitted CDF :math:`(1 - (x/x_{\min})^{-\beta}) / (1 - (x_{\max}/x_{\min})^{-\beta})`.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate (any shape); 0 below `xmin`, 1 above `xmax`.

        Returns
        -------
        ndarray
            Same shape as `x`.
        """
        x = np.asarray(x, dtype=np.float64)
        q = self._log_q()
        beta, omega, sig, rho = truncated_cdf_parameters(np.array(self.alpha - 1.0), np.array(q))
        d = np.log(np.where(x > self.xmin, x, self.xmin) / self.xmin)
        d = np.minimum(d, q)
        f = sig + rho * np.expm1(-beta * d + omega)
        return np.clip(f, 0.0, 1.0)

    def ccdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Fitted complementary CDF, ``1 - cdf(x)``.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate (any shape).

        Returns
        -------
        ndarray
            Same shape as `x`.
        """
        return 1.0 - self.cdf(x)

    def loglikelihoods(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log-density of each tail point of `x` (points outside the tail are dropped).

        Parameters
        ----------
        x : array_like of shape (n,)
            A sample, e.g. the one that was fitted.

        Returns
        -------
        ndarray of shape (n_tail,)
            :math:`\\ln p(x_i)` for the points with ``xmin <= x_i (<= xmax)``, ascending order.
        """
        x = np.sort(np.asarray(x, dtype=np.float64).ravel())
        upper = np.inf if self.xmax is None else self.xmax
        tail = x[(x >= self.xmin) & (x <= upper)]
        return np.log(self.pdf(tail))


@dataclass(frozen=True)
class _Columns:
    """Sorted kept data and the KS columns built from it."""

    x: NDArray[np.float64]  # sorted data (<= xmax)
    log_x: NDArray[np.float64]
    values: NDArray[np.float64]  # column values (distinct values, or every point for "ww")
    log_values: NDArray[np.float64]
    lo: NDArray[np.float64]  # data points < value
    hi: NDArray[np.float64]  # data points <= value


def _columns(x_sorted: NDArray[np.float64], ks: str) -> _Columns:
    log_x = np.log(x_sorted)
    if ks == "ww":
        # WeightWatcher compares with j/k for every index j, duplicates included.
        idx = np.arange(x_sorted.size, dtype=np.float64)
        return _Columns(x_sorted, log_x, x_sorted, log_x, idx, idx + 1.0)
    values, first, counts = np.unique(x_sorted, return_index=True, return_counts=True)
    lo = first.astype(np.float64)
    return _Columns(x_sorted, log_x, values, np.log(values), lo, lo + counts)


def _check_range(
    xmin_range: tuple[float, float] | None,
) -> tuple[float, float] | None:
    if xmin_range is None:
        return None
    try:
        lo, hi = (float(v) for v in xmin_range)
    except (TypeError, ValueError):
        raise InputError(
            f"xmin_range must be a pair (low, high) of positive numbers; got {xmin_range!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise InputError(
            f"xmin_range must satisfy 0 < low <= high (finite); got {xmin_range!r}; "
            f"pass e.g. (np.percentile(x, 50), np.percentile(x, 99))"
        )
    return lo, hi


def fit_power_law(
    x: ArrayLike,
    *,
    xmin: float | None = None,
    xmax: float | None = None,
    ks: KSVariant = "two-sided",
    min_tail: int = 10,
    xmin_range: tuple[float, float] | None = None,
) -> PowerLawFit:
    r"""Fit a continuous power-law tail by maximum likelihood, choosing :math:`x_{\min}` by KS.

    For a cut-off :math:`x_{\min}` with the :math:`k` points :math:`x_i \ge x_{\min}` the MLE of
    the Pareto density :math:`p(x) = \frac{\alpha-1}{x_{\min}}(x/x_{\min})^{-\alpha}` is
    (Clauset, Shalizi & Newman 2009, Eq. 3.1 and 3.2)

    .. math::

        \hat\alpha = 1 + k\Bigl[\sum_{i=1}^{k}\ln\frac{x_i}{x_{\min}}\Bigr]^{-1},
        \qquad \sigma = \frac{\hat\alpha - 1}{\sqrt k}.

    Unless `xmin` is given, every candidate :math:`x_{\min}` (see `ks`) is tried and the one
    with the smallest Kolmogorov-Smirnov distance between the fitted CDF :math:`F` and the
    empirical CDF of its tail is kept (Clauset et al. 2009, Eq. 3.9). The scan is exact and
    vectorised: suffix sums of :math:`\ln x` give every :math:`\hat\alpha` in :math:`O(n)`, and
    the :math:`O(n^2)` KS work runs in fixed-size NumPy blocks (a 4 MiB buffer).

    With `xmax`, the doubly truncated law on :math:`[x_{\min}, x_{\max}]` with density
    :math:`\frac{\alpha-1}{x_{\min}^{1-\alpha}-x_{\max}^{1-\alpha}}x^{-\alpha}` is fitted by
    solving its likelihood equation exactly (see :mod:`powertail.tails.truncated`), data
    above `xmax` are dropped, and the KS distance uses the truncated CDF.

    Parameters
    ----------
    x : array_like of shape (n,)
        Observations, all finite and strictly positive.
    xmin : float, optional
        Fix the lower cut-off instead of scanning (it need not be a data value).
    xmax : float, optional
        Upper truncation point; fits the doubly truncated power law. ``None`` (default)
        fits the untruncated law, as WeightWatcher's default and ``powerlaw.Fit`` do.
    ks : {"two-sided", "powerlaw", "ww"}, default "two-sided"
        KS distance used to choose `xmin`, with :math:`k` tail points and, at each distinct
        tail value :math:`v`, :math:`c_<(v)` / :math:`c_\le(v)` tail points below / up to
        :math:`v`:

        * ``"two-sided"``: the supremum distance of Clauset et al.,
          :math:`D = \max_v \max\{F(v) - c_<(v)/k,\ c_\le(v)/k - F(v)\}`.
          Candidates are the distinct data values.
        * ``"powerlaw"``: what ``powerlaw`` 2.0.0 computes,
          :math:`D = \max_v |F(v) - c_<(v)/k|` (left limits of the empirical CDF only);
          candidates are the distinct data values. Use it to reproduce
          ``powerlaw.Fit(x).power_law.D`` and its `xmin` exactly.
        * ``"ww"``: WeightWatcher 0.7.5.5 (``WWFit``): every sorted index :math:`i` is a
          candidate (duplicates kept), :math:`D_i = \max_{j \ge i} |F(x_j) - (j-i)/k|`,
          and :math:`D_i = 1` if :math:`\hat\alpha_i \le 1`.
    min_tail : int, default 10
        Smallest number of tail points a candidate may leave (at least 2). The default 10
        keeps the scan away from the few largest points, where a handful of values can fake a
        low KS distance with a spurious :math:`\alpha`. ``powerlaw`` effectively uses 3 and
        WeightWatcher 2: pass ``min_tail=2`` (with ``ks="ww"``) to reproduce WeightWatcher.
    xmin_range : (float, float), optional
        Only candidates with ``low <= xmin <= high`` are scanned.

    Returns
    -------
    PowerLawFit
        The chosen fit plus the whole scan (`xmin_candidates`, `alpha_curve`, `D_curve`).

    Raises
    ------
    InputError
        If `x` is not a 1-D sample of at least 2 finite, strictly positive, not all equal
        values; if an option is out of range (``min_tail < 2``, ``xmax <= xmin``, both `xmin`
        and `xmin_range`, unknown `ks`); if `xmin` is above the data or leaves fewer than
        `min_tail` points; or if no candidate leaves `min_tail` points.

    Notes
    -----
    ``powerlaw`` 2.0.0 differs from this function in three places that can change the chosen
    `xmin` on some samples: its default parameter range rejects every candidate with
    :math:`\hat\alpha \ge 3`, it fits :math:`\alpha \le 1.5` numerically (Nelder-Mead,
    tolerance 1e-4), and with `xmax` it keeps the *untruncated* closed-form
    :math:`\hat\alpha` for :math:`\hat\alpha \in (1.5, 3]` (only its KS uses the truncated CDF).

    References
    ----------
    Clauset, Shalizi & Newman (2009), "Power-law distributions in empirical data",
    SIAM Review 51, 661-703, arXiv:0706.1062.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = (1 - rng.random(5000)) ** (-1 / 1.5)  # Pareto, alpha = 2.5, xmin = 1
    >>> fit = fit_power_law(x)
    >>> bool(abs(fit.alpha - 2.5) < 3 * fit.sigma)
    True
    """
    data = positive_sample(x, name="x")
    ks = check_choice(ks, name="ks", choices=KS_VARIANTS)
    min_tail = check_int(min_tail, name="min_tail", minimum=2)
    xmin_v = check_positive_scalar(xmin, name="xmin", allow_none=True)
    xmax_v = check_positive_scalar(xmax, name="xmax", allow_none=True)
    rng_v = _check_range(xmin_range)
    if xmin_v is not None and rng_v is not None:
        raise InputError(
            "xmin and xmin_range are mutually exclusive; got both; pass xmin to fix the "
            "cut-off or xmin_range to restrict the scan"
        )
    if xmin_v is not None and xmax_v is not None and xmax_v <= xmin_v:
        raise InputError(f"xmax must be greater than xmin; got xmin={xmin_v}, xmax={xmax_v}")

    x_sorted = np.sort(data)
    if xmax_v is not None:
        x_sorted = x_sorted[x_sorted <= xmax_v]
        if x_sorted.size < 2:
            raise InputError(
                f"xmax={xmax_v} keeps {x_sorted.size} of {data.size} points (need >= 2); "
                f"the data start at {data.min()}; raise xmax"
            )
    cols = _columns(x_sorted, ks)
    n_kept = x_sorted.size

    if xmin_v is not None:
        if xmin_v > x_sorted[-1]:
            raise InputError(
                f"xmin={xmin_v} is above every data point (largest {x_sorted[-1]}"
                f"{'' if xmax_v is None else ' not above xmax'}); pass a smaller xmin"
            )
        start = np.array([np.searchsorted(x_sorted, xmin_v, side="left")])
        col_start = np.array([np.searchsorted(cols.values, xmin_v, side="left")])
        log_xmin = np.array([np.log(xmin_v)])
        k = n_kept - start
        if k[0] < min_tail:
            raise InputError(
                f"xmin={xmin_v} leaves {int(k[0])} points in the tail but min_tail={min_tail}; "
                f"lower xmin or pass a smaller min_tail (>= 2)"
            )
        cand_values = np.array([xmin_v])
    else:
        col_start = np.arange(cols.values.size)
        start = cols.lo.astype(np.int64)
        k = n_kept - start
        keep = k >= min_tail
        if xmax_v is not None:
            keep &= cols.values < xmax_v
        if rng_v is not None:
            keep &= (cols.values >= rng_v[0]) & (cols.values <= rng_v[1])
        col_start, start, k = col_start[keep], start[keep], k[keep]
        if col_start.size == 0:
            where = "" if rng_v is None else f" inside xmin_range={rng_v}"
            raise InputError(
                f"no candidate xmin{where} leaves min_tail={min_tail} points ({n_kept} data "
                f"points{'' if xmax_v is None else f' <= xmax={xmax_v}'}); pass a smaller "
                f"min_tail or widen xmin_range"
            )
        cand_values = cols.values[col_start]
        log_xmin = cols.log_values[col_start]

    k_f = k.astype(np.float64)
    # Suffix sums of centred logs, accumulated from the largest value down: sum_{j>=s} L_j.
    ref = cols.log_values[0]
    suffix = np.concatenate([np.cumsum((cols.log_x - ref)[::-1])[::-1], [0.0]])
    spread = suffix[start] - k_f * (log_xmin - ref)  # sum_i ln(x_i / xmin), Clauset Eq. 3.1
    mean_log = spread / k_f
    if xmax_v is None:
        q = np.full(k.size, np.inf)
        valid = spread > 0
        beta = np.where(valid, k_f / np.where(valid, spread, 1.0), np.nan)
        sig_curve = beta / np.sqrt(k_f)
    else:
        q = np.log(xmax_v) - log_xmin
        u = mean_log / q
        valid = (u > 0) & (u < 1)
        s = np.full(k.size, np.nan)
        s[valid] = solve_rate(u[valid])
        beta = s / q
        sig_curve = 1.0 / (q * np.sqrt(k_f * variance_fraction(np.where(valid, s, 0.0))))
    alpha_curve = np.where(valid, 1.0 + beta, np.nan)

    d_curve = np.full(k.size, np.nan)
    if valid.any():
        b_used, omega, sig, rho = truncated_cdf_parameters(beta[valid], q[valid])
        models = CandidateModels(
            col_start=col_start[valid],
            log_xmin=log_xmin[valid],
            k=k_f[valid],
            s=start[valid].astype(np.float64),
            beta=b_used,
            omega=omega,
            sigma=sig,
            rho=rho,
        )
        ext = ks_extremes(cols.log_values, cols.lo, cols.hi, models)
        if ks == "two-sided":
            dv = np.maximum(ext.a_max, ext.b_max)
        else:
            dv = np.maximum(ext.a_max, -ext.a_min)
        if ks == "ww":
            dv = np.where(alpha_curve[valid] <= 1.0, 1.0, dv)
        d_curve[valid] = dv
    if not valid.any():
        raise InputError(
            "x has no spread above any allowed xmin (every candidate tail holds a single "
            f"repeated value); got {data.size} points with {np.unique(data).size} distinct "
            "values; lower xmin or min_tail"
        )
    best = int(np.nanargmin(d_curve))
    alpha = float(alpha_curve[best])
    b = alpha - 1.0
    # Total log-likelihood: sum ln p = k (ln C - ln xmin) - alpha * sum ln(x_i/xmin)
    log_c = float(log_normalisation(np.array(b), np.array(q[best])))
    loglik = float(k_f[best] * (log_c - log_xmin[best]) - alpha * spread[best])
    return PowerLawFit(
        alpha=alpha,
        xmin=float(cand_values[best]),
        xmax=xmax_v,
        sigma=float(sig_curve[best]),
        D=float(d_curve[best]),
        n_tail=int(k[best]),
        n=int(data.size),
        ks=ks,
        min_tail=min_tail,
        loglikelihood=loglik,
        fixed_xmin=xmin_v is not None,
        xmin_candidates=_readonly(cand_values),
        alpha_curve=_readonly(alpha_curve),
        D_curve=_readonly(d_curve),
        n_tail_curve=_readonly(k_f),
    )

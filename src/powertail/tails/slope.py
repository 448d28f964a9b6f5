r"""Logarithmic slopes :math:`d\ln y / d\ln r` of radial or velocity profiles.

Used for density profiles :math:`\rho(r)` of halos and stellar populations and for the tails of
velocity distributions: :func:`log_slope` gives the local slope profile, :func:`fit_log_slope`
one power law over a range, and :func:`density_profile` turns particle radii into a binned
density profile to feed them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.tails.validation import check_int, finite_vector

__all__ = ["DensityProfile", "LogSlopeFit", "density_profile", "fit_log_slope", "log_slope"]


def _profile(
    r: ArrayLike, y: ArrayLike, min_size: int, need: str
) -> tuple[NDArray[np.float64], ...]:
    rr = finite_vector(r, name="r")
    yy = finite_vector(y, name="y")
    if rr.shape != yy.shape:
        raise InputError(
            f"r and y must have the same length; got {rr.size} and {yy.size}; pass y "
            f"evaluated at every r"
        )
    if rr.size < min_size:
        raise InputError(f"the profile must have at least {need}; got {rr.size} points")
    for name, arr in (("r", rr), ("y", yy)):
        bad = arr <= 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{name} must be strictly positive for a log-log slope; got {int(bad.sum())} "
                f"entries <= 0 (first at index {i}: {arr[i]}); drop them (e.g. empty bins) first"
            )
    steps = np.diff(rr)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise InputError(
            f"r must be strictly increasing; got r[{i}]={rr[i]} >= r[{i + 1}]={rr[i + 1]}; "
            f"sort r (and y with it) and merge repeated radii"
        )
    return rr, yy


def log_slope(r: ArrayLike, y: ArrayLike, *, window: int = 5) -> NDArray[np.float64]:
    r"""Local logarithmic slope :math:`\gamma(r) = d\ln y / d\ln r` of a sampled profile.

    At each point :math:`i` a quadratic in :math:`u = \ln r` is fitted by least squares to
    :math:`v = \ln y` over `window` consecutive points centred on :math:`i` (moved inwards at the
    two ends so that it always holds `window` points), and its derivative at :math:`u_i` is
    returned (a Savitzky-Golay derivative on the possibly non-uniform log grid):

    .. math::

        \min_{c}\sum_{j\in W_i}\bigl(v_j - c_0 - c_1 (u_j - u_i) - c_2 (u_j - u_i)^2\bigr)^2,
        \qquad \gamma_i = c_1 .

    It is exact for power laws (and for any :math:`v` quadratic in :math:`u`); on a smooth
    profile with log-spacing :math:`h` the error is :math:`O(h^2)`, also at the end points.

    Parameters
    ----------
    r : array_like of shape (n,)
        Strictly increasing, positive radii (or speeds).
    y : array_like of shape (n,)
        Positive profile values at `r`.
    window : int, default 5
        Odd number of points per local fit, at least 3 and at most n. Larger windows average
        more noise (e.g. of a histogram) at the price of resolution.

    Returns
    -------
    ndarray of shape (n,)
        The local slope at every `r`.

    Raises
    ------
    InputError
        If `r`/`y` are not positive, finite, equally long, `r` is not strictly increasing, or
        `window` is even, < 3 or > n.
    """
    window = check_int(window, name="window", minimum=3)
    if window % 2 == 0:
        raise InputError(f"window must be odd (centred fits); got {window}; pass {window + 1}")
    rr, yy = _profile(r, y, window, f"window={window} points (pass a smaller odd window)")
    u, v = np.log(rr), np.log(yy)
    n = rr.size
    starts = np.clip(np.arange(n) - window // 2, 0, n - window)
    idx = starts[:, None] + np.arange(window)[None, :]
    du = u[idx] - u[:, None]  # (n, window), offsets from the evaluation point
    dv = v[idx] - v[:, None]
    # Scale the offsets so the 3x3 normal equations stay well conditioned.
    scale = np.abs(du).max(axis=1, keepdims=True)
    t = du / scale
    powers = t[:, :, None] ** np.arange(3)[None, None, :]  # (n, window, 3): 1, t, t^2
    normal = np.einsum("nwi,nwj->nij", powers, powers)
    rhs = np.einsum("nwi,nw->ni", powers, dv)
    coef = np.linalg.solve(normal, rhs[:, :, None])[:, :, 0]
    return coef[:, 1] / scale[:, 0]


class LogSlopeFit(NamedTuple):
    """Result of :func:`fit_log_slope`; unpacks as ``slope, stderr``."""

    slope: float
    stderr: float


def fit_log_slope(
    r: ArrayLike,
    y: ArrayLike,
    *,
    rmin: float | None = None,
    rmax: float | None = None,
) -> LogSlopeFit:
    r"""Fit one power law :math:`y \propto r^{\gamma}` on :math:`r_{\min} \le r \le r_{\max}`.

    Ordinary least squares of :math:`v = \ln y` on :math:`u = \ln r` over the :math:`m`
    selected points:

    .. math::

        \hat\gamma = \frac{S_{uv}}{S_{uu}}, \qquad
        \mathrm{se}(\hat\gamma) = \sqrt{\frac{\sum (v - \hat v)^2 / (m - 2)}{S_{uu}}} .

    Parameters
    ----------
    r : array_like of shape (n,)
        Strictly increasing positive radii.
    y : array_like of shape (n,)
        Positive profile values.
    rmin, rmax : float, optional
        Inclusive range of `r` used; default the whole profile.

    Returns
    -------
    LogSlopeFit
        ``(slope, stderr)``.

    Raises
    ------
    InputError
        On invalid profiles, or if fewer than 3 points lie in ``[rmin, rmax]``.
    """
    rr, yy = _profile(r, y, 3, "3 points for a slope and its error")
    lo = -np.inf if rmin is None else float(rmin)
    hi = np.inf if rmax is None else float(rmax)
    if not lo <= hi:
        raise InputError(f"rmin must not exceed rmax; got rmin={rmin}, rmax={rmax}")
    sel = (rr >= lo) & (rr <= hi)
    m = int(sel.sum())
    if m < 3:
        raise InputError(
            f"fit_log_slope needs at least 3 points in [rmin, rmax] = [{lo}, {hi}]; got {m} "
            f"(r spans {rr[0]} to {rr[-1]}); widen the range"
        )
    u, v = np.log(rr[sel]), np.log(yy[sel])
    du = u - u.mean()
    suu = float(du @ du)
    slope = float(du @ (v - v.mean())) / suu
    resid = v - v.mean() - slope * du
    stderr = math.sqrt(float(resid @ resid) / (m - 2) / suu)
    return LogSlopeFit(slope=slope, stderr=stderr)


@dataclass(frozen=True, eq=False)
class DensityProfile:
    """Binned radial density from :func:`density_profile` (arrays of shape (n_bins,)).

    Attributes
    ----------
    r : ndarray
        Bin centres: geometric mean of the edges (log bins) or arithmetic mean (linear bins).
    density : ndarray
        Weight per unit shell volume in each bin (0 for empty bins).
    error : ndarray
        Poisson error of `density`, ``sqrt(sum w^2) / volume``.
    counts : ndarray
        Number of samples in each bin.
    edges : ndarray of shape (n_bins + 1,)
        Bin edges.
    dim : int
        Dimension of the shells (1, 2 or 3).
    """

    r: NDArray[np.float64]
    density: NDArray[np.float64]
    error: NDArray[np.float64]
    counts: NDArray[np.float64]
    edges: NDArray[np.float64]
    dim: int

    def nonempty(self) -> NDArray[np.bool_]:
        """Mask of bins holding at least one sample (use before a log slope)."""
        return self.counts > 0


_SHELL_FACTOR = {1: 1.0, 2: math.pi, 3: 4.0 * math.pi / 3.0}  # volume of the unit d-ball


def density_profile(
    samples: ArrayLike,
    *,
    bins: int | ArrayLike = 30,
    dim: Literal[1, 2, 3] = 3,
    weights: ArrayLike | None = None,
    spacing: Literal["log", "linear"] = "log",
) -> DensityProfile:
    r"""Histogram radii (or speeds) into a density per unit shell volume.

    .. math::

        \rho_b = \frac{\sum_{i \in b} w_i}{V_d\,(r_{b+1}^{\,d} - r_b^{\,d})}, \qquad
        V_1 = 1,\ V_2 = \pi,\ V_3 = 4\pi/3

    so that ``dim=3`` gives a spherical number (or mass) density, ``dim=2`` a projected surface
    density and ``dim=1`` the plain distribution density of `samples` (times the total weight).

    Parameters
    ----------
    samples : array_like of shape (n,)
        Non-negative radii; must be positive with ``spacing="log"``.
    bins : int or array_like, default 30
        Number of bins between the smallest and largest sample, or the bin edges
        (strictly increasing, non-negative).
    dim : {1, 2, 3}, default 3
        Dimension of the shells.
    weights : array_like of shape (n,), optional
        Mass (or any weight) of every sample; default 1 (number density).
    spacing : {"log", "linear"}, default "log"
        Spacing of generated edges when `bins` is an int.

    Returns
    -------
    DensityProfile
        Centres, densities, Poisson errors, counts and edges.

    Raises
    ------
    InputError
        On invalid samples, weights, bins or dim.
    """
    rad = finite_vector(samples, name="samples", min_size=1)
    if np.any(rad < 0):
        i = int(np.flatnonzero(rad < 0)[0])
        raise InputError(
            f"samples must be radii >= 0; got {int((rad < 0).sum())} negative entries (first at "
            f"index {i}: {rad[i]}); pass np.abs(samples) or the norm of the vectors"
        )
    if dim not in _SHELL_FACTOR:
        raise InputError(f"dim must be 1, 2 or 3; got {dim!r}")
    if spacing not in ("log", "linear"):
        raise InputError(f"spacing must be 'log' or 'linear'; got {spacing!r}")
    w = np.ones_like(rad) if weights is None else finite_vector(weights, name="weights")
    if w.shape != rad.shape:
        raise InputError(
            f"weights must have one entry per sample; got {w.size} weights for {rad.size} samples"
        )
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        nb = check_int(int(bins), name="bins", minimum=1)
        lo, hi = float(rad.min()), float(rad.max())
        if spacing == "log":
            if lo <= 0:
                raise InputError(
                    "samples must be > 0 for log-spaced bins; got a sample equal to 0; pass "
                    "spacing='linear' or explicit bin edges"
                )
            if lo == hi:
                raise InputError(f"samples must span a range to bin; all equal {lo}")
            edges = np.geomspace(lo, hi, nb + 1)
        else:
            if lo == hi:
                raise InputError(f"samples must span a range to bin; all equal {lo}")
            edges = np.linspace(lo, hi, nb + 1)
    else:
        edges = finite_vector(bins, name="bins", min_size=2)
        if np.any(np.diff(edges) <= 0) or edges[0] < 0:
            raise InputError(
                "bins, when given as edges, must be non-negative and strictly increasing; "
                f"got {edges[:5]}{'...' if edges.size > 5 else ''}"
            )
    counts, _ = np.histogram(rad, bins=edges)
    mass, _ = np.histogram(rad, bins=edges, weights=w)
    mass2, _ = np.histogram(rad, bins=edges, weights=w * w)
    volume = _SHELL_FACTOR[dim] * (edges[1:] ** dim - edges[:-1] ** dim)
    geometric = spacing == "log" and edges[0] > 0
    centres = np.sqrt(edges[1:] * edges[:-1]) if geometric else 0.5 * (edges[1:] + edges[:-1])
    return DensityProfile(
        r=centres,
        density=mass / volume,
        error=np.sqrt(mass2) / volume,
        counts=counts.astype(np.float64),
        edges=edges,
        dim=int(dim),
    )

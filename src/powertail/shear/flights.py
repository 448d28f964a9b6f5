r"""Free flights: the integrated collision rate and exact sampling of the next collision time.

Along a flight :math:`w(s) = (w_1 - K w_2 s, w_2, w_3)` the survival probability is
:math:`\exp(-\Lambda(s))`, :math:`\Lambda(s) = \int_0^s \lambda(w(r))\,dr`. The next collision
time solves :math:`\Lambda(s) = E`, :math:`E \sim \mathrm{Exp}(1)` (brief 2.3):

* constant rate (:math:`\gamma = 0`, BGK): :math:`s = E / c_0`;
* δ-model: closed-form :math:`\Lambda` (:func:`delta_flight_integral`) inverted by a
  safeguarded Newton iteration, or the large-argument series (:func:`delta_next_collision`);
* Maxwellian background, :math:`\gamma \ne 0`: thinning with a piecewise-constant majorant on
  intervals of the flight (:func:`thinned_next_collision`).

No time step anywhere. All states are ``np.longdouble`` so that :math:`|w_1|` may pass the
float64 range (brief 5, item 2).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.shear.model import ShearModel, collision_rate
from powertail.shear.streams import ParticleStreams

__all__ = [
    "ASYMPTOTIC_SWITCH",
    "delta_flight_integral",
    "delta_next_collision",
    "h_function",
    "h_infinity",
    "h_inverse",
    "thinned_next_collision",
]

LD = np.longdouble

ASYMPTOTIC_SWITCH = 1.0e4
r"""Above this :math:`|z|`, :math:`h(z)` uses its large-argument series (relative error of the
dropped :math:`O(|z|^{-3-a})` term below 1e-16 of the leading term) instead of SciPy's ``hyp2f1``
(brief 4.2, item 10)."""

_NEWTON_ITERATIONS = 80
"""Cap on the safeguarded Newton steps of :func:`h_inverse` (each at least halves the bracket)."""


def h_infinity(a: float) -> float:
    r""":math:`h_\infty = \frac{\sqrt\pi}{2}\,\Gamma(\frac{a-1}{2})/\Gamma(\frac a2)`
    (brief 1.5): the constant of :math:`h(z) = \mathrm{sign}(z)[|z|^{1-a}/(1-a) + h_\infty] + \dots`
    for :math:`a < 1`, and the finite limit :math:`h(\infty)` for :math:`a > 1`."""
    return 0.5 * math.sqrt(math.pi) * math.gamma((a - 1.0) / 2.0) / math.gamma(a / 2.0)


def h_function(z: ArrayLike, a: float) -> NDArray[np.longdouble]:
    r"""The flight integral :math:`h(z) = \int_0^z (1+x^2)^{-a/2}\,dx` of brief section 1.5.

    .. math::

        h(z) = z\,{}_2F_1\bigl(\tfrac12, \tfrac a2; \tfrac32; -z^2\bigr), \qquad
        h(z) \approx \mathrm{sign}(z)\Bigl[\frac{|z|^{1-a}}{1-a} + h_\infty
              + \frac{a}{2(1+a)}|z|^{-1-a}\Bigr] \ (|z| > \text{ASYMPTOTIC\_SWITCH}),

    and :math:`h = \operatorname{arsinh} z` for :math:`a = 1`.

    Parameters
    ----------
    z : array_like (float64 or longdouble)
    a : float
        :math:`a = -\gamma > 0`.

    Returns
    -------
    ndarray of longdouble, same shape as `z`
    """
    from scipy.special import hyp2f1

    zz = np.asarray(z, dtype=LD)
    if a == 1.0:
        return np.arcsinh(zz)
    out = np.empty(zz.shape, dtype=LD)
    az = np.abs(zz)
    small = az <= ASYMPTOTIC_SWITCH
    zs = np.asarray(zz[small], dtype=np.float64)
    out[small] = zs * hyp2f1(0.5, a / 2.0, 1.5, -(zs**2))
    big = az[~small]
    tail = big ** (1.0 - a) / (1.0 - a) + h_infinity(a) + a / (2.0 * (1.0 + a)) * big ** (-1.0 - a)
    out[~small] = np.sign(zz[~small]) * tail
    return out


def h_inverse(target: ArrayLike, a: float) -> NDArray[np.longdouble]:
    r"""Solve :math:`h(z) = H` for :math:`z` (:math:`h` odd and increasing; see :func:`h_function`).

    Returns :math:`\pm\infty` where :math:`a > 1` and :math:`|H| \ge h(\infty) = h_\infty`
    (the flight never ends: frozen collisions, brief 1.10).
    """
    H = np.asarray(target, dtype=LD)
    sign = np.sign(H)
    aH = np.abs(H)
    out = np.empty(H.shape, dtype=LD)
    if a == 1.0:
        with np.errstate(over="ignore"):  # beyond the longdouble range: the flight never ends
            return np.sinh(H)
    hinf = h_infinity(a)
    never = np.zeros(H.shape, dtype=bool) if a < 1.0 else aH >= hinf
    h_switch = float(h_function(np.asarray([ASYMPTOTIC_SWITCH]), a)[0])
    big = (aH > h_switch) & ~never
    small = ~big & ~never
    out[never] = np.inf
    if np.any(big):
        # Newton on the large-argument series, started from its leading-order inverse.
        Hb = aH[big]
        z = ((1.0 - a) * (Hb - hinf)) ** (1.0 / (1.0 - a))
        for _ in range(4):
            g = z ** (1.0 - a) / (1.0 - a) + hinf + a / (2.0 * (1.0 + a)) * z ** (-1.0 - a) - Hb
            dg = z ** (-a) - 0.5 * a * z ** (-2.0 - a)
            z = z - g / dg
        out[big] = z
    if np.any(small):
        out[small] = _newton_small(np.asarray(aH[small], dtype=np.float64), a)
    return sign * out


def _newton_small(H: NDArray[np.float64], a: float) -> NDArray[np.float64]:
    """Bracketed Newton for 0 <= h(z) = H <= h(ASYMPTOTIC_SWITCH), z in [0, ASYMPTOTIC_SWITCH]."""
    from scipy.special import hyp2f1

    lo = np.zeros_like(H)
    hi = np.full_like(H, ASYMPTOTIC_SWITCH)
    z = np.minimum(H, ASYMPTOTIC_SWITCH)  # h(z) <= z for a > 0, so z = H is never too small
    if a < 1.0:
        guess = ((1.0 - a) * np.maximum(H - h_infinity(a), 0.0)) ** (1.0 / (1.0 - a))
        z = np.clip(np.where(H > 5.0, guess, z), 0.0, ASYMPTOTIC_SWITCH)
    todo = np.ones(H.shape, dtype=bool)
    for _ in range(_NEWTON_ITERATIONS):
        zt = z[todo]
        g = zt * hyp2f1(0.5, a / 2.0, 1.5, -(zt**2)) - H[todo]
        lo_t, hi_t = lo[todo], hi[todo]
        lo_t = np.where(g < 0, zt, lo_t)
        hi_t = np.where(g > 0, zt, hi_t)
        step = g * (1.0 + zt**2) ** (a / 2.0)
        znew = zt - step
        outside = (znew <= lo_t) | (znew >= hi_t)
        znew = np.where(outside, 0.5 * (lo_t + hi_t), znew)
        lo[todo], hi[todo] = lo_t, hi_t
        converged = np.abs(znew - zt) <= 4e-16 * np.maximum(1.0, np.abs(zt))
        z[todo] = znew
        idx = np.flatnonzero(todo)
        todo[idx[converged]] = False
        if not todo.any():
            break
    return z


def delta_flight_integral(model: ShearModel, w: ArrayLike, s: ArrayLike) -> NDArray[np.longdouble]:
    r"""Integrated δ-model rate :math:`\Lambda(s)` along the flight from ``w`` (brief 1.5).

    .. math::

        \Lambda(s) = \frac{c_0 \rho^{1-a}}{K |w_2|}\,\bigl|h(z(s)) - h(z(0))\bigr|, \qquad
        z(s) = \frac{K w_2 s - w_1}{\rho}, \quad \rho = \sqrt{w_2^2 + w_3^2}.

    When :math:`K w_2 = 0` the speed is constant and :math:`\Lambda(s) = c_0 |w|^{-a} s`.

    Parameters
    ----------
    model : ShearModel
        A ``background="delta"`` model.
    w : array_like of shape (n, 3)
    s : array_like of shape (n,)
        Flight durations.

    Returns
    -------
    ndarray of longdouble, shape (n,)
    """
    ww = np.asarray(w, dtype=LD).reshape(-1, 3)
    ss = np.asarray(s, dtype=LD).reshape(-1)
    a, K, c0 = model.a, model.shear, model.c0
    rho = np.sqrt(ww[:, 1] ** 2 + ww[:, 2] ** 2)
    static = (ww[:, 1] == 0) | (K == 0)
    out = np.empty(ss.shape, dtype=LD)
    speed = np.sqrt(np.sum(ww[static] ** 2, axis=1))
    out[static] = c0 * speed ** (-a) * ss[static]
    m = ~static
    if np.any(m):
        w1, w2, r = ww[m, 0], ww[m, 1], rho[m]
        z0 = -w1 / r
        z1 = (K * w2 * ss[m] - w1) / r
        out[m] = (
            c0 * r ** (1.0 - a) / (K * np.abs(w2)) * np.abs(h_function(z1, a) - h_function(z0, a))
        )
    return out


def delta_next_collision(
    model: ShearModel, w: NDArray[np.longdouble], e: NDArray[np.float64]
) -> NDArray[np.longdouble]:
    r"""Exact next collision time of the δ-model: solve :math:`\Lambda(s) = E` (brief 2.3, case 2).

    :math:`h(z_1) = h(z_0) + \mathrm{sign}(w_2)\,E K|w_2| / (c_0\rho^{1-a})`,
    :math:`s = \rho (z_1 - z_0)/(K w_2)`; :math:`+\infty` when the flight never ends
    (:math:`a > 1`).

    Parameters
    ----------
    model : ShearModel
    w : ndarray of longdouble, shape (n, 3)
    e : ndarray of float64, shape (n,)
        Exp(1) numbers.

    Returns
    -------
    ndarray of longdouble, shape (n,)
    """
    a, K, c0 = model.a, model.shear, model.c0
    rho = np.sqrt(w[:, 1] ** 2 + w[:, 2] ** 2)
    static = (w[:, 1] == 0) | (K == 0)
    s = np.empty(e.shape, dtype=w.dtype)
    speed = np.sqrt(np.sum(w[static] ** 2, axis=1))
    s[static] = e[static] * speed**a / c0
    m = ~static
    if np.any(m):
        w1, w2, r = w[m, 0], w[m, 1], rho[m]
        z0 = -w1 / r
        target = h_function(z0, a) + np.sign(w2) * e[m] * K * np.abs(w2) / (c0 * r ** (1.0 - a))
        z1 = h_inverse(target, a)
        s[m] = r * (z1 - z0) / (K * w2)
    return s


RATE_TABLE_SIZE = 16385
r"""Nodes of the exact-value table of :math:`\lambda` used for squeeze bounds in thinning (equally
spaced in :math:`\operatorname{arsinh}|w|`: neighbouring nodes differ by about 4 % in speed)."""
RATE_TABLE_SPEED_MAX = 1.0e300
"""The table covers speeds up to this; beyond it rates are computed directly."""


@lru_cache(maxsize=32)
def _rate_table(model: ShearModel) -> tuple[NDArray[np.float64], float]:
    """Exact rates at nodes equally spaced in arsinh(speed), for monotone squeeze bounds."""
    nodes = np.linspace(0.0, math.asinh(RATE_TABLE_SPEED_MAX), RATE_TABLE_SIZE)
    return collision_rate(model, np.sinh(nodes)), float(nodes[1] - nodes[0])


def _rate_bounds(
    model: ShearModel, speed: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    r"""Lower and upper bounds of :math:`\lambda` at ``speed`` from the table (exact node values;
    :math:`\lambda` is monotone in the speed), and where the speed lies outside the table."""
    values, step = _rate_table(model)
    with np.errstate(over="ignore"):
        sp = np.asarray(speed, dtype=np.float64)
    outside = ~(sp < RATE_TABLE_SPEED_MAX)  # NaN-safe
    i = np.minimum(
        (np.arcsinh(np.where(outside, 0.0, sp)) / step).astype(np.int64), values.size - 2
    )
    a, b = values[i], values[i + 1]
    # outside the table the bounds are meaningless: callers must use the exact rate there
    return np.minimum(a, b), np.maximum(a, b), outside


def _speed_along(w: NDArray[np.longdouble], K: float, s: NDArray[np.longdouble]) -> NDArray:
    w1 = w[:, 0] - K * w[:, 1] * s
    return np.sqrt(w1**2 + w[:, 1] ** 2 + w[:, 2] ** 2)


def thinned_next_collision(
    model: ShearModel,
    w: NDArray[np.longdouble],
    horizon: NDArray[np.longdouble],
    streams: ParticleStreams,
    rows: NDArray[np.intp],
) -> tuple[NDArray[np.longdouble], int]:
    r"""Next collision time by thinning with a per-interval majorant (brief 2.3, cases 3-4).

    The flight is cut into intervals :math:`[s_a, s_b]`. :math:`|w(s)|^2` is a convex quadratic in
    :math:`s`, minimal at :math:`s^* = w_1/(K w_2)`, so on an interval the rate is bounded by
    :math:`\bar\lambda = \lambda(|w(\mathrm{clip}(s^*, s_a, s_b))|)` when :math:`\gamma < 0`
    (rate decreasing in speed) and by :math:`\lambda(\max(|w(s_a)|, |w(s_b)|))` when
    :math:`\gamma > 0`. A candidate :math:`s_a + \mathrm{Exp}/\bar\lambda` beyond :math:`s_b` is
    discarded and the search restarts at :math:`s_b` (memorylessness; the bound used is always
    the one of the interval holding the candidate, brief 4.2 item 9); inside, it is accepted with
    probability :math:`\lambda(w(s))/\bar\lambda`, decided first by a squeeze between exact
    tabulated rates (:math:`\lambda` is monotone in the speed), so the special function is
    evaluated only when the table cannot decide; the bound itself is a tabulated upper value.
    Interval lengths are
    :math:`\max(1/\lambda(w(s_a)), s_a)` for :math:`\gamma < 0` (doubling: :math:`O(\log)` cost
    on long flights) and :math:`1/\lambda(w(s_a))` for :math:`\gamma > 0`.

    Parameters
    ----------
    model : ShearModel
        A Maxwellian-background model with :math:`\gamma \ne 0`.
    w : ndarray of longdouble, shape (n, 3)
    horizon : ndarray of longdouble, shape (n,)
        Stop looking beyond this flight time (the end of the simulation).
    streams : ParticleStreams
    rows : ndarray of intp, shape (n,)
        Rows of `streams` that belong to the particles of `w`.

    Returns
    -------
    s : ndarray of longdouble, shape (n,)
        Collision time, or ``inf`` when none occurs before `horizon`.
    proposals : int
        Number of candidates drawn (for efficiency diagnostics).
    """
    K, g = model.shear, model.gamma
    n = w.shape[0]
    s = np.full(n, np.inf, dtype=w.dtype)
    sa = np.zeros(n, dtype=w.dtype)
    sb = np.zeros(n, dtype=w.dtype)
    bound = np.zeros(n, dtype=np.float64)
    fresh = np.ones(n, dtype=bool)  # needs a new interval starting at sa
    active = np.arange(n)
    proposals = 0
    kw2 = K * w[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_star = np.where(kw2 != 0, w[:, 0] / kw2, 0.0).astype(w.dtype)
    with np.errstate(divide="ignore"):  # a rate that underflows to 0: infinite wait
        while active.size:
            new = active[fresh[active]]
            if new.size:
                lower_a, _, out_a = _rate_bounds(model, _speed_along(w[new], K, sa[new]))
                if out_a.any():  # any positive length is valid; this one keeps O(1) proposals
                    lower_a[out_a] = collision_rate(
                        model, _speed_along(w[new][out_a], K, sa[new][out_a])
                    )
                length = 1.0 / lower_a
                if g < 0:
                    length = np.maximum(length, sa[new])
                sb[new] = sa[new] + length
                if g < 0:
                    closest = np.clip(s_star[new], sa[new], sb[new])
                    extreme = _speed_along(w[new], K, closest)
                else:
                    extreme = np.maximum(
                        _speed_along(w[new], K, sa[new]), _speed_along(w[new], K, sb[new])
                    )
                _, upper, untabled = _rate_bounds(model, extreme)
                if untabled.any():
                    upper[untabled] = collision_rate(model, extreme[untabled])
                bound[new] = upper  # a table upper value dominates the rate on the interval
                fresh[new] = False
            u = streams.draw(rows[active], 2)
            proposals += active.size
            cand = sa[active] + (-np.log(u[:, 0])) / bound[active]
            beyond_horizon = cand > horizon[active]
            outside = (cand > sb[active]) & ~beyond_horizon
            inside = ~outside & ~beyond_horizon
            # candidate inside its interval: accept with probability lambda(w(cand)) / bound
            idx_in = active[inside]
            level = u[inside, 1] * bound[idx_in]
            speed_c = _speed_along(w[idx_in], K, cand[inside])
            lower, upper, untabled = _rate_bounds(model, speed_c)
            # squeeze: decide from exact table bounds; compute the rate only in between
            accept = (level < lower) & ~untabled
            unsure = ~accept & ((level < upper) | untabled)
            if unsure.any():
                accept[unsure] = level[unsure] < collision_rate(model, speed_c[unsure])
            s[idx_in[accept]] = cand[inside][accept]
            sa[idx_in[~accept]] = cand[inside][~accept]
            idx_out = active[outside]
            sa[idx_out] = sb[idx_out]
            fresh[idx_out] = True
            finished = np.zeros(active.size, dtype=bool)
            finished[beyond_horizon] = True
            finished[np.flatnonzero(inside)[accept]] = True
            active = active[~finished]
    return s, proposals

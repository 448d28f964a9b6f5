r"""Compiled CPU engine (numba) for the fully connected NNGP/NTK recursion.

The same recursion as :func:`powertail.nngp.kernels.fc.propagate` (brief section 1.2), one
output row at a time: from :math:`K^0_{ij} = x_i\cdot x'_j/d` (one BLAS product, written into
the output itself) every layer up to the deepest requested readout runs over four row buffers
(:math:`K^l_{ij}`, :math:`\Theta^l_{ij}`, :math:`E[\phi\phi]`, :math:`\dot K` for one i), which
stay in cache, in loops without calls or branches that LLVM vectorises; only the requested
depths are written. There are no per-layer matrices; the variances :math:`K^l(x, x)` of each
row and column are propagated once per point (O(n L)). A symmetric train×train kernel is
computed on its upper triangle only and mirrored; the test×test kernel only on its diagonal.
Rows are spread over numba's threads (``NUMBA_NUM_THREADS`` / :func:`numba.set_num_threads`).

The floating-point operations are those of the JAX duals
(:mod:`powertail.nngp.kernels.duals`: floored square roots, clipped correlation), in the same
order, except that ``atan2`` is a branch-free series evaluation (:func:`_atan2`, a few ulp from
libm's) and division by 2π a product, so the engines agree to round-off (tested to 1e-12
relative). The functions are compiled on first use (about 8 s of CPU) and cached on disk
(``cache=True``; later processes load them in well under a second; an in-memory compile where
the package directory is read-only). This engine has no gradients: type-II maximum likelihood
and GPUs use the JAX engine.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["ACTIVATION_CODES", "compiled_cross", "compiled_diagonal"]

ACTIVATION_CODES: dict[str, int] = {"identity": 0, "relu": 1, "erf": 2}
"""Activation name to the integer the compiled functions dispatch on."""

_TINY = 1e-300  # the JAX duals' floor under square roots (powertail.nngp.kernels.duals._TINY)
_PI = math.pi
_INV_2PI = 1.0 / (2.0 * math.pi)  # a product instead of the JAX duals' division (1 ulp)
_TAN_PI_8 = math.sqrt(2.0) - 1.0
_ATAN_SERIES = np.array([(-1.0) ** k / (2 * k + 1) for k in range(20)])
r"""Taylor coefficients of :math:`\arctan(u)/u` in :math:`u^2`; 20 terms are exact to 1e-17
relative for :math:`|u| \le \tan(\pi/8)`."""


def _jit(**options):
    """``numba.njit(cache=True)``, or an in-memory compile where no cache can be written."""

    options = {"error_model": "numpy", **options}  # x / 0 gives inf, not a raise: no branch

    def wrap(fn):
        try:
            return njit(cache=True, **options)(fn)
        except RuntimeError:  # numba: "cannot cache function ...: no locator available"
            return njit(cache=False, **options)(fn)

    return wrap


@_jit(inline="always")
def _atan2(y: float, x: float) -> float:
    r""":math:`\operatorname{atan2}(y, x)` without branches or library calls, so that loops
    over it vectorise (libm's scalar ``atan2`` costs ~20 ns). With :math:`t = \min/\max` of
    :math:`|x|, |y|` in [0, 1] and, above :math:`\tan(\pi/8)`,
    :math:`\arctan t = \pi/4 + \arctan\frac{t - 1}{t + 1}`, the remaining argument is at most
    :math:`\tan(\pi/8)` in size and its Taylor series converges to double precision in 20
    terms; the octant is restored by :math:`\pi/2 - \cdot`, :math:`\pi - \cdot` and the sign
    of y. Agrees with ``math.atan2`` to a few ulp (tested)."""
    ax, ay = abs(x), abs(y)
    big, small = max(ax, ay), min(ax, ay)
    reduced = small > _TAN_PI_8 * big  # t = small / big > tan(pi/8)
    # u = t, or (t - 1) / (t + 1) = (small - big) / (small + big): one division either way
    num = small - big if reduced else small
    den = small + big if reduced else big
    u = num / den if big > 0 else 0.0
    z = u * u
    p = _ATAN_SERIES[19]
    for k in range(18, -1, -1):
        p = p * z + _ATAN_SERIES[k]
    a = u * p
    a = a + 0.25 * _PI if reduced else a
    a = 0.5 * _PI - a if ay > ax else a
    a = _PI - a if x < 0 else a
    return -a if y < 0 else a


@_jit(inline="always")
def _relu(k11: float, k12: float, k22: float) -> tuple[float, float]:
    """ReLU dual, the operations of :func:`powertail.nngp.kernels.duals.relu_dual`."""
    prod = k11 * k22
    norm = math.sqrt(max(prod, _TINY))
    c = k12 / norm if prod > 0 else 0.0
    c = min(max(c, -1.0), 1.0)
    sin = math.sqrt(max(1.0 - c * c, _TINY))
    theta = _atan2(sin, c)
    value = norm * (sin + (_PI - theta) * c) * _INV_2PI if prod > 0 else 0.0
    return value, (_PI - theta) * _INV_2PI


@_jit(inline="always")
def _erf(k11: float, k12: float, k22: float) -> tuple[float, float]:
    """Erf dual, the operations of :func:`powertail.nngp.kernels.duals.erf_dual`."""
    a = (1.0 + 2.0 * k11) * (1.0 + 2.0 * k22)
    root = math.sqrt(max(a - 4.0 * k12 * k12, _TINY))
    return (2.0 / _PI) * _atan2(2.0 * k12, root), (4.0 / _PI) / root


@_jit()
def _dual(act: int, k11: float, k12: float, k22: float) -> tuple[float, float]:
    r""":math:`(E[\phi(u)\phi(v)], E[\phi'(u)\phi'(v)])` for one covariance."""
    if act == 1:
        return _relu(k11, k12, k22)
    if act == 2:
        return _erf(k11, k12, k22)
    return k12, 1.0  # identity


@_jit()
def _duals_row(
    act: int, a: float, b: np.ndarray, k12: np.ndarray, e: np.ndarray, d: np.ndarray, j0: int
) -> None:
    """``e[j], d[j] = dual(a, k12[j], b[j])`` for j >= j0: one loop per activation, without
    calls or branches, so that it vectorises."""
    n = k12.size
    if act == 1:
        for j in range(j0, n):
            e[j], d[j] = _relu(a, k12[j], b[j])
    elif act == 2:
        for j in range(j0, n):
            e[j], d[j] = _erf(a, k12[j], b[j])
    else:
        for j in range(j0, n):
            e[j], d[j] = k12[j], 1.0


@_jit()
def _variance_steps(
    k0: np.ndarray, act: int, residual: bool, sw: float, sb: float, n_steps: int
) -> np.ndarray:
    r"""Variances :math:`K^l(x, x)` entering the dual at each step, shape (n_steps, n):
    after the first Dense, :math:`v \leftarrow \sigma_w^2 E[\phi\phi](v) + \sigma_b^2`
    (``residual``: :math:`v \leftarrow v + \sigma_w^2 E[\phi\phi](v) + \sigma_b^2`)."""
    out = np.empty((n_steps, k0.size))
    for i in range(k0.size):
        v = sw * k0[i] + sb
        for s in range(n_steps):
            out[s, i] = v
            e, _ = _dual(act, v, v, v)
            v = v + sw * e + sb if residual else sw * e + sb
    return out


@_jit()
def _row(
    i: int,
    j0: int,
    gram: np.ndarray,
    d: float,
    var1: np.ndarray,
    var2: np.ndarray,
    act: int,
    residual: bool,
    sw: float,
    sb: float,
    sv: float,
    slots: np.ndarray,
    linear_slot: int,
    out_nngp: np.ndarray,
    out_ntk: np.ndarray,
    want_nngp: bool,
    want_ntk: bool,
    k12: np.ndarray,
    theta: np.ndarray,
    e: np.ndarray,
    dk: np.ndarray,
) -> None:
    """Entries ``[i, j0:]``: the recursion layer by layer over one row, its state (k12,
    theta, E[φφ], K̇) in four row buffers that stay in cache; each loop vectorises."""
    n2 = gram.shape[1]
    for j in range(j0, n2):
        k0 = gram[i, j] / d  # read before any output (gram may alias one) is written
        if linear_slot >= 0:  # depth 0 of a plain network: the linear readout
            if want_nngp:
                out_nngp[linear_slot, i, j] = sv * k0
            if want_ntk:
                out_ntk[linear_slot, i, j] = sv * k0
        k12[j] = sw * k0 + sb  # first Dense
        theta[j] = k12[j]
    n_steps = slots.size
    for s in range(n_steps):
        _duals_row(act, var1[s, i], var2[s], k12, e, dk, j0)
        slot = slots[s]
        if slot >= 0 and want_nngp:
            for j in range(j0, n2):
                out_nngp[slot, i, j] = sv * e[j]
        if slot >= 0 and want_ntk:
            for j in range(j0, n2):
                out_ntk[slot, i, j] = sv * (e[j] + dk[j] * theta[j])
        if s == n_steps - 1:
            break
        if want_ntk and residual:
            for j in range(j0, n2):
                theta[j] = theta[j] + sw * e[j] + sb + sw * dk[j] * theta[j]
        elif want_ntk:
            for j in range(j0, n2):
                theta[j] = sw * e[j] + sb + sw * dk[j] * theta[j]
        if residual:
            for j in range(j0, n2):
                k12[j] = k12[j] + sw * e[j] + sb
        else:
            for j in range(j0, n2):
                k12[j] = sw * e[j] + sb


@_jit(parallel=True)
def _fill_cross(
    gram: np.ndarray,
    d: float,
    var1: np.ndarray,
    var2: np.ndarray,
    act: int,
    residual: bool,
    sw: float,
    sb: float,
    sv: float,
    slots: np.ndarray,
    linear_slot: int,
    out_nngp: np.ndarray,
    out_ntk: np.ndarray,
    want_nngp: bool,
    want_ntk: bool,
    upper: bool,
) -> None:
    """Fill ``out[:, i, j]`` from ``gram[i, j] / d`` (``upper``: j >= i only), row by row
    over numba's threads. With ``upper`` the rows are taken in pairs (i, n - 1 - i), so every
    task has the same number of entries."""
    n1, n2 = gram.shape
    n_tasks = (n1 + 1) // 2 if upper else n1
    for t in prange(n_tasks):
        k12, theta = np.empty(n2), np.empty(n2)
        e, dk = np.empty(n2), np.empty(n2)
        n_rows = 1 if not upper or n1 - 1 - t == t else 2
        for r in range(n_rows):
            i = t + r * (n1 - 1 - 2 * t)  # t, then n1 - 1 - t
            _row(
                i, i if upper else 0, gram, d, var1, var2, act, residual, sw, sb, sv, slots,
                linear_slot, out_nngp, out_ntk, want_nngp, want_ntk, k12, theta, e, dk,
            )  # fmt: skip


@_jit(parallel=True)
def _mirror_upper(out: np.ndarray) -> None:
    """Copy the upper triangle of each ``out[s]`` onto its lower triangle, in 64² blocks."""
    n_depths, n, _ = out.shape
    block = 64
    n_blocks = (n + block - 1) // block
    for t in prange(n_blocks):
        i0 = t * block
        for s in range(n_depths):
            for j0 in range(0, i0 + 1, block):
                for i in range(i0, min(i0 + block, n)):
                    for j in range(j0, min(j0 + block, i)):
                        out[s, i, j] = out[s, j, i]


@_jit()
def _fill_diagonal(
    k0: np.ndarray,
    var: np.ndarray,
    act: int,
    residual: bool,
    sw: float,
    sb: float,
    sv: float,
    slots: np.ndarray,
    linear_slot: int,
    out_nngp: np.ndarray,
    out_ntk: np.ndarray,
    want_nngp: bool,
    want_ntk: bool,
) -> None:
    """``out[:, i] = K(x_i, x_i)`` with :math:`K^0 = x_i\\cdot x_i/d` given as ``k0`` (O(n L),
    the same operations as a kernel row)."""
    for i in range(k0.size):
        if linear_slot >= 0:
            if want_nngp:
                out_nngp[linear_slot, i] = sv * k0[i]
            if want_ntk:
                out_ntk[linear_slot, i] = sv * k0[i]
        k12 = sw * k0[i] + sb
        theta = k12
        for s in range(slots.size):
            e, dk = _dual(act, var[s, i], k12, var[s, i])
            if slots[s] >= 0:
                if want_nngp:
                    out_nngp[slots[s], i] = sv * e
                if want_ntk:
                    out_ntk[slots[s], i] = sv * (e + dk * theta)
            if residual:
                theta = theta + sw * e + sb + sw * dk * theta
                k12 = k12 + sw * e + sb
            else:
                theta = sw * e + sb + sw * dk * theta
                k12 = sw * e + sb


def _plan(depths: tuple[int, ...], residual: bool) -> tuple[np.ndarray, int]:
    """Output slot of each recursion step (-1: not kept) and of the linear readout (depth 0)."""
    if residual:  # step s is the readout after s blocks
        steps = [depths.index(s) if s in depths else -1 for s in range(depths[-1] + 1)]
        return np.array(steps, dtype=np.int64), -1
    steps = [depths.index(s) if s in depths else -1 for s in range(1, depths[-1] + 1)]
    return np.array(steps, dtype=np.int64), depths.index(0) if 0 in depths else -1


def _squared_norms(x: np.ndarray) -> np.ndarray:
    """:math:`x\\cdot x` per row, as the JAX engine computes it (then divided by d)."""
    return np.einsum("ij,ij->i", x, x)


def _outputs(shape: tuple[int, ...], kind: str | None) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    want_nngp, want_ntk = kind in (None, "nngp"), kind in (None, "ntk")
    dummy = np.empty((1,) * len(shape))
    nngp = np.empty(shape) if want_nngp else dummy
    ntk = np.empty(shape) if want_ntk else dummy
    return nngp, ntk, want_nngp, want_ntk


def compiled_cross(
    x1: np.ndarray,
    x2: np.ndarray | None,
    *,
    activation: str,
    variances: tuple[float, float, float],
    depths: tuple[int, ...],
    residual: bool = False,
    kind: str | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    r"""NNGP and NTK between the rows of ``x1`` (n1, d) and ``x2`` (n2, d) at ``depths``.

    ``x2=None`` means ``x2 = x1``: the upper triangle is computed and mirrored, so the result is
    exactly symmetric. ``kind="nngp"`` (or ``"ntk"``) computes that kernel alone and returns
    ``None`` for the other. Inputs must already be validated float64 arrays; ``variances`` is
    :math:`(\sigma_w^2, \sigma_b^2, \sigma_v^2)` and ``depths`` sorted and unique.

    Returns
    -------
    (ndarray or None, ndarray or None)
        NNGP and NTK of shape (n_depths, n1, n2).
    """
    sw, sb, sv = (float(v) for v in variances)
    act = ACTIVATION_CODES[activation]
    slots, linear_slot = _plan(depths, residual)
    symmetric = x2 is None
    b = x1 if symmetric else x2
    nngp, ntk, want_nngp, want_ntk = _outputs((len(depths), x1.shape[0], b.shape[0]), kind)
    gram = nngp[0] if want_nngp else ntk[0]
    np.matmul(x1, b.T, out=gram)  # overwritten entry by entry below, each read first
    squares1 = _squared_norms(x1)
    if symmetric:  # correlation exactly 1 on the diagonal, as in compiled_diagonal
        np.fill_diagonal(gram, squares1)
    n_steps = slots.size
    var1 = _variance_steps(squares1 / x1.shape[1], act, residual, sw, sb, n_steps)
    if symmetric:
        var2 = var1
    else:
        var2 = _variance_steps(_squared_norms(b) / b.shape[1], act, residual, sw, sb, n_steps)
    _fill_cross(
        gram, float(x1.shape[1]), var1, var2, act, residual, sw, sb, sv, slots, linear_slot,
        nngp, ntk, want_nngp, want_ntk, symmetric,
    )  # fmt: skip
    if symmetric:
        for out, wanted in ((nngp, want_nngp), (ntk, want_ntk)):
            if wanted:
                _mirror_upper(out)
    return (nngp if want_nngp else None), (ntk if want_ntk else None)


def compiled_diagonal(
    x: np.ndarray,
    *,
    activation: str,
    variances: tuple[float, float, float],
    depths: tuple[int, ...],
    residual: bool = False,
    kind: str | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """:math:`K(x_i, x_i)` for each row (cost O(n L)); arguments as :func:`compiled_cross`.

    Returns
    -------
    (ndarray or None, ndarray or None)
        NNGP and NTK of shape (n_depths, n).
    """
    sw, sb, sv = (float(v) for v in variances)
    act = ACTIVATION_CODES[activation]
    slots, linear_slot = _plan(depths, residual)
    k0 = _squared_norms(x) / x.shape[1]
    var = _variance_steps(k0, act, residual, sw, sb, slots.size)
    nngp, ntk, want_nngp, want_ntk = _outputs((len(depths), x.shape[0]), kind)
    _fill_diagonal(
        k0, var, act, residual, sw, sb, sv, slots, linear_slot, nngp, ntk, want_nngp, want_ntk
    )
    return (nngp if want_nngp else None), (ntk if want_ntk else None)

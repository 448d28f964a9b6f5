r"""Vectorised Kolmogorov-Smirnov distances for many candidate tails at once (private).

For every candidate lower cut-off :math:`x_{\min,i}` the tail holds the :math:`k_i` sorted data
points :math:`x \ge x_{\min,i}`. The fitted CDF of each candidate is written in the common form

.. math::

    F_i(x) = \sigma_i + \rho_i\,\bigl(e^{u_i(x)} - 1\bigr), \qquad
    u_i(x) = -\beta_i \ln(x / x_{\min,i}) + \omega_i \le 0,

which covers the Pareto law (:math:`\beta = \alpha - 1 > 0,\ \sigma = \omega = 0,\ \rho = -1`)
and the doubly truncated Pareto law on :math:`[x_{\min}, x_{\max}]` of either sign of
:math:`\beta` (see :func:`powertail.tails.truncated.truncated_cdf_parameters`). Keeping
:math:`u \le 0` means no exponential can overflow.

The empirical CDF of the tail has, at a distinct data value :math:`v`, the left limit
``(lo(v) - s_i) / k_i`` and the value ``(hi(v) - s_i) / k_i``, where ``lo``/``hi`` count the data
``< v`` / ``<= v`` and :math:`s_i` counts the data below :math:`x_{\min,i}`. With
:math:`a = F - (lo - s)/k` and :math:`b = (hi - s)/k - F` the scan returns, per candidate,
``max a``, ``min a`` and ``max b``; the callers combine them into the KS variant they need.

The :math:`O(n^2)` work is done in blocks of at most ``block_elements`` float64 values (fixed
buffers), so memory stays bounded for any sample size. For the usual rows (:math:`\rho < 0`) an
exact branch-and-bound (:func:`_pruned`) evaluates the CDF on block edges first and visits only
the blocks whose monotonicity bounds could still move an extreme; it returns the same numbers
as the dense scan (:func:`_dense`), several times faster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CandidateModels", "KSExtremes", "ks_extremes"]

# Rows (candidates) per block. 64 rows x 8192 columns x 8 bytes = 4 MiB keeps a block in the
# L2/L3 cache of current CPUs; measured on the 20,000-point benchmark (see benchmarks/).
_BLOCK_ROWS = 64
_BLOCK_ELEMENTS = 64 * 8192
# Columns per block of the branch-and-bound scan (_pruned): about sqrt(m)/_PRUNE_SCALE for m
# columns, clipped to [4, 64]. A block's bound is loose by ~block/k while the KS excursions are
# ~1/sqrt(k), so the block must shrink like sqrt(m) for pruning to stay effective. The scale was
# chosen by timing blocks of 4-16 columns on the benchmark samples (2,000-20,000 points).
_PRUNE_SCALE = 14.0
# The edge pass of _pruned keeps its two float buffers at block_elements / _EDGE_DIV values each
# (timed with 1, 2, 4, 8, 16 on the benchmark samples; 2 was fastest at every size).
_EDGE_DIV = 2


@dataclass(frozen=True)
class CandidateModels:
    """Per-candidate fitted CDFs in the form of the module docstring (all arrays shape (c,)).

    Attributes
    ----------
    col_start : ndarray of int
        Index of the first column (distinct data value) inside each candidate's tail;
        non-decreasing.
    log_xmin : ndarray of float
        :math:`\\ln x_{\\min,i}`.
    k : ndarray of float
        Tail sizes :math:`k_i` (points with multiplicity).
    s : ndarray of float
        Number of data points below each :math:`x_{\\min,i}`.
    beta, omega, sigma, rho : ndarray of float
        The CDF parameters of the module docstring.
    """

    col_start: NDArray[np.int64]
    log_xmin: NDArray[np.float64]
    k: NDArray[np.float64]
    s: NDArray[np.float64]
    beta: NDArray[np.float64]
    omega: NDArray[np.float64]
    sigma: NDArray[np.float64]
    rho: NDArray[np.float64]


@dataclass(frozen=True)
class KSExtremes:
    """Extremes of the CDF differences per candidate (arrays of shape (c,)).

    ``a_max = max F - lo/k``, ``a_min = min F - lo/k``, ``b_max = max hi/k - F``
    (tail-relative counts, see the module docstring).
    """

    a_max: NDArray[np.float64]
    a_min: NDArray[np.float64]
    b_max: NDArray[np.float64]


def ks_extremes(
    log_values: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    models: CandidateModels,
    *,
    block_elements: int = _BLOCK_ELEMENTS,
    prune: bool = True,
) -> KSExtremes:
    """Scan all candidates against the sorted distinct values and return the CDF extremes.

    Parameters
    ----------
    log_values : ndarray of shape (m,)
        :math:`\\ln v` of the columns (sorted ascending; distinct values, or every data point
        for WeightWatcher's per-index variant).
    lo, hi : ndarray of shape (m,)
        Counts of data points ``< v`` and ``<= v`` for each column (as float64).
    models : CandidateModels
        The fitted CDF of every candidate.
    block_elements : int
        Size of the scratch buffers in float64 elements.
    prune : bool
        Skip column blocks that provably cannot hold a new extreme (exact; see
        :func:`_pruned`). ``False`` evaluates every pair (used by the tests as a reference).

    Returns
    -------
    KSExtremes
        ``a_max``, ``a_min`` and ``b_max`` per candidate.
    """
    c = models.k.size
    mult = hi - lo  # multiplicity of each column value (>= 1)
    has_ties = bool(np.any(mult != 1.0))
    # Row constants: k*a = C + sign(rho) * exp(-beta*L + gamma) - lo   (exp argument <= ln|k rho|)
    big_c = models.k * (models.sigma - models.rho) + models.s
    negative = models.rho < 0
    # t-space extremes: for rho < 0 rows t = E + lo (k*a = C - t), else t = E - lo (k*a = C + t).
    tmax = np.empty(c)
    tmin = np.empty(c)
    ttie = np.empty(c)
    groups = [(np.flatnonzero(negative), True), (np.flatnonzero(~negative), False)]
    for rows, neg in groups:
        if rows.size == 0:
            continue
        kernel = _pruned if (prune and neg) else _dense
        out = kernel(log_values, lo, hi, models, rows, neg, has_ties, block_elements)
        tmax[rows], tmin[rows], ttie[rows] = out
    # negative rows: max a = (C - min t)/k, min a = (C - max t)/k, max b = (max(E + hi) - C)/k
    # positive rows: max a = (C + max t)/k, min a = (C + min t)/k, max b = -(C + min(t-mult))/k
    k = models.k
    a_max = np.where(negative, big_c - tmin, big_c + tmax) / k
    a_min = np.where(negative, big_c - tmax, big_c + tmin) / k
    if has_ties:
        b_max = np.where(negative, ttie - big_c, -(big_c + ttie)) / k
    else:
        b_max = 1.0 / k - a_min
    return KSExtremes(a_max=a_max, a_min=a_min, b_max=b_max)


def _row_parameters(
    models: CandidateModels, rows: NDArray[np.int64], ref: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """-beta and gamma (exp argument = -beta * (L - ref) + gamma) for the given rows."""
    beta = models.beta[rows]
    gamma = (
        beta * (models.log_xmin[rows] - ref)
        + models.omega[rows]
        + np.log(models.k[rows] * np.abs(models.rho[rows]))
    )
    return -beta, gamma


def _dense(
    log_values: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    models: CandidateModels,
    rows_all: NDArray[np.int64],
    negative: bool,
    has_ties: bool,
    block_elements: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Evaluate every (candidate, column) pair in fixed-size blocks.

    Returns max t, min t and the tie extreme (max of E + hi if `negative`, else min of t - mult).
    """
    m = log_values.size
    c = rows_all.size
    mult = hi - lo
    nrows = max(1, min(_BLOCK_ROWS, c))
    width = max(nrows, block_elements // nrows)
    buf = np.empty(nrows * width)
    tmax = np.empty(c)
    tmin = np.empty(c)
    ttie = np.empty(c)
    for r0 in range(0, c, nrows):
        rows = rows_all[r0 : r0 + nrows]
        nr = rows.size
        cs = models.col_start[rows]
        c_first, c_last = int(cs[0]), int(cs[-1])
        ref = float(log_values[c_first])
        neg_beta, gamma = (v[:, None] for v in _row_parameters(models, rows, ref))
        pmax = np.full(nr, -np.inf)
        pmin = np.full(nr, np.inf)
        tie = np.full(nr, -np.inf if negative else np.inf)
        # Column tiles: first the ragged "square" [c_first, c_last) where later rows start
        # later (masked), then full-width tiles [c_last, m) that every row of the block uses.
        tiles = []
        if c_last > c_first:
            tiles.append((c_first, c_last, True))
        tiles.extend((j0, min(j0 + width, m), False) for j0 in range(c_last, m, width))
        for j0, j1, masked in tiles:
            w = j1 - j0
            t = buf[: nr * w].reshape(nr, w)
            np.multiply(neg_beta, (log_values[j0:j1] - ref)[None, :], out=t)
            t += gamma
            inside = None
            if masked:
                inside = np.arange(j0, j1)[None, :] >= cs[:, None]
                np.copyto(t, -np.inf, where=~inside)
            np.exp(t, out=t)
            if negative:
                t += lo[None, j0:j1]  # t = E + lo
            else:
                t -= lo[None, j0:j1]  # t = E - lo
            pmax = np.maximum(pmax, _masked_reduce(t, inside, np.max, -np.inf))
            pmin = np.minimum(pmin, _masked_reduce(t, inside, np.min, np.inf))
            if has_ties:
                if negative:  # max_j (E + hi) = max_j (t + mult)
                    tt = t + mult[None, j0:j1]
                    tie = np.maximum(tie, _masked_reduce(tt, inside, np.max, -np.inf))
                else:  # min_j (E - hi) = min_j (t - mult)
                    tt = t - mult[None, j0:j1]
                    tie = np.minimum(tie, _masked_reduce(tt, inside, np.min, np.inf))
        tmax[r0 : r0 + nr], tmin[r0 : r0 + nr], ttie[r0 : r0 + nr] = pmax, pmin, tie
    return tmax, tmin, ttie


def _masked_reduce(t, inside, reducer, fill):  # type: ignore[no-untyped-def]
    if inside is None:
        return reducer(t, axis=1)
    return reducer(np.where(inside, t, fill), axis=1)


def _pruned(
    log_values: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    models: CandidateModels,
    rows_all: NDArray[np.int64],
    negative: bool,
    has_ties: bool,
    block_elements: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Exact branch-and-bound scan for rows with :math:`\rho < 0` (every :math:`\alpha > 1` fit).

    The columns are cut into blocks of about :math:`\sqrt m/14` columns (``_PRUNE_SCALE``).
    For such rows :math:`E_j = k|\rho|e^{u_j}` is non-increasing and ``lo``/``hi`` are
    non-decreasing in :math:`j`, so on a block :math:`[g, g')` every :math:`t_j = E_j + lo_j`
    lies in :math:`[E_{g'} + lo_g,\ E_g + lo_{g'-1}]` and :math:`E_j + hi_j \le E_g + hi_{g'-1}`.
    :math:`E` is first evaluated on the block edges only (their :math:`t` values are real values
    of the maximum and minimum); then only the blocks whose bounds pass the current extremes,
    plus each row's first (partial) block, are evaluated point by point. Nothing that could
    change an extreme is skipped, so the result equals the dense scan.
    """
    if not negative:  # the bounds above assume E non-increasing
        raise ValueError("_pruned handles rows with rho < 0 only")
    m = log_values.size
    bsz = int(np.clip(round(math.sqrt(m) / _PRUNE_SCALE), 4, 64))
    n_blocks = -(-m // bsz)
    m_pad = n_blocks * bsz
    pad = m_pad - m
    # Pad by repeating the last column: duplicates cannot change a maximum or a minimum.
    lv = np.concatenate([log_values, np.full(pad, log_values[-1])])
    lop = np.concatenate([lo, np.full(pad, lo[-1])])
    hip = np.concatenate([hi, np.full(pad, hi[-1])])
    lv_blocks = lv.reshape(n_blocks, bsz)
    lo_blocks = lop.reshape(n_blocks, bsz)
    mult_blocks = (hip - lop).reshape(n_blocks, bsz)
    # Column-major copies (bsz, n_blocks) for gathering many blocks at once.
    lv_cols = np.ascontiguousarray(lv_blocks.T)
    lo_cols = np.ascontiguousarray(lo_blocks.T)
    mult_cols = np.ascontiguousarray(mult_blocks.T)
    edges = np.append(np.arange(n_blocks) * bsz, m_pad - 1)  # block starts, then last column
    lv_edge, lo_edge, hi_edge = lv[edges], lop[edges], hip[edges]
    lo_start = lop[edges[:-1]]  # smallest lo in each block
    lo_last = lop[edges[:-1] + bsz - 1]  # largest lo in each block
    hi_last = hip[edges[:-1] + bsz - 1]
    n_edges = edges.size
    c = rows_all.size
    # Rows per chunk: the edge buffers hold nrows x n_edges values (a few MiB, reused).
    # At most m/16 rows, so that the rectangle [first row's tail] x rows wastes little on the
    # columns that only the first rows of a chunk need.
    nrows = int(np.clip(block_elements // (_EDGE_DIV * n_edges), 8, max(8, m // 16)))
    nrows = min(nrows, c)
    buf_e = np.empty(nrows * n_edges)  # E on the edges
    buf_t = np.empty(nrows * n_edges)  # scratch
    buf_m = np.empty(nrows * n_edges, dtype=bool)
    buf_m2 = np.empty(nrows * n_edges, dtype=bool)
    tmax = np.empty(c)
    tmin = np.empty(c)
    ttie = np.full(c, -np.inf)
    for r0 in range(0, c, nrows):
        rows = rows_all[r0 : r0 + nrows]
        nr = rows.size
        cs = models.col_start[rows]
        ref = float(log_values[cs[0]])
        neg_beta, gamma = _row_parameters(models, rows, ref)
        nb2, g2 = neg_beta[:, None], gamma[:, None]
        first = cs // bsz  # block holding each row's first column
        e0 = int(first[0])  # edges/blocks before e0 lie below every row of the chunk
        e1 = min(-(-int(cs[-1]) // bsz), n_edges)  # edges >= e1 lie inside every row's tail
        w = n_edges - e0
        # 1. E and t = E + lo on the edges; edges in [e0, e1) may precede a row's tail.
        e_edge = buf_e[: nr * w].reshape(nr, w)
        np.multiply(nb2, (lv_edge[e0:] - ref)[None, :], out=e_edge)
        e_edge += g2
        pre = e1 - e0
        valid_pre = edges[None, e0:e1] >= cs[:, None]
        if pre:
            np.copyto(e_edge[:, :pre], -np.inf, where=~valid_pre)
        np.exp(e_edge, out=e_edge)
        t_edge = buf_t[: nr * w].reshape(nr, w)
        np.add(e_edge, lo_edge[None, e0:], out=t_edge)
        pmax = t_edge[:, pre:].max(axis=1, initial=-np.inf)
        pmin = t_edge[:, pre:].min(axis=1, initial=np.inf)
        if pre:
            pmax = np.maximum(pmax, np.where(valid_pre, t_edge[:, :pre], -np.inf).max(axis=1))
            pmin = np.minimum(pmin, np.where(valid_pre, t_edge[:, :pre], np.inf).min(axis=1))
        tie = np.full(nr, -np.inf)
        if has_ties:
            np.add(e_edge, hi_edge[None, e0:], out=t_edge)
            tie = t_edge[:, pre:].max(axis=1, initial=-np.inf)
            if pre:
                tie = np.maximum(tie, np.where(valid_pre, t_edge[:, :pre], -np.inf).max(axis=1))
        # 2. Bounds of blocks e0..n_blocks-1: evaluate a block only if it could beat an extreme.
        wb = w - 1
        bound = buf_t[: nr * wb].reshape(nr, wb)
        need = buf_m[: nr * wb].reshape(nr, wb)
        more = buf_m2[: nr * wb].reshape(nr, wb)
        if has_ties:
            np.add(e_edge[:, 1:], lo_start[None, e0:], out=bound)  # lower bound of t
            np.less(bound, pmin[:, None], out=need)
            np.add(e_edge[:, :-1], lo_last[None, e0:], out=bound)  # upper bound of t
            np.greater(bound, pmax[:, None], out=more)
        else:
            # Distinct columns: lo rises by exactly 1 per column, so lo_start = lo(next edge) - bsz
            # and lo_last <= lo(edge) + bsz - 1; the bounds follow from t on the edges directly.
            np.less(t_edge[:, 1:], (pmin + bsz)[:, None], out=need)
            np.greater(t_edge[:, :-1], (pmax - (bsz - 1))[:, None], out=more)
        need |= more
        if has_ties:
            np.add(e_edge[:, :-1], hi_last[None, e0:], out=bound)  # upper bound of E + hi
            np.greater(bound, tie[:, None], out=more)
            need |= more
        # Blocks up to each row's first block are handled below (or lie before its tail).
        upto = min(int(first[-1]) - e0 + 1, wb)
        need[:, :upto] &= np.arange(e0, e0 + upto)[None, :] > first[:, None]
        flat = np.flatnonzero(need)
        # 3a. Each row's first block, point by point with the tail mask.
        cols = first[:, None] * bsz + np.arange(bsz)[None, :]
        inside = cols >= cs[:, None]
        arg = nb2 * (lv_blocks[first] - ref) + g2
        np.copyto(arg, -np.inf, where=~inside)
        t = np.exp(arg, out=arg)
        t += lo_blocks[first]
        pmax = np.maximum(pmax, np.where(inside, t, -np.inf).max(axis=1))
        pmin = np.minimum(pmin, np.where(inside, t, np.inf).min(axis=1))
        if has_ties:
            t += mult_blocks[first]
            tie = np.maximum(tie, np.where(inside, t, -np.inf).max(axis=1))
        # 3b. The needed blocks (entirely inside their row's tail), point by point. Layout
        # (bsz, pairs) keeps NumPy's inner loops long; flatnonzero returns pairs row-sorted.
        step = max(1, block_elements // (2 * bsz))
        for p0 in range(0, flat.size, step):
            sel = flat[p0 : p0 + step]
            pr = sel // wb
            pb = sel % wb + e0
            t = np.take(lv_cols, pb, axis=1)  # C-ordered (bsz, pairs); [:, pb] is not
            t -= ref
            t *= neg_beta[pr]
            t += gamma[pr]
            np.exp(t, out=t)
            t += np.take(lo_cols, pb, axis=1)
            starts = np.flatnonzero(np.r_[True, pr[1:] != pr[:-1]])
            owners = pr[starts]
            pmax[owners] = np.maximum(pmax[owners], np.maximum.reduceat(t.max(axis=0), starts))
            pmin[owners] = np.minimum(pmin[owners], np.minimum.reduceat(t.min(axis=0), starts))
            if has_ties:
                t += np.take(mult_cols, pb, axis=1)
                tie[owners] = np.maximum(tie[owners], np.maximum.reduceat(t.max(axis=0), starts))
        tmax[r0 : r0 + nr], tmin[r0 : r0 + nr], ttie[r0 : r0 + nr] = pmax, pmin, tie
    return tmax, tmin, ttie

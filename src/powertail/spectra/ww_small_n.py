r"""WeightWatcher 0.7.7's power-law fit for spectra of fewer than 20 eigenvalues (``ww_compat``).

For :math:`n < 20` eigenvalues WeightWatcher 0.7.7 (``WWFit.fit_powerlaw_smallN``) changes its
fit: only tails of at least 8 points are candidates, the exponent is the bias-corrected MLE

.. math::  \hat\alpha_{bc} = 1 + \frac{k - 1}{\sum_{i=1}^{k}\ln(x_i/x_{\min})},

the one-sided KS distance :math:`D = \max_j |F(x_j) - j/k|` is computed with it, and the
candidate with the smallest :math:`D` is kept (its own "J" objective is computed but then
overridden by the arg-min of :math:`D` in ``WWFit.__init__``). Reproduced here only to compare
number for number; the default fit (:func:`powertail.tails.fit_power_law`) is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError

__all__ = ["WW_SMALL_N", "WW_SMALL_N_MIN_TAIL", "WWSmallNFit", "ww_small_n_fit"]

#: Below this many eigenvalues WeightWatcher 0.7.7 uses the small-N fit (``SMALL_N_CUTOFF``).
WW_SMALL_N = 20
#: Smallest tail among its candidates (``k_min``).
WW_SMALL_N_MIN_TAIL = 8


@dataclass(frozen=True)
class WWSmallNFit:
    """Result of :func:`ww_small_n_fit` (the fields of a power-law fit that the row needs)."""

    alpha: float
    xmin: float
    D: float
    sigma: float
    n_tail: int


def ww_small_n_fit(eigenvalues: ArrayLike) -> WWSmallNFit:
    """Fit as WeightWatcher 0.7.7 does for fewer than 20 eigenvalues (module docstring).

    Raises
    ------
    InputError
        If there are fewer than 8 positive eigenvalues (no candidate tail).
    """
    x = np.sort(np.asarray(eigenvalues, dtype=np.float64).ravel())
    n = x.size
    if n < WW_SMALL_N_MIN_TAIL or x[0] <= 0:
        raise InputError(
            f"eigenvalues: expected at least {WW_SMALL_N_MIN_TAIL} positive values for the "
            f"small-N fit, got {n} (min {x[0] if n else 'none'})"
        )
    logs = np.log(x)
    best = None
    for i in range(n - 1):
        k = n - i
        if k < WW_SMALL_N_MIN_TAIL:
            break
        s = float(np.sum(logs[i:]) - k * logs[i])
        if s <= 1e-12:
            continue
        alpha = 1.0 + (k - 1.0) / s
        if alpha <= 1.0:
            continue
        fitted = 1.0 - (x[i:] / x[i]) ** (1.0 - alpha)
        d = float(np.max(np.abs(np.arange(k) / k - fitted)))
        if best is None or d < best[0]:
            best = (d, i, alpha, k)
    if best is None:
        raise InputError("eigenvalues: expected a tail with a positive log-spread, got none")
    d, i, alpha, k = best
    return WWSmallNFit(
        alpha=alpha, xmin=float(x[i]), D=d, sigma=(alpha - 1.0) / math.sqrt(k), n_tail=k
    )

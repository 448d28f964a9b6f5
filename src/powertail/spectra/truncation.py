r"""Low-rank weights on the effective correlation space (the SETOL truncation experiment).

:func:`truncate_to_ecs` keeps the top :math:`k` singular components of a weight matrix,
:math:`W_k = \sum_{i \le k} \sigma_i u_i v_i^\top`, with :math:`k` chosen by the PL rule (every
:math:`\lambda = \sigma^2 \ge \lambda_{\min}^{PL}`), the ERG rule (:math:`k = \tilde M`, the ERG
tail) or given directly (brief §1.8 "ECS truncation test", §2.4 ``SVDSmoothing``). The result is
a plain array, usable in any framework.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.spectra.model import erg_crossing

__all__ = ["TRUNCATION_RULES", "TruncatedWeights", "truncate_to_ecs"]

#: Accepted string rules of :func:`truncate_to_ecs` (or pass an int k).
TRUNCATION_RULES: tuple[str, ...] = ("pl", "erg")


@dataclass(frozen=True, eq=False)
class TruncatedWeights:
    """Result of :func:`truncate_to_ecs`.

    Attributes
    ----------
    weights : ndarray of shape (N, M)
        The rank-`k` weights, same shape and orientation as the input, float64.
    k : int
        Singular components kept.
    rule : str
        ``"pl"``, ``"erg"`` or ``"k"``.
    cutoff : float
        Smallest kept eigenvalue :math:`\\sigma_k^2` (raw units).
    """

    weights: NDArray[np.float64]
    k: int
    rule: str
    cutoff: float


def truncate_to_ecs(
    w: ArrayLike, *, rule: str | int = "erg", ks: str = "two-sided", min_tail: int = 10
) -> TruncatedWeights:
    """Keep the singular components of `w` that span its effective correlation space.

    Parameters
    ----------
    w : array_like of shape (N, M)
        A weight matrix (any orientation).
    rule : {"erg", "pl"} or int, default "erg"
        ``"erg"``: keep the ERG tail (:func:`~powertail.spectra.model.erg_crossing`);
        ``"pl"``: keep the eigenvalues at or above the fitted power-law ``xmin``
        (:func:`powertail.tails.fit_power_law` with `ks`, `min_tail`); an int: keep that many.
    ks, min_tail
        Options of the PL fit (``rule="pl"`` only).

    Returns
    -------
    TruncatedWeights

    Raises
    ------
    InputError
        If `w` is not a finite 2-D array, `rule` is unknown, or an int rule is out of range.
    """
    from powertail.tails import fit_power_law

    a = np.asarray(w, dtype=np.float64)
    if a.ndim != 2 or not np.all(np.isfinite(a)):
        raise InputError(
            f"w: expected a finite 2-D weight matrix, got shape {a.shape}; reshape conv kernels "
            "or remove NaN/inf first"
        )
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    lam = s**2
    if isinstance(rule, bool) or not isinstance(rule, int | str):
        raise InputError(f"rule: expected 'erg', 'pl' or an int, got {rule!r}")
    if isinstance(rule, int):
        if not 1 <= rule <= s.size:
            raise InputError(f"rule: expected an int k in [1, {s.size}], got {rule}")
        k, name = rule, "k"
    elif rule == "erg":
        erg = erg_crossing(lam[lam > 0])
        k, name = (erg.num if erg.crossed else s.size), "erg"
    elif rule == "pl":
        fit = fit_power_law(lam[lam > 0], ks=ks, min_tail=min_tail)  # type: ignore[arg-type]
        k, name = fit.n_tail, "pl"
    else:
        raise InputError(f"rule: expected one of {TRUNCATION_RULES} or an int, got {rule!r}")
    weights = (u[:, :k] * s[:k]) @ vt[:k]
    return TruncatedWeights(weights=weights, k=int(k), rule=name, cutoff=float(lam[k - 1]))

r"""What is measured from one layer's ESD: HTSR shape and scale metrics, MP bulk, ERG, quality.

:func:`layer_metrics` returns one output row (a dict of JSON scalars, NaN where a metric is not
defined) from an :class:`~powertail.spectra.esd.Esd` and, optionally, the ESD of the shuffled
weights. Column names follow WeightWatcher where the quantity is the same (``alpha``, ``xmin``,
``D``, ``sigma``, ``num_pl_spikes``, ``alpha_weighted``, ``log_norm`` ...); new quantities get
new names (``erg_*``, ``quality_*``, ``rand_jsd``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.spectra.esd import Esd
from powertail.spectra.model import (
    alpha_hat,
    delta_lambda_min,
    erg_crossing,
    histogram_jsd,
    mp_edges,
    mp_median,
    quantile_js_distance,
    trace_log,
    tracy_widom_width,
)
from powertail.spectra.quality import (
    quality_cumulant,
    quality_inverse_mp,
    quality_levy_wigner,
    quality_tail_norm,
)
from powertail.spectra.ww_small_n import WW_SMALL_N, ww_small_n_fit

__all__ = [
    "ALPHA_OVER_TRAINED",
    "ALPHA_UNDER_TRAINED",
    "RELIABLE_MAX_D",
    "RELIABLE_MIN_TAIL",
    "TW_WIDTHS",
    "MPFit",
    "fit_mp_bulk",
    "is_reliable",
    "layer_metrics",
]

#: Below this alpha a layer is flagged ``over-trained`` (HTSR: alpha < 2 is atypical, §1.3).
ALPHA_OVER_TRAINED = 2.0
#: Above this alpha a layer is flagged ``under-trained``; the ESD is then uninformative (§1.2).
ALPHA_UNDER_TRAINED = 6.0
#: Smallest PL tail for a ``reliable`` alpha: below ~50 points the MLE is biased upwards and
#: noisy (a Gaussian 1000x1000 matrix gives alpha ~ 37 from 10 points, brief §3.3 pitfall 5).
RELIABLE_MIN_TAIL = 50
#: Largest KS distance of a ``reliable`` fit: the fitted tail CDF stays within 0.1 of the
#: empirical one. Gaussian (Marchenko-Pastur) matrices, which have no power-law tail, give
#: D ~ 0.12-0.13 (brief §5.3.2); good heavy-tailed layers 0.02-0.08.
RELIABLE_MAX_D = 0.1
#: Eigenvalues above the MP edge by more than this many Tracy-Widom widths count as spikes.
#: The 0.999 quantile of TW1 is ~2.4 above its mean (+ -1.2); 4 widths also absorb the few-%
#: error of the bulk scale estimated from a few hundred eigenvalues.
TW_WIDTHS = 4.0


@dataclass(frozen=True)
class MPFit:
    """Marchenko-Pastur bulk fitted to an ESD (:func:`fit_mp_bulk`), in the ESD's units.

    Attributes
    ----------
    scale : float
        :math:`s` such that the bulk is :math:`s\\,\\mathrm{MP}(c)` with unit variance.
    sigma_mp : float
        :math:`\\sqrt{s}` in mean-1 units of the ESD (about 1 for a random matrix).
    bulk_min, bulk_max : float
        Bulk edges :math:`s(1 \\mp \\sqrt c)^2`.
    spike_threshold : float
        ``bulk_max`` plus :data:`TW_WIDTHS` Tracy-Widom widths.
    num_spikes : int
        Eigenvalues above ``spike_threshold``.
    softrank : float
        ``bulk_max / lambda_max`` (WeightWatcher's ``mp_softrank``).
    """

    scale: float
    sigma_mp: float
    bulk_min: float
    bulk_max: float
    spike_threshold: float
    num_spikes: int
    softrank: float


def fit_mp_bulk(eigenvalues: ArrayLike, *, N: int, M: int) -> MPFit:
    r"""Fit the MP bulk scale by matching the median, and count the spikes above its edge.

    The scale is :math:`s = \operatorname{median}(\lambda)/\operatorname{median}(\mathrm{MP}_c)`
    with :math:`c = M/N` (robust to a few spikes, unlike the mean); the edge is
    :math:`s(1+\sqrt c)^2` and spikes are eigenvalues above
    :math:`s[(1+\sqrt c)^2 + 4\,w_{TW}(N, M)]` (:func:`~powertail.spectra.model.tracy_widom_width`,
    brief §1.3, §2.5). Pooled conv ESDs use the slice shape.

    Parameters
    ----------
    eigenvalues : array_like of shape (n,)
        Positive eigenvalues.
    N, M : int
        Larger and smaller side of each matrix.

    Returns
    -------
    MPFit
    """
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64).ravel())
    if lam.size == 0 or N < 1 or M < 1:
        raise InputError(f"eigenvalues: expected a non-empty ESD and N, M >= 1, got {lam.size}")
    c = M / N
    scale = float(np.median(lam)) / mp_median(c)
    lo, hi = mp_edges(c)
    threshold = scale * (hi + TW_WIDTHS * tracy_widom_width(N, M))
    mean = float(lam.mean())
    return MPFit(
        scale=scale,
        sigma_mp=math.sqrt(scale / mean) if mean > 0 else math.nan,
        bulk_min=scale * lo,
        bulk_max=scale * hi,
        spike_threshold=threshold,
        num_spikes=int(np.sum(lam > threshold)),
        softrank=scale * hi / float(lam[-1]),
    )


_NAN = math.nan
#: Recorded next to the SETOL quality columns (``quality_note``): how they were computed.
QUALITY_NOTE = "experimental: ECS = ERG tail, eigenvalues in mean-1 units"


def _empty_row() -> dict[str, Any]:
    names = (
        "alpha xmin xmax D sigma num_pl_spikes alpha_weighted log_alpha_norm "
        "erg_num erg_lambda_min erg_lambda_min_normalized erg_delta tracelog_at_pl "
        "num_spikes sigma_mp mp_softrank bulk_min bulk_max "
        "quality_tailnorm quality_lw quality_imp quality_cumulant"
    ).split()
    return {name: _NAN for name in names}


def layer_metrics(
    esd: Esd,
    *,
    ks: str = "two-sided",
    min_tail: int = 10,
    min_evals: int = 10,
    rand: Esd | None = None,
    bins: int = 100,
    ww_compat: bool = False,
) -> dict[str, Any]:
    r"""All per-layer metrics of one ESD (brief §1.9), as one output row.

    * norms: ``norm`` :math:`=\sum\lambda` (all eigenvalues), ``log_norm``, ``lambda_max``
      (= ``spectral_norm``), ``log_spectral_norm``,
      ``stable_rank`` :math:`\sum\lambda/\lambda_{\max}`,
      ``matrix_rank`` (kept eigenvalues), ``entropy`` :math:`-\sum p\ln p/\ln n`,
      :math:`p = \lambda/\sum\lambda`;
    * power law (:func:`powertail.tails.fit_power_law` with `ks`, `min_tail`; no `xmax`):
      ``alpha``, ``xmin``, ``xmax`` (= :math:`\lambda_{\max}`), ``D``, ``sigma``,
      ``num_pl_spikes``, ``alpha_weighted`` :math:`\hat\alpha = \alpha\log_{10}\lambda_{\max}`,
      ``log_alpha_norm`` :math:`\log_{10}\sum\lambda^\alpha`, ``reliable``, ``warning``;
    * ERG (:func:`~powertail.spectra.model.erg_crossing`): ``erg_num``, ``erg_lambda_min``
      (input units), ``erg_lambda_min_normalized`` (mean-1), ``erg_delta``
      :math:`\Delta\lambda_{\min} = x_{\min} n/\sum\lambda - \tilde\lambda^{ERG}_{\min}`
      (mean-1 units, WeightWatcher PR #295's ``detX_delta``), ``tracelog_at_pl``, ``erg_status``;
    * MP bulk (:func:`fit_mp_bulk`): ``num_spikes``, ``sigma_mp``, ``mp_softrank``,
      ``bulk_min``, ``bulk_max``;
    * SETOL quality on the ERG tail (experimental, :mod:`powertail.spectra.quality`):
      ``quality_tailnorm``, ``quality_lw``, ``quality_imp``, ``quality_cumulant`` and
      ``quality_note`` (:data:`QUALITY_NOTE`);
    * with `rand`: ``rand_lambda_max``, ``rand_num_spikes`` (correlation traps),
      ``rand_sigma_mp``, ``rand_bulk_max``, ``rand_jsd`` (histogram JSD),
      ``ww_rand_distance``, ``ww_softrank``, ``ww_maxdist``.

    Parameters
    ----------
    esd : Esd
        The layer's ESD.
    ks : {"two-sided", "powerlaw", "ww"}, default "two-sided"
        KS variant of the xmin scan.
    min_tail : int, default 10
        Smallest PL tail allowed in the scan.
    min_evals : int, default 10
        Fewer kept eigenvalues than this: ``status="skipped"``, tail metrics NaN.
    rand : Esd, optional
        ESD of the element-wise shuffled weights.
    bins : int, default 100
        Bins of ``rand_jsd``.
    ww_compat : bool, default False
        WeightWatcher 0.7.7's ERG and small-N fit: the ERG on *all* eigenvalues of the layer,
        the ones dropped by the zero threshold included (in the rescaling to mean 1 and as
        possible crossing points; negative round-off clipped to 0), and spectra of fewer than
        20 eigenvalues fitted by :func:`~powertail.spectra.ww_small_n.ww_small_n_fit`.
        Default: the ERG on the kept eigenvalues (the ESD of the fit), one fit for all sizes.

    Returns
    -------
    dict
        Column name to JSON scalar. ``status`` is ``"ok"``, ``"skipped"`` (too few
        eigenvalues) or ``"failed"`` (no power law could be fitted), with ``reason``.
    """
    from powertail.tails import fit_power_law

    lam = esd.eigenvalues
    n = int(lam.size)
    row: dict[str, Any] = {
        "num_evals": n + esd.n_dropped,
        "n_dropped": esd.n_dropped,
        "zero_threshold": esd.threshold,
        "normalization": esd.normalization,
        "esd_method": esd.method,
        "norm": esd.trace,
        "log_norm": math.log10(esd.trace) if esd.trace > 0 else _NAN,
        "lambda_max": esd.lambda_max,
        "log_spectral_norm": math.log10(esd.lambda_max) if n else _NAN,
        "stable_rank": esd.trace / esd.lambda_max if n else _NAN,
        "matrix_rank": n,
        "entropy": _entropy(lam),
        **_empty_row(),
        "erg_status": "",
        "quality_note": QUALITY_NOTE,
        "reliable": False,
        "warning": "",
        "status": "ok",
        "reason": "",
    }
    if rand is not None:
        row.update(_rand_metrics(esd, rand, bins=bins))
    if n < min_evals:
        row["status"] = "skipped"
        row["reason"] = f"too few eigenvalues ({n} < min_evals={min_evals})"
        return row
    mp = fit_mp_bulk(lam, N=esd.N, M=esd.M)
    row.update(
        num_spikes=mp.num_spikes,
        sigma_mp=mp.sigma_mp,
        mp_softrank=mp.softrank,
        bulk_min=mp.bulk_min,
        bulk_max=mp.bulk_max,
    )
    if ww_compat and esd.dropped is not None and esd.dropped.size:
        erg = erg_crossing(np.concatenate([np.clip(esd.dropped, 0.0, None), lam]))
    else:
        erg = erg_crossing(lam)
    row["erg_status"] = "ok" if erg.crossed else "no crossing"
    if erg.crossed:
        row.update(
            erg_num=erg.num,
            erg_lambda_min=erg.lambda_min,
            erg_lambda_min_normalized=erg.lambda_min_normalized,
        )
        ecs = np.sort(lam)[::-1][: erg.num] * erg.scale
        row["quality_tailnorm"] = quality_tail_norm(ecs)
        row["quality_cumulant"] = quality_cumulant(ecs)
    try:
        if ww_compat and n < WW_SMALL_N:
            fit = ww_small_n_fit(lam)
        else:
            fit = fit_power_law(lam, ks=ks, min_tail=min_tail)  # type: ignore[arg-type]
    except InputError as exc:
        row["status"] = "failed"
        row["reason"] = f"power-law fit failed: {exc}"
        return row
    alpha = fit.alpha
    row.update(
        alpha=alpha,
        xmin=fit.xmin,
        xmax=esd.lambda_max,
        D=fit.D,
        sigma=fit.sigma,
        num_pl_spikes=fit.n_tail,
        alpha_weighted=alpha_hat(alpha, esd.lambda_max),
        log_alpha_norm=_log10_power_sum(lam, alpha),
        tracelog_at_pl=trace_log(lam, lower=fit.xmin, scale=erg.scale),
        reliable=is_reliable(alpha, fit.n_tail, fit.D),
        warning=_warning(alpha),
    )
    if erg.crossed:
        row["erg_delta"] = delta_lambda_min(fit.xmin, erg.scale, erg.lambda_min_normalized)
        ecs = np.sort(lam)[::-1][: erg.num] * erg.scale
        row["quality_lw"] = quality_levy_wigner(ecs, alpha=alpha)
        row["quality_imp"] = quality_inverse_mp(
            ecs, alpha=alpha, lambda_min=erg.lambda_min_normalized
        )
    return row


def is_reliable(alpha: float, n_tail: int, D: float) -> bool:
    """The ``reliable`` flag: an informative exponent, from enough points, that fits.

    ``alpha <= 6`` (:data:`ALPHA_UNDER_TRAINED`: steeper tails are uninformative, brief §1.2),
    ``n_tail >= 50`` (:data:`RELIABLE_MIN_TAIL`: smaller tails bias the MLE upwards) and
    ``D <= 0.1`` (:data:`RELIABLE_MAX_D`: the KS distance of the chosen fit).
    """
    return bool(
        alpha <= ALPHA_UNDER_TRAINED and n_tail >= RELIABLE_MIN_TAIL and D <= RELIABLE_MAX_D
    )


def _warning(alpha: float) -> str:
    if alpha < ALPHA_OVER_TRAINED:
        return "over-trained"
    if alpha > ALPHA_UNDER_TRAINED:
        return "under-trained"
    return ""


def _entropy(lam: NDArray[np.float64]) -> float:
    """Normalised spectral entropy :math:`-\\sum p\\ln p / \\ln n` with
    :math:`p = \\lambda/\\sum\\lambda`."""
    if lam.size < 2:
        return _NAN
    p = lam / lam.sum()
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)) / math.log(lam.size))


def _log10_power_sum(lam: NDArray[np.float64], alpha: float) -> float:
    """:math:`\\log_{10}\\sum_i \\lambda_i^{\\alpha}` by log-sum-exp (no overflow)."""
    logs = alpha * np.log(lam)
    top = float(logs.max())
    return (top + math.log(float(np.sum(np.exp(logs - top))))) / math.log(10)


def _rand_metrics(esd: Esd, rand: Esd, *, bins: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rand_lambda_max": rand.lambda_max,
        "rand_num_spikes": _NAN,
        "rand_sigma_mp": _NAN,
        "rand_bulk_max": _NAN,
        "rand_jsd": _NAN,
        "ww_rand_distance": _NAN,
        "ww_softrank": rand.lambda_max / esd.lambda_max if esd.eigenvalues.size else _NAN,
        "ww_maxdist": esd.lambda_max - rand.lambda_max,
    }
    if rand.eigenvalues.size == 0 or esd.eigenvalues.size == 0:
        return out
    mp = fit_mp_bulk(rand.eigenvalues, N=rand.N, M=rand.M)
    out.update(
        rand_num_spikes=mp.num_spikes,
        rand_sigma_mp=mp.sigma_mp,
        rand_bulk_max=mp.bulk_max,
        rand_jsd=histogram_jsd(esd.eigenvalues, rand.eigenvalues, bins=bins),
    )
    if rand.eigenvalues.size == esd.eigenvalues.size:
        out["ww_rand_distance"] = quantile_js_distance(esd.eigenvalues, rand.eigenvalues)
    return out

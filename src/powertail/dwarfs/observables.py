r"""What is measured from a snapshot: sizes, dispersions, anisotropy, slopes, energies, masses.

Every function takes positions/velocities of shape (n, 3) (and optional per-star ``weights``,
e.g. from :func:`~powertail.dwarfs.populations.grid_weights`) and returns numbers or a frozen
result; the line of sight is the z axis unless ``los`` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.errors import InputError

__all__ = [
    "AnisotropyProfile",
    "Oscillation",
    "Snapshot",
    "anisotropy_profile",
    "errani18_mass",
    "half_light_radius",
    "log_slope_profile",
    "mean_square_velocity",
    "metallicity_gradient",
    "oscillation",
    "projected_half_light_radius",
    "sigma_los",
    "snapshot_summary",
    "virial_ratio",
    "weighted_quantile",
    "wolf_mass",
]

ERRANI18_FACTOR = 3.5
"""Errani, Peñarrubia & Walker (2018): :math:`M(<1.8 R_e) = 3.5 \\times 1.8 R_e \\langle
\\sigma_{los}^2\\rangle / G` (brief §2.5)."""
ERRANI18_RADIUS = 1.8
WOLF_FACTOR = 4.0
"""Wolf et al. (2010): :math:`M(<r_{1/2}) \\approx 4 \\langle\\sigma_{los}^2\\rangle R_e / G`."""


def _xyz(values: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] < 2:
        raise InputError(f"{name}: expected shape (n, 3) with n >= 2, got {arr.shape}")
    return arr


def _weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64]:
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InputError(
            f"weights: expected {n} finite non-negative weights with a positive sum, got shape "
            f"{w.shape}"
        )
    return w / w.sum()


def weighted_quantile(
    values: ArrayLike, q: ArrayLike, *, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Quantiles ``q`` of ``values`` (inverse of the weighted empirical CDF, midpoint rule)."""
    x = np.asarray(values, dtype=np.float64)
    w = _weights(weights, x.size)
    order = np.argsort(x)
    cdf = np.cumsum(w[order]) - 0.5 * w[order]
    return np.interp(np.asarray(q, dtype=np.float64), cdf, x[order])


def half_light_radius(positions: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """3-D half-light (half-number) radius :math:`r_h`: weighted median of :math:`|\\mathbf x|`."""
    x = _xyz(positions, "positions")
    return float(weighted_quantile(np.linalg.norm(x, axis=1), 0.5, weights=weights))


def _los_axis(los: int) -> int:
    if los not in (0, 1, 2):
        raise InputError(f"los: expected the line-of-sight axis 0, 1 or 2, got {los!r}")
    return los


def projected_half_light_radius(
    positions: ArrayLike, *, weights: ArrayLike | None = None, los: int = 2
) -> float:
    """Projected half-light radius :math:`R_e`: weighted median of the radius perpendicular to
    the line of sight ``los``."""
    x = _xyz(positions, "positions")
    keep = [i for i in range(3) if i != _los_axis(los)]
    return float(weighted_quantile(np.linalg.norm(x[:, keep], axis=1), 0.5, weights=weights))


def sigma_los(velocities: ArrayLike, *, weights: ArrayLike | None = None, los: int = 2) -> float:
    """Line-of-sight velocity dispersion (weighted standard deviation of ``v[:, los]``)."""
    v = _xyz(velocities, "velocities")[:, _los_axis(los)]
    w = _weights(weights, v.size)
    mean = float(w @ v)
    return float(np.sqrt(w @ (v - mean) ** 2))


def mean_square_velocity(velocities: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """:math:`\\langle\\sigma^2\\rangle = \\langle |\\mathbf v|^2 \\rangle / 3` (per component)."""
    v = _xyz(velocities, "velocities")
    w = _weights(weights, v.shape[0])
    return float(w @ np.sum(v * v, axis=1)) / 3.0


def virial_ratio(
    positions: ArrayLike,
    velocities: ArrayLike,
    potential: SphericalPotential,
    *,
    amplitude: float = 1.0,
    weights: ArrayLike | None = None,
) -> float:
    r"""Virial ratio of a tracer in an external potential (brief §2.2.1):
    :math:`2K / \langle \mathbf r\cdot\nabla\Phi\rangle = \langle v^2\rangle /
    \langle A\,M(<r)/r\rangle` (1 in equilibrium)."""
    x = _xyz(positions, "positions")
    v = _xyz(velocities, "velocities")
    w = _weights(weights, x.shape[0])
    r = np.linalg.norm(x, axis=1)
    safe = np.where(r > 0, r, 1.0)
    r_grad_phi = np.where(r > 0, amplitude * potential.mass(safe) / safe, 0.0)
    return float(w @ np.sum(v * v, axis=1)) / float(w @ r_grad_phi)


@dataclass(frozen=True)
class AnisotropyProfile:
    """Binned :math:`\\beta(r) = 1 - \\sigma_t^2/(2\\sigma_r^2)` (arrays of shape (n_bins,))."""

    r: NDArray[np.float64]
    beta: NDArray[np.float64]
    sigma_r: NDArray[np.float64]
    sigma_t: NDArray[np.float64]
    counts: NDArray[np.int64]


def anisotropy_profile(
    positions: ArrayLike,
    velocities: ArrayLike,
    *,
    edges: ArrayLike,
    weights: ArrayLike | None = None,
) -> AnisotropyProfile:
    r"""Velocity anisotropy in radial bins ``edges``:
    :math:`\beta = 1 - \langle v_t^2\rangle / (2\langle v_r^2\rangle)` (mean motions ignored,
    as appropriate for a non-rotating spherical system)."""
    x = _xyz(positions, "positions")
    v = _xyz(velocities, "velocities")
    w = _weights(weights, x.shape[0])
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
        raise InputError("edges: expected at least 2 strictly increasing radii")
    r = np.linalg.norm(x, axis=1)
    safe = np.where(r > 0, r, 1.0)
    vr = np.sum(x * v, axis=1) / safe
    vt2 = np.clip(np.sum(v * v, axis=1) - vr**2, 0.0, None)  # round-off for radial orbits
    idx = np.digitize(r, e) - 1
    nb = e.size - 1
    inside = (idx >= 0) & (idx < nb)
    wsum = np.bincount(idx[inside], weights=w[inside], minlength=nb)
    vr2 = np.bincount(idx[inside], weights=(w * vr**2)[inside], minlength=nb)
    vt2s = np.bincount(idx[inside], weights=(w * vt2)[inside], minlength=nb)
    counts = np.bincount(idx[inside], minlength=nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr2 = vr2 / wsum
        st2 = vt2s / wsum
        beta = 1.0 - st2 / (2.0 * sr2)
    return AnisotropyProfile(
        r=np.sqrt(e[1:] * e[:-1]) if e[0] > 0 else 0.5 * (e[1:] + e[:-1]),
        beta=beta,
        sigma_r=np.sqrt(sr2),
        sigma_t=np.sqrt(st2),
        counts=counts,
    )


def log_slope_profile(
    positions: ArrayLike,
    *,
    rmin: float,
    rmax: float,
    bins: int = 12,
    weights: ArrayLike | None = None,
) -> tuple[float, float]:
    """Fitted density log-slope :math:`d\\ln\\rho/d\\ln r` between ``rmin`` and ``rmax``
    (log bins; via :func:`powertail.tails.density_profile` and
    :func:`powertail.tails.fit_log_slope`). Returns ``(slope, stderr)``."""
    from powertail.tails import density_profile, fit_log_slope

    x = _xyz(positions, "positions")
    r = np.linalg.norm(x, axis=1)
    w = None if weights is None else _weights(weights, r.size)
    profile = density_profile(r, bins=np.geomspace(rmin, rmax, bins + 1), weights=w)
    keep = profile.nonempty()
    if keep.sum() < 3:
        raise InputError(
            f"positions: expected stars in at least 3 bins between {rmin:g} and {rmax:g}, got "
            f"{int(keep.sum())}; widen the range or use more stars"
        )
    fit = fit_log_slope(profile.r[keep], profile.density[keep])
    return float(fit.slope), float(fit.stderr)


def wolf_mass(r_e: float, sigma: float) -> float:
    r"""Wolf et al. (2010) mass (brief §2.5): :math:`M(<r_{1/2}) = 4\,\sigma_{los}^2 R_e / G`,
    evaluated at :math:`r_{1/2} \approx \tfrac{4}{3}R_e`."""
    return WOLF_FACTOR * sigma * sigma * r_e


def errani18_mass(r_e: float, sigma: float) -> float:
    r"""Errani, Peñarrubia & Walker (2018) mass (brief §2.5):
    :math:`M(<1.8R_e) = 3.5 \times 1.8\,R_e\,\sigma_{los}^2 / G`."""
    return ERRANI18_FACTOR * ERRANI18_RADIUS * r_e * sigma * sigma


@dataclass(frozen=True)
class Snapshot:
    """The summary numbers of one snapshot (see :func:`snapshot_summary`)."""

    r_h: float
    R_e: float
    sigma_los: float
    sigma_3d: float
    virial_ratio: float
    wolf_ratio: float
    errani18_ratio: float


def snapshot_summary(
    positions: ArrayLike,
    velocities: ArrayLike,
    potential: SphericalPotential,
    *,
    amplitude: float = 1.0,
    weights: ArrayLike | None = None,
    los: int | None = None,
) -> Snapshot:
    """r_h, R_e, σ_los, ⟨σ²⟩^½, virial ratio and the Wolf / Errani+18 mass ratios.

    The ratios are ``M_est / M_true`` with the true mass ``amplitude * potential.mass`` inside
    the 3-D :math:`r_h` (Wolf) and inside :math:`1.8 R_e` (Errani+18), as in the brief's §2.3
    table (which lists the inverse ratios). With ``los=None`` the projected quantities are
    averaged over the three axes.
    """
    axes = (0, 1, 2) if los is None else (_los_axis(los),)
    r_e = float(
        np.mean([projected_half_light_radius(positions, weights=weights, los=a) for a in axes])
    )
    s2 = float(np.mean([sigma_los(velocities, weights=weights, los=a) ** 2 for a in axes]))
    sig = float(np.sqrt(s2))
    r_h = half_light_radius(positions, weights=weights)
    m_true_wolf = amplitude * float(potential.mass(half_light_radius(positions, weights=weights)))
    m_true_e18 = amplitude * float(potential.mass(ERRANI18_RADIUS * r_e))
    return Snapshot(
        r_h=r_h,
        R_e=r_e,
        sigma_los=sig,
        sigma_3d=float(np.sqrt(mean_square_velocity(velocities, weights=weights))),
        virial_ratio=virial_ratio(
            positions, velocities, potential, amplitude=amplitude, weights=weights
        ),
        wolf_ratio=wolf_mass(r_e, sig) / m_true_wolf,
        errani18_ratio=errani18_mass(r_e, sig) / m_true_e18,
    )


def metallicity_gradient(
    positions: ArrayLike,
    feh: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    los: int = 2,
    per_re: bool = True,
) -> float:
    r"""Projected metallicity gradient :math:`d[\mathrm{Fe/H}]/dR` by weighted least squares of
    each star's [Fe/H] on its projected radius, per :math:`R_e` (``per_re``) or per unit length,
    using stars inside :math:`3R_e`."""
    x = _xyz(positions, "positions")
    f = np.asarray(feh, dtype=np.float64)
    if f.shape != (x.shape[0],):
        raise InputError(f"feh: expected one value per star ({x.shape[0]}), got shape {f.shape}")
    w = _weights(weights, x.shape[0])
    keep_axes = [i for i in range(3) if i != _los_axis(los)]
    big_r = np.linalg.norm(x[:, keep_axes], axis=1)
    r_e = float(weighted_quantile(big_r, 0.5, weights=w))
    inside = big_r < 3.0 * r_e
    u = big_r[inside] / (r_e if per_re else 1.0)
    ww, ff = w[inside], f[inside]
    um, fm = (ww @ u) / ww.sum(), (ww @ ff) / ww.sum()
    return float((ww @ ((u - um) * (ff - fm))) / (ww @ (u - um) ** 2))


@dataclass(frozen=True)
class Oscillation:
    """Dominant oscillation of a time series (see :func:`oscillation`)."""

    period: float
    amplitude: float
    mean: float


def oscillation(t: ArrayLike, y: ArrayLike) -> Oscillation:
    """Dominant period (peak of the periodogram of the mean-subtracted, Hann-windowed series,
    refined by a parabola through the three highest bins) and relative amplitude
    :math:`\\sqrt{2}\\,\\mathrm{std}(y)/\\bar y` of an evenly sampled series."""
    tt = np.asarray(t, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    if tt.shape != yy.shape or tt.size < 8:
        raise InputError(f"t, y: expected two equal series of >= 8 samples, got {tt.shape}")
    dt = float(np.mean(np.diff(tt)))
    if np.any(np.abs(np.diff(tt) - dt) > 1e-6 * dt):
        raise InputError("t: expected evenly spaced times (snapshots at a fixed interval)")
    mean = float(yy.mean())
    pad = 16 * tt.size
    power = np.abs(np.fft.rfft((yy - mean) * np.hanning(tt.size), n=pad)) ** 2
    freq = np.fft.rfftfreq(pad, d=dt)
    k = int(np.argmax(power[1:-1])) + 1
    a, b, c = np.log(power[k - 1 : k + 2] + 1e-300)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    f_peak = freq[k] + shift * (freq[1] - freq[0])
    return Oscillation(
        period=float(1.0 / f_peak), amplitude=float(np.sqrt(2.0) * yy.std() / mean), mean=mean
    )

r"""Exact sampling of one collision: background partner :math:`v_*`, direction :math:`\omega`, and
:math:`w' = w - ((w - v_*)\cdot\omega)\,\omega` (brief 2.4).

Every random number comes from the particles' own counter-based streams
(:class:`~powertail.shear.streams.ParticleStreams`), so a particle's collisions do not depend on
the other particles of its batch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from powertail.shear.model import ShearModel
from powertail.shear.streams import ParticleStreams

__all__ = ["sample_direction", "sample_partner", "sample_partner_weight", "scatter"]


def sample_partner_weight(
    x: NDArray[np.float64], gamma: float, streams: ParticleStreams, rows: NDArray[np.intp]
) -> NDArray[np.float64]:
    r"""Sample :math:`q \in (0,1)` with density :math:`\propto q^{A-1}(1-q)^{B-1}e^{-xq}`.

    :math:`A = -\gamma/2`, :math:`B = (\gamma+3)/2`, :math:`x = |w|^2/(2T)`, for :math:`\gamma < 0`
    (brief 2.4: the Gaussian-mixture form of :math:`|u|^\gamma`). Rejection from a two-piece
    envelope valid for every :math:`\gamma \in (-3, 0)`: on :math:`(0, 1/2]` the bound
    :math:`c_1 q^{A-1}e^{-xq}` with :math:`c_1 = \max(1, 2^{1-B})` (a truncated Gamma(A, rate x)
    drawn by inversion; for :math:`x \le 1` the plain :math:`c_1 q^{A-1}`), on :math:`(1/2, 1)` the
    bound :math:`c_2 (1-q)^{B-1}` with :math:`c_2 = e^{-x/2}\max(1, 2^{1-A})`.

    Parameters
    ----------
    x : ndarray of float64, shape (n,)
    gamma : float
    streams : ParticleStreams
    rows : ndarray of intp, shape (n,)

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    from scipy.special import gamma as gamma_fn
    from scipy.special import gammainc, gammaincinv

    A, B = -gamma / 2.0, (gamma + 3.0) / 2.0
    c1 = max(1.0, 2.0 ** (1.0 - B))
    log_c2_base = np.log(max(1.0, 2.0 ** (1.0 - A)))
    q = np.empty(x.shape, dtype=np.float64)
    todo = np.arange(x.size)
    while todo.size:
        xt = x[todo]
        low_x = xt <= 1.0
        xs = np.maximum(xt, 1.0)  # used only where x > 1
        p_half = gammainc(A, xs / 2.0)
        mass1 = np.where(low_x, c1 * 0.5**A / A, c1 * gamma_fn(A) * xs ** (-A) * p_half)
        mass2 = np.exp(log_c2_base - xt / 2.0) * 0.5**B / B
        u = streams.draw(rows[todo], 3)
        first = u[:, 0] * (mass1 + mass2) < mass1
        q1_low = 0.5 * u[:, 1] ** (1.0 / A)
        q1_high = gammaincinv(A, u[:, 1] * p_half) / xs
        q1 = np.where(low_x, q1_low, q1_high)
        q2 = 1.0 - 0.5 * u[:, 1] ** (1.0 / B)
        qt = np.clip(np.where(first, q1, q2), 1e-300, 1.0 - 1e-16)
        log_f = (A - 1) * np.log(qt) + (B - 1) * np.log1p(-qt) - xt * qt
        log_env1 = np.log(c1) + (A - 1) * np.log(qt) - np.where(low_x, 0.0, xt * qt)
        log_env2 = log_c2_base - xt / 2.0 + (B - 1) * np.log1p(-qt)
        log_env = np.where(first, log_env1, log_env2)
        # the two pieces overlap nowhere: q1 <= 1/2 < q2
        accept = np.log(u[:, 2]) < log_f - log_env
        q[todo[accept]] = qt[accept]
        todo = todo[~accept]
    return q


def sample_partner(
    model: ShearModel, w: NDArray[np.longdouble], streams: ParticleStreams, rows: NDArray[np.intp]
) -> NDArray[np.float64]:
    r"""Background partner :math:`v_*` with density :math:`\propto M_T(v_*)|w - v_*|^\gamma`
    (brief 2.4).

    * :math:`\gamma = 0`: :math:`v_* \sim M_T`;
    * :math:`\gamma < 0`: :math:`v_* = q w + \sqrt{(1-q)T} Z` with :math:`q` from
      :func:`sample_partner_weight` (exact);
    * :math:`\gamma > 0`: propose from the mixture :math:`\propto M_T(v)(|w|^\gamma + |v|^\gamma)`
      and accept with probability :math:`|w - v|^\gamma / (|w|^\gamma + |v|^\gamma)`.

    Returns
    -------
    ndarray of float64, shape (n, 3)
        Partner velocities (thermal, so float64 is enough; for :math:`\gamma < 0` the part
        :math:`q w` can be large and is returned in longdouble).
    """
    T, g = model.temperature, model.gamma
    n = w.shape[0]
    sqrt_t = np.sqrt(T)
    if g == 0.0:
        return sqrt_t * streams.normals(rows, 3)
    if g < 0.0:
        x = np.asarray(np.sum(w**2, axis=1) / (2.0 * T), dtype=np.float64)
        q = sample_partner_weight(x, g, streams, rows)
        z = streams.normals(rows, 3)
        return q[:, None] * w + (np.sqrt((1.0 - q) * T))[:, None] * z
    from scipy.special import gamma as gamma_fn
    from scipy.special import gammaincinv

    speed = np.asarray(np.sqrt(np.sum(w**2, axis=1)), dtype=np.float64)
    mean_v_g = T ** (g / 2) * 2 ** (g / 2) * gamma_fn((3 + g) / 2) / gamma_fn(1.5)  # E|sqrt(T)Z|^g
    out = np.empty((n, 3), dtype=np.float64)
    todo = np.arange(n)
    while todo.size:
        u = streams.draw(rows[todo], 3)
        z = streams.normals(rows[todo], 3)
        wg = speed[todo] ** g
        from_maxwell = u[:, 0] * (wg + mean_v_g) < wg
        # tilted partner: |v|^2/T ~ Gamma((3+g)/2, scale 2), direction uniform
        radius = np.sqrt(T * 2.0 * gammaincinv((3 + g) / 2, u[:, 1]))
        direction = z / np.linalg.norm(z, axis=1, keepdims=True)
        v = np.where(from_maxwell[:, None], sqrt_t * z, radius[:, None] * direction)
        rel = np.asarray(np.linalg.norm(np.asarray(w[todo], dtype=np.float64) - v, axis=1))
        vg = np.linalg.norm(v, axis=1) ** g
        accept = u[:, 2] * (wg + vg) < rel**g
        out[todo[accept]] = v[accept]
        todo = todo[~accept]
    return out


def sample_direction(
    scattering: str, n_hat: NDArray, streams: ParticleStreams, rows: NDArray[np.intp]
) -> NDArray[np.float64]:
    r"""Direction :math:`\omega` with density :math:`b(n\cdot\omega)/\beta_0` around unit ``n_hat``.

    ``"uniform-omega"``: :math:`\omega` uniform on :math:`S^2` (Archimedes:
    :math:`\omega_3 = 2U_1 - 1`, azimuth :math:`2\pi U_2`).
    ``"isotropic-cm"``: :math:`b \propto |\mu|`: :math:`\mu = n\cdot\omega = \sqrt U` and a uniform
    azimuth, :math:`\omega = \mu n + \sqrt{1-\mu^2}\,e_\perp`.
    """
    if scattering == "uniform-omega":
        u = streams.draw(rows, 2)
        c = 2.0 * u[:, 0] - 1.0
        r = np.sqrt(np.maximum(1.0 - c * c, 0.0))
        phi = 2.0 * np.pi * u[:, 1]
        return np.stack([r * np.cos(phi), r * np.sin(phi), c], axis=1)
    z = streams.normals(rows, 3)
    nh = np.asarray(n_hat, dtype=np.float64)
    perp = z - np.sum(z * nh, axis=1, keepdims=True) * nh
    perp /= np.linalg.norm(perp, axis=1, keepdims=True)
    mu = np.sqrt(streams.draw(rows, 1))
    return mu * nh + np.sqrt(1.0 - mu**2) * perp


def scatter(
    model: ShearModel, w: NDArray[np.longdouble], streams: ParticleStreams, rows: NDArray[np.intp]
) -> NDArray[np.longdouble]:
    r"""Post-collision velocity :math:`w' = w - ((w - v_*)\cdot\omega)\,\omega` (brief 1.2).

    δ-model: :math:`v_* = 0`, so :math:`w' = w - (w\cdot\omega)\omega` lies on the Thales sphere
    over :math:`[0, w]` (brief 1.4). BGK: :math:`w' \sim M_T`.

    Parameters
    ----------
    model : ShearModel
    w : ndarray of longdouble or float64, shape (n, 3)
    streams : ParticleStreams
    rows : ndarray of intp, shape (n,)

    Returns
    -------
    ndarray of the dtype of `w`, shape (n, 3)
    """
    if model.background == "bgk":
        return np.sqrt(model.temperature) * streams.normals(rows, 3).astype(w.dtype)
    if model.background == "delta":
        u = w
    else:
        u = w - sample_partner(model, w, streams, rows)
    norm = np.sqrt(np.sum(u**2, axis=1, keepdims=True))
    norm = np.where(norm == 0, 1.0, norm)
    omega = sample_direction(
        model.scattering, np.asarray(u / norm, dtype=np.float64), streams, rows
    )
    omega = omega.astype(w.dtype)
    return w - np.sum(u * omega, axis=1, keepdims=True) * omega

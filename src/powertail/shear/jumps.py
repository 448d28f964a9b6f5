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

__all__ = [
    "projected_partner",
    "sample_direction",
    "sample_partner",
    "sample_partner_weight",
    "scatter",
]


def sample_partner_weight(
    x: NDArray[np.float64], gamma: float, streams: ParticleStreams, rows: NDArray[np.intp]
) -> NDArray[np.float64]:
    r"""Sample :math:`q \in (0,1)` with density :math:`f(q) \propto q^{A-1}(1-q)^{B-1}e^{-xq}`.

    :math:`A = -\gamma/2`, :math:`B = (\gamma+3)/2`, :math:`x = |w|^2/(2T)`, for :math:`\gamma < 0`
    (brief 2.4: the Gaussian-mixture form of :math:`|u|^\gamma`). Exact rejection from a
    three-piece envelope valid for every :math:`\gamma \in (-3, 0)` and every :math:`x \ge 0`,
    built from elementary functions only (3 uniforms per attempt: piece, inversion, acceptance).
    With :math:`c_1 = \max(1, 2^{1-B}) \ge (1-q)^{B-1}` on :math:`(0, 1/2]`,
    :math:`q_a = \min(1/x, 1/2)`, :math:`d = \max(A-1, 0)`, :math:`\rho = 1-d` and :math:`y = xq`:

    * (a) :math:`q \in (0, q_a]`: :math:`c_1 q^{A-1}` (drawn as :math:`q_a U^{1/A}`);
    * (b) :math:`q \in (1/x, 1/2]` (only for :math:`x > 2`): :math:`c_1 x^{1-A}e^{-d}e^{-\rho y}`,
      from :math:`y^{A-1}e^{-y} \le e^{-d}e^{-\rho y}` for :math:`y \ge 1` (:math:`\ln y \le
      y - 1`), a truncated exponential drawn by inversion;
    * (c) :math:`q \in (1/2, 1)`: :math:`c_2(1-q)^{B-1}`, :math:`c_2 = e^{-x/2}\max(1, 2^{1-A})`
      (drawn as :math:`1 - U^{1/B}/2`).

    Relative to :math:`c_1 q_a^A` the masses are :math:`1/A`,
    :math:`e^{-1}(1 - e^{-\rho(x/2-1)})/\rho` and :math:`c_2 2^{-B} / (B c_1 q_a^A)`; the
    acceptance rate (quadrature, worst :math:`x`) is 0.81 at γ = −0.5, 0.58 at −1.5, 0.33 at
    −2.5, and falls to 0 as γ → −3 (:math:`B \to 0`).
    :math:`x = \infty` (beyond float64) gives the limit :math:`q = 0` after one attempt's draws.

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
    A, B = -gamma / 2.0, (gamma + 3.0) / 2.0
    c1 = max(1.0, 2.0 ** (1.0 - B))
    log_c1 = np.log(c1)
    log_c2_base = np.log(max(1.0, 2.0 ** (1.0 - A)))
    d = max(A - 1.0, 0.0)
    rho = 1.0 - d
    q = np.empty(x.shape, dtype=np.float64)
    todo = np.arange(x.size)
    while todo.size:
        xt = x[todo]
        finite = np.isfinite(xt)
        xf = np.where(finite, xt, 4.0)  # placeholder where x = inf (q = 0 below)
        qa = np.minimum(1.0 / np.maximum(xf, 2.0), 0.5)
        span = np.where(xf > 2.0, -np.expm1(-rho * (xf / 2.0 - 1.0)), 0.0)
        mass_a = 1.0 / A
        mass_b = np.exp(-1.0) * span / rho
        mass_c = np.exp(log_c2_base - xf / 2.0 - A * np.log(qa) - log_c1) * 0.5**B / B
        u = streams.draw(rows[todo], 3)
        level = u[:, 0] * (mass_a + mass_b + mass_c)
        piece_a = level < mass_a
        piece_b = ~piece_a & (level < mass_a + mass_b)
        q_a = qa * u[:, 1] ** (1.0 / A)
        y_b = 1.0 - np.log1p(-u[:, 1] * span) / rho
        q_b = y_b / xf
        q_c = 1.0 - 0.5 * u[:, 1] ** (1.0 / B)
        qt = np.where(piece_a, q_a, np.where(piece_b, q_b, q_c))
        qt = np.clip(qt, 1e-300, 1.0 - 1e-16)
        y_b = np.where(piece_b, y_b, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio_a = (B - 1) * np.log1p(-qt) - xf * qt - log_c1
            log_ratio_b = (A - 1) * np.log(y_b) - d * (y_b - 1.0) + (B - 1) * np.log1p(-qt) - log_c1
            log_ratio_c = (A - 1) * np.log(qt) - xf * qt + xf / 2.0 - log_c2_base
        log_ratio = np.where(piece_a, log_ratio_a, np.where(piece_b, log_ratio_b, log_ratio_c))
        accept = (np.log(u[:, 2]) < log_ratio) | ~finite
        qt = np.where(finite, qt, 0.0)
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
        with np.errstate(over="ignore"):  # |w| > 1e154 (longdouble): x = inf, whose q is 0
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

    ``"uniform-omega"``: :math:`\omega` uniform on :math:`S^2` by Marsaglia's (1972) method: a
    point :math:`v` uniform in the unit disc, :math:`s = |v|^2`, gives
    :math:`\omega = (2v_1\sqrt{1-s},\ 2v_2\sqrt{1-s},\ 1-2s)` (no trigonometric functions).
    ``"isotropic-cm"``: :math:`b \propto |\mu|`: :math:`\mu = n\cdot\omega = \sqrt U` and a uniform
    azimuth, :math:`\omega = \mu n + \sqrt{1-\mu^2}\,e_\perp`.
    """
    if scattering == "uniform-omega":
        v, s = streams.disc_points(rows)
        r = 2.0 * np.sqrt(1.0 - s)
        return np.stack([v[:, 0] * r, v[:, 1] * r, 1.0 - 2.0 * s], axis=1)
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
    if projected_partner(model):
        return _scatter_projected(model, w, streams, rows)
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


def projected_partner(model: ShearModel) -> bool:
    r"""Whether the collision needs only the projection of the partner's Gaussian part on
    :math:`\omega`: Maxwellian background, :math:`\gamma \le 0`, ``uniform-omega`` scattering."""
    return (
        model.background == "maxwellian"
        and model.gamma <= 0.0
        and model.scattering == "uniform-omega"
    )


def _scatter_projected(
    model: ShearModel, w: NDArray[np.longdouble], streams: ParticleStreams, rows: NDArray[np.intp]
) -> NDArray[np.longdouble]:
    r""":math:`w' = w - ((1-q)\,w\cdot\omega - \sqrt{(1-q)T}\,Z)\,\omega` with one normal
    :math:`Z`: the same law as :func:`scatter` with the full partner, cheaper.

    For :math:`\gamma \le 0` the partner is :math:`v_* = q w + \sqrt{(1-q)T}\,G` with
    :math:`G \sim N(0, I_3)` (:math:`q = 0` for :math:`\gamma = 0`, else from
    :func:`sample_partner_weight`), and with ``uniform-omega`` scattering :math:`\omega` is
    drawn independently of :math:`v_*`. The collision rule uses :math:`v_*` only through
    :math:`v_*\cdot\omega`, and :math:`G\cdot\omega \sim N(0, 1)` for every unit :math:`\omega`
    (rotation invariance), independent of :math:`\omega`. So :math:`G` is replaced by its
    projection :math:`Z`: 1 normal instead of 3, and half a polar pair on average
    (:meth:`~powertail.shear.streams.ParticleStreams.paired_normals`: the pair's second normal is
    kept for the particle's next collision). Draw order: :math:`q` (γ < 0), :math:`\omega`,
    :math:`Z` (a disc point only when no spare normal is held).
    """
    T, g = model.temperature, model.gamma
    if g < 0.0:
        with np.errstate(over="ignore"):  # |w| > 1e154 (longdouble): x = inf, whose q is 0
            x = np.asarray(np.sum(w**2, axis=1) / (2.0 * T), dtype=np.float64)
        q = sample_partner_weight(x, g, streams, rows)
    else:
        q = np.zeros(len(rows))
    omega = sample_direction("uniform-omega", np.zeros((len(rows), 3)), streams, rows)
    omega = omega.astype(w.dtype)
    z = streams.paired_normals(rows)
    along = w[:, 0] * omega[:, 0] + w[:, 1] * omega[:, 1] + w[:, 2] * omega[:, 2]
    dot = (1.0 - q) * along - np.sqrt((1.0 - q) * T) * z
    return w - dot[:, None] * omega

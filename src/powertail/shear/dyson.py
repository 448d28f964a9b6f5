r"""Small-time Dyson (Duhamel) expansion by quadrature: the terms with 0, 1 and 2 collisions.

From a fixed :math:`w_0` (brief 2.2),

.. math::

    E[\varphi(w(t)); N_t = 0] &= P_{fl}(t; w_0)\,\varphi(\Phi_t w_0), \\
    E[\varphi(w(t)); N_t = 1] &= \int_0^t ds\, \lambda(\Phi_s w_0) P_{fl}(s; w_0)
        \int J(\Phi_s w_0, dw')\, P_{fl}(t - s; w')\,\varphi(\Phi_{t-s} w'),

with :math:`P_{fl}(s; w) = \exp(-\Lambda(s))`. The time integral uses Gauss-Legendre nodes, the
jump kernel :math:`J` exact Gauss-Hermite (partner :math:`v_* \sim M_T`) and sphere quadrature
(direction). Available for constant rates (:math:`\gamma = 0`, Maxwellian background, both
scattering laws) and for the δ-model (uniform :math:`\omega`); it is the deterministic reference
for the Monte Carlo at small times (brief 5, item 3).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.shear.flights import delta_flight_integral
from powertail.shear.model import ShearModel, collision_rate

__all__ = ["DysonTerms", "TwoCollisionTerm", "dyson_terms", "dyson_two_collision_term"]

TestFunction = Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class DysonTerms:
    """``p0, p1``: probabilities of 0 and 1 collisions by ``t``; ``e0, e1``: the expectations
    :math:`E[\\varphi(w(t)); N_t = k]`."""

    t: float
    p0: float
    p1: float
    e0: float
    e1: float


def _survival(model: ShearModel, w: NDArray, s: NDArray) -> NDArray[np.float64]:
    if model.background == "delta":
        return np.exp(-np.asarray(delta_flight_integral(model, w, s), dtype=np.float64))
    return np.exp(-model.c0 * np.asarray(s, dtype=np.float64))


def _flow(w: NDArray, K: float, s: NDArray) -> NDArray:
    out = np.array(w, dtype=np.float64, copy=True)
    out[..., 0] = out[..., 0] - K * out[..., 1] * s
    return out


def dyson_terms(
    model: ShearModel,
    w0: ArrayLike,
    t: float,
    phi: TestFunction,
    *,
    time_nodes: int = 48,
    sphere_nodes: int = 24,
) -> DysonTerms:
    r"""Zero- and one-collision terms of the Dyson series at time ``t`` (module docstring).

    Parameters
    ----------
    model : ShearModel
        :math:`\gamma = 0` (Maxwellian or BGK) or the δ-model with ``"uniform-omega"``.
    w0 : array_like of shape (3,)
    t : float
    phi : callable
        Test function of velocities, ``(..., 3) -> (...)``.
    time_nodes, sphere_nodes : int
        Gauss-Legendre nodes in time and in :math:`\cos\theta` (the azimuth uses
        ``2 * sphere_nodes + 1`` points).

    Returns
    -------
    DysonTerms
    """
    delta = model.background == "delta"
    if not (model.gamma == 0.0 or delta):
        raise InputError(
            f"model: dyson_terms needs gamma = 0 or the delta background, got {model.label}"
        )
    if delta and model.scattering != "uniform-omega":
        raise InputError("model.scattering: the delta-model Dyson terms use 'uniform-omega'")
    w0 = np.asarray(w0, dtype=np.float64).reshape(3)
    K = model.shear
    # zero collisions
    p0 = float(_survival(model, w0[None, :], np.array([t]))[0])
    e0 = p0 * float(phi(_flow(w0, K, np.asarray(t))))
    # one collision: time nodes
    x, wx = np.polynomial.legendre.leggauss(time_nodes)
    s = 0.5 * t * (x + 1.0)
    ws = 0.5 * t * wx
    w_pre = _flow(np.broadcast_to(w0, (time_nodes, 3)), K, s)  # (S, 3)
    rate = collision_rate(model, np.linalg.norm(w_pre, axis=1))
    before = _survival(model, np.broadcast_to(w0, (time_nodes, 3)), s)
    # directions
    c, wc = np.polynomial.legendre.leggauss(sphere_nodes)
    n_phi = 2 * sphere_nodes + 1
    az = 2 * np.pi * np.arange(n_phi) / n_phi
    st = np.sqrt(1 - c**2)
    omega = np.stack(
        [np.outer(st, np.cos(az)).ravel(), np.outer(st, np.sin(az)).ravel(), np.repeat(c, n_phi)],
        axis=1,
    )
    w_omega = np.repeat(wc, n_phi) / (2 * n_phi)
    # partners
    if delta:
        vstar, wv = np.zeros((1, 3)), np.ones(1)
    else:
        h, wh = np.polynomial.hermite_e.hermegauss(8)
        wh = wh / wh.sum()
        vstar = np.sqrt(model.temperature) * np.array(list(itertools.product(h, repeat=3)))
        wv = np.array([np.prod(p) for p in itertools.product(wh, repeat=3)])
    p1 = 0.0
    e1 = 0.0
    for i in range(time_nodes):
        w = w_pre[i]
        for v, weight_v in zip(vstar, wv, strict=True):
            if model.background == "bgk":
                post = np.broadcast_to(v, (1, 3))
                weights = np.ones(1)
            elif model.scattering == "uniform-omega":
                u = w - v
                post = w[None, :] - (omega @ u)[:, None] * omega
                weights = w_omega
            else:
                u = w - v
                post = 0.5 * (w + v)[None, :] + 0.5 * np.linalg.norm(u) * omega
                weights = w_omega
            remaining = np.full(post.shape[0], t - s[i])
            after = _survival(model, post, remaining)
            values = phi(_flow(post, K, remaining))
            common = ws[i] * rate[i] * before[i] * weight_v
            p1 += common * float(np.sum(weights * after))
            e1 += common * float(np.sum(weights * after * values))
    return DysonTerms(t=float(t), p0=p0, p1=float(p1), e0=e0, e1=float(e1))


@dataclass(frozen=True)
class TwoCollisionTerm:
    """``p2``: probability of exactly 2 collisions by ``t``;
    ``e2``: :math:`E[\\varphi(w(t)); N_t = 2]`."""

    t: float
    p2: float
    e2: float


def _sphere(sphere_nodes: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Product rule on S²: Gauss-Legendre in cos θ times the trapezoid rule in the azimuth;
    weights sum to 1 (the uniform law of ω)."""
    c, wc = np.polynomial.legendre.leggauss(sphere_nodes)
    n_phi = 2 * sphere_nodes + 1
    az = 2 * np.pi * np.arange(n_phi) / n_phi
    st = np.sqrt(1 - c**2)
    omega = np.stack(
        [np.outer(st, np.cos(az)).ravel(), np.outer(st, np.sin(az)).ravel(), np.repeat(c, n_phi)],
        axis=1,
    )
    return omega, np.repeat(wc, n_phi) / (2 * n_phi)


def dyson_two_collision_term(
    model: ShearModel,
    w0: ArrayLike,
    t: float,
    phi: TestFunction,
    *,
    time_nodes: int = 16,
    sphere_nodes: int = 8,
) -> TwoCollisionTerm:
    r"""The two-collision term of the Dyson series of the δ-model by nested quadrature.

    .. math::

        E[\varphi(w(t)); N_t = 2] = \int_0^t\! ds_1\, \lambda(\Phi_{s_1} w_0) P_{fl}(s_1; w_0)
            \int_{S^2}\! \frac{d\omega_1}{4\pi} \int_0^{t-s_1}\! ds_2\,
            \lambda(\Phi_{s_2} w_1) P_{fl}(s_2; w_1) \int_{S^2}\! \frac{d\omega_2}{4\pi}\,
            P_{fl}(r; w_2)\, \varphi(\Phi_r w_2),

    :math:`w_1 = \Phi_{s_1}w_0 - (\Phi_{s_1}w_0\cdot\omega_1)\omega_1`, :math:`w_2` likewise from
    :math:`\Phi_{s_2}w_1`, :math:`r = t - s_1 - s_2`; :math:`P_{fl}` is the closed-form survival
    of brief 1.5 (:func:`~powertail.shear.flights.delta_flight_integral`). Gauss-Legendre in both
    times, the product rule of :func:`dyson_terms` on both spheres.

    Parameters
    ----------
    model : ShearModel
        δ-model with ``"uniform-omega"`` scattering.
    w0 : array_like of shape (3,)
    t : float
    phi : callable
        Test function ``(..., 3) -> (...)``.
    time_nodes, sphere_nodes : int

    Returns
    -------
    TwoCollisionTerm
    """
    if model.background != "delta" or model.scattering != "uniform-omega":
        raise InputError(
            f"model: the two-collision term needs the delta background with 'uniform-omega' "
            f"scattering, got {model.label}"
        )
    w0 = np.asarray(w0, dtype=np.float64).reshape(3)
    K = model.shear
    x, wx = np.polynomial.legendre.leggauss(time_nodes)
    omega, w_omega = _sphere(sphere_nodes)
    n_om = omega.shape[0]

    def jump(w: NDArray) -> NDArray:
        """All post-collision velocities w - (w.omega) omega, shape (..., n_om, 3)."""
        return w[..., None, :] - (w @ omega.T)[..., None] * omega

    def survival(w: NDArray, s: NDArray) -> NDArray:
        flat = _survival(model, w.reshape(-1, 3), np.broadcast_to(s, w.shape[:-1]).ravel())
        return flat.reshape(w.shape[:-1])

    p2 = e2 = 0.0
    s1 = 0.5 * t * (x + 1.0)
    for s, ws in zip(s1, 0.5 * t * wx, strict=True):
        pre1 = _flow(w0, K, np.asarray(s))
        outer = ws * collision_rate(model, [np.linalg.norm(pre1)])[0]
        outer *= float(survival(w0[None, :], np.array([s]))[0])
        post1 = jump(pre1)  # (O, 3)
        rest = t - s
        s2 = 0.5 * rest * (x + 1.0)  # (T,)
        ws2 = 0.5 * rest * wx
        pre2 = _flow(np.broadcast_to(post1[:, None, :], (n_om, time_nodes, 3)), K, s2[None, :])
        inner = ws2[None, :] * collision_rate(model, np.linalg.norm(pre2, axis=-1))
        inner = inner * survival(np.broadcast_to(post1[:, None, :], pre2.shape), s2[None, :])
        post2 = jump(pre2)  # (O, T, O, 3)
        r = np.broadcast_to((rest - s2)[None, :, None], post2.shape[:-1])
        after = survival(post2, r)
        values = phi(_flow(post2, K, r))
        weight = w_omega[:, None, None] * inner[:, :, None] * w_omega[None, None, :]
        p2 += outer * float(np.sum(weight * after))
        e2 += outer * float(np.sum(weight * after * values))
    return TwoCollisionTerm(t=float(t), p2=float(p2), e2=float(e2))

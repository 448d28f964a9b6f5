r"""Closed moment equations for Maxwell molecules (:math:`\gamma = 0`) and linear BGK (brief 1.11).

For :math:`\gamma = 0` the collision rate is the constant :math:`c_0 = \beta_0` and the jump map
:math:`w' = (I - \omega\omega^T) w + \omega\omega^T v_*` is linear given :math:`\omega`, so the
moments of each order close. Two independent routes are offered:

* the brief's explicit second-moment system (:func:`second_moment_generator`) with its
  stationary state (:func:`stationary_second_moments`), threshold (:func:`critical_shear`) and
  growth rate (:func:`growth_rate`);
* the generator on all polynomials of degree :math:`\le p` built by exact quadrature
  (:func:`polynomial_moment_generator`), for fourth and higher moments and the order-:math:`p`
  thresholds (:func:`critical_shear_order`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError
from powertail.shear.model import ShearModel, angular_moments

__all__ = [
    "MomentGenerator",
    "SecondMoments",
    "critical_shear",
    "critical_shear_order",
    "growth_rate",
    "moment_summary",
    "moment_trajectory",
    "polynomial_moment_generator",
    "second_moment_generator",
    "second_moments",
    "stationary_second_moments",
]


def _require_closed(model: ShearModel) -> None:
    if not isinstance(model, ShearModel):
        raise InputError(f"model: expected a ShearModel, got {type(model).__name__}")
    if model.gamma != 0.0:
        raise InputError(
            f"model.gamma: the moment equations close only for gamma = 0 (Maxwell molecules) or "
            f"BGK, got gamma = {model.gamma}; use the Monte Carlo for other gamma"
        )


def _collision_constants(model: ShearModel) -> tuple[float, float, float]:
    """(alpha, delta, kappa1) of brief 1.11: alpha = 5/2 k1 - 3/2 k2, delta = (k1 - k2)/2."""
    k1, k2 = angular_moments(model.scattering)
    return 2.5 * k1 - 1.5 * k2, 0.5 * (k1 - k2), k1


def second_moment_generator(model: ShearModel) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Linear system :math:`\dot m = G m + g` of the second moments :math:`M = E[w w^T]`.

    Brief section 1.11, with :math:`L = K e_1\otimes e_2` and :math:`e = \mathrm{tr}\,M`:

    .. math::

        \dot M = -(L M + M L^T) + \beta_0\bigl[-\alpha M + (\delta e + \kappa_1 T) I\bigr],
        \qquad \alpha = \tfrac52\kappa_1 - \tfrac32\kappa_2,
        \quad \delta = \tfrac{\kappa_1 - \kappa_2}2 ,

    for the Maxwellian background (δ-background: the same with :math:`T = 0`); linear BGK:
    :math:`\dot M = -(LM + ML^T) + \nu (T I - M)`.

    Parameters
    ----------
    model : ShearModel
        :math:`\gamma = 0`.

    Returns
    -------
    G : ndarray of shape (9, 9)
        Acting on ``M.reshape(9)`` (row-major).
    g : ndarray of shape (9,)
    """
    _require_closed(model)
    K, beta0, T = model.shear, model.c0, model.temperature
    L = np.zeros((3, 3))
    L[0, 1] = K
    eye = np.eye(3)
    G = np.zeros((9, 9))
    for col in range(9):
        E = np.zeros(9)
        E[col] = 1.0
        M = E.reshape(3, 3)
        if model.background == "bgk":
            dM = -(L @ M + M @ L.T) - beta0 * M
        else:
            alpha, delta, _ = _collision_constants(model)
            dM = -(L @ M + M @ L.T) + beta0 * (-alpha * M + delta * np.trace(M) * eye)
        G[:, col] = dM.reshape(9)
    if model.background == "bgk":
        g = (beta0 * T * eye).reshape(9)
    elif model.background == "delta":
        g = np.zeros(9)
    else:
        g = (beta0 * _collision_constants(model)[2] * T * eye).reshape(9)
    return G, g


@dataclass(frozen=True)
class SecondMoments:
    r"""Second moments :math:`M(t) = E[w w^T]` at some times, with the model's conventions."""

    model: ShearModel
    times: NDArray[np.float64]
    M: NDArray[np.float64]
    """ndarray of shape (m, 3, 3)."""


def _affine_flow(G: NDArray, g: NDArray, m0: NDArray, times: NDArray) -> NDArray:
    """Exact solution of m' = G m + g by the exponential of the augmented matrix."""
    from scipy.linalg import expm

    d = G.shape[0]
    aug = np.zeros((d + 1, d + 1))
    aug[:d, :d] = G
    aug[:d, d] = g
    x0 = np.append(m0, 1.0)
    return np.stack([(expm(aug * t) @ x0)[:d] for t in times])


def second_moments(
    model: ShearModel, times: ArrayLike, *, initial: ArrayLike | None = None
) -> SecondMoments:
    r"""Solve the second-moment system of :func:`second_moment_generator` exactly
    (matrix exponential).

    Parameters
    ----------
    model : ShearModel
    times : array_like of shape (m,)
        Times :math:`\ge 0`.
    initial : array_like of shape (3, 3), optional
        :math:`M(0)`; default :math:`T I` (thermal start).

    Returns
    -------
    SecondMoments
    """
    G, g = second_moment_generator(model)
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if t.ndim != 1 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError(f"times: expected finite times >= 0, got {t.tolist()[:6]}")
    m0 = model.temperature * np.eye(3) if initial is None else np.asarray(initial, dtype=float)
    if m0.shape != (3, 3):
        raise InputError(f"initial: expected a (3, 3) matrix M(0), got shape {m0.shape}")
    out = _affine_flow(G, g, m0.reshape(9), t)
    return SecondMoments(model=model, times=t, M=out.reshape(-1, 3, 3))


def stationary_second_moments(model: ShearModel) -> NDArray[np.float64]:
    r"""Stationary second moments below the threshold (brief 1.11), :math:`s = K/(\beta_0\alpha)`:

    .. math::

        M_{22} = M_{33} = p = \frac{T}{1 - 2(\delta/\kappa_1)s^2},\quad M_{12} = -s p,\quad
        M_{11} = p(1 + 2s^2);

    linear BGK: :math:`M_{22} = M_{33} = T`, :math:`M_{12} = -KT/\nu`,
    :math:`M_{11} = T(1 + 2K^2/\nu^2)`.

    Returns
    -------
    ndarray of shape (3, 3)

    Raises
    ------
    InputError
        If :math:`K \ge K_c` (no stationary second moments) or the model is not a γ = 0 model
        with a thermal background.
    """
    _require_closed(model)
    K, beta0, T = model.shear, model.c0, model.temperature
    M = np.zeros((3, 3))
    if model.background == "bgk":
        M[1, 1] = M[2, 2] = T
        M[0, 1] = M[1, 0] = -K * T / beta0
        M[0, 0] = T * (1 + 2 * K**2 / beta0**2)
        return M
    if model.background != "maxwellian":
        raise InputError(
            "model.background: stationary moments need the thermal background, got 'delta'"
        )
    kc = critical_shear(model)
    if K >= kc:
        raise InputError(
            f"model.shear: stationary second moments exist only for K < K_c = {kc:.6f}, got "
            f"K = {K}; use second_moments() for the growing solution"
        )
    alpha, delta, k1 = _collision_constants(model)
    s = K / (beta0 * alpha)
    p = T / (1 - 2 * (delta / k1) * s**2)
    M[1, 1] = M[2, 2] = p
    M[0, 1] = M[1, 0] = -s * p
    M[0, 0] = p * (1 + 2 * s**2)
    return M


def critical_shear(model: ShearModel) -> float:
    r"""Threshold of finite stationary energy, :math:`K_c = \beta_0\alpha\sqrt{\kappa_1/(2\delta)}`
    (brief 1.11; 0.843274 :math:`\beta_0` for ``"uniform-omega"``). ``inf`` for linear BGK."""
    _require_closed(model)
    if model.background == "bgk":
        return math.inf
    alpha, delta, k1 = _collision_constants(model)
    return model.c0 * alpha * math.sqrt(k1 / (2 * delta))


def growth_rate(model: ShearModel) -> float:
    r"""Exponential growth rate of the energy above :math:`K_c` (brief 1.11):
    :math:`\lambda_K = \beta_0 (x^* - \alpha)`, :math:`x^*` the largest real root of
    :math:`x^2(x - 3\delta) = 2\delta (K/\beta_0)^2`. Negative values (below :math:`K_c`) are the
    relaxation rate of the slowest mode of this family."""
    _require_closed(model)
    if model.background == "bgk":
        raise InputError("model.background: BGK moments never grow; growth_rate needs 'maxwellian'")
    alpha, delta, _ = _collision_constants(model)
    k = model.shear / model.c0
    roots = np.roots([1.0, -3 * delta, 0.0, -2 * delta * k**2])
    x_star = float(np.max(roots[np.abs(roots.imag) < 1e-9].real))
    return model.c0 * (x_star - alpha)


# --------------------------------------------------------------------------- general order p
_SPHERE_NODES_THETA = 10
"""Gauss-Legendre nodes in cos(theta): exact on polynomials of degree <= 19 on the sphere."""
_SPHERE_NODES_PHI = 21
"""Equispaced azimuths: exact for trigonometric degree <= 20."""


def _monomials(order: int) -> list[tuple[int, int, int]]:
    return [
        e
        for d in range(order + 1)
        for e in itertools.product(range(d + 1), repeat=3)
        if sum(e) == d
    ]


def _eval_monomials(points: NDArray, exps: list[tuple[int, int, int]]) -> NDArray:
    return np.stack([np.prod(points ** np.asarray(e), axis=-1) for e in exps], axis=-1)


def _sphere_quadrature() -> tuple[NDArray, NDArray]:
    x, wx = np.polynomial.legendre.leggauss(_SPHERE_NODES_THETA)
    phi = 2 * np.pi * np.arange(_SPHERE_NODES_PHI) / _SPHERE_NODES_PHI
    st = np.sqrt(1 - x**2)
    pts = np.stack(
        [
            np.outer(st, np.cos(phi)).ravel(),
            np.outer(st, np.sin(phi)).ravel(),
            np.repeat(x, _SPHERE_NODES_PHI),
        ],
        axis=1,
    )
    weights = np.repeat(wx, _SPHERE_NODES_PHI) / (2 * _SPHERE_NODES_PHI)  # mean over the sphere
    return pts, weights


@dataclass(frozen=True)
class MomentGenerator:
    r"""The generator on polynomials of degree :math:`\le p`: :math:`\frac{d}{dt}E[m] = C\,E[m]`.

    Attributes
    ----------
    model : ShearModel
    exponents : tuple of (int, int, int)
        Monomials :math:`w_1^i w_2^j w_3^k` in the order of ``C`` (constant first).
    C : ndarray of shape (n, n)
    """

    model: ShearModel
    exponents: tuple[tuple[int, int, int], ...]
    C: NDArray[np.float64]

    def index(self, exponent: tuple[int, int, int]) -> int:
        """Position of the monomial ``exponent`` in :attr:`C`."""
        return self.exponents.index(tuple(exponent))


def polynomial_moment_generator(
    model: ShearModel, order: int, *, drop_background: bool = False
) -> MomentGenerator:
    r"""Matrix of the generator :math:`A\varphi = -K w_2\partial_1\varphi + \beta_0 E[\varphi(w') -
    \varphi(w)]` on polynomials of degree :math:`\le p` (:math:`\gamma = 0`; brief 1.11 and 5.3).

    The collision expectation is computed by exact quadrature: Gauss-Hermite over
    :math:`v_* \sim M_T` and a product Gauss-Legendre x trapezoid rule over the sphere (for
    ``"uniform-omega"`` over :math:`\omega`, for ``"isotropic-cm"`` over the post-collision
    direction :math:`\sigma` of :math:`w' = (w + v_*)/2 + |w - v_*|\sigma/2`, whose odd powers of
    :math:`|w - v_*|` cancel by symmetry); the images of the monomials are then read off at
    sample points by least squares (exact up to rounding, as they are polynomials of degree
    :math:`\le p`).

    Parameters
    ----------
    model : ShearModel
        :math:`\gamma = 0`, Maxwellian or BGK background.
    order : int
        Highest degree :math:`p`, 1 to 8.
    drop_background : bool, default False
        Set :math:`v_* = 0` (the large-speed part whose top eigenvalue gives the order-:math:`p`
        threshold).

    Returns
    -------
    MomentGenerator
    """
    _require_closed(model)
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= 8:
        raise InputError(f"order: expected an int from 1 to 8, got {order!r}")
    exps = _monomials(order)
    n = len(exps)
    rng = np.random.default_rng(20250615)  # sample points only; the result does not depend on them
    points = rng.uniform(-1.5, 1.5, size=(3 * n, 3))
    T, beta0, K = model.temperature, model.c0, model.shear
    if drop_background or model.background == "delta":
        vstar, wv = np.zeros((1, 3)), np.ones(1)
    else:
        h, wh = np.polynomial.hermite_e.hermegauss(order // 2 + 2)
        wh = wh / wh.sum()
        vstar = np.sqrt(T) * np.array(list(itertools.product(h, repeat=3)))
        wv = np.array([np.prod(c) for c in itertools.product(wh, repeat=3)])
    sphere, ws = _sphere_quadrature()
    V = _eval_monomials(points, exps)  # (S, n)
    gain = np.zeros((points.shape[0], n))
    for v, weight in zip(vstar, wv, strict=True):
        if model.background == "bgk":
            post = np.broadcast_to(v, (points.shape[0], 1, 3))
            gain += weight * _eval_monomials(post, exps)[:, 0, :]
            continue
        u = points - v
        if model.scattering == "uniform-omega":
            proj = u @ sphere.T  # (S, Q)
            post = points[:, None, :] - proj[:, :, None] * sphere[None, :, :]
        else:
            centre = 0.5 * (points + v)
            radius = 0.5 * np.linalg.norm(u, axis=1)
            post = centre[:, None, :] + radius[:, None, None] * sphere[None, :, :]
        gain += weight * np.einsum("sqn,q->sn", _eval_monomials(post, exps), ws)
    collision = beta0 * (gain - V)
    transport = np.zeros_like(V)
    for j, (i1, i2, i3) in enumerate(exps):
        if i1 > 0:
            transport[:, j] = (
                -K * i1 * points[:, 0] ** (i1 - 1) * points[:, 1] ** (i2 + 1) * (points[:, 2] ** i3)
            )
    image = transport + collision  # (S, n): (A m_j)(points)
    coef, *_ = np.linalg.lstsq(V, image, rcond=None)  # image = V @ coef; coef[i, j]
    return MomentGenerator(model=model, exponents=tuple(exps), C=coef.T)


def moment_trajectory(
    generator: MomentGenerator, times: ArrayLike, *, initial: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Solve :math:`\frac{d}{dt}\mu = C\mu` exactly for the monomial moments :math:`\mu`.

    Parameters
    ----------
    generator : MomentGenerator
    times : array_like of shape (m,)
    initial : array_like of shape (n,), optional
        :math:`\mu(0)`; default the moments of :math:`M_T` (thermal start).

    Returns
    -------
    ndarray of shape (m, n)
    """
    from scipy.linalg import expm
    from scipy.special import factorial2

    t = np.atleast_1d(np.asarray(times, dtype=float))
    if initial is None:
        T = generator.model.temperature

        def gauss(k: int) -> float:
            if k % 2:
                return 0.0
            return float(factorial2(k - 1, exact=True)) * T ** (k / 2) if k else 1.0

        mu0 = np.array([gauss(i) * gauss(j) * gauss(k) for i, j, k in generator.exponents])
    else:
        mu0 = np.asarray(initial, dtype=float)
    return np.stack([expm(generator.C * s) @ mu0 for s in t])


def critical_shear_order(model: ShearModel, order: int) -> float:
    r"""Order-:math:`p` threshold :math:`K_c^{(p)}`: the shear at which the top eigenvalue of the
    generator on homogeneous degree-:math:`p` polynomials with :math:`v_* = 0` crosses zero
    (brief 1.11: 0.843274, 0.459978, 0.311671 :math:`\beta_0` for :math:`p` = 2, 4, 6, uniform
    :math:`\omega`). Above it the :math:`p`-th moments of the stationary state are infinite."""
    from scipy.optimize import brentq

    _require_closed(model)
    if order % 2 or order < 2:
        raise InputError(f"order: expected an even int >= 2, got {order!r}")

    def top(k: float) -> float:
        m = ShearModel(
            0.0,
            shear=k,
            temperature=model.temperature,
            background="maxwellian",
            scattering=model.scattering,
            normalisation=model.normalisation,
        )
        gen = polynomial_moment_generator(m, order, drop_background=True)
        sel = [i for i, e in enumerate(gen.exponents) if sum(e) == order]
        return float(np.max(np.linalg.eigvals(gen.C[np.ix_(sel, sel)]).real))

    hi = model.c0
    while top(hi) < 0:
        hi *= 2
    return float(brentq(top, 1e-9, hi, xtol=1e-10))


def moment_summary(model: ShearModel, *, orders: tuple[int, ...] = (2, 4)) -> dict[str, float]:
    r"""Everything the γ = 0 moment equations say about ``model``, as one flat record.

    Keys: ``K_c`` (second moments, closed form), ``K_c_order_<p>`` for each ``orders`` entry,
    ``growth_rate`` (energy, brief 1.11; negative below :math:`K_c`), and, below :math:`K_c`,
    the stationary ``M11``, ``M12``, ``M22``, ``M33`` and ``T_eff`` (NaN above).
    """
    _require_closed(model)
    out: dict[str, float] = {"K": model.shear, "K_c": critical_shear(model)}
    for p in orders:
        out[f"K_c_order_{p}"] = (
            math.inf if model.background == "bgk" else critical_shear_order(model, p)
        )
    out["growth_rate"] = math.nan if model.background == "bgk" else growth_rate(model)
    below = model.shear < out["K_c"]
    M = stationary_second_moments(model) if below else np.full((3, 3), np.nan)
    out.update(
        {
            "M11": float(M[0, 0]),
            "M12": float(M[0, 1]),
            "M22": float(M[1, 1]),
            "M33": float(M[2, 2]),
            "T_eff": float(np.trace(M) / 3),
        }
    )
    return out

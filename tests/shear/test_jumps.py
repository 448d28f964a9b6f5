"""Exact collision sampling (brief 2.4) against quadrature and exact laws (KS tests, brief 3.5)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import ks_2samp, kstest

from powertail.shear import ShearModel
from powertail.shear.jumps import sample_direction, sample_partner, sample_partner_weight, scatter
from powertail.shear.streams import ParticleStreams


@pytest.mark.parametrize("gamma", [-2.5, -1.5, -0.5])
@pytest.mark.parametrize("x", [0.05, 0.8, 2.0, 2.5, 4.0, 60.0, 5e3])
def test_partner_weight_law(gamma: float, x: float) -> None:
    A, B = -gamma / 2, (gamma + 3) / 2
    dens = lambda q: q ** (A - 1) * (1 - q) ** (B - 1) * np.exp(-x * q)  # noqa: E731
    norm = quad(dens, 0, 1, limit=200)[0]
    n = 10000
    q = sample_partner_weight(np.full(n, x), gamma, ParticleStreams(4, np.arange(n)), np.arange(n))

    def cdf(v: np.ndarray) -> np.ndarray:
        return np.array([quad(dens, 0, vi, limit=200)[0] / norm for vi in v])

    grid = np.quantile(q, np.linspace(0, 1, 401)[1:-1])
    ref = cdf(grid)
    emp = np.searchsorted(np.sort(q), grid, side="right") / n
    # Kolmogorov bound on a grid of 399 empirical quantiles (equivalent to KS at p ~ 0.001)
    assert np.max(np.abs(emp - ref)) < 1.95 / np.sqrt(n)


@pytest.mark.parametrize("gamma", [-1.5, -0.5, 0.5, 1.0])
def test_partner_mean_matches_quadrature(gamma: float) -> None:
    # E[v* . w_hat] under M(v*) |w - v*|^gamma, by quadrature in (rho, mu)
    T, r = 1.3, 1.7
    model = ShearModel(gamma, temperature=T)

    g = gamma + 2.0

    def angular(rho: float, k: int) -> float:
        # int_{-1}^{1} mu^k d^gamma dmu with d^2 = r^2 + rho^2 - 2 r rho mu (k = 0, 1), closed form
        hi, lo = r + rho, abs(r - rho)
        i0 = (hi**g - lo**g) / g
        if k == 0:
            return i0 / (r * rho)
        i2 = (hi ** (g + 2) - lo ** (g + 2)) / (g + 2)
        return ((r * r + rho * rho) * i0 - i2) / (2 * r * r * rho * rho)

    def moment(k: int) -> float:
        f = lambda rho: angular(rho, k) * rho ** (2 + k) * np.exp(-(rho**2) / (2 * T))  # noqa: E731
        return quad(f, 0, 12, points=[r], limit=200, epsabs=1e-13)[0]

    expected = moment(1) / moment(0)
    n = 40000
    w = np.tile(np.array([r, 0.0, 0.0], dtype=np.longdouble), (n, 1))
    v = np.asarray(sample_partner(model, w, ParticleStreams(8, np.arange(n)), np.arange(n)), float)
    se = v[:, 0].std() / np.sqrt(n)
    assert abs(v[:, 0].mean() - expected) < 4 * se
    assert abs(v[:, 1].mean()) < 4 * v[:, 1].std() / np.sqrt(n)


def test_direction_laws() -> None:
    n = 20000
    nh = np.tile(np.array([0.6, 0.0, 0.8]), (n, 1))
    rows = np.arange(n)
    om_u = sample_direction("uniform-omega", nh, ParticleStreams(1, rows), rows)
    np.testing.assert_allclose(np.linalg.norm(om_u, axis=1), 1.0, rtol=1e-14)
    # Archimedes: every projection of a uniform point on S^2 is uniform on [-1, 1]
    for axis in (nh[0], np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])):
        assert kstest(om_u @ axis, "uniform", args=(-1, 2)).pvalue > 0.01
    azimuth = np.arctan2(om_u[:, 1], om_u[:, 0])
    assert kstest(azimuth, "uniform", args=(-np.pi, 2 * np.pi)).pvalue > 0.01
    om = sample_direction("isotropic-cm", nh, ParticleStreams(2, rows), rows)
    assert np.allclose(np.linalg.norm(om, axis=1), 1.0)
    assert kstest((om @ nh[0]) ** 2, "uniform").pvalue > 0.01  # |mu| has density 2 mu


@pytest.mark.parametrize("scattering", ["uniform-omega", "isotropic-cm"])
def test_thales_sphere_law_of_delta_model(scattering: str) -> None:
    # brief 1.4: p(w'|w) = 1/(2 pi |w| |w - w'|) for uniform omega (CDF of sigma_1 below);
    # uniform on the Thales sphere for b ~ |n.omega| (isotropic centre-of-mass scattering)
    n = 20000
    model = ShearModel(-0.5, background="delta", scattering=scattering)
    w = np.tile(np.array([3.0, 0.0, 0.0], dtype=np.longdouble), (n, 1))
    post = np.asarray(scatter(model, w, ParticleStreams(3, np.arange(n)), np.arange(n)), float)
    sigma = (2 * post - np.array([3.0, 0, 0])) / 3.0
    assert np.allclose(np.linalg.norm(sigma, axis=1), 1.0)
    c = sigma[:, 0]
    if scattering == "uniform-omega":
        assert kstest(c, lambda x: 1 - np.sqrt((1 - x) / 2)).pvalue > 0.01
    else:
        assert kstest(c, "uniform", args=(-1, 2)).pvalue > 0.01


def test_bgk_jump_is_a_fresh_maxwellian() -> None:
    n = 20000
    model = ShearModel(0.0, background="bgk", temperature=2.0)
    w = np.tile(np.array([50.0, -3.0, 1.0], dtype=np.longdouble), (n, 1))
    post = np.asarray(scatter(model, w, ParticleStreams(3, np.arange(n)), np.arange(n)), float)
    for i in range(3):
        assert kstest(post[:, i] / np.sqrt(2.0), "norm").pvalue > 0.01


@pytest.mark.parametrize("gamma", [0.0, -0.5, -2.5])
def test_projected_collision_has_the_law_of_the_full_partner(gamma: float) -> None:
    # for gamma <= 0 and uniform omega, scatter() draws only Z = G.omega (one normal) instead of
    # the partner's 3-d Gaussian G; build w' from the full partner and compare the laws
    model = ShearModel(gamma, temperature=1.3)
    n = 40000
    w64 = np.array([1.5, -0.7, 0.4])
    w = np.tile(w64.astype(np.longdouble), (n, 1))
    rows = np.arange(n)
    fast = np.asarray(scatter(model, w, ParticleStreams(3, rows), rows), dtype=float)
    streams = ParticleStreams(4, rows)
    v = np.asarray(sample_partner(model, w, streams, rows), dtype=float)
    omega = sample_direction("uniform-omega", np.zeros((n, 3)), streams, rows)
    full = w64 - np.sum((w64 - v) * omega, axis=1, keepdims=True) * omega
    # 12 KS tests in all (4 per gamma): level 1e-3 each, about 1 % family-wise
    for j in range(3):
        assert ks_2samp(fast[:, j], full[:, j]).pvalue > 1e-3
    assert ks_2samp(np.linalg.norm(fast, axis=1), np.linalg.norm(full, axis=1)).pvalue > 1e-3
    if gamma == 0.0:  # E w' = w - E[(w.omega) omega] = 2w/3 (E[omega omega^T] = I/3)
        se = fast.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(fast.mean(axis=0) - 2.0 * w64 / 3.0) < 4 * se)

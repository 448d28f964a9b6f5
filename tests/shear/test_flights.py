"""Flight integrals and exact next-collision sampling against quadrature (brief 1.5, 2.3, 3.5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import cumulative_simpson, quad
from scipy.stats import binomtest, kstest

from powertail.shear import ShearModel, collision_rate, simulate
from powertail.shear.flights import (
    delta_flight_integral,
    delta_next_collision,
    h_function,
    h_infinity,
    h_inverse,
    thinned_next_collision,
)
from powertail.shear.streams import ParticleStreams


def test_h_infinity_brief_values() -> None:
    # brief 1.5 (computed there numerically): -0.5637, -1.1981, -4.2695; 2.6221 for a = 1.5
    got = [h_infinity(a) for a in (0.3, 0.5, 0.8, 1.5)]
    assert got == pytest.approx([-0.5637, -1.1981, -4.2695, 2.6221], abs=1e-4)


@pytest.mark.parametrize("a", [0.3, 0.5, 1.0, 1.5, 2.5])
@pytest.mark.parametrize("z", [-3.0, 0.2, 7.0, 2.0e4, 3.0e6])
def test_h_function_matches_quadrature(a: float, z: float) -> None:
    f = lambda x: (1 + x * x) ** (-a / 2)  # noqa: E731
    # split at 1 and 100 so quad resolves the slow tail
    edges = [0.0] + [e for e in (1.0, 100.0, 1e4) if e < abs(z)] + [abs(z)]
    val = sum(
        quad(f, lo, hi, epsabs=0, epsrel=1e-13, limit=200)[0]
        for lo, hi in itertools.pairwise(edges)
    )
    assert float(h_function(np.array([z]), a)[0]) == pytest.approx(np.sign(z) * val, rel=1e-10)


@pytest.mark.parametrize("a", [0.3, 0.5, 1.0, 1.5])
def test_h_inverse_round_trip(a: float) -> None:
    z = np.array([-5e8, -30.0, -0.01, 0.0, 0.3, 9.0, 2e3, 1.2e4, 7e9], dtype=np.longdouble)
    back = h_inverse(h_function(z, a), a)
    np.testing.assert_allclose(np.asarray(back, float), np.asarray(z, float), rtol=1e-9, atol=1e-12)


def test_h_inverse_never_for_frozen_flights() -> None:
    a = 1.5
    out = h_inverse(np.array([0.5, h_infinity(a) * 1.001, -h_infinity(a) * 1.1]), a)
    assert np.isfinite(out[0]) and out[1] == np.inf and out[2] == -np.inf


def test_delta_flight_integral_matches_quadrature() -> None:
    model = ShearModel(-0.6, background="delta", shear=1.3)
    w = np.array([[2.0, 0.7, -0.4], [-1.0, -0.3, 0.1], [5.0, 0.0, 1.0]])
    s = np.array([3.7, 12.0, 2.0])
    got = np.asarray(delta_flight_integral(model, w, s), float)
    for i in range(3):
        f = lambda r: np.linalg.norm([w[i, 0] - 1.3 * w[i, 1] * r, w[i, 1], w[i, 2]]) ** -0.6  # noqa: E731,B023
        expected = quad(f, 0, s[i], points=[w[i, 0] / (1.3 * w[i, 1])] if w[i, 1] else None)[0]
        assert got[i] == pytest.approx(expected, rel=1e-9)


def _first_collision_ks(model: ShearModel, w0: np.ndarray, horizon: float, n: int) -> None:
    """KS test: the first collision time has CDF 1 - exp(-Lambda(s)), Lambda by quadrature."""
    w = np.broadcast_to(np.asarray(w0, dtype=np.longdouble), (n, 3)).copy()
    streams = ParticleStreams(11, np.arange(n))
    rows = np.arange(n)
    if model.background == "delta":
        s = np.asarray(delta_next_collision(model, w, streams.exponentials(rows)), float)
    else:
        hz = np.full(n, horizon, dtype=np.longdouble)
        s_ld, _ = thinned_next_collision(model, w, hz, streams, rows)
        s = np.asarray(s_ld, float)
    grid = np.concatenate([np.linspace(0, 1, 4001)[:-1], np.geomspace(1, horizon, 20000)])
    speed = np.sqrt((w0[0] - model.shear * w0[1] * grid) ** 2 + w0[1] ** 2 + w0[2] ** 2)
    Lam = cumulative_simpson(collision_rate(model, speed), x=grid, initial=0.0)
    finite = s <= horizon
    cdf_h = 1 - np.exp(-Lam[-1])
    u = (1 - np.exp(-np.interp(s[finite], grid, Lam))) / cdf_h
    assert kstest(u, "uniform").pvalue > 0.01
    assert binomtest(int(finite.sum()), n, cdf_h).pvalue > 0.01


@pytest.mark.parametrize("gamma", [-2.0, -1.5, -0.5, 0.5])
def test_thinning_first_flight_survival(gamma: float) -> None:
    # brief 3.5: first-flight survival 1 - exp(-Lambda(s)), KS p > 0.01 at n >= 1e4, fixed seed
    _first_collision_ks(ShearModel(gamma, shear=0.8), np.array([1.5, 1.2, -0.4]), 400.0, 10000)


@pytest.mark.parametrize("gamma", [-0.5, -1.5])
def test_delta_inversion_first_flight_survival(gamma: float) -> None:
    _first_collision_ks(
        ShearModel(gamma, background="delta"), np.array([-0.8, 1.1, 0.3]), 1.0e5, 10000
    )


def test_constant_rate_waiting_time_is_exponential_with_mean_one_over_rate() -> None:
    # brief 4.2 item 12: rate vs scale; gamma = 0, c0 = 4 pi
    model = ShearModel(0.0, normalisation="4pi")
    t = 2.0 / model.c0
    sim = simulate(model, times=[t], n_particles=20000, seed=3)
    n0 = int((sim.n_collisions[:, 0] == 0).sum())
    assert binomtest(n0, 20000, np.exp(-model.c0 * t)).pvalue > 0.01


def test_outputs_before_the_first_collision_are_exact_free_flights() -> None:
    model = ShearModel(-0.5, shear=0.7)
    w0 = np.array([0.4, -1.3, 2.2])
    times = np.array([0.05, 0.2, 0.6, 1.5])
    sim = simulate(model, times=times, n_particles=2000, seed=9, initial=w0)
    free = sim.n_collisions == 0
    expected = np.stack([w0[0] - 0.7 * w0[1] * times, np.full(4, w0[1]), np.full(4, w0[2])], -1)
    v = sim.velocity()
    np.testing.assert_allclose(v[free], np.broadcast_to(expected, v.shape)[free], rtol=1e-15)
    assert free[:, 0].any() and (~free[:, -1]).any()

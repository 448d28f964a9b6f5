"""Asymptotic laws of the hyperbolic-dominated regime against the exact Monte Carlo.

Tolerances follow the brief, section 3.5: late collisions only for P3/P4 with a few percent on
mean/median/P(Q>1); P6 compared at two log-times with the error required to shrink; P5 and the
frozen-collision laws as fractions. Sample sizes are those of the brief's own MC (section 3.4).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from powertail.shear import ShearModel, simulate
from powertail.shear.asymptotics import (
    collision_count,
    log_period,
    log_w1_ratio_median,
    log_w2_ratio_cdf,
    log_w2_ratio_density,
    log_w2_ratio_quantile,
    log_xi2_density,
)
from powertail.shear.montecarlo import ShearSimulation
from powertail.shear.observables import (
    anderson_darling,
    collision_quantities,
    flight_log_ratios,
    post_collision_ratios,
)

QUANTILES = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
TAUS = np.array([20.0, 40.0, 60.0, 100.0, 150.0, 200.0])


def test_prediction_functions_are_consistent() -> None:
    # brief 3.1 quantile table (computed there from the closed form)
    table = {
        0.25: [3.0435, 3.2237, 3.4641, 3.7224, 3.9429],
        0.5: [1.0353, 1.1892, 1.4142, 1.6818, 1.9319],
        0.75: [0.3573, 0.4714, 0.6667, 0.9428, 1.2440],
    }
    for a, values in table.items():
        q = log_w2_ratio_quantile(QUANTILES, a)
        assert q == pytest.approx(values, abs=1e-4)
        assert log_w2_ratio_cdf(q, a) == pytest.approx(QUANTILES, abs=1e-12)
        lo, hi = (1 - a) / a, 1 / a
        mass = quad(lambda x, a=a: float(log_w2_ratio_density(x, a)), lo, hi)[0]
        assert mass == pytest.approx(1.0)
    assert log_w1_ratio_median(0.25) == pytest.approx(4.4641, abs=1e-4)
    assert log_period(0.5) == pytest.approx(np.log(2.0))
    # P8: the phase-mixed global density integrates to 1 up to O(1/tau)
    for tau in (200.0, 2000.0):
        lo = -(1 - 0.5) * tau / 0.5
        mass = quad(
            lambda u, tau=tau: float(log_xi2_density(u, tau, 0.5)),
            lo,
            tau,
            limit=400,
            points=[0.0],
        )[0]
        assert mass == pytest.approx(1.0, abs=5.0 / tau)


@pytest.fixture(scope="module")
def delta_half() -> ShearSimulation:
    # brief 3.4: delta-model, a = 0.5, K = c0 = 1, 2000 particles from w0 = (0, 20, 0), tau <= 200
    model = ShearModel(-0.5, background="delta")
    return simulate(
        model,
        times=np.exp(TAUS),
        n_particles=2000,
        seed=2025,
        initial=[0.0, 20.0, 0.0],
        record_collisions=True,
    )


def test_p3_collision_quantity_is_exp1(delta_half: ShearSimulation) -> None:
    q = collision_quantities(delta_half, min_log_t_prev=20.0)
    assert q.size > 3000
    assert q.mean() == pytest.approx(1.0, abs=0.05)
    assert q.var() == pytest.approx(1.0, abs=0.08)
    assert (q > 1).mean() == pytest.approx(np.exp(-1), abs=0.025)
    # KS and Anderson-Darling against Exp(1) (AD weighs the tails; n ~ 4000 late collisions)
    from scipy.stats import expon, kstest

    assert kstest(q, "expon").pvalue > 0.01
    assert anderson_darling(q, expon.cdf).pvalue > 0.01
    assert anderson_darling(1.1 * q, expon.cdf).pvalue < 1e-3  # a 10 % scale error is seen


def test_p4_transverse_ratio_is_cauchy(delta_half: ShearSimulation) -> None:
    r = post_collision_ratios(delta_half, min_log_t=20.0)
    assert np.median(np.abs(r)) == pytest.approx(1.0, abs=0.05)
    # Cauchy(0,1): P(|r| < 3) = 2 arctan(3)/pi
    assert (np.abs(r) < 3).mean() == pytest.approx(2 * np.arctan(3) / np.pi, abs=0.02)
    from scipy.stats import cauchy, kstest

    assert kstest(r, "cauchy").pvalue > 0.01
    assert anderson_darling(r, cauchy.cdf).pvalue > 0.01


def test_p1_flight_log_ratio(delta_half: ShearSimulation) -> None:
    ratios = flight_log_ratios(delta_half, min_log_t=40.0)
    assert np.median(ratios) == pytest.approx(1 / (1 - 0.5), rel=0.03)


def test_p2_collision_count_growth(delta_half: ShearSimulation) -> None:
    ok = ~delta_half.absorbed
    gained = delta_half.n_collisions[ok, -1] - delta_half.n_collisions[ok, 2]
    pred = float(collision_count(200.0, 0.5) - collision_count(60.0, 0.5))
    assert gained.mean() == pytest.approx(pred, abs=0.1)


def test_p5_p6_p7_velocity_laws(delta_half: ShearSimulation) -> None:
    ok = ~delta_half.absorbed
    pred = log_w2_ratio_quantile(QUANTILES, 0.5)
    errors = []
    for k, tau in enumerate(TAUS):
        x = delta_half.log_abs[ok, k, 1] / tau
        errors.append(np.abs(np.quantile(x, QUANTILES) - pred).mean())
    # corrections are O(1/tau): the error at tau = 200 is small and below the one at tau = 40
    assert errors[-1] < 0.03
    assert errors[-1] < errors[1]
    p7 = np.median(delta_half.log_abs[ok, -1, 0] / TAUS[-1])
    assert p7 == pytest.approx(log_w1_ratio_median(0.5), abs=0.03)
    opposite = delta_half.sign[ok, -1, 0] * delta_half.sign[ok, -1, 1] < 0
    assert opposite.mean() > 0.99


def test_delta_model_absorbed_fraction_is_reported(delta_half: ShearSimulation) -> None:
    # brief 1.4: about 5 % of delta-model runs from |w0| = 20 collapse to 0 at a = 0.5
    assert 0.02 < delta_half.absorbed.mean() < 0.09
    assert np.isnan(delta_half.log_abs[delta_half.absorbed, -1]).all()


def test_full_model_gamma_minus_half_quantiles() -> None:
    # brief 3.4: Maxwellian background, gamma = -0.5, 600 thermal starts, tau = 60:
    # quantiles 1.046 1.214 1.407 1.663 1.866 vs predicted 1.035 1.189 1.414 1.682 1.932
    sim = simulate(ShearModel(-0.5), times=np.exp([60.0]), n_particles=600, seed=4)
    x = sim.log_abs[:, 0, 1] / 60.0
    got = np.quantile(x, QUANTILES)
    assert np.abs(got - log_w2_ratio_quantile(QUANTILES, 0.5)).max() < 0.1
    assert sim.diagnostics["collisions"] / 600 == pytest.approx(38, rel=0.25)


def test_frozen_collisions_gamma_minus_1_5() -> None:
    # brief 1.10: finitely many collisions, w2 frozen, |w1|/t -> K |w2|, sign(w1 w2) < 0
    K = 1.0
    times = np.array([1e1, 1e2, 1e4, 1e6])
    sim = simulate(ShearModel(-1.5, shear=K), times=times, n_particles=800, seed=8)
    n = sim.n_collisions
    assert n[:, -1].mean() < 10
    assert (n[:, -1] == n[:, -2]).mean() > 0.98  # no collision between t = 1e4 and 1e6
    late = sim.log_abs[:, -1, :]
    ratio = np.exp(late[:, 0] - np.log(times[-1]) - np.log(K) - late[:, 1])
    assert np.median(np.abs(ratio - 1)) < 1e-3
    assert (sim.sign[:, -1, 0] * sim.sign[:, -1, 1] < 0).mean() > 0.99
    np.testing.assert_array_equal(
        sim.log_abs[n[:, -1] == n[:, -2], -1, 1], sim.log_abs[n[:, -1] == n[:, -2], -2, 1]
    )
    assert np.median(np.exp(late[:, 1])) == pytest.approx(2.15, rel=0.15)


def test_p10_log_moment_slopes(delta_half: ShearSimulation) -> None:
    # brief 1.9 / 3.5: E w1^2 ~ t^{2/a+2}/ln t and E w2^2 ~ t^{2/a}/ln t; slopes over a wide window
    from powertail.shear.observables import log_moment_slope

    first, last = 2, TAUS.size - 1  # ln t from 60 to 200
    drift = np.log(TAUS[last] / TAUS[first]) / (TAUS[last] - TAUS[first])
    for component, power in ((0, 2 / 0.5 + 2), (1, 2 / 0.5)):
        est = log_moment_slope(delta_half, component=component, first=first, last=last, seed=1)
        assert est.value == pytest.approx(power - drift, abs=0.3)


def test_p9_phase_locked_start_oscillates_with_period_l_a() -> None:
    # brief 3.4: from w0 = (0, 1e8, 0) the median of ln|w2|/tau oscillates in ln tau with period
    # L_a = ln 2 (tau doubles) and never settles; from (0, 20, 0) it stays near 1.414
    from powertail.shear.asymptotics import log_phase

    taus = 40.0 * 2.0 ** (np.arange(12) / 6.0)  # two periods, six phases each
    phase = log_phase(taus, 0.5)
    np.testing.assert_allclose(phase[:6], phase[6:], atol=1e-12)
    medians = {}
    for w0 in ((0.0, 1e8, 0.0), (0.0, 20.0, 0.0)):
        sim = simulate(
            ShearModel(-0.5, background="delta"),
            times=np.exp(taus),
            n_particles=800,
            seed=3,
            initial=w0,
        )
        ok = ~sim.absorbed
        medians[w0[1]] = np.median(sim.log_abs[ok, :, 1], axis=0) / taus
    locked, mixed = medians[1e8], medians[20.0]
    assert np.ptp(locked[6:]) > 0.3  # oscillation within a period
    assert np.abs(locked[6:] - locked[:6]).max() < 0.1  # same phase, same value
    assert np.ptp(mixed[6:]) < 0.15

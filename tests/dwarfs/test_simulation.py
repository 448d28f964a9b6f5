"""Whole experiments at CI size: equilibrium, adiabatic invariants, breathing (brief §5.3)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from powertail.dwarfs.integrate import integrate
from powertail.dwarfs.observables import oscillation
from powertail.dwarfs.populations import sample_mono_energetic
from powertail.dwarfs.potentials import LinearRamp, Plummer, TimeDependentPotential
from powertail.dwarfs.predictions import adiabatic_powerlaw_scaling, breathing_period
from powertail.dwarfs.simulation import SimulationConfig, simulate, simulation_unit
from powertail.errors import InputError


def test_equilibrium_in_a_static_halo() -> None:
    # target 2: r_h and sigma stay within Poisson noise, virial ratio 1.00 ± 0.01 (N = 2000)
    cfg = SimulationConfig(
        halo="nfw",
        eps=(0.2,),
        amplitude=1.0,
        protocol="constant",
        t_change=0.0,
        t_end=30.0,
        dt=0.01,
        snapshot_every=3.0,
        n_per_component=2000,
    )
    s = simulate(cfg, seed=1).series
    noise = 1.0 / math.sqrt(2000)
    assert np.all(np.abs(s["r_h"] / s["r_h"].iloc[0] - 1) < 4 * noise)
    assert np.all(np.abs(s["sigma_3d"] / s["sigma_3d"].iloc[0] - 1) < 3 * noise)
    assert np.all(np.abs(s["virial_ratio"] - 1) < 0.06)
    assert abs(s["virial_ratio"].mean() - 1) < 0.01


def test_adiabatic_invariants_in_a_harmonic_core() -> None:
    # target 5 (harmonic part): r_h ∝ A^(-1/4), sigma ∝ A^(1/4), e' = eps/sqrt(A), L conserved
    pot = Plummer()
    pop = sample_mono_energetic(pot, 0.003, 400, seed=5)
    tdp = TimeDependentPotential(pot, LinearRamp(0.5, duration=150.0))
    o = integrate(
        tdp,
        pop.positions,
        pop.velocities,
        dt=0.05,
        n_steps=3600,
        save_every=3600,
        method="yoshida4",
    )
    r_fac, s_fac, e_fac = adiabatic_powerlaw_scaling(2.0, 0.5)
    e_new = o.e()[-1]
    np.testing.assert_allclose(e_new.mean(), 0.003 * e_fac, rtol=5e-3)
    ang0 = np.cross(pop.positions, pop.velocities)
    ang1 = np.cross(o.final_positions, o.final_velocities)
    np.testing.assert_allclose(ang1, ang0, rtol=1e-10, atol=1e-13)
    # r^2 averaged over the orbit: <r^2> ∝ A^(-1/2) for every star (time average over phases)
    r2_0 = np.mean(np.sum(pop.positions**2, axis=1))
    r2_1 = np.mean(np.sum(o.final_positions**2, axis=1))
    assert math.sqrt(r2_1 / r2_0) == pytest.approx(r_fac, rel=0.03)
    v2_0 = np.mean(np.sum(pop.velocities**2, axis=1))
    v2_1 = np.mean(np.sum(o.final_velocities**2, axis=1))
    assert math.sqrt(v2_1 / v2_0) == pytest.approx(s_fac, rel=0.03)


def test_breathing_period_and_no_damping_deep_in_a_core() -> None:
    # target 8: Plummer, impulsive A = 0.5: period pi/(sqrt(A) omega) within 2 %, undamped
    cfg = SimulationConfig(
        halo="plummer",
        eps=(0.002,),
        amplitude=0.5,
        protocol="impulsive",
        t_change=0.0,
        t_end=90.0,
        dt=0.05,
        snapshot_every=0.1,
        n_per_component=500,
    )
    s = simulate(cfg, seed=3).series
    early, late = s[s["t"] <= 45], s[s["t"] > 45]
    osc = oscillation(early["t"].to_numpy(), early["r_h"].to_numpy())
    assert osc.period == pytest.approx(breathing_period(Plummer(), 0.5), rel=0.02)
    late_osc = oscillation(late["t"].to_numpy(), late["r_h"].to_numpy())
    assert late_osc.amplitude > 0.8 * osc.amplitude


def test_unit_returns_storable_fields() -> None:
    from powertail.runs.results import validate_result

    result = simulation_unit(
        halo="nfw",
        eps=[0.1, 0.3],
        amplitude=0.5,
        protocol="impulsive",
        t_change=0.0,
        t_end=1.0,
        dt=0.01,
        snapshot_every=0.5,
        n_per_component=20,
        method="leapfrog",
        seed=4,
    )
    validate_result(result, key="k")
    assert sorted(result["series"]["component"].unique().tolist()) == [-1, 0, 1]
    assert result["e_final"].shape == (40,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"halo": "isothermal"}, "halo: expected one of nfw, cored-nfw, plummer, hernquist"),
        ({"eps": (1.2,)}, "eps: expected a binding energy e = 1 - E/Phi0 strictly between"),
        ({"amplitude": 0.0}, "amplitude: expected a number > 0, got 0.0"),
        ({"protocol": "linear"}, "t_change: expected a ramp duration > 0"),
    ],
)
def test_bad_configs(change: dict, message: str) -> None:
    base = {
        "halo": "nfw",
        "eps": (0.2,),
        "amplitude": 0.5,
        "protocol": "impulsive",
        "t_change": 0.0,
        "t_end": 1.0,
        "dt": 0.01,
        "snapshot_every": 0.5,
        "n_per_component": 10,
    }
    with pytest.raises(InputError, match=re.escape(message)):
        SimulationConfig(**{**base, **change})

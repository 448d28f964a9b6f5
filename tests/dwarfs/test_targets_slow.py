"""Verification targets 5-7 of the brief's §5.3 at full size (``pytest -m slow``).

Sizes follow the brief's prototype (4000 stars per component, t_ch = 100 T linear ramps, 1000
steps per T); each test prints its measured numbers (run with ``-s`` to see them).
"""

from __future__ import annotations

import numpy as np
import pytest

from powertail.dwarfs.model import mono_energetic_sizes
from powertail.dwarfs.observables import log_slope_profile
from powertail.dwarfs.potentials import NFW, Plummer
from powertail.dwarfs.predictions import adiabatic_powerlaw_scaling, radial_action
from powertail.dwarfs.simulation import SimulationConfig, simulate

pytestmark = pytest.mark.slow

T = 6.7  # orbital time at r_h of eps = 0.2 in NFW (brief §2.4.1)
EPS = (0.05, 0.1, 0.2, 0.3)
N = 4000


def _late_mean(series, k: int, column: str, fraction: float = 0.04) -> float:
    s = series[series["component"] == k]
    return float(s[s["t"] >= s["t"].max() * (1 - fraction)][column].mean())


def _actions(x: np.ndarray, v: np.ndarray, amplitude: float) -> tuple[np.ndarray, np.ndarray]:
    energy = 0.5 * np.sum(v * v, axis=1) + amplitude * NFW().phi(np.linalg.norm(x, axis=1))
    ang = np.linalg.norm(np.cross(x, v), axis=1)
    return radial_action(NFW(), energy, ang, amplitude=amplitude), ang


@pytest.mark.parametrize("amplitude", [0.5, 0.25])
def test_target_5_and_6_adiabatic_invariants_and_mono_energetic_end_state(
    amplitude: float,
) -> None:
    config = SimulationConfig(
        halo="nfw",
        eps=EPS,
        amplitude=amplitude,
        protocol="linear",
        t_change=100 * T,
        t_end=105 * T,
        dt=T / 1000,
        snapshot_every=T / 5,
        n_per_component=N,
    )
    sim = simulate(config, seed=11)
    pop = sim.population
    checks = []
    for k, eps in enumerate(EPS):
        mask = pop.component == k
        sub = np.flatnonzero(mask)[:500]
        j0, l0 = _actions(pop.positions[sub], pop.velocities[sub], 1.0)
        j1, l1 = _actions(sim.final_positions[sub], sim.final_velocities[sub], amplitude)
        dj = float(np.median(np.abs(j1 / j0 - 1)))
        dl = float(np.max(np.abs(l1 / l0 - 1)))
        # initial r_h exactly (quadrature), sigma from the sample; final: late-time means
        r_h0 = mono_energetic_sizes(NFW(), eps)[0]
        sigma0 = float(sim.series[sim.series["component"] == k].iloc[0]["sigma_3d"])
        rh_ratio = _late_mean(sim.series, k, "r_h") / r_h0
        product = rh_ratio * _late_mean(sim.series, k, "sigma_3d") / sigma0
        e_final = sim.e_final[mask]
        print(
            f"A={amplitude} eps={eps}: median|dJr/Jr|={dj:.2e} max|dL/L|={dl:.1e} "
            f"r_h x{rh_ratio:.3f} r_h*sigma x{product:.4f} e'={e_final.mean():.4f}"
            f"+-{e_final.std():.4f}"
        )
        checks.append((eps, dj, dl, product, e_final))
    for eps, dj, dl, product, e_final in checks:
        # brief: median |dJr/Jr| = 1.6e-3 for eps = 0.2, A = 0.5 at t_ch = 100 T (measured there
        # only). Longer orbital periods make the same t_ch less adiabatic: outer components
        # (eps = 0.3) and, at A = 0.25, the end of the ramp, where the periods have grown ~3x
        # (measured: 2.4e-3 to 1.5e-2; docs/dwarfs.md lists this as a deviation)
        limit = 2e-3 if eps <= 0.2 else 3e-3
        assert dj < (limit if amplitude == 0.5 else 10 * limit)
        assert dl < 1e-12
        # brief: conserved to <= 0.6 %; + 0.4 % for the sampling noise of sigma_0 at N = 4000
        assert product == pytest.approx(1.0, abs=0.01)
        if eps == 0.2:  # target 6: still mono-energetic (brief: 0.2432 +- 0.0008, 0.2934 +- 0.0012)
            assert e_final.std() < 2e-3
            assert e_final.mean() == pytest.approx({0.5: 0.2432, 0.25: 0.2934}[amplitude], abs=2e-3)


def test_target_5_harmonic_core_scalings() -> None:
    # Plummer (omega = 1), eps = 0.01 (r_h = 0.1 a): r_h ~ A^(-1/4), sigma ~ A^(1/4),
    # e' = eps / sqrt(A)
    config = SimulationConfig(
        halo="plummer",
        eps=(0.01,),
        amplitude=0.5,
        protocol="linear",
        t_change=100 * 2 * np.pi,
        t_end=110 * 2 * np.pi,
        dt=2 * np.pi / 1000,
        snapshot_every=2 * np.pi / 10,
        n_per_component=N,
    )
    sim = simulate(config, seed=5)
    r_pred, s_pred, e_pred = adiabatic_powerlaw_scaling(2.0, 0.5)
    first = sim.series.iloc[0]
    rh = _late_mean(sim.series, 0, "r_h", 0.09) / first["r_h"]
    sigma = _late_mean(sim.series, 0, "sigma_3d", 0.09) / first["sigma_3d"]
    e_ratio = float(sim.e_final.mean() / 0.01)
    print(
        f"harmonic core: r_h x{rh:.4f} ({r_pred:.4f}) sigma x{sigma:.4f} ({s_pred:.4f}) "
        f"e'/eps {e_ratio:.4f} ({e_pred:.4f})"
    )
    assert rh == pytest.approx(r_pred, rel=0.01)
    assert sigma == pytest.approx(s_pred, rel=0.01)
    assert e_ratio == pytest.approx(e_pred, rel=0.005)
    _ = Plummer  # the halo named "plummer" (G = M = a = 1)


def test_target_7_strong_impulse_tails_and_anisotropy() -> None:
    config = SimulationConfig(
        halo="nfw",
        eps=(0.2,),
        amplitude=0.25,
        protocol="impulsive",
        t_change=0.0,
        t_end=50 * T,
        dt=T / 1000,
        snapshot_every=T / 2,
        n_per_component=4 * N,
    )
    sim = simulate(config, seed=3)
    bound = sim.e_final < 1
    x, v = sim.final_positions[bound], sim.final_velocities[bound]
    r = np.linalg.norm(x, axis=1)
    r_h = float(np.median(r))
    rh_ratio = _late_mean(sim.series, 0, "r_h", 0.34) / sim.series.iloc[0]["r_h"]
    product = rh_ratio * (
        _late_mean(sim.series, 0, "sigma_3d", 0.34) / sim.series.iloc[0]["sigma_3d"]
    )
    out = r > 1.4 * r_h
    vr = np.sum(x[out] * v[out], axis=1) / r[out]
    vt2 = np.sum(v[out] ** 2, axis=1) - vr**2
    beta_out = 1 - vt2.mean() / (2 * np.mean(vr**2))
    slope, err = log_slope_profile(x, rmin=r_h, rmax=4 * r_h, bins=8)
    print(
        f"impulsive A=0.25 eps=0.2: r_h x{rh_ratio:.3f} r_h*sigma x{product:.3f} "
        f"beta(>1.4 r_h)={beta_out:.3f} slope(1-4 r_h)={slope:.2f}+-{err:.2f}"
    )
    assert rh_ratio == pytest.approx(2.15, abs=0.1)
    assert beta_out > 0.8
    assert -5.0 < slope < -3.0
    assert product == pytest.approx(1.31, abs=0.05)  # not conserved (brief: 1.30-1.32)

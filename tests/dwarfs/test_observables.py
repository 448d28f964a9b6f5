"""Observables against closed forms (Plummer sampled by its own inverse CDF) and the brief."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from powertail.dwarfs.observables import (
    anisotropy_profile,
    errani18_mass,
    half_light_radius,
    log_slope_profile,
    projected_half_light_radius,
    sigma_los,
    snapshot_summary,
    virial_ratio,
    weighted_quantile,
    wolf_mass,
)
from powertail.dwarfs.populations import isotropic_unit_vectors, sample_mono_energetic
from powertail.dwarfs.potentials import NFW
from powertail.errors import InputError


def _plummer_positions(n: int, seed: int) -> np.ndarray:
    # M(<r)/M = r^3/(1+r^2)^(3/2) = u  ->  r = 1/sqrt(u^(-2/3) - 1)   (a = 1)
    rng = np.random.default_rng(seed)
    u = rng.uniform(0, 1, n)
    r = 1.0 / np.sqrt(u ** (-2.0 / 3.0) - 1.0)
    return r[:, None] * isotropic_unit_vectors(n, rng)


def test_plummer_half_light_radii() -> None:
    x = _plummer_positions(200_000, 1)
    # 3-D: r_h = a / sqrt(2^(2/3) - 1) = 1.3048 a; projected: R_e = a
    assert half_light_radius(x) == pytest.approx(1 / math.sqrt(2 ** (2 / 3) - 1), rel=0.01)
    assert projected_half_light_radius(x) == pytest.approx(1.0, rel=0.01)


def test_plummer_outer_log_slope_is_minus_five() -> None:
    x = _plummer_positions(400_000, 2)
    slope, _ = log_slope_profile(x, rmin=4.0, rmax=15.0, bins=8)
    # d ln rho / d ln r = -5 r^2/(1 + r^2): -4.71 at r = 4, -4.98 at 15; mean about -4.9
    assert slope == pytest.approx(-4.9, abs=0.15)


def test_dispersion_anisotropy_and_weights() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(100_000, 3))
    v = 2.0 * rng.normal(size=(100_000, 3))
    assert sigma_los(v) == pytest.approx(2.0, rel=0.01)
    r = np.linalg.norm(x, axis=1)
    radial = (x / r[:, None]) * rng.normal(size=(100_000, 1))
    prof = anisotropy_profile(x, radial, edges=[0.1, 1, 3])
    np.testing.assert_allclose(prof.beta, 1.0, atol=1e-12)
    iso = anisotropy_profile(x, v, edges=[0.1, 1, 3])
    np.testing.assert_allclose(iso.beta, 0.0, atol=0.03)
    w = np.ones(4)
    assert weighted_quantile([1, 2, 3, 4], 0.5, weights=w) == pytest.approx(2.5)
    with pytest.raises(InputError, match=re.escape("weights: expected 3 finite non-negative")):
        half_light_radius(x[:3], weights=np.ones(2))


@pytest.mark.parametrize(
    ("eps", "r_h", "r_e", "sigma", "wolf", "e18"),
    [
        # brief §2.3 [prototype]: r_h, R_e, sigma_los, M_true/M_Wolf, M_true/M_E18
        (0.05, 0.0740, 0.0564, 0.104, 1.03, 1.19),
        (0.20, 0.370, 0.281, 0.196, 1.04, 1.08),
        (0.50, 1.70, 1.29, 0.262, 1.02, 0.90),
    ],
)
def test_mono_energetic_nfw_table(
    eps: float, r_h: float, r_e: float, sigma: float, wolf: float, e18: float
) -> None:
    pop = sample_mono_energetic(NFW(), eps, 40_000, seed=7)
    s = snapshot_summary(pop.positions, pop.velocities, NFW())
    assert s.r_h == pytest.approx(r_h, rel=0.01)
    assert s.R_e == pytest.approx(r_e, rel=0.01)
    assert s.sigma_los == pytest.approx(sigma, rel=0.01)
    assert 1 / s.wolf_ratio == pytest.approx(wolf, abs=0.02)
    assert 1 / s.errani18_ratio == pytest.approx(e18, abs=0.02)
    # brief §2.2.1 / target 2: the tracer virial theorem holds exactly for the population
    assert s.virial_ratio == pytest.approx(1.0, abs=0.01)


def test_mass_estimator_formulas() -> None:
    assert wolf_mass(2.0, 3.0) == 4 * 9 * 2.0
    assert errani18_mass(2.0, 3.0) == pytest.approx(3.5 * 1.8 * 2.0 * 9)
    x = np.array([[1.0, 0, 0], [0, 2.0, 0]])
    v = np.array([[0, 1.0, 0], [1.0, 0, 0]])
    expected = 2.0 / (float(NFW().mass(1.0)) / 1.0 + float(NFW().mass(2.0)) / 2.0)
    assert virial_ratio(x, v, NFW()) == pytest.approx(expected)


def test_metallicity_gradient_of_an_exact_linear_field() -> None:
    from powertail.dwarfs.observables import metallicity_gradient

    x = _plummer_positions(20_000, 5)
    big_r = np.linalg.norm(x[:, :2], axis=1)
    r_e = np.median(big_r)
    feh = -1.5 - 0.3 * big_r / r_e
    assert metallicity_gradient(x, feh) == pytest.approx(-0.3, rel=1e-6)
    assert metallicity_gradient(x, feh, per_re=False) == pytest.approx(-0.3 / r_e, rel=1e-6)


def test_oscillation_of_a_sinusoid() -> None:
    from powertail.dwarfs.observables import oscillation

    t = np.arange(0, 60, 0.1)
    osc = oscillation(t, 2.0 + 0.3 * np.sin(2 * np.pi * t / 4.44 + 0.4))
    assert osc.period == pytest.approx(4.44, rel=2e-3)
    assert osc.amplitude == pytest.approx(0.15, rel=0.02)  # sqrt(2) std / mean = 0.3 / 2
    with pytest.raises(InputError, match=re.escape("t: expected evenly spaced times")):
        oscillation(t**1.01, t)

"""Closed-form predictions against quadrature, simulation and the brief's prototype numbers.

Anchor numbers marked [prototype] come from the brief (../shared/papers/dwarf-spheroidal-mixing.md
§2.4), measured there with an independent NumPy test-particle prototype; the tolerances are the
brief's §5.3 ones unless stated.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import integrate

from powertail.dwarfs.model import e_from_energy
from powertail.dwarfs.populations import sample_mono_energetic
from powertail.dwarfs.potentials import NFW, CoredNFW, Plummer
from powertail.dwarfs.predictions import (
    adiabatic_energies,
    adiabatic_powerlaw_scaling,
    breathing_period,
    impulsive_energy_map,
    impulsive_energy_quantiles,
    impulsive_unbound_fraction,
    powerlaw_virial_ratios,
    radial_action,
)
from powertail.errors import InputError

Q = [0.05, 0.25, 0.5, 0.75, 0.95]


@pytest.mark.parametrize(
    ("amplitude", "brief"),
    [
        # brief §2.4.2, analytic row (the prototype's own quadrature) [prototype]
        (0.5, [0.2083, 0.2275, 0.2510, 0.2815, 0.3292]),
        (1.5, [0.1569, 0.1728, 0.1830, 0.1908, 0.1972]),
    ],
)
def test_impulsive_quantiles_match_the_brief(amplitude: float, brief: list[float]) -> None:
    ours = impulsive_energy_quantiles(NFW(), 0.2, amplitude, Q)
    np.testing.assert_allclose(ours, brief, atol=1.5e-4)  # the brief rounds to 4 digits


def test_impulsive_quantiles_match_the_simulated_jump() -> None:
    # brief §5.3 target 4: stars keep (x, v); quantiles of e' agree within sampling noise
    pop = sample_mono_energetic(NFW(), 0.2, 40_000, seed=21)
    r = np.linalg.norm(pop.positions, axis=1)
    e_new = e_from_energy(0.5 * np.sum(pop.velocities**2, axis=1) + 0.5 * NFW().phi(r), -0.5)
    np.testing.assert_allclose(
        np.quantile(e_new, Q), impulsive_energy_quantiles(NFW(), 0.2, 0.5, Q), atol=1.5e-3
    )
    assert e_new.min() >= 0.2 - 1e-12 and e_new.max() <= 0.4 + 1e-12  # range [eps, eps/A]


def test_energy_map_range_and_unbinding() -> None:
    assert impulsive_energy_map(0.2, 0.5, 0.0) == pytest.approx(0.4)
    assert impulsive_energy_map(0.2, 0.5, 0.2) == pytest.approx(0.2)
    assert impulsive_unbound_fraction(NFW(), 0.3, 0.31) == 0.0
    assert impulsive_unbound_fraction(NFW(), 0.3, 0.29) > 0.0
    # brief §2.4.2: eps = 0.3, A = 0.25 leaves 0.8 % unbound [prototype]
    assert impulsive_unbound_fraction(NFW(), 0.3, 0.25) == pytest.approx(0.008, abs=0.0006)


def test_powerlaw_predictions() -> None:
    # harmonic well, A = 0.5 (brief §2.2.3): <r^2> x 1.5 -> r x 1.22, sigma x 0.87
    r2, s2 = powerlaw_virial_ratios(2.0, 0.5)
    assert math.sqrt(r2) == pytest.approx(1.2247, abs=1e-4)
    assert math.sqrt(s2) == pytest.approx(0.8660, abs=1e-4)
    for alpha in (1.0, 2.0):
        r, s, _ = adiabatic_powerlaw_scaling(alpha, 0.25)
        assert r * s == pytest.approx(1.0)
    assert adiabatic_powerlaw_scaling(2.0, 0.5)[2] == pytest.approx(1 / math.sqrt(0.5))


def test_breathing_period() -> None:
    # brief §2.4.4: Plummer G = M = a = 1, A = 0.5 -> pi / sqrt(A) = 4.44
    assert breathing_period(Plummer(), 0.5) == pytest.approx(math.pi / math.sqrt(0.5))
    core = CoredNFW(r_c=0.2)
    assert breathing_period(core) == pytest.approx(
        math.pi / math.sqrt(4 * math.pi * float(core.density(0.0)) / 3)
    )
    with pytest.raises(InputError, match=re.escape("expected a finite central density")):
        breathing_period(NFW())


def test_radial_action_against_direct_quadrature() -> None:
    from scipy.optimize import brentq

    pot = NFW()
    for energy, ang in ((-0.8, 0.05), (-0.5, 0.3), (-0.3, 0.01)):

        def p2(r: float, e: float = energy, el: float = ang) -> float:
            return 2 * (e - float(pot.phi(r))) - el * el / (r * r)

        grid = np.geomspace(1e-8, 100, 4001)
        positive = np.flatnonzero(np.array([p2(r) for r in grid]) > 0)
        lo = brentq(p2, grid[positive[0] - 1], grid[positive[0]], xtol=1e-15)
        hi = brentq(p2, grid[positive[-1]], grid[positive[-1] + 1], xtol=1e-15)
        expected = integrate.quad(lambda r: math.sqrt(max(p2(r), 0.0)), lo, hi, limit=400)[0]
        got = float(radial_action(pot, np.array([energy]), np.array([ang]))[0])
        assert got == pytest.approx(expected / math.pi, rel=1e-6)
    # circular orbits have no radial action
    r_c = 0.7
    l_c = r_c * float(pot.vcirc(r_c))
    e_c = float(pot.phi(r_c)) + 0.5 * l_c**2 / r_c**2
    assert float(radial_action(pot, np.array([e_c]), np.array([l_c]))[0]) < 1e-6


def test_adiabatic_mapping_in_a_harmonic_core() -> None:
    # brief §2.2.4: in a harmonic core e' = eps / sqrt(A) exactly; eps = 0.002 in a Plummer
    # sphere (r_h ≈ 0.04 a) is harmonic to ~1e-3
    pop = sample_mono_energetic(Plummer(), 0.002, 300, seed=2)
    e_new = e_from_energy(adiabatic_energies(Plummer(), pop.positions, pop.velocities, 0.5), -0.5)
    np.testing.assert_allclose(e_new, 0.002 / math.sqrt(0.5), rtol=2e-3)


def test_adiabatic_mapping_in_nfw_matches_the_brief() -> None:
    # brief §2.4.2 [prototype, t_ch = 100 T simulation]: A = 0.5 -> e' = 0.2432 ± 0.0008,
    # A = 0.25 -> 0.2934 ± 0.0012
    pop = sample_mono_energetic(NFW(), 0.2, 400, seed=3)
    for amplitude, mean, spread in ((0.5, 0.2432, 0.0008), (0.25, 0.2934, 0.0012)):
        e_new = e_from_energy(
            adiabatic_energies(NFW(), pop.positions, pop.velocities, amplitude), -amplitude
        )
        assert e_new.mean() == pytest.approx(mean, abs=5e-4)
        assert e_new.std() < 2 * spread

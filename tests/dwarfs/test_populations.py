"""The mono-energetic sampler against quadrature and closed forms (brief §5.3 target 1)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import integrate, stats

from powertail.dwarfs.model import (
    density_of_states,
    e_from_energy,
    energy_from_e,
    errani22_dnde,
    mono_energetic_density,
    mono_energetic_radius,
)
from powertail.dwarfs.populations import grid_weights, sample_energy_grid, sample_mono_energetic
from powertail.dwarfs.potentials import NFW, Plummer
from powertail.errors import InputError


def _radial_cdf_by_quadrature(pot, eps: float):
    r_e = mono_energetic_radius(pot, eps)

    def cdf(r: np.ndarray) -> np.ndarray:
        out = [
            integrate.quad(
                lambda x: 4 * math.pi * x * x * float(mono_energetic_density(x, pot, eps)),
                0,
                min(float(v), r_e),
                limit=200,
            )[0]
            for v in np.atleast_1d(r)
        ]
        return np.asarray(out)

    return cdf


@pytest.mark.parametrize(("pot", "eps"), [(NFW(), 0.2), (Plummer(), 0.05)])
def test_radii_follow_the_exact_profile(pot, eps: float) -> None:
    pop = sample_mono_energetic(pot, eps, 20_000, seed=11)
    r = np.linalg.norm(pop.positions, axis=1)
    cdf = _radial_cdf_by_quadrature(pot, eps)
    grid = np.quantile(r, np.linspace(0.02, 0.98, 25))
    empirical = np.searchsorted(np.sort(r), grid) / r.size
    # sup distance on a grid; the KS 99% band at n = 20000 is 1.63/sqrt(n) = 0.0115
    assert np.max(np.abs(empirical - cdf(grid))) < 0.0115


def test_nfw_profile_is_the_analytic_form() -> None:
    # brief §1.3 in NFW units: rho* ∝ [E0 - Phi]^(1/2) = [ln(1+r)/r - ln(1+r_E)/r_E]^(1/2)
    # (the brief prints the two terms the other way round, which is negative inside r_E)
    eps = 0.3
    r_e = mono_energetic_radius(NFW(), eps)
    r = np.geomspace(0.01, 0.99 * r_e, 9)
    ratio = mono_energetic_density(r, NFW(), eps) / np.sqrt(np.log1p(r) / r - np.log1p(r_e) / r_e)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-10)
    assert float(NFW().phi(r_e)) == pytest.approx(-(1 - eps), rel=1e-12)


def test_every_star_has_the_energy_and_isotropy() -> None:
    pop = sample_mono_energetic(NFW(), 0.2, 40_000, seed=5)
    np.testing.assert_allclose(pop.e_initial, 0.2, atol=1e-13)
    x, v = pop.positions, pop.velocities
    r = np.linalg.norm(x, axis=1)
    vr = np.sum(x * v, axis=1) / r
    vt2 = np.sum(v * v, axis=1) - vr**2
    # sigma_r = sigma_t / sqrt(2)  (beta = 0)
    assert np.mean(vt2) / (2 * np.mean(vr**2)) == pytest.approx(1.0, abs=0.02)
    # directions uniform: cos(theta) of positions and of velocities are U(-1, 1)
    assert stats.kstest(x[:, 2] / r, "uniform", args=(-1, 2)).pvalue > 1e-3
    assert stats.kstest(vr / np.linalg.norm(v, axis=1), "uniform", args=(-1, 2)).pvalue > 1e-3


def test_thin_shell_energies_follow_the_density_of_states() -> None:
    eps, width = 0.2, 0.05
    pop = sample_mono_energetic(NFW(), eps, 20_000, seed=8, width=width)
    assert pop.e_initial.min() >= eps - width / 2 - 1e-12
    assert pop.e_initial.max() <= eps + width / 2 + 1e-12
    # dN/de ∝ g(E) on the shell for a constant DF: compare the mean e with quadrature
    e_nodes = np.linspace(eps - width / 2, eps + width / 2, 41)
    g = np.array([density_of_states(NFW(), float(energy_from_e(e, -1.0))) for e in e_nodes])
    expected = integrate.trapezoid(e_nodes * g, e_nodes) / integrate.trapezoid(g, e_nodes)
    sem = pop.e_initial.std() / math.sqrt(pop.n)
    assert pop.e_initial.mean() == pytest.approx(expected, abs=4 * sem)


def test_same_seed_same_population() -> None:
    a = sample_mono_energetic(NFW(), 0.1, 100, seed=3)
    b = sample_mono_energetic(NFW(), 0.1, 100, seed=3)
    np.testing.assert_array_equal(a.positions, b.positions)


def test_grid_weights_reproduce_dnde() -> None:
    grid = np.linspace(0.05, 0.6, 12)
    pop = sample_energy_grid(NFW(), grid, 50, seed=1)
    w = grid_weights(pop, errani22_dnde)
    assert w.sum() == pytest.approx(1.0)
    per_component = np.bincount(pop.component, weights=w)
    edges = np.concatenate([[grid[0]], 0.5 * (grid[1:] + grid[:-1]), [grid[-1]]])
    expected = errani22_dnde(grid) * np.diff(edges)
    np.testing.assert_allclose(per_component, expected / expected.sum(), rtol=1e-12)


def test_errani22_peak_and_energy_conversions() -> None:
    e = np.linspace(0.01, 1.0, 100_001)
    # d/de [e^a exp(-(e/e_s)^b)] = 0 at e = e_s (a/b)^(1/b) = e_s for a = b
    assert e[np.argmax(errani22_dnde(e))] == pytest.approx(10**-0.32, abs=1e-4)
    np.testing.assert_allclose(e_from_energy(energy_from_e(e, -2.0), -2.0), e, atol=1e-15)


@pytest.mark.parametrize(
    ("eps", "message"),
    [
        (1.0, "eps: expected a binding energy e = 1 - E/Phi0 strictly between 0"),
        (0.0, "eps: expected a binding energy e = 1 - E/Phi0 strictly between 0"),
        (-0.2, "got -0.2"),
        ("0.2", "eps: expected a number in (0, 1), got str '0.2'"),
    ],
)
def test_bad_eps(eps: object, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        sample_mono_energetic(NFW(), eps, 10, seed=0)  # type: ignore[arg-type]


def test_bad_sizes() -> None:
    with pytest.raises(InputError, match=re.escape("n: expected a positive number of stars")):
        sample_mono_energetic(NFW(), 0.2, 0, seed=0)
    with pytest.raises(InputError, match=re.escape("width: expected 0 <= width < 2 min(eps")):
        sample_mono_energetic(NFW(), 0.2, 10, seed=0, width=0.5)


def test_non_monotonic_potential_is_refused() -> None:
    from dataclasses import dataclass

    from powertail.dwarfs.potentials import SphericalPotential

    @dataclass(frozen=True)
    class Bumpy(SphericalPotential):
        """Plummer minus a Gaussian dip at r = 0.5: Phi decreases there (negative density)."""

        def _phi(self, r, xp):
            return -1.0 / xp.sqrt(r * r + 1.0) - 0.3 * xp.exp(-(((r - 0.5) / 0.05) ** 2))

        def _mass(self, r, xp):
            return r**3 / (r * r + 1.0) ** 1.5

    with pytest.raises(InputError, match=re.escape("potential: expected Phi(r) increasing")):
        sample_mono_energetic(Bumpy(), 0.5, 10, seed=0)

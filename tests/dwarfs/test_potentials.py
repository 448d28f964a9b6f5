"""Conformance suite: every potential against its own derivatives, Poisson and quadrature."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import integrate, optimize

from powertail.dwarfs.potentials import (
    NFW,
    NFW_X_MAX,
    CoredNFW,
    Dehnen,
    Plummer,
    SphericalPotential,
    TabulatedPotential,
)
from powertail.errors import InputError


def _hernquist_density(r: np.ndarray) -> np.ndarray:
    return 1.0 / (2.0 * np.pi * r * (1.0 + r) ** 3)


POTENTIALS: dict[str, tuple[SphericalPotential, float]] = {
    # name: (potential, relative tolerance of derivative / quadrature checks)
    "nfw": (NFW(), 1e-6),
    "nfw-scaled": (NFW(m_s=2.5, r_s=0.4), 1e-6),
    "cored-nfw": (CoredNFW(), 1e-6),
    "cored-nfw-big-core": (CoredNFW(m_s=1.0, r_s=1.0, r_c=3.0), 1e-6),
    "plummer": (Plummer(mass_total=2.0, a=0.7), 1e-6),
    "dehnen-core": (Dehnen(gamma=0.0), 1e-6),
    "hernquist": (Dehnen(gamma=1.0, a=2.0), 1e-6),
    "dehnen-1.5": (Dehnen(gamma=1.5), 1e-6),
    "tabulated-hernquist": (TabulatedPotential.from_density(_hernquist_density), 2e-4),
}
RADII = np.geomspace(1e-3, 50.0, 13)


@pytest.fixture(params=sorted(POTENTIALS), ids=sorted(POTENTIALS))
def case(request: pytest.FixtureRequest) -> tuple[SphericalPotential, float]:
    return POTENTIALS[request.param]


def test_force_is_minus_derivative_of_potential(case: tuple[SphericalPotential, float]) -> None:
    pot, tol = case
    h = 2e-3 * RADII  # five-point stencil: truncation ~ (h/r)^4, round-off ~ eps |Phi| / h
    f = [pot.phi(RADII + k * h) for k in (-2, -1, 1, 2)]
    numeric = -(f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)
    np.testing.assert_allclose(pot.force(RADII), numeric, rtol=max(tol, 2e-6))


def test_mass_is_integral_of_density(case: tuple[SphericalPotential, float]) -> None:
    pot, tol = case
    # the tabulated density is piecewise log-linear: quadrature needs a looser target there
    epsrel = 1e-6 if isinstance(pot, TabulatedPotential) else 1e-10
    for r in (0.01, 0.3, 2.0, 20.0):
        expected, _ = integrate.quad(
            lambda x: 4 * math.pi * x * x * float(pot.density(x)), 0, r, limit=2000, epsrel=epsrel
        )
        assert float(pot.mass(r)) == pytest.approx(expected, rel=tol)


def test_poisson_equation(case: tuple[SphericalPotential, float]) -> None:
    # (1/r^2) d/dr (r^2 dPhi/dr) = 4 pi rho, i.e. d/dr [r^2 dPhi/dr] by finite differences of Phi
    # Laplacian Phi'' + 2 Phi'/r from five-point stencils of Phi alone
    pot, _ = case
    r = RADII[1:-1]
    h = 2e-3 * r
    f = [pot.phi(r + k * h) for k in (-2, -1, 0, 1, 2)]
    d1 = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    d2 = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
    lhs = d2 + 2 * d1 / r
    # the tabulated spline has a jump in its second derivative at every node: looser there
    rtol = 2e-2 if isinstance(pot, TabulatedPotential) else 1e-4
    np.testing.assert_allclose(lhs, 4 * math.pi * pot.density(r), rtol=rtol)


def test_potential_is_integral_of_force_from_infinity(
    case: tuple[SphericalPotential, float],
) -> None:
    pot, _ = case
    if isinstance(pot, TabulatedPotential):
        pytest.skip("the tabulated potential tends to a small constant beyond its last node")
    for r in (0.05, 1.0, 10.0):
        expected, _ = integrate.quad(
            lambda x: -float(pot.mass(x)) / x**2, r, np.inf, limit=400, epsrel=1e-11
        )
        assert float(pot.phi(r)) == pytest.approx(expected, rel=1e-7)


def test_centre_is_finite_and_continuous(case: tuple[SphericalPotential, float]) -> None:
    pot, _ = case
    phi0 = pot.central_potential()
    assert math.isfinite(phi0) and phi0 < 0
    assert float(pot.phi(1e-12)) == pytest.approx(phi0, rel=1e-5)
    assert np.all(np.diff(pot.phi(np.geomspace(1e-8, 1e3, 400))) >= -1e-15)
    assert np.all(np.diff(pot.phi(np.geomspace(1e-3, 1e3, 400))) > 0)


def test_acceleration_is_minus_gradient(case: tuple[SphericalPotential, float]) -> None:
    pot, tol = case
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 3))
    h = 1e-6
    grad = np.stack(
        [(pot.phi_xyz(x + h * e) - pot.phi_xyz(x - h * e)) / (2 * h) for e in np.eye(3)], axis=-1
    )
    np.testing.assert_allclose(pot.acceleration(x), -grad, rtol=max(tol, 1e-6), atol=1e-9)
    np.testing.assert_array_equal(pot.acceleration(np.zeros(3)), np.zeros(3))


def test_jax_kernels_match_numpy(case: tuple[SphericalPotential, float]) -> None:
    from powertail.jaxconfig import jax_with_x64

    jnp = jax_with_x64().numpy
    pot, _ = case
    x = np.random.default_rng(4).normal(size=(20, 3)) * np.geomspace(1e-7, 30, 20)[:, None]
    np.testing.assert_allclose(
        np.asarray(pot.acceleration_xp(jnp.asarray(x), jnp)), pot.acceleration(x), rtol=1e-10
    )
    np.testing.assert_allclose(
        np.asarray(pot.phi_xp(jnp.asarray(x), jnp)), pot.phi_xyz(x), rtol=1e-12
    )


def test_vcirc_squared_is_r_times_force(case: tuple[SphericalPotential, float]) -> None:
    pot, _ = case
    np.testing.assert_allclose(pot.vcirc(RADII) ** 2, -RADII * pot.force(RADII), rtol=1e-12)


# ------------------------------------------------------------------ NFW specifics (brief §1.1-1.2)
def test_nfw_units_of_the_brief() -> None:
    nfw = NFW()
    assert nfw.central_potential() == -1.0
    # brief §1.1: V_max = 0.4650 at r_max = 2.1626 r_s, Phi0 = -4.625 V_max^2
    assert nfw.v_max == pytest.approx(0.4650, abs=5e-5)
    assert nfw.r_max == pytest.approx(2.1626, abs=5e-5)
    assert nfw.central_potential() / nfw.v_max**2 == pytest.approx(-4.625, abs=2e-3)
    assert float(nfw.force(0.0)) == -0.5  # -2 pi G rho_s r_s with 4 pi rho_s r_s^3 = 1


def test_nfw_x_max_constant_is_the_root() -> None:
    root = optimize.brentq(
        lambda x: math.log1p(x) - x * (1 + 2 * x) / (1 + x) ** 2, 1.0, 3.0, xtol=1e-15
    )
    assert root == pytest.approx(NFW_X_MAX, rel=1e-13)
    r = np.linspace(0.99, 1.01, 2001) * NFW_X_MAX
    assert r[np.argmax(NFW().vcirc(r))] == pytest.approx(NFW_X_MAX, rel=1e-4)


def test_nfw_alternate_parameterisations() -> None:
    nfw = NFW.from_vmax_rmax(v_max=20.0, r_max=3.0)
    assert nfw.v_max == pytest.approx(20.0, rel=1e-12)
    assert nfw.r_max == pytest.approx(3.0, rel=1e-12)
    assert NFW.from_rho_s(1 / (4 * math.pi), 1.0) == NFW()


def test_nfw_small_radius_series_matches_closed_form() -> None:
    nfw = NFW()
    x = np.array([1e-6 * 0.999, 1e-6 * 1.001, 1e-2 * 0.999, 1e-2 * 1.001])
    exact_phi = np.array([-math.log1p(v) / v for v in x])  # fine in float64 at these x
    np.testing.assert_allclose(nfw.phi(x), exact_phi, rtol=1e-12)
    # mass series against 50-digit-free check: mpmath-free expansion of log1p - x/(1+x)
    exact_mass = np.array(
        [sum((-1) ** (k + 1) * v**k * (1 / k - 1) for k in range(2, 30)) for v in x]
    )
    np.testing.assert_allclose(nfw.mass(x), exact_mass, rtol=1e-11)


def test_cored_nfw_tends_to_nfw() -> None:
    r = np.geomspace(0.05, 20, 9)
    cored = CoredNFW(r_c=1e-7)
    np.testing.assert_allclose(cored.phi(r), NFW().phi(r), rtol=1e-5)
    np.testing.assert_allclose(cored.mass(r), NFW().mass(r), rtol=1e-5)
    assert float(CoredNFW(r_c=0.2).density(0.0)) == pytest.approx(1 / (4 * math.pi) / 0.2)


def test_tabulated_matches_closed_form_hernquist() -> None:
    tab = POTENTIALS["tabulated-hernquist"][0]
    ref = Dehnen(gamma=1.0)
    r = np.geomspace(1e-3, 100, 30)
    np.testing.assert_allclose(tab.phi(r), ref.phi(r), rtol=1e-5)
    np.testing.assert_allclose(tab.mass(r), ref.mass(r), rtol=1e-4)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: NFW(m_s=-1.0), "m_s of NFW: expected a finite number > 0, got -1.0"),
        (lambda: NFW(r_s=0), "r_s of NFW: expected a finite number > 0, got 0.0"),
        (lambda: Plummer(a="1"), "a of Plummer: expected a positive number, got str '1'"),
        (lambda: Dehnen(gamma=2.5), "gamma of Dehnen: expected a number in [0, 2)"),
        (lambda: CoredNFW(r_c=1.0), "r_c of CoredNFW: expected a core radius different from r_s"),
        (
            lambda: TabulatedPotential.from_arrays(np.geomspace(1e-3, 10, 50), -np.ones(50)),
            "density: expected finite densities > 0 at every radius",
        ),
        (
            lambda: TabulatedPotential.from_arrays(
                np.geomspace(1e-3, 10, 50), np.geomspace(1e-3, 10, 50) ** -1.5
            ),
            "density: expected an outer slope < -2 (finite potential)",
        ),
        (lambda: NFW().phi(-1.0), "r: expected finite radii >= 0, got -1.0"),
        (lambda: NFW().radius_of_potential(0.5), "level: expected a potential value between"),
    ],
)
def test_bad_input_is_named(build, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        build()

"""ShearModel validation and the closed-form collision rate (brief 1.2) against quadrature."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import hyp1f1

from powertail.errors import InputError
from powertail.shear import ShearModel, angular_moments, collision_rate
from powertail.shear.model import KUMMER_SWITCH


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": 0.0, "temperature": 0.0}, "temperature: expected T > 0, got 0.0"),
        ({"gamma": 0.0, "temperature": -1.0}, "temperature: expected T > 0, got -1.0"),
        ({"gamma": 0.0, "shear": -0.5}, "shear: expected K >= 0, got -0.5"),
        ({"gamma": -3.0}, "gamma: expected a value in (-3, 1], got -3.0"),
        ({"gamma": 1.5}, "gamma: expected a value in (-3, 1], got 1.5"),
        ({"gamma": float("nan")}, "gamma: expected a finite number"),
        ({"gamma": 0.0, "background": "delta"}, "the delta background needs gamma < 0"),
        ({"gamma": -0.5, "background": "bgk"}, "the BGK model has a constant rate"),
        ({"gamma": 0.0, "scattering": "hard"}, "scattering: expected one of uniform-omega"),
        ({"gamma": 0.0, "normalisation": "pi"}, "normalisation: expected one of unit, 4pi, 2pi"),
    ],
)
def test_bad_model_input_is_named(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        ShearModel(**kwargs)


def test_conventions_appear_in_label() -> None:
    m = ShearModel(-0.5, scattering="isotropic-cm", normalisation="4pi")
    assert "isotropic-cm" in m.label and "c0=4pi" in m.label
    assert m.c0 == pytest.approx(4 * np.pi)
    assert ShearModel(0.0, normalisation="2pi").c0 == pytest.approx(2 * np.pi)


@pytest.mark.parametrize("scattering", ["uniform-omega", "isotropic-cm"])
def test_angular_moments_by_quadrature(scattering: str) -> None:
    # density of mu = n.omega: 1/2 on [-1, 1] (b constant) or |mu| (b proportional to |mu|)
    mu = np.linspace(-1, 1, 200001)
    dens = np.full_like(mu, 0.5) if scattering == "uniform-omega" else np.abs(mu)
    k1 = np.trapezoid(mu**2 * dens, mu)
    k2 = np.trapezoid(mu**4 * dens, mu)
    assert angular_moments(scattering) == pytest.approx((k1, k2), rel=1e-6)


def _rate_by_quadrature(gamma: float, r: float, T: float) -> float:
    # E|w - sqrt(T) Z|^gamma: the angle integral in closed form, then quad over the partner speed
    def angular(rho: float) -> float:
        if r == 0.0:
            return 2.0 * rho**gamma
        g2 = gamma + 2.0
        return ((r + rho) ** g2 - abs(r - rho) ** g2) / (g2 * r * rho)

    def integrand(rho: float) -> float:
        return angular(rho) * rho**2 * np.exp(-(rho**2) / (2 * T)) * 2 * np.pi

    points = [r] if r > 0 else None
    val, _ = quad(
        integrand, 0, 14 * np.sqrt(T), points=points, epsabs=1e-12, epsrel=1e-11, limit=200
    )
    return val / (2 * np.pi * T) ** 1.5


@pytest.mark.parametrize("gamma", [-2.5, -1.5, -0.5, 0.5, 1.0])
@pytest.mark.parametrize("r", [0.0, 0.7, 3.0])
def test_collision_rate_matches_quadrature(gamma: float, r: float) -> None:
    T = 1.7
    model = ShearModel(gamma, temperature=T, normalisation="4pi")
    expected = 4 * np.pi * _rate_by_quadrature(gamma, r, T)
    assert collision_rate(model, np.array([r]))[0] == pytest.approx(expected, rel=2e-6)


@pytest.mark.parametrize("gamma", [-1.5, -0.5, 0.5])
def test_kummer_branch_continues_hyp1f1(gamma: float) -> None:
    # just above the switch, SciPy's hyp1f1 is still accurate: both branches must agree
    T = 1.0
    r = np.sqrt(2 * T * KUMMER_SWITCH) * np.array([1.001, 1.5, 3.0])
    model = ShearModel(gamma, temperature=T)
    from scipy.special import gamma as G

    direct = 2 ** (gamma / 2) * G((3 + gamma) / 2) / G(1.5) * hyp1f1(-gamma / 2, 1.5, -(r**2) / 2)
    assert collision_rate(model, r) == pytest.approx(direct, rel=1e-12)


def test_rate_is_finite_far_beyond_float64() -> None:
    model = ShearModel(-0.5)
    speed = np.array([np.exp(np.longdouble(1200))])  # beyond float64 (e^709)
    lam = collision_rate(model, speed)
    # Kummer: lambda = c0 |w|^gamma (1 + O(|w|^-2)) = exp(-600)
    assert np.log(lam[0]) == pytest.approx(-600.0, rel=1e-12)

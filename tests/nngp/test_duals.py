"""Dual activations against independent Gaussian integrals (brief section 5.3, target 1)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from powertail.jaxconfig import jax_with_x64
from powertail.nngp.kernels import erf_dual, identity_dual, relu_dual

CASES = [(1.0, 0.3, 2.0), (0.5, -0.4, 0.7), (2.0, 1.9, 2.0), (1.3, 0.0, 0.2), (3.0, 3.0, 3.0)]


def gauss_expectation(f, g, k11: float, k12: float, k22: float, n: int = 120) -> float:
    """E[f(u) g(v)] by a tensor Gauss-Hermite rule after a Cholesky change of variables."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    a, b = np.meshgrid(x, x, indexing="ij")
    l11 = np.sqrt(k11)
    l21 = k12 / l11
    l22 = np.sqrt(max(k22 - l21**2, 0.0))
    u, v = l11 * a, l21 * a + l22 * b
    return float(np.sum(np.outer(w, w) * f(u) * g(v)))


def relu_expectation(k11: float, k12: float, k22: float) -> float:
    """E[relu(u) relu(v)] = int_0^inf u E[relu(v) | u] N(u; 0, k11) du, the inner one closed."""
    cond_var = max(k22 - k12**2 / k11, 0.0)

    def inner(u: float) -> float:
        mu = k12 / k11 * u
        if cond_var == 0.0:
            return max(mu, 0.0)
        s = np.sqrt(cond_var)
        return mu * stats.norm.cdf(mu / s) + s * stats.norm.pdf(mu / s)

    f = lambda u: u * inner(u) * stats.norm.pdf(u, scale=np.sqrt(k11))  # noqa: E731
    return integrate.quad(f, 0.0, np.inf, epsabs=1e-14, epsrel=1e-12)[0]


@pytest.mark.parametrize("k11, k12, k22", CASES)
def test_erf_dual_matches_gauss_hermite(k11: float, k12: float, k22: float) -> None:
    value, deriv = erf_dual(k11, k12, k22)
    assert float(value) == pytest.approx(
        gauss_expectation(special.erf, special.erf, k11, k12, k22), rel=1e-9, abs=1e-12
    )
    dphi = lambda z: 2 / np.sqrt(np.pi) * np.exp(-(z**2))  # noqa: E731
    assert float(deriv) == pytest.approx(gauss_expectation(dphi, dphi, k11, k12, k22), rel=1e-6)


@pytest.mark.parametrize("k11, k12, k22", CASES)
def test_relu_dual_matches_sheppard_and_quadrature(k11: float, k12: float, k22: float) -> None:
    value, deriv = relu_dual(k11, k12, k22)
    rho = k12 / np.sqrt(k11 * k22)
    # Sheppard's orthant probability P(u > 0, v > 0) = 1/4 + arcsin(rho) / (2 pi)
    assert float(deriv) == pytest.approx(0.25 + np.arcsin(rho) / (2 * np.pi), rel=1e-12)
    assert float(value) == pytest.approx(relu_expectation(k11, k12, k22), rel=1e-8, abs=1e-12)
    assert float(relu_dual(k11, k11, k11)[0]) == pytest.approx(k11 / 2, rel=1e-14)


def test_identity_dual() -> None:
    value, deriv = identity_dual(1.0, 0.3, 2.0)
    assert float(value) == pytest.approx(0.3)
    assert float(deriv) == 1.0


def test_relu_gradient_is_finite_at_equal_inputs() -> None:
    jax = jax_with_x64()
    grad = jax.grad(lambda k: relu_dual(k, k, k)[0] + relu_dual(k, k, k)[1])(1.5)
    assert np.isfinite(float(grad))
    assert float(grad) == pytest.approx(0.5, rel=1e-6)  # d/dk (k/2 + 1/2)
    zero = jax.grad(lambda k: relu_dual(0.0 * k, 0.0 * k, 0.0 * k)[0])(1.0)
    assert np.isfinite(float(zero))

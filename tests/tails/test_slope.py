"""Log-log slopes of profiles: analytic profiles, histograms of sampled radii, OLS errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from powertail.errors import InputError
from powertail.tails import density_profile, fit_log_slope, log_slope


def test_exact_power_law_slope_everywhere() -> None:
    r = np.geomspace(0.1, 100, 40)
    np.testing.assert_allclose(log_slope(r, 3.0 * r**-2.7, window=5), -2.7, atol=1e-12)
    slope, err = fit_log_slope(r, 3.0 * r**-2.7)
    assert slope == pytest.approx(-2.7, abs=1e-12)
    assert err < 1e-12


def test_nfw_profile_slope() -> None:
    r = np.geomspace(1e-2, 1e2, 400)
    rho = 1 / (r * (1 + r) ** 2)
    expected = -1 - 2 * r / (1 + r)
    np.testing.assert_allclose(log_slope(r, rho, window=5), expected, atol=2e-4)
    np.testing.assert_allclose(log_slope(r, rho, window=3), expected, atol=2e-4)


def test_plummer_profile_slope_converges_at_second_order() -> None:
    errors = []
    for n in (100, 200, 400):
        r = np.geomspace(1e-2, 1e2, n)
        rho = (1 + r**2) ** -2.5
        err = np.abs(log_slope(r, rho, window=7) - (-5 * r**2 / (1 + r**2))).max()
        errors.append(err)
    assert errors[-1] < 2e-3
    # halving the log spacing divides the error by about 4 (O(h^2), ends included)
    assert errors[0] / errors[1] > 3.5
    assert errors[1] / errors[2] > 3.5


def test_fit_log_slope_matches_linregress_on_noisy_profile() -> None:
    rng = np.random.default_rng(0)
    r = np.geomspace(1, 50, 60)
    y = r**-3.0 * np.exp(rng.normal(0, 0.1, r.size))
    fit = fit_log_slope(r, y, rmin=2.0, rmax=30.0)
    sel = (r >= 2) & (r <= 30)
    ref = stats.linregress(np.log(r[sel]), np.log(y[sel]))
    assert fit.slope == pytest.approx(ref.slope, rel=1e-12)
    assert fit.stderr == pytest.approx(ref.stderr, rel=1e-10)


def _plummer_radii(n: int, seed: int) -> np.ndarray:
    """Inverse of the Plummer mass profile M(<r)/M = r^3 / (1 + r^2)^{3/2} (scale radius 1)."""
    u = np.random.default_rng(seed).random(n)
    return 1 / np.sqrt(u ** (-2 / 3) - 1)


def test_density_profile_of_sampled_plummer_radii() -> None:
    n = 200_000
    prof = density_profile(_plummer_radii(n, seed=1), bins=np.geomspace(0.05, 20, 31))
    mass = prof.edges**3 / (1 + prof.edges**2) ** 1.5  # exact expected fraction per shell
    shell = 4 / 3 * np.pi * np.diff(prof.edges**3)
    expected = n * np.diff(mass) / shell
    full = prof.counts > 100
    pulls = (prof.density[full] - expected[full]) / prof.error[full]  # ~ N(0, 1)
    assert np.all(np.abs(pulls) < 4)
    assert np.mean(pulls**2) < 2.0
    inner = fit_log_slope(prof.r, prof.density, rmin=0.05, rmax=0.2)
    assert abs(inner.slope - (-0.07)) < 3 * inner.stderr  # -5r^2/(1+r^2) averaged over the range
    outer = prof.r > 2
    slope = log_slope(prof.r[full & outer], prof.density[full & outer], window=3)
    np.testing.assert_allclose(
        slope, -5 * prof.r[full & outer] ** 2 / (1 + prof.r[full & outer] ** 2), atol=0.4
    )


def test_density_profile_dimensions_and_weights() -> None:
    samples = np.array([0.5, 1.5, 1.5, 2.5])
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    one = density_profile(samples, bins=edges, dim=1)
    np.testing.assert_allclose(one.density, [1, 2, 1])
    two = density_profile(samples, bins=edges, dim=2, weights=[1, 2, 3, 4])
    np.testing.assert_allclose(two.density, np.array([1, 5, 4]) / (np.pi * np.diff(edges**2)))
    three = density_profile(samples, bins=edges, dim=3)
    np.testing.assert_allclose(three.density * 4 / 3 * np.pi * np.diff(edges**3), [1, 2, 1])
    np.testing.assert_allclose(one.r, [0.5, 1.5, 2.5])
    assert three.nonempty().all()


@pytest.mark.parametrize(
    ("r", "y", "kwargs", "message"),
    [
        (
            [1, 2, 3, 2, 5],
            [1, 1, 1, 1, 1],
            {},
            "r must be strictly increasing; got r[2]=3.0 >= r[3]=2.0",
        ),
        (
            [1, 2, 3, 4, 5],
            [1, 0, 1, 1, 1],
            {},
            "y must be strictly positive for a log-log slope; got 1 entries <= 0 "
            "(first at index 1: 0.0)",
        ),
        ([1, 2, 3, 4, 5], [1, 1, 1, 1], {}, "r and y must have the same length; got 5 and 4"),
        (
            [1, 2, 3, 4, 5],
            [1, 1, 1, 1, 1],
            {"window": 4},
            "window must be odd (centred fits); got 4; pass 5",
        ),
        (
            [1, 2, 3],
            [1, 1, 1],
            {"window": 5},
            "the profile must have at least window=5 points (pass a smaller odd window); "
            "got 3 points",
        ),
    ],
)
def test_log_slope_errors(r: list, y: list, kwargs: dict, message: str) -> None:
    import re

    with pytest.raises(InputError, match=re.escape(message)):
        log_slope(np.array(r, float), np.array(y, float), **kwargs)


def test_fit_log_slope_and_density_profile_errors() -> None:
    r = np.geomspace(1, 10, 10)
    with pytest.raises(
        InputError, match=r"fit_log_slope needs at least 3 points in \[rmin, rmax\]"
    ):
        fit_log_slope(r, r, rmin=5, rmax=6)
    with pytest.raises(InputError, match=r"samples must be radii >= 0; got 1 negative entries"):
        density_profile([1.0, -2.0])
    with pytest.raises(InputError, match=r"dim must be 1, 2 or 3; got 4"):
        density_profile([1.0, 2.0], dim=4)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"samples must be > 0 for log-spaced bins"):
        density_profile([0.0, 2.0])

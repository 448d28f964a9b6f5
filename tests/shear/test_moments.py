"""Maxwell-molecule moment equations (brief 1.11): anchors, two independent routes, and the MC."""

from __future__ import annotations

import re

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.shear import (
    ShearModel,
    critical_shear,
    critical_shear_order,
    growth_rate,
    moment_trajectory,
    polynomial_moment_generator,
    second_moments,
    simulate,
    stationary_second_moments,
)
from powertail.shear.moments import second_moment_generator
from powertail.shear.observables import batch_means

# Anchors: brief section 1.11 (derived there and checked against an exact MC and the tensor
# generator; printed to 6 decimals, hence the tolerance). Isotropic b, beta0 = T = 1.
STATIONARY = {
    0.25: (1.096360, -0.513919, 1.578158, 1.256959),
    0.5: (1.542169, -1.445783, 4.253012, 2.445783),
    0.8: (10.0, -15.0, 55.0, 25.0),
}
GROWTH = {1.0: 0.053648, 1.5: 0.209841, 2.0: 0.350072, 3.0: 0.600348}
TRANSIENT_K05 = {
    1.0: (1.1806, -0.3880, 1.0039),
    4.0: (2.2309, -0.8671, 1.0964),
    16.0: (3.8493, -1.3228, 1.4428),
}


@pytest.mark.parametrize("K", sorted(STATIONARY))
def test_stationary_values_brief_table(K: float) -> None:
    M = stationary_second_moments(ShearModel(0.0, shear=K))
    got = (M[1, 1], M[0, 1], M[0, 0], np.trace(M) / 3)
    assert got == pytest.approx(STATIONARY[K], abs=2e-6)
    assert M[2, 2] == pytest.approx(M[1, 1])


@pytest.mark.parametrize("scattering", ["uniform-omega", "isotropic-cm"])
@pytest.mark.parametrize("K", [0.1, 0.4, 0.7])
def test_stationary_closed_form_is_the_fixed_point_of_the_ode(scattering: str, K: float) -> None:
    model = ShearModel(0.0, shear=K, scattering=scattering, temperature=1.4, normalisation="2pi")
    G, g = second_moment_generator(model)
    np.testing.assert_allclose(
        stationary_second_moments(model).reshape(9), np.linalg.solve(G, -g), rtol=1e-10, atol=1e-12
    )


def test_bgk_stationary_is_the_fixed_point() -> None:
    model = ShearModel(0.0, shear=2.5, background="bgk", temperature=0.7)
    G, g = second_moment_generator(model)
    np.testing.assert_allclose(stationary_second_moments(model).reshape(9), np.linalg.solve(G, -g))


@pytest.mark.parametrize("K", sorted(GROWTH))
def test_growth_rates(K: float) -> None:
    model = ShearModel(0.0, shear=K)
    assert growth_rate(model) == pytest.approx(GROWTH[K], abs=2e-6)
    G, _ = second_moment_generator(model)
    assert growth_rate(model) == pytest.approx(float(np.max(np.linalg.eigvals(G).real)), abs=1e-10)


def test_transient_brief_values() -> None:
    sol = second_moments(ShearModel(0.0, shear=0.5), sorted(TRANSIENT_K05))
    for M, t in zip(sol.M, sorted(TRANSIENT_K05), strict=True):
        assert (M[0, 0], M[0, 1], M[1, 1]) == pytest.approx(TRANSIENT_K05[t], abs=1e-4)


def test_thresholds_two_routes_and_scattering_laws() -> None:
    iso = ShearModel(0.0)
    assert critical_shear(iso) == pytest.approx(0.843274, abs=1e-6)
    assert critical_shear_order(iso, 2) == pytest.approx(critical_shear(iso), rel=1e-8)
    # brief 1.11: order-4 and order-6 thresholds for isotropic b
    assert critical_shear_order(iso, 4) == pytest.approx(0.459978, abs=2e-6)
    cm = ShearModel(0.0, scattering="isotropic-cm", normalisation="4pi")
    assert critical_shear(cm) == pytest.approx(4 * np.pi * 0.75 * np.sqrt(3), rel=1e-12)
    assert critical_shear_order(cm, 2) == pytest.approx(critical_shear(cm), rel=1e-8)


def test_no_stationary_state_above_threshold() -> None:
    with pytest.raises(
        InputError, match=re.escape("exist only for K < K_c = 0.843274, got K = 0.9")
    ):
        stationary_second_moments(ShearModel(0.0, shear=0.9))


def test_moment_equations_need_gamma_zero() -> None:
    with pytest.raises(InputError, match="close only for gamma = 0"):
        second_moments(ShearModel(-0.5), [1.0])


@pytest.mark.parametrize("scattering", ["uniform-omega", "isotropic-cm"])
@pytest.mark.parametrize("background", ["maxwellian", "bgk"])
def test_polynomial_generator_reproduces_second_moment_system(
    scattering: str, background: str
) -> None:
    model = ShearModel(
        0.0, shear=0.6, temperature=1.3, scattering=scattering, background=background
    )
    gen = polynomial_moment_generator(model, 2)
    mu = moment_trajectory(gen, [0.5, 3.0])
    M = second_moments(model, [0.5, 3.0]).M
    for i, j in ((0, 0), (0, 1), (1, 1), (2, 2)):
        e = [0, 0, 0]
        e[i] += 1
        e[j] += 1
        np.testing.assert_allclose(mu[:, gen.index(tuple(e))], M[:, i, j], rtol=1e-9)


def _mc_vs(model: ShearModel, times: list[float], n: int, pairs: dict, seed: int) -> None:
    sim = simulate(model, times=times, n_particles=n, seed=seed)
    v = sim.velocity()
    for k, _t in enumerate(times):
        for exps, expected in pairs.items():
            x = np.prod(v[:, k, :] ** np.asarray(exps), axis=1)
            est = batch_means(x)
            assert abs(est.value - expected[k]) < 4 * est.stderr, (exps, k, est, expected[k])


@pytest.mark.parametrize(
    "model",
    [
        ShearModel(0.0, shear=0.5),
        ShearModel(0.0, shear=0.5, scattering="isotropic-cm"),
        ShearModel(0.0, shear=1.5, background="bgk", normalisation="2pi"),
    ],
    ids=lambda m: m.label,
)
def test_mc_second_moments_match_ode(model: ShearModel) -> None:
    times = [1.0, 4.0]
    M = second_moments(model, times).M
    pairs = {
        (2, 0, 0): M[:, 0, 0],
        (1, 1, 0): M[:, 0, 1],
        (0, 2, 0): M[:, 1, 1],
        (0, 0, 2): M[:, 2, 2],
    }
    _mc_vs(model, times, 20000, pairs, seed=21)


def test_mc_fourth_moments_match_generator() -> None:
    model = ShearModel(0.0, shear=0.3)
    times = [0.5, 2.0]
    gen = polynomial_moment_generator(model, 4)
    mu = moment_trajectory(gen, times)
    pairs = {
        e: mu[:, gen.index(e)] for e in ((4, 0, 0), (2, 2, 0), (3, 1, 0), (0, 4, 0), (0, 2, 2))
    }
    _mc_vs(model, times, 20000, pairs, seed=22)


def test_mc_relaxes_to_the_stationary_second_moments() -> None:
    # issue 8: stationary values for K < K_c; K = 0.25 also lies below K_c^(4) = 0.46, so the
    # fourth moments (the variance of the estimates) are finite and the CLT error bars hold
    model = ShearModel(0.0, shear=0.25)
    G, _ = second_moment_generator(model)
    slowest = -float(np.max(np.linalg.eigvals(G).real))
    t = 15.0 / slowest  # transient below e^-15 of its initial size
    M = stationary_second_moments(model)
    pairs = {(2, 0, 0): [M[0, 0]], (1, 1, 0): [M[0, 1]], (0, 2, 0): [M[1, 1]], (0, 0, 2): [M[2, 2]]}
    _mc_vs(model, [t], 15000, pairs, seed=23)


@pytest.mark.parametrize("scattering", ["uniform-omega", "isotropic-cm"])
@pytest.mark.parametrize("K", [0.3, 2.0])
def test_growth_rate_formula_is_the_top_eigenvalue(scattering: str, K: float) -> None:
    model = ShearModel(0.0, shear=K, scattering=scattering, normalisation="4pi")
    G, _ = second_moment_generator(model)
    assert growth_rate(model) == pytest.approx(float(np.max(np.linalg.eigvals(G).real)), abs=1e-9)


def test_moments_command_prints_the_summary() -> None:
    from typer.testing import CliRunner

    from powertail.cli import app

    result = CliRunner().invoke(app, ["shear", "moments", "--shear", "0.25"])
    assert result.exit_code == 0, result.output
    assert "K_c            0.843274" in result.output
    assert "M22            1.09636" in result.output
    bad = CliRunner().invoke(app, ["shear", "moments", "--temperature", "-1"])
    assert bad.exit_code == 2 and "temperature: expected T > 0" in bad.output

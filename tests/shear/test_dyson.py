"""Small-time Dyson expansion by quadrature against the Monte Carlo (brief 5, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.shear import ShearModel, simulate
from powertail.shear.dyson import dyson_terms, dyson_two_collision_term


@pytest.mark.parametrize(
    "model",
    [
        ShearModel(-0.5, background="delta"),
        ShearModel(-1.5, background="delta", shear=0.5),
        ShearModel(0.0, shear=1.0),
        ShearModel(0.0, shear=1.0, scattering="isotropic-cm"),
    ],
    ids=lambda m: m.label,
)
def test_zero_and_one_collision_terms(model: ShearModel) -> None:
    w0 = np.array([0.3, 1.0, 0.2])
    t = 0.6
    phi = lambda w: w[..., 1] ** 2 + w[..., 0] * w[..., 2]  # noqa: E731
    d = dyson_terms(model, w0, t, phi)
    n = 30000
    sim = simulate(model, times=[t], n_particles=n, seed=17, initial=w0)
    N = sim.n_collisions[:, 0]
    v = sim.velocity()[:, 0]
    for k, (p, e) in enumerate(((d.p0, d.e0), (d.p1, d.e1))):
        ind = (N == k).astype(float)
        assert abs(ind.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
        x = np.where(ind > 0, phi(np.nan_to_num(v)), 0.0)  # absorbed delta particles: N < 0
        assert abs(x.mean() - e) < 4 * x.std() / np.sqrt(n) + 1e-12
    # the two terms must not exhaust the mass (more collisions happen), a sanity bound
    assert d.p0 + d.p1 < 1.0


@pytest.mark.parametrize(
    "model",
    [ShearModel(-0.5, background="delta"), ShearModel(-1.5, background="delta", shear=0.5)],
    ids=lambda m: m.label,
)
def test_two_collision_term(model: ShearModel) -> None:
    # t = 1.5: P(N = 2) is about 0.2, so the MC pins the nested quadrature to ~1 %
    w0 = np.array([0.3, 1.0, 0.2])
    t = 1.5
    phi = lambda w: w[..., 1] ** 2 + w[..., 0] * w[..., 2]  # noqa: E731
    d = dyson_two_collision_term(model, w0, t, phi, time_nodes=10, sphere_nodes=6)
    coarse = dyson_two_collision_term(model, w0, t, phi, time_nodes=8, sphere_nodes=5)
    assert d.p2 == pytest.approx(coarse.p2, rel=1e-2)  # quadrature error well below the MC error
    n = 60000
    sim = simulate(model, times=[t], n_particles=n, seed=19, initial=w0)
    ind = sim.n_collisions[:, 0] == 2
    assert abs(ind.mean() - d.p2) < 4 * np.sqrt(d.p2 * (1 - d.p2) / n)
    x = np.where(ind, phi(np.nan_to_num(sim.velocity()[:, 0])), 0.0)
    assert abs(x.mean() - d.e2) < 4 * x.std() / np.sqrt(n)
    # the truncated series: P(N <= 2) < 1 and the three terms carry most of the mass at this t
    d01 = dyson_terms(model, w0, t, phi)
    assert 0.5 < d01.p0 + d01.p1 + d.p2 < 1.0


def test_two_collision_term_needs_the_delta_model() -> None:
    with pytest.raises(InputError, match="model: the two-collision term needs the delta"):
        dyson_two_collision_term(ShearModel(0.0), [0.0, 1.0, 0.0], 1.0, lambda w: w[..., 0])

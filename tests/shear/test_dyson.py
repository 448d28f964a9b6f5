"""Small-time Dyson expansion by quadrature against the Monte Carlo (brief 5, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.shear import ShearModel, simulate
from powertail.shear.dyson import dyson_terms


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

"""Counter-based streams: Threefry against JAX, uniformity, and batch-independent particle paths."""

from __future__ import annotations

import numpy as np
from scipy.stats import kstest

from powertail.shear import ShearModel, simulate
from powertail.shear.streams import stream_key, threefry2x32, uniforms


def test_threefry_matches_jax() -> None:
    from powertail.jaxconfig import jax_with_x64

    jax = jax_with_x64()
    from jax.extend.random import threefry_2x32

    key = stream_key(12345)
    c0 = np.arange(1000, dtype=np.uint32) * np.uint32(2654435761)
    c1 = np.arange(1000, dtype=np.uint32)
    x0, x1 = threefry2x32(key, c0, c1)
    expected = np.asarray(threefry_2x32(jax.numpy.asarray(key), jax.numpy.concatenate([c0, c1])))
    np.testing.assert_array_equal(np.concatenate([x0, x1]), expected)


def test_uniforms_are_uniform_and_distinct_per_particle() -> None:
    key = stream_key(7)
    u = uniforms(key, np.arange(20000), np.zeros(20000, dtype=np.int64), 2)
    assert kstest(u[:, 0], "uniform").pvalue > 0.01
    assert kstest(u[:, 1], "uniform").pvalue > 0.01
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03
    assert np.unique(u).size == u.size


def test_paths_do_not_depend_on_batching() -> None:
    # brief 4.2 items 6-7: a particle's path depends only on (seed, its index)
    for model in (
        ShearModel(0.0, shear=0.5),
        ShearModel(-0.5),
        ShearModel(-0.5, background="delta"),
    ):
        init = [0.0, 20.0, 0.0] if model.background == "delta" else "thermal"
        times = [1.0, 50.0, 3000.0]
        whole = simulate(model, times=times, n_particles=30, seed=5, initial=init)
        parts = [
            simulate(model, times=times, n_particles=n, seed=5, first_particle=f, initial=init)
            for f, n in ((0, 7), (7, 20), (27, 3))
        ]
        np.testing.assert_array_equal(whole.log_abs, np.concatenate([p.log_abs for p in parts]))
        np.testing.assert_array_equal(
            whole.n_collisions, np.concatenate([p.n_collisions for p in parts])
        )
        other = simulate(model, times=times, n_particles=30, seed=6, initial=init)
        assert not np.array_equal(whole.log_abs, other.log_abs)

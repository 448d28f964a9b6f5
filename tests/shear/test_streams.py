"""Counter-based streams: Threefry against JAX, uniformity, and batch-independent particle paths."""

from __future__ import annotations

import numpy as np
from scipy.stats import kstest

from powertail.shear import ShearModel, simulate
from powertail.shear.streams import ParticleStreams, stream_key, threefry2x32, uniforms


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


def test_polar_normals_are_standard_normal_and_independent() -> None:
    n = 40000
    z = ParticleStreams(9, np.arange(n)).normals(np.arange(n), 3)
    for j in range(3):
        assert kstest(z[:, j], "norm").pvalue > 0.01
        assert abs(np.mean(z[:, j] ** 4) - 3.0) < 5 * np.sqrt(96.0 / n)  # E Z^4 = 3, Var Z^4 = 96
    # radius^2 of the 3-vector is chi^2 with 3 degrees of freedom (joint law, not just marginals)
    assert kstest(np.sum(z**2, axis=1), "chi2", args=(3,)).pvalue > 0.01
    c = np.corrcoef(z.T)
    assert np.max(np.abs(c - np.eye(3))) < 0.03


def test_paired_normals_use_both_halves_of_a_pair_independently() -> None:
    n = 40000
    rows = np.arange(n)
    streams = ParticleStreams(10, rows)
    z = np.stack([streams.paired_normals(rows) for _ in range(4)], axis=1)
    # two pairs per row: draws 1-2 and 3-4 are pair mates, draws 2-3 come from different pairs
    assert np.all(streams.counter >= 4) and np.isnan(streams.spare).all()
    for j in range(4):
        assert kstest(z[:, j], "norm").pvalue > 0.01
    assert kstest(z[:, 0] ** 2 + z[:, 1] ** 2, "chi2", args=(2,)).pvalue > 0.01  # joint law
    assert np.max(np.abs(np.corrcoef(z.T) - np.eye(4))) < 0.03
    # an odd call leaves a spare that the next call consumes without drawing
    before = streams.counter.copy()
    streams.paired_normals(rows)
    after_first = streams.counter.copy()
    streams.paired_normals(rows)
    assert np.all(after_first > before) and np.array_equal(streams.counter, after_first)


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

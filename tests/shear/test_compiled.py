"""The compiled engine against the NumPy reference engine: same streams, same algorithm, so the
same paths for the same seed (up to last-bit rounding of the C library against NumPy's SIMD
math), for every model family; and beyond the float64 range against the longdouble reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from powertail.errors import InputError
from powertail.shear import ShearModel, simulate

FAMILIES = [
    (ShearModel(0.0, shear=0.5), (0.5, 3.0, 20.0), "thermal"),
    (ShearModel(0.0, shear=1.0, scattering="isotropic-cm"), (0.5, 3.0, 20.0), "thermal"),
    (ShearModel(0.0, shear=2.0, background="bgk", temperature=2.0), (0.5, 3.0, 20.0), "thermal"),
    (ShearModel(-0.5), (0.5, 30.0, 3e3), "thermal"),
    (ShearModel(-0.5, scattering="isotropic-cm", normalisation="2pi"), (0.5, 30.0), "thermal"),
    (ShearModel(0.5, shear=0.7), (0.5, 3.0, 20.0), "thermal"),
    (ShearModel(-1.5), (0.5, 30.0, 3e3), "thermal"),
    (ShearModel(-2.5, shear=0.3, temperature=0.5), (0.5, 30.0), "thermal"),
    (ShearModel(-0.5, background="delta"), (10.0, 1e5, 1e20), (0.0, 20.0, 0.0)),
    (ShearModel(-1.3, background="delta", scattering="isotropic-cm"), (1.0, 1e6), (0, 5.0, 1)),
]


@pytest.mark.parametrize(("model", "times", "initial"), FAMILIES, ids=lambda x: str(x)[:40])
def test_compiled_engine_follows_the_reference_paths(model, times, initial) -> None:
    kwargs = {"times": times, "n_particles": 150, "seed": 11, "initial": initial}
    fast = simulate(model, engine="compiled", record_collisions=True, **kwargs)
    # float64 reference where nothing can overflow; the delta model always works in longdouble
    precision = "extended" if model.background == "delta" else "double"
    ref = simulate(model, engine="numpy", precision=precision, record_collisions=True, **kwargs)
    np.testing.assert_array_equal(fast.n_collisions, ref.n_collisions)
    np.testing.assert_array_equal(fast.absorbed, ref.absorbed)
    np.testing.assert_array_equal(fast.sign, ref.sign)
    np.testing.assert_allclose(fast.log_abs, ref.log_abs, rtol=0, atol=1e-9)
    assert fast.diagnostics["collisions"] == ref.diagnostics["collisions"]
    assert fast.diagnostics["proposals"] == ref.diagnostics["proposals"]
    # collision records: same rows in the same order
    assert fast.events is not None and ref.events is not None
    np.testing.assert_array_equal(fast.events["particle"], ref.events["particle"])
    np.testing.assert_array_equal(fast.events["index"], ref.events["index"])
    for col in ("log_t", "log_speed_pre", "log_abs_w1_post", "log_abs_w3_post"):
        np.testing.assert_allclose(fast.events[col], ref.events[col], rtol=0, atol=1e-9)
    # without records the Maxwell-molecule family runs a specialised loop: the same paths, bit
    # for bit, as the general loop that records
    plain = simulate(model, engine="compiled", **kwargs)
    np.testing.assert_array_equal(plain.log_abs, fast.log_abs)
    np.testing.assert_array_equal(plain.sign, fast.sign)
    np.testing.assert_array_equal(plain.n_collisions, fast.n_collisions)
    np.testing.assert_array_equal(plain.absorbed, fast.absorbed)


def test_compiled_engine_beyond_float64_matches_the_longdouble_reference() -> None:
    # delta model, a = 0.25: |w1| reaches e^{1250}; the compiled state is float64 mantissas with
    # a power-of-two exponent, the reference is longdouble. Same streams: the paths agree until
    # rounding (float64 vs 80-bit) changes a decision, so the laws must agree in any case.
    model = ShearModel(-0.25, background="delta")
    kwargs = {"times": np.exp([60.0, 250.0]), "n_particles": 200, "seed": 4}
    fast = simulate(model, engine="compiled", initial=[0.0, 20.0, 0.0], **kwargs)
    ref = simulate(model, engine="numpy", initial=[0.0, 20.0, 0.0], **kwargs)
    ok = ~fast.absorbed & ~ref.absorbed
    assert np.isfinite(fast.log_abs[ok]).all()
    assert fast.log_abs[ok, 1, 0].max() > 1000  # far beyond float64 (709)
    assert (fast.absorbed == ref.absorbed).mean() > 0.9  # a = 0.25 absorbs ~45 % (brief 1.4)
    same = np.all(fast.n_collisions == ref.n_collisions, axis=1) & ok
    assert same[ok].mean() > 0.9
    # where the paths agree, the log-magnitudes agree to float64 rounding of O(1000) numbers
    np.testing.assert_allclose(fast.log_abs[same], ref.log_abs[same], rtol=1e-9, atol=1e-6)
    for k in range(2):
        assert ks_2samp(fast.log_abs[ok, k, 1], ref.log_abs[ok, k, 1], method="asymp").pvalue > 0.05


def test_compiled_batches_are_independent_of_the_split() -> None:
    model = ShearModel(-0.5, shear=0.8)
    times = (0.5, 5.0, 50.0)
    whole = simulate(model, times=times, n_particles=60, seed=3)
    parts = [
        simulate(model, times=times, n_particles=n, seed=3, first_particle=f)
        for f, n in ((0, 7), (7, 40), (47, 13))
    ]
    np.testing.assert_array_equal(whole.log_abs, np.concatenate([p.log_abs for p in parts], axis=0))
    np.testing.assert_array_equal(
        whole.n_collisions, np.concatenate([p.n_collisions for p in parts], axis=0)
    )


def test_bad_engine_name() -> None:
    with pytest.raises(InputError, match="engine: expected one of compiled, numpy, got 'gpu'"):
        simulate(ShearModel(0.0), times=[1.0], n_particles=2, seed=0, engine="gpu")  # type: ignore[arg-type]


def test_compile_falls_back_to_memory_without_a_cache_location() -> None:
    # a function without a source file has no cache locator: numba refuses cache=True with a
    # RuntimeError at decoration; the engine's decorator then compiles in memory instead
    from numba import njit

    from powertail.shear.compiled import _jit

    namespace: dict = {}
    exec("def plus_one(x):\n    return x + 1\n", namespace)
    with pytest.raises(RuntimeError, match="cannot cache"):
        njit(cache=True)(namespace["plus_one"])
    assert _jit(namespace["plus_one"])(41) == 42


@pytest.mark.parametrize(
    ("gamma", "times", "min_collisions", "min_log_w1"),
    [
        (0.0, (0.5, 3.0), 100, 400.0),  # many collisions, |w| stays ~1e200
        (-0.5, (1e200, 1e203), 100, 1000.0),  # one collision each, |w1| ~ e^1375 afterwards
    ],
)
def test_projected_loop_beyond_the_rescale_threshold_matches_the_general_loop(
    gamma, times, min_collisions, min_log_w1
) -> None:
    # |w| ~ 1e200 > RESCALE_ABOVE = 2^256: the state is held as mantissas times 2^e with e > 0,
    # the thermal partner enters scaled by 2^-e and (gamma < 0) the exact rates beyond the table
    # use ln|w|; the specialised loop (no records) and the general loop (records) must still give
    # the same paths bit for bit, and the longdouble reference the same values up to rounding
    model = ShearModel(gamma, shear=0.5)
    kwargs = {"times": times, "n_particles": 100, "seed": 5, "initial": (1e200, -1e200, 3e199)}
    plain = simulate(model, engine="compiled", **kwargs)
    general = simulate(model, engine="compiled", record_collisions=True, **kwargs)
    ref = simulate(model, engine="numpy", precision="extended", **kwargs)
    assert plain.diagnostics["collisions"] >= min_collisions
    assert np.all(plain.log_abs[:, -1, 0] > min_log_w1)  # far above the threshold (177)
    np.testing.assert_array_equal(plain.log_abs, general.log_abs)
    np.testing.assert_array_equal(plain.n_collisions, general.n_collisions)
    assert plain.diagnostics["proposals"] == general.diagnostics["proposals"]
    np.testing.assert_array_equal(plain.n_collisions, ref.n_collisions)
    np.testing.assert_allclose(plain.log_abs, ref.log_abs, rtol=1e-12, atol=0)

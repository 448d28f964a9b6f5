"""Histories A(t), S(t) and the time-dependent wrapper."""

from __future__ import annotations

import re

import numpy as np
import pytest

from powertail.dwarfs.potentials import (
    NFW,
    Bursts,
    Constant,
    CustomHistory,
    Impulsive,
    LinearRamp,
    SmoothRamp,
    TimeDependentPotential,
    make_protocol,
)
from powertail.errors import InputError


def test_impulsive_is_right_continuous_with_left_limit() -> None:
    p = Impulsive(final=0.25, t0=2.0)
    np.testing.assert_array_equal(p.value([1.9, 2.0, 2.1]), [1.0, 0.25, 0.25])
    np.testing.assert_array_equal(p.value_before([1.9, 2.0, 2.1]), [1.0, 1.0, 0.25])
    assert p.jumps == (2.0,)
    assert p.settled == 2.0


def test_linear_and_smooth_ramps_hit_their_ends() -> None:
    for cls in (LinearRamp, SmoothRamp):
        p = cls(final=0.5, duration=10.0, t0=1.0)
        np.testing.assert_allclose(p.value([0.0, 1.0, 6.0, 11.0, 50.0]), [1, 1, 0.75, 0.5, 0.5])
        assert p.jumps == ()
        assert p.settled == 11.0


def test_smooth_ramp_has_zero_first_and_second_derivatives_at_the_ends() -> None:
    p = SmoothRamp(final=2.0, duration=1.0)
    h = 1e-4
    for t in (0.0, 1.0):
        f = p.value(np.array([t - h, t, t + h]))
        assert abs(f[2] - f[0]) / (2 * h) < 1e-6
        assert abs(f[2] - 2 * f[1] + f[0]) / h**2 < 1e-2
    # the middle slope of s^3(10 - 15 s + 6 s^2) is 15/8 times the mean slope
    f = p.value(np.array([0.5 - h, 0.5 + h]))
    assert (f[1] - f[0]) / (2 * h) == pytest.approx(15 / 8, rel=1e-6)


def test_bursts_multiply_by_factor_per_episode() -> None:
    p = Bursts(factor=0.8, n=3, period=5.0, t0=1.0)
    assert p.jumps == (1.0, 6.0, 11.0)
    np.testing.assert_allclose(p.value([0.0, 1.0, 7.0, 20.0]), [1.0, 0.8, 0.64, 0.512])
    np.testing.assert_allclose(p.value_before([1.0, 6.0]), [1.0, 0.8])
    assert p.final == pytest.approx(0.512)
    ramped = Bursts(factor=0.5, n=2, period=4.0, duration=2.0)
    np.testing.assert_allclose(ramped.value([1.0, 2.0, 5.0, 7.0]), [0.5**0.5, 0.5, 0.5**1.5, 0.25])


def test_custom_history_is_validated_up_front() -> None:
    ok = CustomHistory(lambda t: 1.0 - 0.01 * t, settled_time=10.0)
    assert ok.final == pytest.approx(0.9)
    with pytest.raises(InputError, match="expected a callable of one argument t, got int"):
        CustomHistory(3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=re.escape("expected a callable taking one argument t")):
        CustomHistory(lambda t, s: 1.0)  # type: ignore[arg-type, misc]
    with pytest.raises(InputError, match=re.escape("expected f(0.0) to return a number, got str")):
        CustomHistory(lambda t: "1")  # type: ignore[arg-type, return-value]
    with pytest.raises(InputError, match=re.escape("expected f(0.0) > 0 and finite, got -1.0")):
        CustomHistory(lambda t: -1.0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Impulsive(final=0.0), "final of Impulsive: expected a finite number > 0, got 0.0"),
        (lambda: Impulsive(final=-0.5), "final of Impulsive: expected a finite number > 0"),
        (lambda: LinearRamp(final=0.5, duration=0.0), "duration of LinearRamp: expected"),
        (lambda: Bursts(factor=0.5, n=0, period=1.0), "n of Bursts: expected an int >= 1"),
        (lambda: make_protocol("sudden", final=0.5), "protocol: expected one of constant"),
        (
            lambda: TimeDependentPotential(NFW(), amplitude=0.5),  # type: ignore[arg-type]
            "amplitude of TimeDependentPotential: expected a Protocol",
        ),
    ],
)
def test_bad_protocols_are_named(build, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        build()


def test_wrapper_scales_amplitude_and_size() -> None:
    nfw = NFW()
    tdp = TimeDependentPotential(nfw, amplitude=Constant(0.5), scale=Constant(2.0))
    r = np.geomspace(0.01, 10, 7)
    np.testing.assert_allclose(tdp.phi(r, 0.0), 0.5 / 2.0 * nfw.phi(r / 2.0))
    np.testing.assert_allclose(tdp.mass(r, 3.0), 0.5 * nfw.mass(r / 2.0))
    # M = r^2 dPhi/dr holds for the wrapped potential as well
    h = 1e-5 * r
    dphi = (tdp.phi(r + h, 0.0) - tdp.phi(r - h, 0.0)) / (2 * h)
    np.testing.assert_allclose(tdp.mass(r, 0.0), r * r * dphi, rtol=1e-8)
    assert tdp.central_potential(0.0) == pytest.approx(-0.25)
    assert TimeDependentPotential(nfw, Impulsive(0.5, t0=3.0)).jumps == (3.0,)
    assert make_protocol("linear", final=0.5, duration=2.0) == LinearRamp(0.5, 2.0)

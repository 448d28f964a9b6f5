"""Seeded shifts: reproducible, and each corruption has the statistics of its definition."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.nngp.shifts import (
    CORRUPTIONS,
    corrupt,
    glass_blur,
    imbalance,
    impulse_noise,
    noisy_labels,
    remove_classes,
    shot_noise,
    spatter,
    zigzag,
)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """Twenty 28×28 'digits': a bright ring on black, like MNIST's range."""
    yy, xx = np.mgrid[0:28, 0:28]
    ring = np.clip(1.5 - np.abs(np.hypot(yy - 14, xx - 14) - 7), 0, 1)
    return np.repeat(ring[None], 20, axis=0)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruptions_are_seeded_in_range_and_change_the_image(name, digits) -> None:
    a = corrupt(digits, name, seed=3)
    assert np.array_equal(a, corrupt(digits, name, seed=3))
    assert not np.array_equal(a, corrupt(digits, name, seed=4))
    assert a.shape == digits.shape and a.min() >= 0 and a.max() <= 1
    assert np.mean(np.abs(a - digits)) > 1e-3


def test_shot_noise_is_unbiased_with_poisson_variance() -> None:
    flat = np.full((200, 28, 28), 0.4)
    out = shot_noise(flat, np.random.default_rng(0), severity=2)  # 25 photons at full scale
    assert out.mean() == pytest.approx(0.4, abs=2e-3)
    assert out.var() == pytest.approx(0.4 / 25, rel=0.03)


def test_impulse_noise_hits_the_stated_fraction_with_salt_and_pepper() -> None:
    grey = np.full((100, 28, 28), 0.5)
    out = impulse_noise(grey, np.random.default_rng(0), severity=4)  # 17 %
    hit = out != 0.5
    assert hit.mean() == pytest.approx(0.17, abs=0.005)
    assert set(np.unique(out[hit])) == {0.0, 1.0}


def test_glass_blur_keeps_the_ink_mass_of_a_centred_digit(digits) -> None:
    out = glass_blur(digits, np.random.default_rng(0), severity=1)
    assert out.sum() == pytest.approx(digits.sum(), rel=0.05)  # swaps permute, blur spreads


def test_spatter_and_zigzag_only_add_ink(digits) -> None:
    for fn in (spatter, zigzag):
        out = fn(digits, np.random.default_rng(1), severity=3)
        assert np.all(out >= digits - 1e-12)
    cover = np.mean(spatter(np.zeros((50, 28, 28)), np.random.default_rng(2), severity=3) > 0)
    assert cover == pytest.approx(0.09, abs=0.01)


def test_training_shifts_follow_their_definitions() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 5000)
    kept = y[remove_classes(y)]
    assert not np.isin(kept, [1, 4, 8]).any() and kept.size == np.sum(~np.isin(y, [1, 4, 8]))
    noisy = noisy_labels(y, np.random.default_rng(1), fraction=0.1)
    assert np.mean(noisy != y) == pytest.approx(0.09, abs=0.015)  # 10 % redrawn, 1/10 unchanged
    counts = np.bincount(y[imbalance(y, np.random.default_rng(2))], minlength=10)
    smallest = np.bincount(y).min()
    want = [round(np.exp(0.5 * c - 4.5) * smallest) for c in range(10)]
    assert counts.tolist() == want


def test_bad_inputs_are_input_errors(digits) -> None:
    with pytest.raises(InputError):
        corrupt(digits * 255, "shot_noise", seed=0)
    with pytest.raises(InputError):
        corrupt(digits, "fog", seed=0)
    with pytest.raises(InputError):
        shot_noise(digits, np.random.default_rng(0), severity=6)

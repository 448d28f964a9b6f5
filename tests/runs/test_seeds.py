"""Per-unit seeds depend on the root seed and the key only."""

from __future__ import annotations

import hashlib
import re
import struct

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.runs import unit_seed, unit_seed_sequence


def test_seed_sequence_matches_an_independent_derivation():
    words = struct.unpack("<8I", hashlib.sha256(b"alpha=1.5").digest())
    expected = np.random.SeedSequence(42, spawn_key=words)
    got = unit_seed_sequence(42, "alpha=1.5")
    assert got.entropy == expected.entropy and got.spawn_key == expected.spawn_key
    assert np.array_equal(got.generate_state(4), expected.generate_state(4))


def test_seed_is_deterministic_and_distinct_per_key_and_root():
    keys = [f"u{i}" for i in range(200)]
    seeds = [unit_seed(7, k) for k in keys]
    assert seeds == [unit_seed(7, k) for k in keys]
    assert list(reversed(seeds)) == [unit_seed(7, k) for k in reversed(keys)]
    assert len(set(seeds)) == len(keys)
    assert unit_seed(8, "u0") != unit_seed(7, "u0")
    assert all(0 <= s < 2**63 for s in seeds)
    assert all(0 <= unit_seed(7, k, bits=32) < 2**32 for k in keys)


def test_seed_is_pinned():
    # Computed with this implementation (NumPy 2.4.6) when it was written; SeedSequence output
    # is part of NumPy's stability promise (NEP 19), so a change here means the derivation
    # changed and old runs would no longer resume with the same numbers.
    assert unit_seed(0, "a") == 3517024689085275353
    assert unit_seed(0, "a", bits=32) == 1637742244


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1, "a"), {}, "root_seed: expected a non-negative int, got -1"),
        ((True, "a"), {}, "root_seed: expected a non-negative int, got True"),
        ((0, ""), {}, "unit key: expected a non-empty str"),
        ((0, "a"), {"bits": 0}, "bits: expected an int from 1 to 64, got 0"),
    ],
)
def test_bad_seed_arguments(args, kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        unit_seed(*args, **kwargs)

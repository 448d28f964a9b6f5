"""Unit keys map one-to-one to safe directory names; bad keys and names are refused."""

from __future__ import annotations

import re

import pytest

from powertail.errors import InputError
from powertail.runs import key_dirname, validate_key
from powertail.runs.keys import MAX_KEY_LENGTH, validate_artifact_name


@pytest.mark.parametrize("key", ["alpha=1.5", "u0", "seed=3,n=10", "a+b-c_d"])
def test_simple_keys_are_used_verbatim(key):
    assert key_dirname(key) == key


@pytest.mark.parametrize("key", ["Alpha", "a/b", "a b", ".hidden", "../up", "con", "x.", "ä"])
def test_other_keys_are_slugged_and_hashed(key):
    name = key_dirname(key)
    assert re.fullmatch(r"[a-z0-9._=+,-]+~[0-9a-f]{16}", name), name
    assert "/" not in name and not name.startswith(".")


def test_mapping_is_one_to_one_on_case_insensitive_file_systems():
    keys = ["a", "A", "a/b", "a-b", "a b", "A/B", "con", "CON"]
    names = [key_dirname(k).lower() for k in keys]
    assert len(set(names)) == len(keys)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "unit key: expected a non-empty str, got ''"),
        (3, "unit key: expected a str, got int 3"),
        ("a\nb", "unit key: expected printable characters only, got 'a\\nb'"),
        (" a", "unit key: expected no leading or trailing whitespace, got ' a'"),
        ("k" * (MAX_KEY_LENGTH + 1), f"unit key: expected at most {MAX_KEY_LENGTH} characters"),
    ],
)
def test_bad_keys_are_refused(key, message):
    with pytest.raises(InputError, match=re.escape(message)):
        validate_key(key)


@pytest.mark.parametrize("name", ["", "a/b", ".x", "a b", None])
def test_bad_artifact_names_are_refused(name):
    with pytest.raises(InputError, match=re.escape("table name: expected letters, digits")):
        validate_artifact_name(name, what="table")

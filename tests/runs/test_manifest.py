"""Manifest contents: config hash, versions, JSON round trip, bad configs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.runs import Manifest, canonical_json, config_hash, package_versions, read_manifest


def test_config_hash_ignores_key_order_and_container_flavour():
    a = {"grid": [1, 2, 3], "model": {"alpha": 1.5, "beta": 2}, "path": "x/y"}
    b = {"path": Path("x/y"), "model": {"beta": np.int64(2), "alpha": np.float64(1.5)}}
    b["grid"] = (1, 2, 3)
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "grid": [1, 2, 4]})


def test_config_hash_is_sha256_of_canonical_json():
    config = {"b": 1, "a": [True, None, "é"]}
    text = '{"a":[true,null,"é"],"b":1}'
    assert canonical_json(config) == text
    assert config_hash(config) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"x": float("nan")}, "config['x']: expected a finite number, got nan"),
        ({"x": {1: 2}}, "config['x']: expected str keys, got int key 1"),
        (
            {"x": {1, 2}},
            "config['x']: expected JSON data (dict, list, str, int, float, bool, None)",
        ),
        ({"x": [np.zeros(2)]}, "config['x'][0]: expected JSON data"),
    ],
)
def test_config_that_is_not_json_is_refused(config, message):
    with pytest.raises(InputError, match=re.escape(message)):
        config_hash(config)


def test_package_versions_lists_python_and_installed_packages():
    versions = package_versions()
    assert next(iter(versions)) == "python"
    for name in ("powertail", "numpy", "scipy", "pandas", "dask", "matplotlib"):
        assert versions[name]
    assert np.__version__ == versions["numpy"]
    assert "not-a-real-package-xyz" not in package_versions(["not-a-real-package-xyz"])


def test_new_manifest_fields_and_json_round_trip():
    m = Manifest.new(command="powertail spectra analyze --seed 3", config={"k": 1}, seed=3)
    assert m.command == ("powertail", "spectra", "analyze", "--seed", "3")
    assert m.status == "running" and m.finished is None
    assert m.config_hash == config_hash({"k": 1})
    assert m.created == m.started and m.started.endswith("+00:00")
    data = json.loads(m.to_json())
    assert data["seed"] == 3 and data["package_versions"]["numpy"] == np.__version__
    assert Manifest.from_dict(data) == m


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, "seed: expected a non-negative int or None, got -1"),
        ({"seed": 1.0}, "seed: expected a non-negative int or None, got 1.0"),
        ({"config": [1]}, "config: expected a dict of settings, got list"),
        ({"command": 5}, "command: expected a str or a list of str (argv), got 5"),
    ],
)
def test_bad_manifest_arguments(kwargs, message):
    args = {"command": ["x"], "config": {}, "seed": 0, **kwargs}
    with pytest.raises(InputError, match=re.escape(message)):
        Manifest.new(**args)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"schema": 1}'])
def test_read_manifest_refuses_damaged_files(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"{path}: expected a powertail manifest")):
        read_manifest(path)

"""Unit results round-trip through files without pickle; unstorable values are refused."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from powertail.errors import InputError, PowertailError
from powertail.runs import Run


@pytest.fixture
def run(tmp_path):
    with Run.open(tmp_path / "run", command=["test"], config={"c": 1}, seed=0) as handle:
        yield handle


def test_all_supported_values_round_trip_exactly(run):
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan], "s": ["x", "y"]}, index=[10, 20])
    result = {
        "none": None,
        "flag": True,
        "count": 3,
        "big": 2**70,
        "value": 0.1 + 0.2,
        "nan": float("nan"),
        "text": "é",
        "nested": [1, [2.5, "x"], {"k": None}],
        "floats": np.linspace(0, 1, 7),
        "ints": np.arange(6, dtype=np.int32).reshape(2, 3),
        "complex": np.array([1 + 2j]),
        "bools": np.array([True, False]),
        "strings": np.array(["ab", "c"]),
        "f32": np.float32(1.25),
        "i64": np.int64(-4),
        "frame": frame,
    }
    run.save_unit("u", result)
    back = run.load_unit("u")
    assert list(back) == list(result)
    for name in ("none", "flag", "count", "big", "value", "text", "nested"):
        assert back[name] == result[name] and type(back[name]) is type(result[name])
    assert np.isnan(back["nan"])
    for name in ("floats", "ints", "complex", "bools", "strings"):
        assert back[name].dtype == result[name].dtype
        assert np.array_equal(back[name], result[name])
    assert back["f32"].dtype == np.float32 and back["f32"] == np.float32(1.25)
    assert back["i64"].dtype == np.int64 and back["i64"] == -4
    pd.testing.assert_frame_equal(back["frame"], frame)


def test_files_on_disk_are_plain_formats(run):
    run.save_unit("u", {"x": np.ones(2), "v": 1.5, "f": pd.DataFrame({"a": [1]})})
    folder = run.unit_dir("u")
    assert sorted(p.name for p in folder.iterdir()) == [
        "arrays.npz",
        "frame-2.parquet",
        "result.json",
    ]
    meta = json.loads((folder / "result.json").read_text())
    assert meta["key"] == "u"
    with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
        assert npz.files == ["a0"]


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ([1, 2], "result of unit 'u': expected a dict of str to values, got list"),
        ({1: 2}, "result of unit 'u': expected non-empty str field names, got 1"),
        ({"a": np.array([object()])}, "result of unit 'u'['a']: expected an array of numbers"),
        ({"a": pd.Series([1])}, "result of unit 'u'['a']: expected a DataFrame, array or JSON"),
        ({"a": [np.int64(1)]}, "result of unit 'u'['a'][0]: expected JSON data inside a list"),
        ({"a": {"k": object()}}, "result of unit 'u'['a']['k']: expected JSON data"),
        ({"a": pd.DataFrame({0: [1]})}, "result of unit 'u'['a']: expected str column names"),
    ],
)
def test_unstorable_results_are_refused_and_nothing_is_written(run, result, message):
    with pytest.raises(InputError, match=re.escape(message)):
        run.save_unit("u", result)
    assert not run.has_unit("u")
    assert list((run.directory / "units").iterdir()) == []


def test_missing_and_damaged_units(run):
    with pytest.raises(InputError, match=re.escape("got 'nope' which has no saved result")):
        run.load_unit("nope")
    run.save_unit("u", {"v": 1})
    (run.unit_dir("u") / "result.json").write_text("{broken")
    with pytest.raises(PowertailError, match="delete that directory to recompute the unit"):
        run.load_unit("u")
    run.save_unit("w", {"v": 1})
    meta = run.unit_dir("w") / "result.json"
    meta.write_text(meta.read_text().replace('"w"', '"other"'))
    with pytest.raises(
        PowertailError, match=re.escape("the result of unit 'other' instead of 'w'")
    ):
        run.load_unit("w")


def test_saving_again_replaces_the_unit(run):
    run.save_unit("u", {"v": 1, "x": np.zeros(2)})
    run.save_unit("u", {"v": 2})
    assert run.load_unit("u") == {"v": 2}
    assert sorted(p.name for p in run.unit_dir("u").iterdir()) == ["result.json"]

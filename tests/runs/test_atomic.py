"""Atomic writes never leave a partial file under the final name."""

from __future__ import annotations

import os
import re

import pytest

from powertail.errors import PowertailError
from powertail.runs import atomic
from powertail.runs.atomic import (
    atomic_dir,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    remove_stale_temporaries,
)


def test_write_bytes_and_text(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    atomic_write_text(tmp_path / "b.txt", "héllo\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_bytes() == "héllo\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt"]


def test_new_file_gets_normal_permissions(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    with atomic_path(tmp_path / "b.bin") as tmp:
        tmp.write_bytes(b"x")
    plain = tmp_path / "c.bin"
    plain.write_bytes(b"x")
    mode = plain.stat().st_mode & 0o777
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == mode
    assert (tmp_path / "b.bin").stat().st_mode & 0o777 == mode


def test_writer_raising_midway_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".csv"
        with open(tmp, "w") as handle:
            handle.write("half of the new con")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_writer_raising_midway_on_a_new_file_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "new.parquet") as tmp:
        tmp.write_bytes(b"PAR1 partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_failed_rename_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "m.json"
    target.write_text("{}")

    def broken_replace(src, dst):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        atomic_write_text(target, '{"new": 1}')
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_block_that_writes_nothing_is_an_error(tmp_path):
    with pytest.raises(PowertailError, match=re.escape("did not write the temporary file")):
        with atomic_path(tmp_path / "x.png"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_wrong_data_type_is_refused(tmp_path):
    with pytest.raises(TypeError, match="data: expected bytes, got str"):
        atomic_write_bytes(tmp_path / "x", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text: expected str, got bytes"):
        atomic_write_text(tmp_path / "x", b"bytes")  # type: ignore[arg-type]


def test_atomic_dir_commits_whole_directory_or_nothing(tmp_path):
    target = tmp_path / "unit"
    with pytest.raises(ValueError, match="midway"), atomic_dir(target) as tmp:
        (tmp / "a.json").write_text("{}")
        raise ValueError("midway")
    assert list(tmp_path.iterdir()) == []

    with atomic_dir(target) as tmp:
        (tmp / "a.json").write_text("1")
    with atomic_dir(target) as tmp:  # replaces the earlier directory
        (tmp / "b.json").write_text("2")
    assert [p.name for p in tmp_path.iterdir()] == ["unit"]
    assert [p.name for p in target.iterdir()] == ["b.json"]


def test_remove_stale_temporaries_only_touches_temporaries(tmp_path):
    (tmp_path / ".x.csv.0123456789ab.tmp.csv").write_text("partial")
    (tmp_path / ".u.0123456789ab.tmp").mkdir()
    (tmp_path / "keep.csv").write_text("ok")
    (tmp_path / ".lock").write_text("")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == [".u.0123456789ab.tmp", ".x.csv.0123456789ab.tmp.csv"]
    assert sorted(os.listdir(tmp_path)) == [".lock", "keep.csv"]
    assert remove_stale_temporaries(tmp_path / "missing") == []

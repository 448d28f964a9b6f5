import re
from pathlib import Path

import pytest

from powertail.data import DATA_ENV_VAR, find_data_file, package_file, resolve_data_dir
from powertail.errors import InputError, MissingDataError


def test_explicit_dir_wins_over_environment(tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv(DATA_ENV_VAR, str(other))
    assert resolve_data_dir(tmp_path) == tmp_path
    assert resolve_data_dir() == other


def test_missing_explicit_dir_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(
        InputError,
        match=re.escape(f"--data-dir must be an existing directory; got {str(missing)!r}"),
    ):
        resolve_data_dir(missing)


def test_bad_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "gone"))
    with pytest.raises(InputError, match=f"^{DATA_ENV_VAR} must name an existing directory"):
        resolve_data_dir()


def test_missing_file_names_file_directory_and_source(tmp_path):
    with pytest.raises(MissingDataError) as info:
        find_data_file("uci/concrete/data.txt", data_dir=tmp_path, source="the UCI repository")
    message = str(info.value)
    assert "'uci/concrete/data.txt'" in message
    assert str(tmp_path) in message
    assert "the UCI repository" in message


def test_no_data_directory_at_all(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/data from here
    with pytest.raises(MissingDataError, match="no data directory is set"):
        find_data_file("dwarfs/lvdb_dwarf_mw.csv", source="the Local Volume Database")


def test_finds_a_real_file_in_the_shared_data(shared_data_dir):
    path = find_data_file(
        "dwarfs/lvdb_dwarf_mw.csv", data_dir=shared_data_dir, source="the Local Volume Database"
    )
    assert path.is_file() and path.stat().st_size > 0


def test_package_file_found_and_missing():
    path = package_file("numpy", "numpy/__init__.py", install_hint="pip install numpy")
    assert isinstance(path, Path) and path.is_file()
    with pytest.raises(MissingDataError, match="is not installed; install it with `pip install x`"):
        package_file("powertail-no-such-dist", "a/b.txt", install_hint="pip install x")
    with pytest.raises(MissingDataError, match=r"has no file 'numpy/no_such_file\.bin'"):
        package_file("numpy", "numpy/no_such_file.bin", install_hint="pip install numpy")

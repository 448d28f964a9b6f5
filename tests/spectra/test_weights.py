"""Inputs: safetensors (own reader vs the safetensors package), shards, npz, dicts, bad files."""

from __future__ import annotations

import re

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from powertail.errors import InputError
from powertail.spectra import analyze, open_weights


def _tensors(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "a.weight": rng.normal(size=(40, 30)).astype(np.float32),
        "a.bias": rng.normal(size=30).astype(np.float32),
        "conv.weight": rng.normal(size=(8, 4, 3, 3)).astype(np.float64),
        "half.weight": rng.normal(size=(20, 12)).astype(np.float16),
        "ids": np.arange(5, dtype=np.int64)[None, :],
    }


def test_safetensors_reader_matches_the_safetensors_package(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file(_tensors(), str(path))
    reference = load_file(str(path))
    store = open_weights(path)
    assert {t.name for t in store.tensors} == set(reference)
    for name, value in reference.items():
        assert store.info(name).shape == value.shape
        if value.dtype.kind == "f":
            np.testing.assert_array_equal(store.array(name), value.astype(np.float64))
    assert not store.info("ids").floating


def test_bf16_is_upcast_exactly(tmp_path):
    # bf16 values are float32 values whose low 16 bits are zero; write their top halves.
    rng = np.random.default_rng(1)
    exact = (rng.normal(size=(16, 8)).astype(np.float32).view(np.uint32) & 0xFFFF0000).view(
        np.float32
    )
    bits = (exact.view(np.uint32) >> 16).astype("<u2").tobytes()
    header = b'{"w":{"dtype":"BF16","shape":[16,8],"data_offsets":[0,%d]}}' % len(bits)
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + bits)
    store = open_weights(path)
    np.testing.assert_array_equal(store.array("w"), exact.astype(np.float64))
    np.testing.assert_array_equal(store.lazy("w")[3:5], exact[3:5].astype(np.float64))


def test_shard_directory_and_npz_and_dict_agree(tmp_path):
    tensors = _tensors()
    shards = tmp_path / "shards"
    shards.mkdir()
    names = list(tensors)
    save_file({k: tensors[k] for k in names[:2]}, str(shards / "model-00001-of-00002.safetensors"))
    save_file({k: tensors[k] for k in names[2:]}, str(shards / "model-00002-of-00002.safetensors"))
    np.savez(tmp_path / "w.npz", **tensors)
    from_dir = analyze(shards)
    from_npz = analyze(tmp_path / "w.npz")
    from_dict = analyze(tensors)
    for other in (from_npz, from_dict):
        merged = from_dir.layers.set_index("name")["alpha"].sort_index()
        np.testing.assert_allclose(
            other.layers.set_index("name")["alpha"].sort_index(), merged, rtol=1e-12
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02", "expected a safetensors file (8-byte header length), got 2 bytes"),
        ((10**9).to_bytes(8, "little") + b"{}", "the file is damaged or not safetensors"),
        ((4).to_bytes(8, "little") + b"nope", "expected a JSON safetensors header"),
    ],
)
def test_corrupt_safetensors_is_one_line_error(tmp_path, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(message)) as info:
        open_weights(path)
    assert "\n" not in str(info.value)


def test_truncated_safetensors_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file({"w": np.ones((100, 50), np.float32)}, str(path))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(InputError, match=r"\(the file is truncated\); download or copy"):
        open_weights(path)


def test_empty_directory_and_non_model_paths(tmp_path):
    with pytest.raises(InputError, match="got an empty directory"):
        open_weights(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(InputError, match=re.escape("got a .txt file; pass the model's weights")):
        open_weights(text)
    with pytest.raises(InputError, match="got no weights files"):
        open_weights(tmp_path)
    with pytest.raises(InputError, match="which does not exist"):
        open_weights(tmp_path / "missing.safetensors")
    (tmp_path / "m.pt").write_bytes(b"x")
    with pytest.raises(InputError, match="torch"):  # not installed, or a damaged checkpoint
        open_weights(tmp_path / "m.pt")


def test_nan_weights_are_a_clear_error(tmp_path):
    w = np.random.default_rng(2).normal(size=(50, 20))
    w[3, 4] = np.nan
    w[7, 1] = np.inf
    with pytest.raises(InputError, match=r"weights of 'fc\.weight': expected finite values"):
        analyze({"fc.weight": w})
    path = tmp_path / "nan.safetensors"
    save_file({"fc.weight": w.astype(np.float32)}, str(path))
    with pytest.raises(InputError, match="got NaN/inf in 2 of its rows/columns"):
        analyze(path)


def test_corrupt_npz_and_object_arrays(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK not really")
    with pytest.raises(InputError, match=r"expected a readable \.npz archive"):
        open_weights(bad)
    with pytest.raises(InputError, match="expected a numeric array"):
        open_weights({"w": np.array([["a", "b"]])})


def test_torch_state_dicts_and_modules(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Conv1d(4, 8, 3))
    state = {f"module.{k}": v for k, v in model.state_dict().items()}  # DataParallel keys
    torch.save(state, tmp_path / "m.pth")
    from_file = analyze(tmp_path / "m.pth").layers.set_index("name")
    from_module = analyze(model).layers.set_index("name")
    assert "0.weight" in from_file.index
    np.testing.assert_allclose(from_file["alpha"], from_module["alpha"], equal_nan=True)
    half = {"w": torch.randn(40, 20, dtype=torch.float64).to(torch.bfloat16)}
    np.testing.assert_array_equal(open_weights(half).array("w"), half["w"].double().numpy())


def test_npz_arrays_are_listed_from_headers_and_read_one_at_a_time(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {"a": rng.normal(size=(30, 20)), "b": rng.normal(size=(5,)).astype(np.float32)}
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    store = open_weights(tmp_path / "c.npz")
    assert [(t.name, t.shape, t.dtype) for t in store.tensors] == [
        ("a", (30, 20), "float64"),
        ("b", (5,), "float32"),
    ]
    np.testing.assert_array_equal(store.array("a"), arrays["a"])
    np.save(tmp_path / "obj.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    import zipfile

    with zipfile.ZipFile(tmp_path / "obj.npz", "w") as zf:
        zf.write(tmp_path / "obj.npy", "obj.npy")
    with pytest.raises(InputError, match="would need pickle"):
        open_weights(tmp_path / "obj.npz")

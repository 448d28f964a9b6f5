"""Reading weight tensors: safetensors files and shard directories, ``.npz``, dicts of arrays.

:func:`open_weights` returns a :class:`WeightStore`: the list of tensors (name, shape, dtype)
without reading their data, and :meth:`WeightStore.rows` / :meth:`WeightStore.array` that read
one tensor (or a block of its leading rows) as float64 when asked.

Safetensors files are parsed here (8-byte little-endian header length, JSON header, raw
little-endian data) and memory-mapped, so a 30k x 4k embedding is read block by block and never
held twice. Half precision (``F16``, ``BF16``) is upcast to float64 exactly; nothing is ever
downcast. Every malformed input (truncated or corrupt file, empty directory, a file that is not
a model) raises :class:`~powertail.errors.InputError` with one line naming the file.
"""

from __future__ import annotations

import itertools
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.errors import InputError

__all__ = ["SAFETENSORS_DTYPES", "LazyTensor", "TensorInfo", "WeightStore", "open_weights"]

#: safetensors dtype code -> (NumPy storage dtype, is floating point). BF16 is stored as
#: uint16 and widened by :func:`_bf16_to_float32` (the top 16 bits of an IEEE float32).
SAFETENSORS_DTYPES: dict[str, tuple[str, bool]] = {
    "F64": ("<f8", True),
    "F32": ("<f4", True),
    "F16": ("<f2", True),
    "BF16": ("<u2", True),
    "I64": ("<i8", False),
    "I32": ("<i4", False),
    "I16": ("<i2", False),
    "I8": ("i1", False),
    "U8": ("u1", False),
    "BOOL": ("?", False),
}
# Storage marker of arrays that live in an .npz archive (read one at a time).
_NPZ = "npz"
# Largest safetensors header we accept (the format itself caps it at 100 MB).
_MAX_HEADER_BYTES = 100_000_000


@dataclass(frozen=True)
class TensorInfo:
    """One stored tensor, described without reading its data.

    Attributes
    ----------
    name : str
        Key in the checkpoint (e.g. ``"encoder.layer.0.attention.self.query.weight"``).
    shape : tuple of int
        Stored shape.
    dtype : str
        Stored dtype: a safetensors code (``"F32"``, ``"BF16"`` ...) or a NumPy dtype name.
    floating : bool
        Whether the values are floating point (integer buffers are never analysed).
    file : str or None
        File holding the tensor (``None`` for in-memory arrays).
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    floating: bool
    file: str | None


@dataclass(frozen=True)
class _Stored:
    info: TensorInfo
    offset: int = 0  # absolute byte offset of the data in `info.file` (safetensors)
    storage: str = ""  # NumPy storage dtype (safetensors)


def _bf16_to_float32(raw: NDArray[np.uint16]) -> NDArray[np.float32]:
    """Widen bfloat16 bit patterns to float32 exactly (bf16 = the top half of a float32)."""
    return (raw.astype(np.uint32) << np.uint32(16)).view(np.float32)


class LazyTensor:
    """A stored tensor that is read only where it is sliced; slices come back as float64.

    Parameters
    ----------
    raw : ndarray or numpy.memmap
        The stored values (bfloat16 as uint16 bit patterns).
    bf16 : bool
        Whether `raw` holds bfloat16 bit patterns.
    """

    def __init__(self, raw: np.ndarray, *, bf16: bool = False) -> None:
        self._raw = raw
        self._bf16 = bf16
        self.shape: tuple[int, ...] = tuple(int(d) for d in raw.shape)
        self.ndim = len(self.shape)

    def __getitem__(self, key: Any) -> NDArray[np.float64]:
        block = np.asarray(self._raw[key])
        if self._bf16:
            block = _bf16_to_float32(block)
        return np.asarray(block, dtype=np.float64)


class WeightStore:
    """Tensors of one model, read lazily as float64. Build it with :func:`open_weights`.

    Attributes
    ----------
    source : str
        What was opened (a path, or ``"<dict>"``).
    tensors : tuple of TensorInfo
        Every tensor, in file order (shards in name order).
    """

    def __init__(
        self,
        source: str,
        stored: Mapping[str, _Stored],
        arrays: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.source = source
        self._stored = dict(stored)
        self._arrays = dict(arrays or {})
        self.tensors: tuple[TensorInfo, ...] = tuple(s.info for s in self._stored.values())

    def info(self, name: str) -> TensorInfo:
        """Return the :class:`TensorInfo` of tensor `name`.

        Raises
        ------
        InputError
            If no tensor has that name.
        """
        try:
            return self._stored[name].info
        except KeyError:
            raise InputError(
                f"tensor name: expected one of the {len(self._stored)} tensors of "
                f"{self.source!r}, got {name!r}; list them with open_weights(...).tensors"
            ) from None

    def _raw(self, name: str) -> np.ndarray:
        info = self.info(name)
        if name in self._arrays:
            return self._arrays[name]
        stored = self._stored[name]
        if stored.storage == _NPZ:  # one array of the archive, read when asked for
            with np.load(str(info.file), allow_pickle=False) as npz:
                return npz[name]
        if int(np.prod(info.shape)) == 0:
            return np.zeros(info.shape, dtype=stored.storage)
        return np.memmap(
            str(info.file), dtype=stored.storage, mode="r", offset=stored.offset, shape=info.shape
        )

    def _widen(self, name: str, block: np.ndarray) -> NDArray[np.float64]:
        if self._stored[name].info.dtype == "BF16":
            block = _bf16_to_float32(np.asarray(block))
        return np.asarray(block, dtype=np.float64)

    def rows(self, name: str, start: int, stop: int) -> NDArray[np.float64]:
        """Rows ``start:stop`` of tensor `name` (first axis) as a float64 copy.

        Parameters
        ----------
        name : str
            Tensor name.
        start, stop : int
            Row range along the first axis.

        Returns
        -------
        ndarray
            Shape ``(stop - start, *shape[1:])``, float64.
        """
        return self._widen(name, self._raw(name)[start:stop])

    def array(self, name: str) -> NDArray[np.float64]:
        """The whole tensor `name` as a float64 array."""
        return self._widen(name, self._raw(name))

    def stored(self, name: str) -> np.ndarray:
        """Tensor `name` in its stored precision, not copied where possible.

        A read-only view of the memory map (safetensors) or the array itself; bfloat16 comes
        back widened to float32 (exact). Used where values are only moved (the shuffle of
        ``randomize``), so they need no float64 copy.
        """
        raw = self._raw(name)
        if self._stored[name].info.dtype == "BF16":
            return _bf16_to_float32(np.asarray(raw))
        return np.asarray(raw)

    def lazy(self, name: str) -> LazyTensor:
        """A view of tensor `name` whose slices are read (memory-mapped) and widened on access."""
        raw = self._raw(name)
        return LazyTensor(raw, bf16=self._stored[name].info.dtype == "BF16")

    def __repr__(self) -> str:
        return f"WeightStore({self.source!r}, {len(self.tensors)} tensors)"


# ---------------------------------------------------------------------------- safetensors
def _bad_file(path: Path, expected: str, got: str, fix: str) -> InputError:
    return InputError(f"weights file {str(path)!r}: expected {expected}, got {got}; {fix}")


def _read_safetensors_header(path: Path) -> dict[str, _Stored]:
    """Parse and check the header of one safetensors file (the data are not read)."""
    size = path.stat().st_size
    redownload = "the file is damaged or not safetensors: download or save it again"
    if size < 8:
        raise _bad_file(
            path, "a safetensors file (8-byte header length)", f"{size} bytes", redownload
        )
    with open(path, "rb") as handle:
        header_len = int.from_bytes(handle.read(8), "little")
        if header_len > min(size - 8, _MAX_HEADER_BYTES):
            raise _bad_file(
                path,
                f"a header of at most {size - 8} bytes",
                f"a header length of {header_len} (truncated or not safetensors)",
                redownload,
            )
        raw_header = handle.read(header_len)
    try:
        header = json.loads(raw_header.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_file(
            path, "a JSON safetensors header", f"unreadable bytes ({exc})", redownload
        ) from None
    if not isinstance(header, dict):
        raise _bad_file(path, "a JSON object as header", type(header).__name__, redownload)
    data_start = 8 + header_len
    data_size = size - data_start
    stored: dict[str, _Stored] = {}
    spans: list[tuple[int, int]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            code = entry["dtype"]
            shape = tuple(int(d) for d in entry["shape"])
            begin, end = (int(v) for v in entry["data_offsets"])
        except (TypeError, KeyError, ValueError):
            raise _bad_file(
                path,
                "dtype/shape/data_offsets for every tensor",
                f"{entry!r} for {name!r}",
                redownload,
            ) from None
        if code not in SAFETENSORS_DTYPES:
            known = ", ".join(SAFETENSORS_DTYPES)
            raise _bad_file(
                path,
                f"a dtype among {known}",
                f"{code!r} for {name!r}",
                "convert the tensor to float32",
            )
        storage, floating = SAFETENSORS_DTYPES[code]
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(storage).itemsize
        if any(d < 0 for d in shape) or not 0 <= begin <= end or end - begin != nbytes:
            raise _bad_file(
                path,
                f"{nbytes} bytes for {name!r} {shape}",
                f"offsets [{begin}, {end})",
                redownload,
            )
        if end > data_size:
            raise _bad_file(
                path,
                f"{data_start + end} bytes (tensor {name!r} ends there)",
                f"{size} bytes (the file is truncated)",
                "download or copy the file again",
            )
        info = TensorInfo(name=name, shape=shape, dtype=code, floating=floating, file=str(path))
        stored[name] = _Stored(info=info, offset=data_start + begin, storage=storage)
        spans.append((begin, end))
    spans.sort()
    for (_, e0), (b1, _) in itertools.pairwise(spans):
        if b1 < e0:
            raise _bad_file(
                path, "non-overlapping tensor data", f"overlapping offsets at {b1}", redownload
            )
    return dict(sorted(stored.items(), key=lambda item: item[1].offset))


# ---------------------------------------------------------------------------- npz and dicts
def _read_npz(path: Path) -> tuple[dict[str, _Stored], dict[str, np.ndarray]]:
    """List the arrays of an ``.npz`` from their ``.npy`` headers; the data stay on disk."""
    if not zipfile.is_zipfile(path):  # np.load would treat other bytes as a pickle
        raise _bad_file(
            path, "a readable .npz archive", "bytes that are not a zip archive", "save it again"
        )
    stored: dict[str, _Stored] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                if not member.endswith(".npy"):
                    continue
                with zf.open(member) as handle:
                    version = np.lib.format.read_magic(handle)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
                name = member[: -len(".npy")]
                if dtype.hasobject or dtype.kind not in "fiub":
                    raise _bad_file(
                        path,
                        "numeric arrays only",
                        f"{name!r} of dtype {dtype} (would need pickle)",
                        "save plain numeric arrays",
                    )
                info = TensorInfo(
                    name=name,
                    shape=tuple(int(d) for d in shape),
                    dtype=dtype.name,
                    floating=dtype.kind == "f",
                    file=str(path),
                )
                stored[name] = _Stored(info=info, storage=_NPZ)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _bad_file(
            path,
            "a readable .npz archive",
            f"{type(exc).__name__}: {exc}",
            "save it again with numpy.savez",
        ) from None
    return stored, {}


def _from_arrays(
    arrays: Mapping[str, Any], *, file: str | None
) -> tuple[dict[str, _Stored], dict[str, np.ndarray]]:
    stored: dict[str, _Stored] = {}
    out: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str):
            raise InputError(
                f"weights: expected str tensor names, got {type(name).__name__} {name!r}; "
                "use the parameter names as keys"
            )
        if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
            value = _torch_to_numpy(value)
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            raise InputError(
                f"weights[{name!r}]: expected a numeric array, got dtype {arr.dtype}; "
                "pass float arrays"
            )
        info = TensorInfo(
            name=name,
            shape=tuple(int(d) for d in arr.shape),
            dtype=arr.dtype.name,
            floating=arr.dtype.kind == "f",
            file=file,
        )
        stored[name] = _Stored(info=info)
        out[name] = arr
    return stored, out


# ---------------------------------------------------------------------------- torch (optional)
def _torch_to_numpy(tensor: Any) -> np.ndarray:
    """A torch tensor as NumPy: float64 stays float64, fp16/bf16 widen to float32 exactly."""
    import torch

    t = tensor.detach().cpu()
    if t.is_floating_point():
        t = t.double() if t.dtype == torch.float64 else t.float()
    return t.numpy()


def _strip_module_prefix(state: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the ``module.`` prefix that ``DataParallel`` checkpoints put on every key."""
    keys = list(state)
    if keys and all(k.startswith("module.") for k in keys):
        return {k[len("module.") :]: v for k, v in state.items()}
    return dict(state)


def _read_torch(path: Path) -> tuple[dict[str, _Stored], dict[str, np.ndarray]]:
    """A torch checkpoint, read without torch (:mod:`powertail.spectra.torch_pickle`).

    Contiguous tensors are memory-mapped like safetensors; the rare strided or compressed ones
    are copied into memory. ``module.`` prefixes (``DataParallel``) are dropped.
    """
    from powertail.spectra.torch_pickle import materialize, read_torch_checkpoint

    refs, storages = read_torch_checkpoint(path)
    stored: dict[str, _Stored] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, ref in _strip_module_prefix(refs).items():
        storage, floating = SAFETENSORS_DTYPES[ref.code]
        info = TensorInfo(
            name=name, shape=ref.shape, dtype=ref.code, floating=floating, file=str(path)
        )
        where = storages[ref.key]
        if ref.contiguous and where.data is None and ref.shape:
            offset = where.offset + ref.storage_offset * np.dtype(storage).itemsize
            stored[name] = _Stored(info=info, offset=offset, storage=storage)
        else:
            stored[name] = _Stored(info=info, storage=storage)
            arrays[name] = materialize(path, ref, where)
    return stored, arrays


# ---------------------------------------------------------------------------- entry point
def open_weights(source: str | os.PathLike[str] | Mapping[str, Any] | WeightStore) -> WeightStore:
    """Open a model's weights for analysis without reading their values.

    Parameters
    ----------
    source : path-like, mapping of str to array, or WeightStore
        * a ``.safetensors`` file (memory-mapped);
        * a directory of ``*.safetensors`` shards (a Hugging Face model directory), or, if it
          has none, of ``*.npz`` files;
        * an ``.npz`` archive (read without pickle);
        * a torch ``.pt/.pth/.bin`` state dict, zip or legacy layout, read *without* torch by
          a restricted unpickler that only rebuilds tensors (memory-mapped; ``module.``
          prefixes dropped), or, with torch installed, an ``nn.Module``;
        * a dict from tensor name to array (NumPy arrays, or anything ``numpy.asarray``
          accepts; torch tensors are converted with ``.detach().cpu()``, fp16/bf16 widened).

    Returns
    -------
    WeightStore

    Raises
    ------
    InputError
        If the path does not exist, is an empty directory or not a weights file, or a file is
        truncated or corrupt; the message names the file and the fix.
    """
    if isinstance(source, WeightStore):
        return source
    if hasattr(source, "state_dict") and callable(source.state_dict):  # a torch nn.Module
        source = _strip_module_prefix(source.state_dict())
    if isinstance(source, Mapping):
        stored, arrays = _from_arrays(source, file=None)
        if not stored:
            raise InputError(
                "weights: expected at least one tensor, got an empty dict; pass {name: array}"
            )
        return WeightStore("<dict>", stored, arrays)
    if not isinstance(source, str | os.PathLike):
        raise InputError(
            f"source: expected a path or a dict of arrays, got {type(source).__name__}; "
            "pass a .safetensors/.npz file, a model directory or {name: array}"
        )
    path = Path(source).expanduser()
    if not path.exists():
        raise InputError(
            f"source: expected an existing weights file or directory, got {str(path)!r} "
            "which does not exist; check the path"
        )
    files: list[Path]
    if path.is_dir():
        files = (
            sorted(path.glob("*.safetensors"))
            or sorted(path.glob("*.npz"))
            or sorted(p for ext in ("*.bin", "*.pt", "*.pth") for p in path.glob(ext))
        )
        if not files:
            others = sorted(p.name for p in path.iterdir())[:3]
            fix = "point at the folder of a saved model, or at one weights file"
            got = (
                "an empty directory"
                if not others
                else f"no weights files (has {', '.join(others)})"
            )
            raise InputError(
                f"source directory {str(path)!r}: expected *.safetensors, *.npz or torch "
                f"(.bin/.pt/.pth) files, got {got}; {fix}"
            )
    else:
        files = [path]
    stored: dict[str, _Stored] = {}
    arrays: dict[str, np.ndarray] = {}
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".safetensors":
            part, part_arrays = _read_safetensors_header(file), {}
        elif suffix == ".npz":
            part, part_arrays = _read_npz(file)
        elif suffix in (".pt", ".pth", ".bin"):
            part, part_arrays = _read_torch(file)
        else:
            raise _bad_file(
                file,
                "a .safetensors, .npz, .pt, .pth or .bin file or a model directory",
                f"a {suffix or 'suffix-less'} file",
                "pass the model's weights file",
            )
        clash = sorted(set(part) & set(stored))
        if clash:
            raise _bad_file(
                file,
                "tensor names not seen in earlier shards",
                f"{clash[0]!r} again",
                "remove duplicate shards",
            )
        stored.update(part)
        arrays.update(part_arrays)
    if not stored:
        raise InputError(
            f"source {str(path)!r}: expected at least one tensor, got none; "
            "pass a model with weights"
        )
    return WeightStore(str(path), stored, arrays)

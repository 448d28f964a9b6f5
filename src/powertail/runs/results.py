"""Saving and loading the result of one unit of work without pickle.

A unit result is a dict from field name (``str``) to one of

* JSON data: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities included), ``str``, and
  lists / tuples / str-keyed dicts of these (tuples come back as lists);
* a NumPy array of a non-object dtype, or a NumPy scalar (kept with its dtype);
* a :class:`pandas.DataFrame` whose column names are strings.

On disk (one directory per unit) JSON data lives in ``result.json`` together with the field list,
arrays and NumPy scalars in ``arrays.npz`` (read with ``allow_pickle=False``), and each DataFrame
in ``frame-<i>.parquet``. Nothing is ever unpickled, so a copied run directory is safe to resume.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from powertail.errors import InputError, PowertailError
from powertail.runs.atomic import write_file_synced

__all__ = ["ARRAYS_NAME", "RESULT_NAME", "read_result", "validate_result", "write_result"]

#: Field list and JSON values of a unit result.
RESULT_NAME = "result.json"
#: Arrays and NumPy scalars of a unit result.
ARRAYS_NAME = "arrays.npz"
_RESULT_SCHEMA = 1


def _check_json(value: object, *, where: str) -> None:
    # np.float64 subclasses float and is stored as a plain float; other NumPy scalars are refused.
    if value is None or isinstance(value, bool | int | float | str):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, where=f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                raise InputError(
                    f"{where}: expected str dict keys, got {type(k).__name__} key {k!r}; "
                    "use string keys"
                )
            _check_json(item, where=f"{where}[{k!r}]")
        return
    hint = (
        "wrap NumPy values in an array (np.asarray) or convert with .item()"
        if isinstance(value, np.generic | np.ndarray)
        else "store it as an array, a DataFrame or JSON data"
    )
    raise InputError(
        f"{where}: expected JSON data inside a list or dict, got {type(value).__name__}; {hint}"
    )


def validate_result(result: object, *, key: str) -> None:
    """Check that ``result`` can be stored as the result of unit ``key`` (see module docstring).

    Parameters
    ----------
    result : object
        The value returned by a unit function.
    key : str
        The unit key, used in error messages.

    Raises
    ------
    InputError
        Naming the unit and field that cannot be stored, and what to return instead.
    """
    if not isinstance(result, Mapping):
        raise InputError(
            f"result of unit {key!r}: expected a dict of str to values, got "
            f"{type(result).__name__}; return e.g. {{'value': x}}"
        )
    for name, value in result.items():
        where = f"result of unit {key!r}[{name!r}]"
        if not isinstance(name, str) or not name:
            raise InputError(
                f"result of unit {key!r}: expected non-empty str field names, got {name!r}; "
                "rename the field"
            )
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise InputError(
                    f"{where}: expected an array of numbers, bools or fixed-width strings, got "
                    "dtype object; convert it (e.g. .astype(float)) or return a DataFrame"
                )
        elif isinstance(value, pd.DataFrame):
            bad = [c for c in value.columns if not isinstance(c, str)]
            if bad:
                raise InputError(
                    f"{where}: expected str column names, got {bad[:3]!r}; rename the columns "
                    "(df.columns = df.columns.map(str))"
                )
        elif isinstance(value, pd.Series | pd.Index):
            raise InputError(
                f"{where}: expected a DataFrame, array or JSON data, got {type(value).__name__}; "
                "use .to_frame() or .to_numpy()"
            )
        elif not isinstance(value, np.generic):
            _check_json(value, where=where)


def write_result(directory: Path, *, key: str, result: Mapping[str, Any]) -> None:
    """Write ``result`` into the existing empty ``directory`` (files are fsynced).

    Call it inside :func:`powertail.runs.atomic.atomic_dir` so that the unit appears complete
    or not at all.

    Parameters
    ----------
    directory : Path
        Empty directory to fill.
    key : str
        The unit key, stored to check against on load.
    result : mapping
        A value that passes :func:`validate_result`.

    Raises
    ------
    InputError
        If ``result`` cannot be stored.
    """
    validate_result(result, key=key)
    fields: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for name, value in result.items():
        where = f"result of unit {key!r}[{name!r}]"
        if isinstance(value, np.ndarray | np.generic):
            entry = f"a{len(arrays)}"
            arrays[entry] = np.asarray(value)
            kind = "array" if isinstance(value, np.ndarray) else "scalar"
            fields.append({"name": name, "kind": kind, "entry": entry})
        elif isinstance(value, pd.DataFrame):
            file = f"frame-{len(fields)}.parquet"
            buffer = io.BytesIO()
            try:
                value.to_parquet(buffer, engine="pyarrow")
            except (ValueError, TypeError, ImportError) as exc:  # pyarrow errors subclass these
                raise InputError(
                    f"{where}: expected a DataFrame that Parquet can store, got one it rejects "
                    f"({type(exc).__name__}: {exc}); give columns a single type each"
                ) from exc
            write_file_synced(directory / file, buffer.getvalue())
            fields.append({"name": name, "kind": "frame", "file": file})
        else:
            fields.append({"name": name, "kind": "json", "value": value})
    if arrays:
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        write_file_synced(directory / ARRAYS_NAME, buffer.getvalue())
    meta = {"schema": _RESULT_SCHEMA, "key": key, "fields": fields}
    # json writes NaN/Infinity for non-finite floats; Python's json reads them back exactly.
    text = json.dumps(meta, ensure_ascii=False, allow_nan=True)
    write_file_synced(directory / RESULT_NAME, text.encode("utf-8"))


def _damaged(directory: Path, detail: str) -> PowertailError:
    return PowertailError(
        f"unit directory {str(directory)!r}: expected a saved unit result, got {detail}; "
        "delete that directory to recompute the unit"
    )


def read_result(directory: Path, *, key: str) -> dict[str, Any]:
    """Read the unit result saved by :func:`write_result` in ``directory``.

    Parameters
    ----------
    directory : Path
        The unit directory.
    key : str
        The expected unit key.

    Returns
    -------
    dict
        Field name to value, in the order saved.

    Raises
    ------
    PowertailError
        If the directory is damaged or belongs to another key.
    """
    try:
        meta = json.loads((directory / RESULT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(directory, f"an unreadable {RESULT_NAME} ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("schema") != _RESULT_SCHEMA:
        raise _damaged(directory, f"an unknown {RESULT_NAME} layout")
    if meta.get("key") != key:
        raise _damaged(directory, f"the result of unit {meta.get('key')!r} instead of {key!r}")
    fields = meta.get("fields")
    if not isinstance(fields, list):
        raise _damaged(directory, f"no field list in {RESULT_NAME}")
    arrays: Mapping[str, np.ndarray] = {}
    if any(isinstance(f, dict) and f.get("kind") in ("array", "scalar") for f in fields):
        try:
            with np.load(directory / ARRAYS_NAME, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (OSError, ValueError) as exc:
            raise _damaged(directory, f"an unreadable {ARRAYS_NAME} ({exc})") from exc
    result: dict[str, Any] = {}
    for f in fields:
        try:
            kind = f["kind"]
            if kind == "json":
                result[f["name"]] = f["value"]
            elif kind == "array":
                result[f["name"]] = arrays[f["entry"]]
            elif kind == "scalar":
                result[f["name"]] = arrays[f["entry"]][()]
            elif kind == "frame":
                file = directory / Path(f["file"]).name  # never leave the unit directory
                result[f["name"]] = pd.read_parquet(file, engine="pyarrow")
            else:
                raise _damaged(directory, f"unknown field kind {kind!r}")
        except PowertailError:
            raise
        except (KeyError, TypeError, OSError, ValueError) as exc:
            raise _damaged(directory, f"a broken field entry {f!r} ({exc})") from exc
    return result

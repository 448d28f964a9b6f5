"""Read a one-dimensional sample of numbers from a file (for ``powertail tails fit``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from powertail.errors import InputError

VALUE_SUFFIXES = (".txt", ".dat", ".csv", ".tsv", ".npy", ".parquet")
"""File types :func:`load_values` reads."""


def load_values(path: str | os.PathLike[str], *, column: str | None = None) -> NDArray[np.float64]:
    """Read a sample of numbers: one column of a table, or a whole 1-D array.

    Parameters
    ----------
    path : path-like
        ``.npy`` (a 1-D numeric array; never unpickled), ``.txt``/``.dat`` (whitespace-separated
        numbers, ``#`` comments), ``.csv``/``.tsv`` (with or without a header) or ``.parquet``.
    column : str or None
        Column to read from a table (its header name, or a 0-based position such as ``"2"``).
        Needed only when the table has more than one column.

    Returns
    -------
    ndarray of shape (n,)
        The values as float64, in file order. NaN and infinities are kept: the fitting functions
        report them with their position.

    Raises
    ------
    InputError
        If the file type is unsupported, the file cannot be parsed as numbers, or the column is
        missing or ambiguous.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in VALUE_SUFFIXES:
        raise InputError(
            f"values file must end in one of {', '.join(VALUE_SUFFIXES)}; got {file.name!r}. "
            "Save the sample as text (one number per line) or .npy."
        )
    if not file.is_file():
        raise InputError(f"values file {str(file)!r} does not exist; check the path.")
    try:
        if suffix == ".npy":
            table = pd.DataFrame(np.load(file, allow_pickle=False))
        elif suffix == ".parquet":
            table = pd.read_parquet(file)
        elif suffix in (".txt", ".dat"):
            table = pd.read_csv(file, sep=r"\s+", header=None, comment="#")
        else:
            sep = "\t" if suffix == ".tsv" else ","
            table = pd.read_csv(file, sep=sep, header=None, comment="#")
            first = pd.to_numeric(table.iloc[0], errors="coerce")
            if first.isna().all():  # the first row is a header
                table = pd.read_csv(file, sep=sep, comment="#")
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InputError(
            f"values file {str(file)!r} could not be read as numbers ({error}); expected one "
            "number per line or a table of numbers."
        ) from None
    if table.shape[1] == 0 or table.shape[0] == 0:
        raise InputError(f"values file {str(file)!r} holds no values; expected at least 2 numbers.")
    series = _pick_column(table, column, file)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"values file {str(file)!r}: value {row + 1} is {series.iloc[row]!r}, which is not a "
            "number; expected numbers only."
        )
    return values.to_numpy(dtype=np.float64)


def _pick_column(table: pd.DataFrame, column: str | None, file: Path) -> pd.Series:
    names = [str(c) for c in table.columns]
    if column is None:
        if table.shape[1] > 1:
            raise InputError(
                f"values file {str(file)!r} has {table.shape[1]} columns ({', '.join(names[:6])}); "
                "choose one with --column NAME or --column INDEX."
            )
        return table.iloc[:, 0]
    if column in names:
        return table.iloc[:, names.index(column)]
    if column.isdigit() and int(column) < table.shape[1]:
        return table.iloc[:, int(column)]
    raise InputError(
        f"--column must name one of the columns of {str(file)!r} ({', '.join(names[:6])}) or a "
        f"0-based index below {table.shape[1]}; got {column!r}."
    )

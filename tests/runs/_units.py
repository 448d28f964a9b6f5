"""Unit functions for the runs tests; module-level so Dask worker processes can import them."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def draw(*, key: str, seed: int, n: int, calls_dir: str | None = None) -> dict[str, Any]:
    """Draw ``n`` normals from ``default_rng(seed)``; log the call as a file in ``calls_dir``."""
    if calls_dir is not None:
        (Path(calls_dir) / f"{key}.{uuid.uuid4().hex}").touch()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return {
        "x": x,
        "mean": float(x.mean()),
        "n": n,
        "pid": os.getpid(),
        "frame": pd.DataFrame({"i": np.arange(n), "x2": x**2}),
    }


def fail(*, key: str) -> dict[str, Any]:
    """Raise a recognisable error."""
    raise ArithmeticError(f"boom in {key}")


def calls(calls_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Count the logged calls of :func:`draw` per key."""
    counts: dict[str, int] = {}
    for p in Path(calls_dir).iterdir():
        key = p.name.rsplit(".", 1)[0]
        counts[key] = counts.get(key, 0) + 1
    return counts

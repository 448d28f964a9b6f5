"""Timing helper shared by the benchmark scripts (imported as ``timing`` from this folder)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Run ``fn`` ``repeats`` times; return the shortest wall time and the last result.

    The minimum is the least noisy estimate on a shared machine (others only add time).
    """
    best = float("inf")
    out: T
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out

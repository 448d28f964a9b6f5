r"""Element-wise shuffle of a weight matrix: an exact, seeded, cache-friendly uniform permutation.

The correlation-trap test (brief §2.5) compares the ESD of :math:`W` with the ESD of
:math:`W^{\mathrm{rand}}`, the same entries in a uniformly random order. A textbook
Fisher-Yates pass over the 45 M entries of a 4096 x 11008 matrix touches a random memory line
per entry (most of its time is cache misses); :func:`shuffled` uses the two-pass
Rao-Sandelius scheme instead:

1. every entry gets an independent uniform bucket label :math:`b_i \in \{0..K-1\}`
   (``Generator.integers``, exact), and the entries are scattered to their buckets in input
   order (:math:`K` sequential write streams);
2. each bucket (:data:`BUCKET_ELEMENTS` entries on average, a few hundred KiB: it stays in
   cache) is shuffled by Fisher-Yates, with the index :math:`j \in [0, i]` drawn from 32-bit
   random words by Lemire's multiply-and-reject method (exactly uniform: the rare biased
   products are rejected and redrawn).

The concatenated buckets are a uniformly random permutation: a given output order fixes which
entries went to which bucket once the bucket sizes are known, and the order inside each bucket,
so every order has probability :math:`\sum_{c} K^{-n} \prod_b 1/c_b!`, the same for all orders
(Rao 1961, Sandelius 1962). Entries are only moved, never converted, so the values (and their
dtype) are exactly those of the input.

Both passes are split into :data:`LANES` independent lanes, each with its own generator seeded
from `rng`: lane :math:`l` labels and scatters its share of the input (inside every bucket the
lanes' entries sit one after the other) and then shuffles its share of the buckets. Labels stay
independent and uniform, and every bucket is still shuffled uniformly, so the argument above is
unchanged. On matrices of at least :data:`PARALLEL_MIN_ELEMENTS` entries the lanes run on
threads (the compiled kernels release the GIL): 0.45 s instead of 0.87 s for 45 M entries on 2
cores. The number of lanes is fixed, so the result depends only on the input, the generator
state and :data:`BUCKET_ELEMENTS`, never on the number of cores.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["BUCKET_ELEMENTS", "LANES", "PARALLEL_MIN_ELEMENTS", "shuffled"]

#: Mean entries per bucket (256 KiB of float64, 128 KiB of float32: inside a core's L2).
BUCKET_ELEMENTS = 1 << 15
#: Independent lanes of both passes (fixed, so that results do not depend on the core count).
LANES = 2
#: Inputs at least this large run their lanes on threads.
PARALLEL_MIN_ELEMENTS = 1 << 20
# 32-bit random words drawn per call of the Fisher-Yates kernel (16 MiB).
_WORDS_PER_DRAW = 1 << 22


def _jit(fn):  # type: ignore[no-untyped-def]
    """``numba.njit(cache=True, nogil=True)``, or an in-memory compile where no cache can be
    written."""
    try:
        return njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(cache=False, nogil=True)(fn)


@_jit
def _count(labels, n_buckets):  # type: ignore[no-untyped-def]
    """Entries per bucket (``np.bincount`` would first widen the labels to int64)."""
    counts = np.zeros(n_buckets, dtype=np.int64)
    for b in labels:
        counts[b] += 1
    return counts


@_jit
def _scatter(values, labels, starts, out):  # type: ignore[no-untyped-def]
    """``out[next free slot of bucket labels[i]] = values[i]``, buckets in label order."""
    cursor = starts.copy()
    for i in range(values.size):
        b = labels[i]
        out[cursor[b]] = values[i]
        cursor[b] += 1


@_jit
def _fisher_yates(out, starts, counts, words, bucket, top):  # type: ignore[no-untyped-def]
    """Shuffle buckets ``bucket, bucket + 1, ...`` of `out` in place, from position `top` of
    the first one down, with the 32-bit `words`; stop when the words run out.

    Returns ``(bucket, top, used)``: where to resume (``bucket == len(starts)`` when done) and
    how many words were consumed. The swap index :math:`j \\in [0, i]` is Lemire's
    :math:`\\lfloor x (i+1) / 2^{32} \\rfloor`, with the products whose low word falls below
    :math:`2^{32} \\bmod (i+1)` rejected (that removes the bias exactly).
    """
    used = 0
    mask = np.uint64(0xFFFFFFFF)
    n_words = words.size
    while bucket < starts.size:
        base = starts[bucket]
        while top > 0:
            bound = np.uint64(top + 1)
            if used == n_words:
                return bucket, top, used
            product = np.uint64(words[used]) * bound
            used += 1
            low = product & mask
            if low < bound and low < (np.uint64(1 << 32) - bound) % bound:
                continue  # biased product: redraw
            j = base + np.int64(product >> np.uint64(32))
            i = base + top
            tmp = out[i]
            out[i] = out[j]
            out[j] = tmp
            top -= 1
        bucket += 1
        if bucket < starts.size:
            top = counts[bucket] - 1
    return bucket, top, used


def shuffled(values: NDArray, rng: np.random.Generator) -> NDArray:
    """A copy of `values` with its entries in a uniformly random order (module docstring).

    Parameters
    ----------
    values : ndarray
        Any shape and dtype; only moved, never converted.
    rng : numpy.random.Generator
        Source of randomness (advanced by the call).

    Returns
    -------
    ndarray
        Same shape and dtype as `values`, C-contiguous.
    """
    array = np.ascontiguousarray(values)
    # Entries are moved as bit patterns (unsigned integers of the same width): exact for
    # every dtype, and float16 needs no support from the compiled kernels.
    flat = array.reshape(-1).view(f"u{array.dtype.itemsize}")
    n = flat.size
    n_buckets = max(1, -(-n // BUCKET_ELEMENTS))
    if n_buckets == 1:
        out = flat.copy()
        _shuffle_buckets(out, np.zeros(1, np.int64), np.full(1, n, np.int64), rng)
        return out.view(array.dtype).reshape(array.shape)
    lane_rngs = [np.random.default_rng(seed) for seed in rng.integers(0, 1 << 62, size=LANES)]
    cuts = np.linspace(0, n, LANES + 1).astype(np.int64)  # each lane's share of the input
    labels: list[NDArray | None] = [None] * LANES
    lane_counts = np.zeros((LANES, n_buckets), dtype=np.int64)
    out = np.empty_like(flat)

    def label(lane: int) -> None:
        size = int(cuts[lane + 1] - cuts[lane])
        labels[lane] = lane_rngs[lane].integers(0, n_buckets, size=size, dtype=np.uint32)
        lane_counts[lane] = _count(labels[lane], n_buckets)

    counts = np.zeros(n_buckets, dtype=np.int64)
    lane_starts = np.zeros((LANES, n_buckets), dtype=np.int64)

    def scatter(lane: int) -> None:
        _scatter(flat[cuts[lane] : cuts[lane + 1]], labels[lane], lane_starts[lane], out)
        labels[lane] = None

    bucket_cuts = np.linspace(0, n_buckets, LANES + 1).astype(np.int64)
    starts = np.zeros(n_buckets, dtype=np.int64)

    def shuffle_share(lane: int) -> None:
        first, stop = bucket_cuts[lane], bucket_cuts[lane + 1]
        _shuffle_buckets(out, starts[first:stop], counts[first:stop], lane_rngs[lane])

    with _lanes(n) as run:
        run(label)
        counts[:] = lane_counts.sum(axis=0)
        np.cumsum(counts[:-1], out=starts[1:])
        # inside bucket b: lane 0's entries first, then lane 1's, ...
        lane_starts[:] = starts + np.cumsum(lane_counts, axis=0) - lane_counts
        run(scatter)
        run(shuffle_share)
    return out.view(array.dtype).reshape(array.shape)


def _shuffle_buckets(
    out: NDArray, starts: NDArray, counts: NDArray, rng: np.random.Generator
) -> None:
    """Fisher-Yates on each of the buckets ``out[starts[b] : starts[b] + counts[b]]``, with
    32-bit words from `rng` drawn :data:`_WORDS_PER_DRAW` at a time."""
    size = min(_WORDS_PER_DRAW, max(int(counts.sum()), 1))  # small inputs: as many as needed
    bucket, top = 0, int(counts[0]) - 1 if counts.size else 0
    while bucket < starts.size:
        words = rng.integers(0, 1 << 32, size=size, dtype=np.uint32)
        bucket, top, _ = _fisher_yates(out, starts, counts, words, bucket, top)


class _lanes:
    """``with _lanes(n) as run: run(step)`` calls ``step(lane)`` for every lane: on a thread
    per lane for inputs of at least :data:`PARALLEL_MIN_ELEMENTS` (when there is more than
    one core), one after the other otherwise."""

    def __init__(self, n: int) -> None:
        threaded = n >= PARALLEL_MIN_ELEMENTS and (os.cpu_count() or 1) > 1
        self._pool = ThreadPoolExecutor(max_workers=LANES) if threaded else None

    def __enter__(self):  # type: ignore[no-untyped-def]
        def run(step) -> None:  # type: ignore[no-untyped-def]
            if self._pool is None:
                for lane in range(LANES):
                    step(lane)
            else:
                for future in [self._pool.submit(step, lane) for lane in range(LANES)]:
                    future.result()

        return run

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

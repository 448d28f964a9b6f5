r"""Per-unit seeds that depend only on the root seed and the unit key.

A run has one root seed (recorded in its manifest). Each unit of work gets its own stream,
derived as

.. math::

    s_\text{unit} = \operatorname{SeedSequence}\bigl(\text{root},\
        \text{spawn\_key} = (w_0, \dots, w_7)\bigr),

where :math:`w_0, \dots, w_7` are the SHA-256 digest of the UTF-8 key read as eight
little-endian uint32 words.

NumPy's :class:`~numpy.random.SeedSequence` hashes both the entropy and the spawn key, so
streams for distinct keys are statistically independent, and because nothing else enters
(not the unit's position, the worker, the back end or the number of workers) a unit draws the
same numbers in-process, on a local Dask cluster or on a remote one, and on a resumed run.
"""

from __future__ import annotations

import hashlib

import numpy as np

from powertail.errors import InputError
from powertail.runs.keys import validate_key

__all__ = ["unit_seed", "unit_seed_sequence"]


def unit_seed_sequence(root_seed: int, key: str) -> np.random.SeedSequence:
    """Return the :class:`numpy.random.SeedSequence` of the unit ``key`` (see module docstring).

    Parameters
    ----------
    root_seed : int
        Non-negative root seed of the run.
    key : str
        Unit key (see :func:`powertail.runs.keys.validate_key`).

    Returns
    -------
    numpy.random.SeedSequence
        Use ``numpy.random.default_rng(seq)`` or ``seq.spawn(n)`` for sub-streams.

    Raises
    ------
    InputError
        If ``root_seed`` is not a non-negative int or ``key`` is not a valid unit key.
    """
    if isinstance(root_seed, bool) or not isinstance(root_seed, int | np.integer) or root_seed < 0:
        raise InputError(
            f"root_seed: expected a non-negative int, got {root_seed!r}; pass the run's seed"
        )
    digest = hashlib.sha256(validate_key(key).encode("utf-8")).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4))
    return np.random.SeedSequence(int(root_seed), spawn_key=words)


def unit_seed(root_seed: int, key: str, *, bits: int = 63) -> int:
    """Return a deterministic integer seed for the unit ``key`` of a run seeded with ``root_seed``.

    The value depends only on ``root_seed``, ``key`` and ``bits`` (see the module docstring), so it
    can be put into a :class:`~powertail.runs.Unit`'s kwargs and recorded as JSON.

    Parameters
    ----------
    root_seed : int
        Non-negative root seed of the run.
    key : str
        Unit key.
    bits : int, default 63
        Size of the returned seed, 1 to 64. Use ``bits=32`` for ``jax.random.key`` when JAX's
        64-bit mode is off: it keeps only the low 32 bits of larger seeds.

    Returns
    -------
    int
        A seed in ``[0, 2**bits)``, for ``numpy.random.default_rng`` or ``jax.random.key``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(unit_seed(42, "alpha=1.5"))
    >>> unit_seed(42, "alpha=1.5") == unit_seed(42, "alpha=1.5")
    True
    """
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 64:
        raise InputError(f"bits: expected an int from 1 to 64, got {bits!r}; use 63 or 32")
    state = unit_seed_sequence(root_seed, key).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> (64 - bits)

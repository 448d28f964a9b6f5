"""One place where powertail configures JAX: float64 for science, CPU unless a GPU is present.

Every study imports JAX through :func:`jax_with_x64` (inside functions, so that ``powertail --help``
stays fast). Double precision is switched on once, for the whole process: all studies run in one
process during ``powertail reproduce`` and must agree on it.
"""

from __future__ import annotations

from types import ModuleType


def jax_with_x64() -> ModuleType:
    """Return the ``jax`` module with 64-bit floats and integers enabled (``jax_enable_x64``).

    Examples
    --------
    >>> jax = jax_with_x64()
    >>> jax.numpy.zeros(1).dtype
    dtype('float64')
    """
    import jax

    if not jax.config.read("jax_enable_x64"):
        jax.config.update("jax_enable_x64", True)
    return jax

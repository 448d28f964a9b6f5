"""Access to the ``powerlaw`` package (Alstott et al., version 2.0.0 pinned in the dev group).

``powerlaw`` is only a test oracle. It warns freely (numpy divisions, its own UserWarnings) and
the test run turns warnings into errors, so every call goes through :func:`quiet`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings and floating-point complaints raised inside ``powerlaw``."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def powerlaw_module() -> ModuleType:
    """Import ``powerlaw`` 2.0.0 quietly (skip if absent)."""
    with quiet():
        module = pytest.importorskip("powerlaw")
    if not module.__version__.startswith("2.0"):
        pytest.skip(f"oracle values are for powerlaw 2.0.x; found {module.__version__}")
    return module

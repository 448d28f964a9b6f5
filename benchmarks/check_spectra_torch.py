"""Run the spectra tests that need torch, in the anchor environment that has it.

The default install has no torch, so ``tests/spectra/test_torch_pickle.py`` skips its checks of
the torch-free checkpoint reader against ``torch.save`` / ``torch.load`` there. Run them with

    .anchors/spectra/bin/python benchmarks/check_spectra_torch.py

(the anchor environment: torch 2.13.0 CPU + weightwatcher 0.7.7 + powertail editable, built by
``bash benchmarks/anchors/make_env.sh spectra``, which also installs pytest there).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/spectra/test_torch_pickle.py",
    "tests/spectra/test_ww_anchor.py",
    "tests/spectra/test_weights.py",
]


def main() -> int:
    try:
        import torch
    except ImportError:
        print(
            "check_spectra_torch: needs torch; run it with .anchors/spectra/bin/python "
            "(build it with `bash benchmarks/anchors/make_env.sh spectra`)"
        )
        return 2
    import pytest

    print(f"torch {torch.__version__}")
    return int(
        pytest.main([*(str(REPO / t) for t in TESTS), "-q", "-rs", "-p", "no:cacheprovider"])
    )


if __name__ == "__main__":
    sys.exit(main())

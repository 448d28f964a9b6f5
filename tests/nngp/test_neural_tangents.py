"""Kernels against neural-tangents 0.6.5 (brief section 5.3, target 1: relative error below 1e-10
in float64). neural-tangents needs jax 0.5.3, so it lives in its own environment
(``bash benchmarks/anchors/make_env.sh nngp`` builds ``.anchors/nngp``) and runs in a
subprocess; the test is skipped where that environment is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from powertail.nngp.kernels import FullyConnected, fc_kernels

ANCHOR = Path(__file__).resolve().parents[2] / ".anchors" / "nngp" / "bin" / "python"

WORKER = """
import sys
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)
from neural_tangents import stax
data = np.load(sys.argv[1])
out = {}
for act, sw, sb in (("relu", 2.0, 0.1), ("erf", 1.5, 0.05)):
    layers = []
    for _ in range(3):
        layers += [stax.Dense(512, W_std=sw ** 0.5, b_std=sb ** 0.5),
                   stax.Relu() if act == "relu" else stax.Erf()]
    _, _, kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=1.3 ** 0.5, b_std=None))
    k = kernel_fn(data["x"], data["z"], ("nngp", "ntk"))
    out[act + "_nngp"], out[act + "_ntk"] = np.asarray(k.nngp), np.asarray(k.ntk)
np.savez(sys.argv[2], **out)
"""


@pytest.mark.slow
@pytest.mark.skipif(not ANCHOR.exists(), reason="neural-tangents environment .anchors/nngp missing")
def test_fully_connected_kernels_match_neural_tangents(tmp_path) -> None:
    rng = np.random.default_rng(5)
    x, z = rng.normal(size=(40, 6)), 2.0 * rng.normal(size=(30, 6))
    np.savez(tmp_path / "in.npz", x=x, z=z)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    proc = subprocess.run(
        [str(ANCHOR), str(script), str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
        capture_output=True,
        text=True,
        env={"JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-800:]
    anchor = np.load(tmp_path / "out.npz")
    for act, sw, sb in (("relu", 2.0, 0.1), ("erf", 1.5, 0.05)):
        arch = FullyConnected(
            depth=3, activation=act, weight_variance=sw, bias_variance=sb, readout_variance=1.3
        )
        ours = fc_kernels(x, z, architecture=arch)
        for kind, value in (("nngp", ours.nngp[0]), ("ntk", ours.ntk[0])):
            reference = anchor[f"{act}_{kind}"]
            rel = np.max(np.abs(value - reference) / np.abs(reference))
            assert rel < 1e-10, (act, kind, rel)

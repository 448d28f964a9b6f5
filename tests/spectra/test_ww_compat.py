"""ww_compat conventions that need no WeightWatcher install, and the ``reliable`` rule.

(The number-for-number comparison with WeightWatcher itself is test_ww_anchor.py and
benchmarks/bench_spectra_ww.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from powertail.spectra import analyze
from powertail.spectra.observables import is_reliable
from powertail.spectra.options import SpectraOptions


def _ww_detx_num(evals: np.ndarray) -> int:
    """WeightWatcher 0.7.x ``detX_constraint`` as described in brief §2.4 (product form)."""
    evals = np.sort(evals) * len(evals) / np.sum(evals)
    num = 0
    for idx in range(len(evals) - 1, 0, -1):
        if np.prod(evals[idx:]) < 1.0:
            return len(evals) - idx
    return num


def test_ww_erg_counts_the_eigenvalues_below_the_1e5_threshold():
    # Entries ~3e-4: eigenvalues 4e-6 .. 7e-5, so the 1e-5 threshold drops some of them;
    # WeightWatcher's ERG still rescales and walks over all of them.
    w = np.random.default_rng(3).normal(size=(300, 120)) * 3e-4
    row = analyze({"w": w}, ww_compat=True).layers.iloc[0]
    assert row["n_dropped"] > 0
    every = np.linalg.svd(w, compute_uv=False) ** 2
    assert row["erg_num"] == _ww_detx_num(every)
    default = analyze({"w": w}).layers.iloc[0]  # default: nothing dropped, kept ESD only
    assert default["n_dropped"] == 0 and default["erg_status"] == "ok"


def test_ww_compat_presets_min_evals_8():
    assert SpectraOptions.make(ww_compat=True).min_evals == 8
    assert SpectraOptions.make().min_evals == 10
    w = {"w": np.random.default_rng(0).normal(size=(50, 9))}
    assert analyze(w, ww_compat=True).layers.loc[0, "status"] == "ok"
    assert analyze(w).layers.loc[0, "status"] == "skipped"


@pytest.mark.parametrize(
    ("alpha", "n_tail", "D", "expected"),
    [(3.0, 100, 0.05, True), (7.0, 100, 0.05, False), (3.0, 20, 0.05, False),
     (3.0, 100, 0.15, False)],
)  # fmt: skip
def test_reliable_needs_alpha_tail_and_ks_distance(alpha, n_tail, D, expected):
    assert is_reliable(alpha, n_tail, D) is expected


def test_gaussian_layer_is_unreliable_by_its_ks_distance():
    # No power-law tail: D ~ 0.12 (brief §5.3.2) > 0.1, whatever alpha and the tail size are.
    w = np.random.default_rng(1).normal(size=(1000, 500)) / np.sqrt(1000)
    row = analyze({"w": w}).layers.iloc[0]
    assert row["D"] > 0.1 and not row["reliable"]


def test_small_spectra_use_weightwatchers_small_n_fit():
    # MPNet's relative-attention-bias table (32 x 12, 12 eigenvalues). WeightWatcher 0.7.7
    # reports alpha 1.221597, D 0.163699, xmin 0.87683 (run in the anchor environment); the
    # plain MLE on the same 8-point tail gives 1.2533.
    from powertail.errors import MissingDataError
    from powertail.spectra.experiments.models import MPNET
    from powertail.spectra.sources import model_weights

    try:
        path = model_weights(MPNET)
    except MissingDataError:
        pytest.skip(
            "all-mpnet-base-v2 parts are not installed (not in the models extra; see the README)"
        )
    from powertail.spectra import open_weights

    w = open_weights(path).array("encoder.relative_attention_bias.weight")
    row = analyze({"w": w}, ww_compat=True).layers.iloc[0]
    assert row["alpha"] == pytest.approx(1.221597, abs=1e-6)
    assert row["D"] == pytest.approx(0.163699, abs=1e-6)
    assert row["num_pl_spikes"] == 8
    assert analyze({"w": w}).layers.iloc[0]["alpha"] != pytest.approx(1.221597, abs=1e-3)

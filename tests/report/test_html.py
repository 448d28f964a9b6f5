import json

import numpy as np
import pandas as pd
import pytest

from powertail.errors import InputError
from powertail.report import new_figure, write_combined_report, write_run_report
from powertail.runs import Run


def _run_with_artifacts(directory):
    with Run.open(directory, command=["powertail", "demo"], config={"n": 3}, seed=1) as run:
        with run.step("compute"):
            table = pd.DataFrame({"name": ["a", "b<c>", "d"], "value": [1.5, 2.0, np.nan]})
        run.table("values", table)
        fig, ax = new_figure()
        ax.plot([1, 2, 3], [1, 4, 9])
        run.figure("squares", fig)
    return directory


def test_run_report_links_every_artifact_and_escapes_text(tmp_path):
    run_dir = _run_with_artifacts(tmp_path / "run")
    page = write_run_report(run_dir).read_text()
    for link in (
        "tables/values.csv",
        "tables/values.parquet",
        "figures/squares.png",
        "figures/squares.svg",
        "manifest.json",
    ):
        assert f"href='{link}'" in page
    assert "b&lt;c&gt;" in page and "b<c>" not in page
    assert "compute" in page  # the step table
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["package_versions"]["numpy"] in page


def test_long_tables_are_cut_with_a_note(tmp_path):
    with Run.open(tmp_path / "run", command="demo", config={}, seed=None) as run:
        run.table("long", pd.DataFrame({"i": np.arange(500)}))
    page = write_run_report(tmp_path / "run").read_text()
    assert "showing 60 of 500 rows" in page


def test_combined_report_links_only_existing_study_pages(tmp_path):
    root = tmp_path / "top"
    _run_with_artifacts(root)
    _run_with_artifacts(root / "tails")
    write_run_report(root / "tails")
    page = write_combined_report(
        root,
        [
            ("tails", "tail statistics", "complete", ""),
            ("shear", "sheared gas", "missing", "not implemented yet"),
        ],
    ).read_text()
    assert "href='tails/index.html'" in page
    assert "shear/index.html" not in page
    assert "not implemented yet" in page
    # the top-level run's own tables are linked too (reproduce writes tables/studies.csv)
    assert "href='tables/values.csv'" in page and "href='tables/values.parquet'" in page


def test_report_of_a_directory_without_manifest(tmp_path):
    with pytest.raises(InputError, match=r"has no manifest\.json"):
        write_run_report(tmp_path)

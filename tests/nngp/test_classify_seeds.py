"""Seed summaries of the classification scores: means, standard deviations and paired
differences against numbers worked out by hand, and the one-line errors on bad tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from powertail.errors import InputError
from powertail.nngp.classify_seeds import (
    format_mean_std,
    model_family,
    paired_differences,
    seed_summary,
)


def _table() -> pd.DataFrame:
    # three seeds, two test sets; SVTP's NLL is SVGP's + (0.01, 0.03, -0.01) on "clean"
    rows = []
    svgp_nll = {"clean": (0.50, 0.60, 0.70), "shot": (1.0, 1.0, 1.0)}
    for s in range(3):
        for test_set in ("clean", "shot"):
            base = svgp_nll[test_set][s]
            for model, nll in (
                ("SVGP", base),
                ("SVTP", base + (0.01, 0.03, -0.01)[s]),
                (f"Student-t IG({s + 1},1)", base - 0.1),
            ):
                rows.append(
                    {
                        "seed": s,
                        "variant": "clean",
                        "test_set": test_set,
                        "model": model,
                        "accuracy": 0.9,
                        "nll": nll,
                        "ece": 0.1,
                    }
                )
    return pd.DataFrame(rows)


def test_model_family_drops_the_prior_parameters() -> None:
    assert model_family("Student-t IG(0.5,2)") == "Student-t"
    assert model_family("Burr XII(2,2)") == "Burr XII"
    assert model_family("NNGP (σ_v²=1)") == "NNGP (σ_v²=1)"


def test_seed_summary_matches_hand_computed_mean_and_sample_std() -> None:
    summary = seed_summary(_table()).set_index(["test_set", "model"])
    row = summary.loc[("clean", "SVGP")]
    assert row["n_seeds"] == 3
    assert row["nll_mean"] == pytest.approx(0.6)
    assert row["nll_std"] == pytest.approx(0.1)  # sqrt((0.01 + 0 + 0.01) / 2)
    # Student-t rows with different priors per seed are one family
    assert summary.loc[("clean", "Student-t"), "nll_mean"] == pytest.approx(0.5)
    assert summary.loc[("shot", "SVGP"), "nll_std"] == pytest.approx(0.0)


def test_paired_differences_and_sign_counts() -> None:
    paired = paired_differences(_table(), "SVTP", "SVGP")
    nll = paired[(paired["metric"] == "nll")].set_index("test_set")
    d = np.array([0.01, 0.03, -0.01])
    assert nll.loc["clean", "mean"] == pytest.approx(d.mean())
    assert nll.loc["clean", "std"] == pytest.approx(np.sqrt(np.sum((d - d.mean()) ** 2) / 2))
    assert (nll.loc["clean", "n_above_zero"], nll.loc["clean", "n_below_zero"]) == (2, 1)
    assert nll.loc["clean", "difference"] == "SVTP - SVGP"
    acc = paired[(paired["metric"] == "accuracy")]
    assert (acc["mean"] == 0).all() and (acc["n_above_zero"] + acc["n_below_zero"] == 0).all()


def test_bad_tables_fail_with_one_line() -> None:
    with pytest.raises(InputError, match="missing seed"):
        seed_summary(_table().drop(columns="seed"))
    with pytest.raises(InputError, match="one row per seed"):
        seed_summary(pd.concat([_table(), _table()]))
    with pytest.raises(InputError, match="expected rows of both 'SVTP' and 'Burr XII'"):
        paired_differences(_table(), "SVTP", "Burr XII")


def test_format_mean_std() -> None:
    assert format_mean_std(0.12345, 0.0042) == "0.123 ± 0.004"
    assert format_mean_std(0.5, float("nan")) == "0.500"
    assert format_mean_std(-2.1e-5, 0.0, 4) == "-2.1e-05 ± 0.0000"

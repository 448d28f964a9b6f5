"""What is measured from the grid-search results: model selection by validation NLL and the
mean ± std over replicates (brief section 2.1, "Model selection", ``exp.py optimal``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from powertail.errors import InputError

FAMILIES = ("nngp", "inverse-gamma", "burr")
"""Model families of the UCI table, in the paper's column order."""


def gaussian_nll(y: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Pointwise negative log density of :math:`N(\\text{mean}, \\text{var})`."""
    return 0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)


def rmse(y: np.ndarray, mean: np.ndarray) -> float:
    """Root mean squared error (ours: the official code reports NLL only)."""
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(mean)) ** 2)))


def select_by_validation(table: pd.DataFrame) -> pd.DataFrame:
    """For every (dataset, replicate, variant, family) keep the row with the lowest
    ``valid_nll`` (ties: first row); the selected rows carry the test NLL and RMSE."""
    needed = {"dataset", "replicate", "variant", "family", "valid_nll", "test_nll", "test_rmse"}
    missing = needed - set(table.columns)
    if missing:
        raise InputError(
            f"table: expected columns {sorted(needed)}, got one without {sorted(missing)}; "
            "pass the grid table of the UCI experiment"
        )
    finite = table[np.isfinite(table["valid_nll"])]
    keys = ["dataset", "replicate", "variant", "family"]
    best = finite.loc[finite.groupby(keys, sort=True)["valid_nll"].idxmin()]
    return best.reset_index(drop=True)


def summarise_replicates(selected: pd.DataFrame) -> pd.DataFrame:
    """Mean and std (ddof=0, as numpy) over replicates of the selected test NLL and RMSE."""
    keys = ["dataset", "variant", "family"]
    out = (
        selected.groupby(keys, sort=True)
        .agg(
            test_nll_mean=("test_nll", "mean"),
            test_nll_std=("test_nll", lambda s: float(np.std(s))),
            test_rmse_mean=("test_rmse", "mean"),
            test_rmse_std=("test_rmse", lambda s: float(np.std(s))),
            replicates=("test_nll", "size"),
        )
        .reset_index()
    )
    return out

r"""Seed-to-seed spread of the classification scores (issue #6): mean ± standard deviation per
model and test set over repeated runs, and paired differences between two models of the same run.

A "seed" re-draws everything the experiment draws: the training subset, the corruption noise,
the validation split, SVGP/SVTP initialisation, minibatches and Monte Carlo draws. Two models of
one seed share the data, so their difference is paired:

.. math::

    d_s = m_s(\text{model}) - m_s(\text{reference}),\qquad
    \bar d = \frac1S\sum_s d_s,\qquad
    \operatorname{sd}(d) = \Big(\frac{1}{S-1}\sum_s (d_s - \bar d)^2\Big)^{1/2},

reported with the counts of seeds where :math:`d_s > 0` and :math:`d_s < 0` (a sign count).
The conjugate Student-t and Burr XII rows carry the prior picked by training evidence, which may
differ between seeds; :func:`model_family` drops those parameters so the rows line up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from powertail.errors import InputError

METRICS = ("accuracy", "nll", "ece")
"""The scores summarised (higher accuracy is better; lower NLL and ECE are better)."""

_KEYS = ("variant", "test_set", "model")


def model_family(name: str) -> str:
    """``"Student-t IG(1,1)"`` → ``"Student-t"``, ``"Burr XII(2,2)"`` → ``"Burr XII"``; other
    model names unchanged."""
    if name.startswith("Student-t"):
        return "Student-t"
    if name.startswith("Burr XII"):
        return "Burr XII"
    return name


def _check(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("seed", *_KEYS, *METRICS) if c not in table.columns]
    if missing:
        raise InputError(
            f"seed table: expected the columns seed, {', '.join(_KEYS)}, {', '.join(METRICS)}; "
            f"missing {', '.join(missing)}"
        )
    out = table.copy()
    out["model"] = out["model"].map(model_family)
    if out.duplicated(["seed", *_KEYS]).any():
        raise InputError("seed table: expected one row per seed, variant, test set and model")
    return out


def seed_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof = 1) and number of seeds of each metric, per training
    variant, test set and model family of a table with a ``seed`` column."""
    t = _check(table)
    rows = []
    for key, part in t.groupby(list(_KEYS), sort=False):
        row = dict(zip(_KEYS, key, strict=True))
        row["n_seeds"] = int(part["seed"].nunique())
        for m in METRICS:
            values = part[m].to_numpy(dtype=float)
            row[f"{m}_mean"] = float(values.mean())
            row[f"{m}_std"] = float(values.std(ddof=1)) if values.size > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(table: pd.DataFrame, model: str, reference: str) -> pd.DataFrame:
    """Per training variant, test set and metric: the mean and standard deviation over seeds of
    ``model − reference`` (same seed), and how many seeds have it above and below zero."""
    t = _check(table)
    a = t[t["model"] == model].set_index(["seed", "variant", "test_set"])
    b = t[t["model"] == reference].set_index(["seed", "variant", "test_set"])
    if a.empty or b.empty:
        raise InputError(
            f"paired differences: expected rows of both {model!r} and {reference!r}, got models "
            f"{', '.join(sorted(t['model'].unique()))}"
        )
    common = a.index.intersection(b.index)
    rows = []
    for m in METRICS:
        diff = (a.loc[common, m] - b.loc[common, m]).rename("d").reset_index()
        for (variant, test_set), part in diff.groupby(["variant", "test_set"], sort=False):
            d = part["d"].to_numpy(dtype=float)
            rows.append(
                {
                    "variant": variant,
                    "test_set": test_set,
                    "metric": m,
                    "difference": f"{model} - {reference}",
                    "n_seeds": int(d.size),
                    "mean": float(d.mean()),
                    "std": float(d.std(ddof=1)) if d.size > 1 else np.nan,
                    "n_above_zero": int(np.sum(d > 0)),
                    "n_below_zero": int(np.sum(d < 0)),
                }
            )
    return pd.DataFrame(rows)


def format_mean_std(mean: float, std: float, digits: int = 3) -> str:
    """``0.123 ± 0.004`` (the standard deviation left out when it is NaN); numbers that are not
    zero but would print as zero (``-0.000``) are written as ``-2.1e-05``."""

    def number(x: float) -> str:
        return f"{x:.1e}" if 0 < abs(x) < 0.5 * 10.0**-digits else f"{x:.{digits}f}"

    if np.isnan(std):
        return number(mean)
    return f"{number(mean)} ± {number(std)}"


__all__ = ["METRICS", "format_mean_std", "model_family", "paired_differences", "seed_summary"]

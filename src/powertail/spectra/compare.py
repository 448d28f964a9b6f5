"""Two models side by side: per-layer metrics joined on the layer name."""

from __future__ import annotations

import pandas as pd

from powertail.spectra.analysis import Analysis

__all__ = ["COMPARED_COLUMNS", "compare_analyses"]

#: Metrics put side by side by :func:`compare_analyses`.
COMPARED_COLUMNS: tuple[str, ...] = (
    "alpha",
    "alpha_weighted",
    "D",
    "num_pl_spikes",
    "lambda_max",
    "erg_delta",
    "log_norm",
)


def compare_analyses(a: Analysis, b: Analysis) -> pd.DataFrame:
    """Join the layers of two analyses on ``name`` (outer join: unmatched layers are kept).

    Parameters
    ----------
    a, b : Analysis
        Results of :func:`~powertail.spectra.analyze` (e.g. a model before and after
        fine-tuning, or two sizes of one family with shared layer names).

    Returns
    -------
    pandas.DataFrame
        One row per layer name that is a weight matrix in either model: ``name``, ``kind``,
        ``status_a``, ``status_b`` (``"absent"`` if missing), ``<metric>_a``, ``<metric>_b``
        for :data:`COMPARED_COLUMNS` and ``delta_alpha = alpha_b - alpha_a``.
    """
    cols = ["name", "kind", "status", *COMPARED_COLUMNS]

    def side(analysis: Analysis) -> pd.DataFrame:
        layers = analysis.layers
        matrices = layers[~layers["kind"].isin(("vector", "buffer"))]
        return matrices.reindex(columns=cols)

    joined = side(a).merge(side(b), on="name", how="outer", suffixes=("_a", "_b"))
    joined["kind"] = joined["kind_a"].fillna(joined["kind_b"])
    joined = joined.drop(columns=["kind_a", "kind_b"])
    for suffix in ("_a", "_b"):
        joined[f"status{suffix}"] = joined[f"status{suffix}"].fillna("absent")
    joined["delta_alpha"] = joined["alpha_b"] - joined["alpha_a"]
    order = ["name", "kind", "status_a", "status_b", "delta_alpha"]
    order += [f"{c}{s}" for c in COMPARED_COLUMNS for s in ("_a", "_b")]
    return joined[order].reset_index(drop=True)

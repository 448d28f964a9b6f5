"""The spectra reproduction run by ``powertail reproduce``.

Real trained models, per layer (:mod:`powertail.spectra.experiments.models`): all-MiniLM-L6-v2 in
the quick variant, adding all-mpnet-base-v2 in the full one; per-layer tables, the summary, the
alpha / Δλ_min funnel and ESD figures. Every layer is one unit of work, so the run resumes and
spreads over Dask.

The SETOL three-layer MLP on real MNIST (:mod:`powertail.spectra.experiments.mlp3`): quick
variant LR x {1, 8, 32} at batch 32, 2 seeds, 8 epochs; full variant the paper's batch-size
and learning-rate sweeps for all / FC1-only / FC2-only training, 5 seeds. Every epoch FC1 and
FC2 are analysed (alpha, Δλ_min, traps) and FC1 is truncated to its PL and ERG tails (ΔE);
every (setting, seed) is one unit of work.
"""

from __future__ import annotations

from powertail.spectra.experiments.models import FULL, MINILM, MPNET, QUICK, reproduce_models
from powertail.studies import StudyContext

__all__ = ["FULL", "MINILM", "MPNET", "QUICK", "reproduce"]


def reproduce(context: StudyContext) -> None:
    """Run every part of the spectra reproduction into ``context.run``."""
    reproduce_models(context)
    from powertail.spectra.experiments.mlp3 import reproduce_mlp3

    reproduce_mlp3(context)

"""The spectra reproduction run by ``powertail reproduce``.

Real trained models, per layer (:mod:`powertail.spectra.experiments.models`): all-MiniLM-L6-v2 in
the quick variant, adding all-mpnet-base-v2 in the full one; per-layer tables, the summary, the
alpha / Δλ_min funnel and ESD figures. Every layer is one unit of work, so the run resumes and
spreads over Dask.
"""

from __future__ import annotations

from powertail.spectra.experiments.models import FULL, MINILM, MPNET, QUICK, reproduce_models
from powertail.studies import StudyContext

__all__ = ["FULL", "MINILM", "MPNET", "QUICK", "reproduce"]


def reproduce(context: StudyContext) -> None:
    """Run every part of the spectra reproduction into ``context.run``."""
    reproduce_models(context)

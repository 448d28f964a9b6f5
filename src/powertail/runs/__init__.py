"""Run directories, manifests, atomic writes, resumable units of work and executors.

Every computing command writes one run directory (see :mod:`powertail.runs.store` for its
layout) through a :class:`Run`; its units of work go through :func:`run_units` on an
:class:`Executor` from :func:`make_executor`, each seeded with :func:`unit_seed`.
"""

from powertail.runs.atomic import atomic_dir, atomic_path, atomic_write_bytes, atomic_write_text
from powertail.runs.executor import (
    DaskExecutor,
    Executor,
    InProcessExecutor,
    SchedulerUnreachableError,
    Unit,
    make_executor,
)
from powertail.runs.keys import key_dirname, validate_key
from powertail.runs.manifest import (
    MANIFEST_NAME,
    Artifact,
    Manifest,
    RunStatus,
    StepRecord,
    UnitCounts,
    canonical_json,
    config_hash,
    package_versions,
    read_manifest,
)
from powertail.runs.resume import run_units
from powertail.runs.seeds import unit_seed, unit_seed_sequence
from powertail.runs.store import Run, default_run_dir

__all__ = [
    "MANIFEST_NAME",
    "Artifact",
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "Manifest",
    "Run",
    "RunStatus",
    "SchedulerUnreachableError",
    "StepRecord",
    "Unit",
    "UnitCounts",
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "canonical_json",
    "config_hash",
    "default_run_dir",
    "key_dirname",
    "make_executor",
    "package_versions",
    "read_manifest",
    "run_units",
    "unit_seed",
    "unit_seed_sequence",
    "validate_key",
]

"""``reproduce``: run every study's reproduction into one output folder and link them in a report.

Layout of the output folder::

    OUT/
      manifest.json         the top-level run (config: quick/full and seed; one step per study)
      index.html            the combined report linking every study's own report
      tables/studies.csv    one row per study: status, seconds, report link
      <study>/              one run directory per study, with its own manifest, tables, figures,
                            units and index.html

Restarting the same command resumes: a study whose run is complete is not run again, and a study
that was interrupted continues from its completed units.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from powertail.errors import PowertailError
from powertail.runs import Executor, InProcessExecutor, Run
from powertail.studies import STUDIES, ProgressCallback, Study, StudyContext, study_by_name

OutcomeStatus = Literal["complete", "resumed", "missing", "failed"]


@dataclass(frozen=True)
class StudyOutcome:
    """What happened to one study during :func:`reproduce`."""

    name: str
    status: OutcomeStatus
    seconds: float
    run_dir: Path | None
    message: str = ""


@dataclass(frozen=True)
class ReproduceResult:
    """The outcome of :func:`reproduce`: one entry per selected study and the report's path."""

    out: Path
    outcomes: tuple[StudyOutcome, ...]
    report: Path


def _select(only: list[str] | None) -> tuple[Study, ...]:
    if not only:
        return STUDIES
    wanted = {study_by_name(name).name for name in only}
    return tuple(s for s in STUDIES if s.name in wanted)


def _run_study(
    study: Study,
    out: Path,
    *,
    full: bool,
    seed: int,
    executor: Executor,
    data_dir: Path | None,
    progress: ProgressCallback | None,
    command: list[str],
) -> StudyOutcome:
    from powertail.report import write_run_report

    started = time.perf_counter()
    config = {"study": study.name, "full": full, "seed": seed}
    run = Run.open(out / study.name, command=command, config=config, seed=seed)
    previous = run.manifest.previous_sessions
    if previous and previous[-1]["status"] == "complete":
        run.finish("complete")
        return StudyOutcome(study.name, "resumed", 0.0, run.directory, "already complete")
    with run:
        study.reproduce_function()(
            StudyContext(
                run=run,
                full=full,
                seed=seed,
                executor=executor,
                data_dir=data_dir,
                progress=progress,
            )
        )
    about = f"{study.description()}\n\nMore: docs/{study.name}.md in the powertail repository."
    write_run_report(run.directory, title=f"{study.name}: {study.title}", description=about)
    seconds = time.perf_counter() - started
    return StudyOutcome(study.name, "complete", seconds, run.directory)


def reproduce(
    out: str | os.PathLike[str],
    *,
    full: bool = False,
    only: list[str] | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    data_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    command: list[str] | None = None,
    on_study_done: Callable[[StudyOutcome], None] | None = None,
) -> ReproduceResult:
    """Run the reproduction of every available study and write a combined report.

    Parameters
    ----------
    out : path-like
        Output folder (created, or resumed when it holds a run with the same ``full``/``seed``).
    full : bool, default False
        Paper-sized runs instead of the quick ones.
    only : list of str or None
        Restrict to these studies (names as in :data:`powertail.studies.STUDIES`).
    seed : int, default 0
        Root seed of every study.
    executor : Executor or None
        Where units run; in-process when ``None``.
    data_dir : Path or None
        Data directory for inputs not on PyPI.
    progress : callable or None
        ``progress(description, done, total)`` hook.
    command : list of str or None
        The command line to record in the manifests; default: the equivalent ``powertail
        reproduce`` call.
    on_study_done : callable or None
        Called with each study's :class:`StudyOutcome` as soon as that study ends (the CLI
        prints its line then, so a log shows progress study by study).

    Returns
    -------
    ReproduceResult
        Per-study outcomes (``complete``, ``resumed``, ``missing`` or ``failed`` with the reason)
        and the path of the combined ``index.html``.

    Raises
    ------
    InputError
        If ``only`` names an unknown study.
    RunConfigMismatchError
        If ``out`` holds a run made with another ``full``/``seed``.
    """
    from powertail.report import write_combined_report

    studies = _select(only)
    out_dir = Path(out)
    executor = executor if executor is not None else InProcessExecutor()
    if command is None:
        command = ["powertail", "reproduce", "--full" if full else "--quick", "--seed", str(seed)]
        command += [f"--only={s.name}" for s in studies] if only else []
        command += ["--out", str(out_dir)]
    top = Run.open(out_dir, command=command, config={"full": full, "seed": seed}, seed=seed)
    outcomes: list[StudyOutcome] = []
    with top:
        for study in studies:
            if not study.available:
                outcome = StudyOutcome(study.name, "missing", 0.0, None, "not implemented yet")
                outcomes.append(outcome)
                if on_study_done is not None:
                    on_study_done(outcome)
                continue
            with top.step(study.name):
                try:
                    outcome = _run_study(
                        study,
                        out_dir,
                        full=full,
                        seed=seed,
                        executor=executor,
                        data_dir=data_dir,
                        progress=progress,
                        command=command,
                    )
                except PowertailError as error:
                    outcome = StudyOutcome(
                        study.name, "failed", 0.0, out_dir / study.name, str(error)
                    )
                except Exception as error:  # a defect in one study must not stop the others
                    outcome = StudyOutcome(
                        study.name,
                        "failed",
                        0.0,
                        out_dir / study.name,
                        f"{type(error).__name__}: {error} (see {study.name}/manifest.json)",
                    )
            outcomes.append(outcome)
            if on_study_done is not None:
                on_study_done(outcome)
        top.table(
            "studies",
            pd.DataFrame(
                {
                    "study": [o.name for o in outcomes],
                    "status": [o.status for o in outcomes],
                    "seconds": [round(o.seconds, 2) for o in outcomes],
                    "report": [
                        f"{o.name}/index.html" if o.status in ("complete", "resumed") else ""
                        for o in outcomes
                    ],
                    "message": [o.message for o in outcomes],
                }
            ),
        )
    titles = {s.name: s.title for s in studies}
    report = write_combined_report(
        top.directory, [(o.name, titles[o.name], o.status, o.message) for o in outcomes]
    )
    return ReproduceResult(out_dir, tuple(outcomes), report)

"""The run directory of one command-line invocation, shared by every study's ``cli.py``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powertail.cli_options import (
    OutOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    command_line,
)

if TYPE_CHECKING:
    from powertail.runs import Executor, Run


@contextmanager
def command_run(
    ctx: typer.Context,
    *,
    config: Mapping[str, Any],
    seed: int | None,
    out: Path | None,
    workers: int | None = None,
    scheduler: str | None = None,
    title: str | None = None,
) -> Iterator[tuple[Run, Executor]]:
    """Open the executor and the run directory of the command being run; write its report after.

    The run directory is ``out`` or a new ``./powertail-runs/<command>-<time>``; the manifest
    records the full command line (every option spelled out, the run directory included). The
    executor follows ``--workers`` / ``--scheduler`` (in-process without either). When the block
    ends without an error, ``index.html`` is written; its path is then in ``run.directory``.

    Yields
    ------
    (Run, Executor)
    """
    from powertail.report import write_run_report
    from powertail.runs import Run, default_run_dir, make_executor

    words = command_line(ctx)
    out_dir = out if out is not None else default_run_dir(" ".join(words[1:3]))
    command = words + ([] if out is not None else ["--out", str(out_dir)])
    with (
        make_executor(workers=workers, scheduler=scheduler) as executor,
        Run.open(out_dir, command=command, config=dict(config), seed=seed) as run,
    ):
        yield run, executor
    write_run_report(out_dir, title=title)


def add_reproduce_command(app: typer.Typer, study: str) -> None:
    """Give a study's sub-app a ``reproduce`` command: ``powertail reproduce --only <study>``."""

    def reproduce_command(
        ctx: typer.Context,
        full: Annotated[
            bool, typer.Option("--full/--quick", help="Paper-sized runs or the quick variant.")
        ] = False,
        seed: SeedOption = 0,
        out: OutOption = None,
        workers: WorkersOption = None,
        scheduler: SchedulerOption = None,
    ) -> None:
        from powertail.cli import reproduce_command as reproduce_studies

        reproduce_studies(
            ctx, full=full, only=[study], out=out, workers=workers, scheduler=scheduler, seed=seed
        )

    reproduce_command.__doc__ = (
        f"Run the {study} study's reproduction: the same as `powertail reproduce --only {study}`."
    )
    app.command("reproduce")(reproduce_command)

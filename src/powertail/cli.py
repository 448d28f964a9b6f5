"""The ``powertail`` command: a thin Typer app that parses, calls library functions and prints.

Every study adds its own sub-app (``powertail spectra ...``), joined here explicitly. Errors that
powertail raises on purpose become one line on stderr and exit code 2; Ctrl-C leaves the run
directory resumable and exits with 130.
"""

from __future__ import annotations

import signal
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from powertail import __version__
from powertail.cli_options import (
    DataDirOption,
    OutOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
)
from powertail.errors import PowertailError
from powertail.studies import STUDIES

USAGE_ERROR_EXIT_CODE = 2
INTERRUPTED_EXIT_CODE = 130


def fail(message: str, *, code: int = USAGE_ERROR_EXIT_CODE) -> typer.Exit:
    """Print ``message`` as one red line on stderr and return the ``Exit`` to raise."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


class _ErrorReportingGroup(TyperGroup):
    """Turns powertail's own exceptions into one line and an exit code, for every subcommand."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PowertailError as error:
            raise fail(str(error)) from None
        except KeyboardInterrupt:
            raise fail(
                "interrupted; run the same command again to resume from the completed units.",
                code=INTERRUPTED_EXIT_CODE,
            ) from None


app = typer.Typer(
    name="powertail",
    cls=_ErrorReportingGroup,
    help="Heavy (power-law) tails in four papers: weight spectra, Student-t NNGPs, "
    "dwarf-galaxy mixing and sheared Rayleigh-Boltzmann gases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"powertail {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """powertail: heavy-tail statistics and the reproductions of four papers."""


@app.command("reproduce")
def reproduce_command(
    full: Annotated[
        bool,
        typer.Option(
            "--full/--quick",
            help="--quick (default) runs each study's reduced reproduction (minutes on 2 cores); "
            "--full runs the paper-sized experiments.",
        ),
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only", help="Run only this study (repeatable): " + ", ".join(s.name for s in STUDIES)
        ),
    ] = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    seed: SeedOption = 0,
    data_dir: DataDirOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show progress bars on stderr.")
    ] = True,
) -> None:
    """Run every available study's reproduction and write one report linking them."""
    from powertail.cli_progress import progress_bars
    from powertail.reproduce import reproduce
    from powertail.runs import default_run_dir, make_executor

    out_dir = out if out is not None else default_run_dir("reproduce")
    with (
        make_executor(workers=workers, scheduler=scheduler) as executor,
        progress_bars(enabled=progress) as report_progress,
    ):
        result = reproduce(
            out_dir,
            full=full,
            only=only,
            seed=seed,
            executor=executor,
            data_dir=data_dir,
            progress=report_progress,
        )
    for outcome in result.outcomes:
        colour = {"failed": typer.colors.RED, "missing": typer.colors.YELLOW}.get(
            outcome.status, typer.colors.GREEN
        )
        line = f"{outcome.name:8s} {outcome.status:9s} {outcome.seconds:7.1f} s  {outcome.message}"
        typer.secho(line.rstrip(), fg=colour)
    typer.echo(f"report: {result.report}")
    if any(o.status == "failed" for o in result.outcomes):
        raise typer.Exit(1)


def _add_study_apps(root: typer.Typer) -> None:
    """Join each study's sub-app (those that exist so far) to the root app."""
    for study in STUDIES:
        sub_app = study.cli_app()
        if sub_app is not None:
            root.add_typer(sub_app, name=study.name, help=study.title)


_add_study_apps(app)


def _interrupt_on_sigterm() -> None:
    """Treat SIGTERM (e.g. from a batch scheduler) like Ctrl-C, so the run is marked interrupted."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main() -> None:
    """Console-script entry point."""
    _interrupt_on_sigterm()
    app()


__all__ = ["app", "main"]

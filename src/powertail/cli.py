"""The ``powertail`` command: a thin Typer app that parses, calls library functions and prints.

Every study adds its own sub-app (``powertail spectra ...``), joined here by name. Errors that
powertail raises on purpose become one line on stderr and exit code 2; Ctrl-C leaves the run
directory resumable and exits with 130.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from powertail import __version__
from powertail.cli_options import (
    DataDirOption,
    OutOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    command_line,
)
from powertail.errors import PowertailError
from powertail.studies import STUDIES

USAGE_ERROR_EXIT_CODE = 2
INTERRUPTED_EXIT_CODE = 130


def fail(message: str, *, code: int = USAGE_ERROR_EXIT_CODE) -> typer.Exit:
    """Print ``message`` as one red line on stderr and return the ``Exit`` to raise."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


class _PowertailGroup(TyperGroup):
    """The root command group.

    * Turns powertail's own exceptions into one line and an exit code, for every subcommand.
    * Joins each study's sub-app by name (the explicit list :data:`powertail.studies.STUDIES`),
      importing a study only when its subcommand runs, so ``powertail --help`` stays instant.
    """

    _listing_help = False
    _raw_args: tuple[str, ...] = ()  # the command line, for naming the flag in error messages

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the app; in standalone mode usage errors become one line and exit code 2."""
        self._raw_args = tuple(args) if args is not None else tuple(sys.argv[1:])
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as error:  # Typer's usage errors (bad option, missing file...)
            if type(error).__name__ == "NoArgsIsHelpError":  # bare `powertail`: help, not an error
                message = error.format_message()
                if message.strip():
                    typer.echo(message)
                raise SystemExit(0) from None
            hint = ""
            context = getattr(error, "ctx", None)
            if context is not None:
                hint = f" (see '{context.command_path} --help')"
            message = error.format_message() + hint
            raise SystemExit(fail(message, code=error.exit_code).exit_code) from None
        except typer.Abort:
            raise SystemExit(fail("aborted.", code=1).exit_code) from None
        raise SystemExit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PowertailError as error:
            aliases = _short_flag_aliases(self, ctx, self._raw_args)
            raise fail(_name_the_flag(str(error), self._raw_args, aliases)) from None
        except KeyboardInterrupt:
            raise fail(
                "interrupted; run the same command again to resume from the completed units.",
                code=INTERRUPTED_EXIT_CODE,
            ) from None

    def list_commands(self, ctx: typer.Context) -> list[str]:
        own = super().list_commands(ctx)
        return own + [s.name for s in STUDIES if s.has_cli and s.name not in own]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        study = next((s for s in STUDIES if s.name == cmd_name and s.has_cli), None)
        if study is None:
            return None
        if self._listing_help:  # the overview needs only the one-line description
            return TyperGroup(name=study.name, help=study.title)
        group = typer.main.get_group(study.cli_app())
        group.name = study.name
        group.help = group.help or study.title
        return group

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        self._listing_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing_help = False


app = typer.Typer(
    name="powertail",
    cls=_PowertailGroup,
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
    ctx: typer.Context,
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
            "--only",
            metavar="STUDY",
            help="Run only this study (repeatable): " + ", ".join(s.name for s in STUDIES),
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
            command=command_line(ctx) + ([] if out is not None else ["--out", str(out_dir)]),
            on_study_done=_print_study_line,
        )
    typer.echo(f"report: {result.report.resolve()}")
    if any(o.status == "failed" for o in result.outcomes):
        raise typer.Exit(1)


def _print_study_line(outcome: Any) -> None:
    """One line per study as soon as it ends (flushed, so a log file shows it at once)."""
    colour = {"failed": typer.colors.RED, "missing": typer.colors.YELLOW}.get(
        outcome.status, typer.colors.GREEN
    )
    line = f"{outcome.name:8s} {outcome.status:9s} {outcome.seconds:7.1f} s  {outcome.message}"
    typer.secho(line.rstrip(), fg=colour)
    sys.stdout.flush()


def _name_the_flag(
    message: str, args: Sequence[str], aliases: Mapping[str, str] | None = None
) -> str:
    """Rewrite an error's leading ``parameter_name:`` as the ``--parameter-name`` the user typed.

    The library names its parameters (``rand_precision: expected ...``); on the command line the
    same check should name the option. Only a flag that appears in ``args`` is substituted;
    `aliases` maps the short flags of the command that ran to their long form (``-A`` →
    ``--amplitude``), so ``-A -1`` is reported as ``--amplitude: ...``.
    """
    head, sep, rest = message.partition(": ")
    if not sep or not head.isidentifier():
        return message
    typed = [(aliases or {}).get(arg, arg) for arg in args]
    names = [head] + ([head[:-1]] if head.endswith("s") else [])  # `sweeps` is set by --sweep
    for name in names:
        flag = "--" + name.replace("_", "-")
        if any(arg == flag or arg.startswith(flag + "=") for arg in typed):
            return f"{flag}: {rest}"
    return message


def _short_flag_aliases(group: Any, ctx: Any, args: Sequence[str]) -> dict[str, str]:
    """``{"-A": "--amplitude", ...}`` for the (sub)command the arguments name, found by
    walking the command tree along `args`; empty if it cannot be found."""
    command = group
    for arg in args:
        if not hasattr(command, "get_command"):  # a leaf command (Typer's click types)
            break
        sub = command.get_command(ctx, arg)
        if sub is None:
            break
        command = sub
    aliases: dict[str, str] = {}
    for param in command.params:
        long = [o for o in param.opts if o.startswith("--")]
        if long:
            aliases.update({o: long[0] for o in param.opts if not o.startswith("--")})
    return aliases


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

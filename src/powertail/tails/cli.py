"""``powertail tails``: fit power-law tails from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from powertail.cli_options import OutOption, SeedOption

app = typer.Typer(no_args_is_help=True, help="Power-law tail statistics.")


@app.command("fit")
def fit_command(
    values: Annotated[
        Path,
        typer.Argument(
            help="File of numbers: .txt/.dat (one per line), .csv/.tsv, .npy or .parquet.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    column: Annotated[
        str | None, typer.Option("--column", help="Column name or 0-based index of a table.")
    ] = None,
    xmin: Annotated[
        float | None,
        typer.Option("--xmin", help="Fix xmin instead of scanning."),
    ] = None,
    xmax: Annotated[
        float | None,
        typer.Option(
            "--xmax",
            min=0.0,
            help="Fit the doubly truncated power law on [xmin, xmax].",
        ),
    ] = None,
    ks: Annotated[
        str,
        typer.Option(
            "--ks",
            help="KS distance for the xmin scan: two-sided (Clauset), powerlaw (as powerlaw.Fit) "
            "or ww (WeightWatcher's one-sided form).",
        ),
    ] = "two-sided",
    min_tail: Annotated[
        int, typer.Option("--min-tail", min=1, help="Smallest number of points in the tail.")
    ] = 10,
    n_boot: Annotated[
        int,
        typer.Option("--bootstrap", min=0, help="Bootstrap resamples for a CI of alpha (0: none)."),
    ] = 0,
    seed: SeedOption = 0,
    out: OutOption = None,
) -> None:
    """Fit a continuous power law to the tail of a sample (joint xmin by minimum KS distance)."""
    from powertail.data import load_values
    from powertail.report import write_run_report
    from powertail.runs import Run, default_run_dir
    from powertail.tails.fit_command import fit_sample, write_sample_fit

    x = load_values(values, column=column)
    out_dir = out if out is not None else default_run_dir("tails fit")
    config = {
        "values": str(values.resolve()),
        "column": column,
        "xmin": xmin,
        "xmax": xmax,
        "ks": ks,
        "min_tail": min_tail,
        "n_boot": n_boot,
    }
    command = ["powertail", "tails", "fit", str(values)]
    # Fit before opening the run, so that bad input leaves nothing on disk.
    result = fit_sample(x, xmin=xmin, xmax=xmax, ks=ks, min_tail=min_tail, n_boot=n_boot, seed=seed)
    with Run.open(out_dir, command=command, config=config, seed=seed) as run:
        with run.step("write tables and figures"):
            write_sample_fit(run, x, result)
    fit = result.fit
    report = write_run_report(out_dir)
    typer.echo(
        f"alpha = {fit.alpha:.4f} ± {fit.sigma:.4f}   xmin = {fit.xmin:.6g}   D = {fit.D:.4f}   "
        f"n_tail = {fit.n_tail} of {fit.n}"
    )
    typer.echo(f"report: {report}")

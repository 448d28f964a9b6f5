"""``powertail tails``: fit power-law tails from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from powertail.cli_options import OutOption

SIGNIFICANCE = 0.1
"""p-value below which a likelihood-ratio comparison is reported as favouring one model
(Clauset, Shalizi & Newman 2009 use 0.1)."""

app = typer.Typer(no_args_is_help=True, help="Power-law tail statistics.")


@app.command("fit")
def fit_command(
    ctx: typer.Context,
    values: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="File of numbers: .txt/.dat (one per line), .csv/.tsv, .npy or .parquet.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    column: Annotated[
        str | None,
        typer.Option("--column", metavar="NAME", help="Column name or 0-based index of a table."),
    ] = None,
    xmin: Annotated[
        float | None,
        typer.Option("--xmin", metavar="X", help="Fix xmin instead of scanning for it."),
    ] = None,
    xmax: Annotated[
        float | None,
        typer.Option(
            "--xmax",
            metavar="X",
            help="Fit the doubly truncated power law between xmin and this upper end.",
        ),
    ] = None,
    ks: Annotated[
        str,
        typer.Option(
            "--ks",
            metavar="two-sided|powerlaw|ww",
            help="KS distance for the xmin scan: two-sided (Clauset et al.), powerlaw (as "
            "powerlaw.Fit 2.0 computes it) or ww (WeightWatcher's one-sided form).",
        ),
    ] = "two-sided",
    min_tail: Annotated[
        int,
        typer.Option("--min-tail", min=1, metavar="N", help="Fewest points allowed in the tail."),
    ] = 10,
    n_boot: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            min=0,
            metavar="N",
            help="Bootstrap resamples for a CI of alpha (0: none).",
        ),
    ] = 0,
    seed: Annotated[
        int, typer.Option("--seed", min=0, metavar="SEED", help="Seed of the bootstrap resamples.")
    ] = 0,
    out: OutOption = None,
) -> None:
    """Fit a continuous power law to the tail of a sample (joint xmin by minimum KS distance)."""
    from powertail.cli_run import command_run
    from powertail.data import load_values
    from powertail.errors import InputError
    from powertail.tails.fit_command import fit_sample, write_sample_fit

    x = load_values(values, column=column)
    # Fit before opening the run, so that bad input leaves nothing on disk.
    try:
        result = fit_sample(
            x, xmin=xmin, xmax=xmax, ks=ks, min_tail=min_tail, n_boot=n_boot, seed=seed
        )
    except InputError as error:
        raise InputError(f"{values.name}: {error}") from None
    config = {
        "values": str(values.resolve()),
        "column": column,
        "xmin": xmin,
        "xmax": xmax,
        "ks": ks,
        "min_tail": min_tail,
        "n_boot": n_boot,
    }
    title = f"powertail tails fit {values.name}"
    with command_run(ctx, config=config, seed=seed, out=out, title=title) as (run, _):
        with run.step("write tables and figures"):
            write_sample_fit(run, x, result)
    fit = result.fit
    upper = "" if fit.xmax is None else f"   xmax = {fit.xmax:.6g}"
    typer.echo(
        f"alpha = {fit.alpha:.4f} ± {fit.sigma:.4f}   xmin = {fit.xmin:.6g}{upper}   "
        f"D = {fit.D:.4f}   n_tail = {fit.n_tail} of {fit.n}"
    )
    if result.bootstrap is not None:
        ci = result.bootstrap
        typer.echo(
            f"{100 * ci.level:.0f}% bootstrap interval for alpha: [{ci.low:.4f}, {ci.high:.4f}] "
            f"({ci.samples.size} resamples)"
        )
    for name, ratio in result.comparisons.items():
        if ratio.p >= SIGNIFICANCE:
            verdict = "inconclusive"
        else:
            verdict = "favours " + ("the power law" if ratio.R > 0 else name)
        typer.echo(f"vs {name}: R = {ratio.R:+.3g}, p = {ratio.p:.3g} ({verdict})")
    if fit.xmax is not None:
        typer.echo("(no comparison with other tails: they are defined without an upper end)")
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")

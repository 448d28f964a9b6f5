"""``powertail spectra``: analyse the layers of a trained network from its weights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from powertail.cli_options import OutOption, SchedulerOption, SeedOption, WorkersOption
from powertail.spectra.esd import NORMALIZATIONS, RAND_PRECISIONS, SOLVERS

app = typer.Typer(no_args_is_help=True, help="Layer quality from weight spectra (HTSR, SETOL).")


@app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="WEIGHTS",
            help="Weights: a .safetensors file, a directory of shards, an .npz archive, or a "
            "torch .pt/.pth/.bin state dict (read without torch).",
            exists=True,
            readable=True,
        ),
    ],
    randomize: Annotated[
        bool,
        typer.Option(
            "--randomize/--no-randomize",
            help="Also analyse the element-wise shuffled weights (correlation traps).",
        ),
    ] = False,
    rand_precision: Annotated[
        str,
        typer.Option(
            "--rand-precision",
            metavar="|".join(RAND_PRECISIONS),
            help="Arithmetic of the shuffled weights' ESD: auto (default: float32 on layers "
            ">= 2048 wide where it resolves every eigenvalue to 1e-3, else float64), float64 "
            "(as WeightWatcher) or float32 (~1.8x faster on large layers). The layer's own "
            "ESD is always float64.",
        ),
    ] = "auto",
    ww_compat: Annotated[
        bool,
        typer.Option(
            "--ww-compat",
            help="WeightWatcher 0.7.x conventions (one-sided KS, 1e-5 threshold, Conv2D x1/2).",
        ),
    ] = False,
    normalization: Annotated[
        str | None,
        typer.Option(
            "--normalization",
            metavar="|".join(NORMALIZATIONS),
            help="Eigenvalue scale: none (raw sigma^2, default), 1/N (paper) or ww.",
        ),
    ] = None,
    min_evals: Annotated[
        int | None,
        typer.Option(
            "--min-evals",
            min=2,
            metavar="N",
            help="Layers with fewer eigenvalues are skipped (default 10; 8 with --ww-compat).",
        ),
    ] = None,
    split_qkv: Annotated[
        bool,
        typer.Option("--split-qkv", help="Split fused q/k/v projections into three rows."),
    ] = False,
    solver: Annotated[
        str,
        typer.Option(
            "--solver",
            metavar="|".join(SOLVERS),
            help="Eigen-solver backend: numpy (CPU) or jax (GPU if any).",
        ),
    ] = "numpy",
    plots: Annotated[
        int,
        typer.Option(
            "--plots", min=0, metavar="N", help="Number of per-layer ESD figures to draw."
        ),
    ] = 4,
    seed: SeedOption = 0,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")
    ] = True,
) -> None:
    """Analyse every layer: alpha, alpha-hat, ERG (Δλ_min), MP spikes, traps; write a report."""
    from powertail.cli_progress import progress_bars
    from powertail.cli_run import command_run
    from powertail.spectra.analysis import check_finite, plan
    from powertail.spectra.analyze_command import analyze_in_run, write_analysis
    from powertail.spectra.options import SpectraOptions
    from powertail.spectra.weights import open_weights

    options = SpectraOptions.make(
        ww_compat=ww_compat,
        normalization=normalization,
        min_evals=min_evals,
        randomize=randomize,
        rand_precision=rand_precision,
        split_qkv=split_qkv,
        solver=solver,
    )
    source = str(path.resolve())
    # Open, plan and check before the run directory exists: bad input leaves nothing on disk.
    store = open_weights(source)
    check_finite(store, plan(store, options))
    config = {"source": source, "options": options.to_dict(), "plots": plots}
    with (
        progress_bars(enabled=progress) as report,
        command_run(
            ctx,
            config=config,
            seed=seed,
            out=out,
            workers=workers,
            scheduler=scheduler,
            title=f"powertail spectra analyze {path.name}",
        ) as (run, executor),
    ):
        state = {"done": 0, "total": 0}

        def planned(total: int) -> None:
            state["total"] = total

        def done(key: str) -> None:
            state["done"] += 1
            report("spectra: layers", state["done"], state["total"])

        with run.step("analyse layers"):
            analysis = analyze_in_run(
                run, source, options, executor, seed=seed, on_done=done, on_planned=planned
            )
        with run.step("tables and figures"):
            write_analysis(run, analysis, n_figures=plots, title=path.name)
    s = analysis.summary
    typer.echo(
        f"{int(s['n_ok'])} layers fitted, {int(s['n_failed'])} failed, "
        f"{int(s['n_skipped'] - s['n_not_matrix'])} skipped (+{int(s['n_not_matrix'])} "
        f"bias/norm/buffer tensors); mean alpha = {s['alpha']:.3f}, "
        f"mean alpha-hat = {s['alpha_weighted']:.3f}, mean Δλ_min = {s['erg_delta']:.3f}"
    )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")


@app.command("compare")
def compare_command(
    ctx: typer.Context,
    first: Annotated[
        Path,
        typer.Argument(metavar="WEIGHTS_A", help="Weights of model A.", exists=True, readable=True),
    ],
    second: Annotated[
        Path,
        typer.Argument(metavar="WEIGHTS_B", help="Weights of model B.", exists=True, readable=True),
    ],
    ww_compat: Annotated[
        bool, typer.Option("--ww-compat", help="WeightWatcher 0.7.x conventions for both.")
    ] = False,
    seed: SeedOption = 0,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")
    ] = True,
) -> None:
    """Analyse two models and put their layers side by side (joined on the layer name)."""
    from powertail.cli_progress import progress_bars
    from powertail.cli_run import command_run
    from powertail.spectra.analysis import check_finite, plan
    from powertail.spectra.analyze_command import analyze_in_run, write_analysis
    from powertail.spectra.compare import compare_analyses
    from powertail.spectra.options import SpectraOptions
    from powertail.spectra.plots import plot_compare
    from powertail.spectra.weights import open_weights

    options = SpectraOptions.make(ww_compat=ww_compat)
    sources = (str(first.resolve()), str(second.resolve()))
    for source in sources:  # bad input fails before anything is written
        store = open_weights(source)
        check_finite(store, plan(store, options))
    config = {"sources": list(sources), "options": options.to_dict()}
    with (
        progress_bars(enabled=progress) as report,
        command_run(
            ctx,
            config=config,
            seed=seed,
            out=out,
            workers=workers,
            scheduler=scheduler,
            title=f"powertail spectra compare {first.name} {second.name}",
        ) as (run, executor),
    ):
        analyses = []
        for label, source in zip(("a", "b"), sources, strict=True):
            state = {"done": 0, "total": 0}

            def done(key: str, _s: dict = state, _l: str = label) -> None:
                _s["done"] += 1
                report(f"spectra: model {_l.upper()}", _s["done"], _s["total"])

            with run.step(f"analyse model {label.upper()}"):
                analysis = analyze_in_run(
                    run,
                    source,
                    options,
                    executor,
                    seed=seed,
                    prefix=f"{label}-",
                    on_done=done,
                    on_planned=lambda n, _s=state: _s.__setitem__("total", n),
                )
            write_analysis(run, analysis, n_figures=0, prefix=f"{label}-", title=label.upper())
            analyses.append(analysis)
        with run.step("compare"):
            table = compare_analyses(*analyses)
            run.table("comparison", table)
            labels = (first.name, second.name)
            run.figure("compare-alpha", plot_compare(table, labels=labels).figure)
    a, b = (x.summary for x in analyses)
    typer.echo(
        f"mean alpha {a['alpha']:.3f} (A) vs {b['alpha']:.3f} (B); "
        f"{int((table['status_a'] == 'absent').sum())} layers only in B, "
        f"{int((table['status_b'] == 'absent').sum())} only in A"
    )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")


# The MLP3 experiment's command lives in its own module (imports nothing heavy at load time).
from powertail.spectra.mlp3_command import mlp3_command  # noqa: E402

app.command("mlp3")(mlp3_command)

"""``powertail dwarfs``: simulate one experiment, or run the study's reproduction."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from powertail.cli_options import (
    DataDirOption,
    OutOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
)
from powertail.cli_run import add_reproduce_command
from powertail.dwarfs.integrate import METHODS
from powertail.dwarfs.potentials.protocols import PROTOCOL_NAMES
from powertail.dwarfs.simulation import HALOS

HALO_CHOICES = "|".join(HALOS)
PROTOCOL_CHOICES = "|".join(PROTOCOL_NAMES)
METHOD_CHOICES = "|".join(METHODS)

app = typer.Typer(
    no_args_is_help=True,
    help="Impulsive vs adiabatic mixing of mono-energetic stellar populations in dSph halos.",
)


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    eps: Annotated[
        list[float],
        typer.Option(
            "--eps",
            metavar="E",
            help="Binding energy e = 1 - E/Phi0 of a component (repeatable).",
        ),
    ],
    amplitude: Annotated[
        float,
        typer.Option(
            "--amplitude",
            "-A",
            metavar="A",
            help="Final halo amplitude A (< 1 removes mass, > 1 adds it).",
        ),
    ],
    halo: Annotated[
        str,
        typer.Option(
            "--halo",
            metavar=HALO_CHOICES,
            help="nfw, cored-nfw, plummer or hernquist (G = 1 units).",
        ),
    ] = "nfw",
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            metavar=PROTOCOL_CHOICES,
            help="impulsive, linear, smooth or constant.",
        ),
    ] = "impulsive",
    t_change: Annotated[
        float,
        typer.Option("--t-change", min=0.0, metavar="T", help="Ramp duration (linear/smooth)."),
    ] = 0.0,
    t_end: Annotated[float, typer.Option("--t-end", metavar="T", help="Length of the run.")] = (
        100.0
    ),
    dt: Annotated[float, typer.Option("--dt", metavar="DT", help="Step.")] = 0.0067,
    snapshot_every: Annotated[
        float,
        typer.Option("--snapshot-every", metavar="T", help="Time between measured snapshots."),
    ] = 3.35,
    stars: Annotated[
        int, typer.Option("--stars", min=2, metavar="N", help="Stars per component.")
    ] = 2000,
    method: Annotated[
        str,
        typer.Option(
            "--method", metavar=METHOD_CHOICES, help="Integrator: leapfrog, yoshida4 or block."
        ),
    ] = "leapfrog",
    seed: SeedOption = 0,
    out: OutOption = None,
) -> None:
    """Sample mono-energetic components, change the halo, integrate and measure r_h, σ, ..."""
    from powertail.cli_run import command_run
    from powertail.dwarfs.simulation import SimulationConfig, simulate

    config = SimulationConfig(
        halo=halo,
        eps=tuple(eps),
        amplitude=amplitude,
        protocol=protocol,
        t_change=t_change,
        t_end=t_end,
        dt=dt,
        snapshot_every=snapshot_every,
        n_per_component=stars,
        method=method,  # type: ignore[arg-type]
    )
    with command_run(ctx, config=asdict(config), seed=seed, out=out) as (run, _):
        with run.step("simulate"):
            sim = simulate(config, seed=seed)
        with run.step("write tables"):
            run.table("series", sim.series)
            run.record_diagnostic("energy_error_median", sim.diagnostics.median)
            run.record_diagnostic("energy_error_max", sim.diagnostics.max)
    first, last = sim.series.iloc[0], sim.series.iloc[-1]
    typer.echo(
        f"r_h {first['r_h']:.4g} -> {last['r_h']:.4g}   sigma_los {first['sigma_los']:.4g} -> "
        f"{last['sigma_los']:.4g}   energy error median {sim.diagnostics.median:.2g}"
    )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")


add_reproduce_command(app, "dwarfs")


@app.command("observe")
def observe_command(
    lvdb: Annotated[
        bool,
        typer.Option(
            "--lvdb/--classical",
            help="Read the LVDB table from the data directory instead of the built-in "
            "classical dSphs.",
        ),
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Print observed dSphs with derived R_h, L_V and Wolf masses (pc, L_sun, M_sun)."""
    from powertail.dwarfs.observations import classical_dsphs, derive_structure, load_lvdb

    table = load_lvdb(data_dir=data_dir) if lvdb else derive_structure(classical_dsphs())
    columns = ["name", "distance_kpc", "R_h_pc", "R_h_circ_pc", "L_V", "sigma_los", "M_Wolf"]
    typer.echo(table[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    eps: Annotated[
        list[float],
        typer.Option("--eps", metavar="E", help="Component binding energy (repeat)."),
    ],
    amplitude: Annotated[
        list[float],
        typer.Option("--amplitude", "-A", metavar="A", help="Final amplitude A (repeatable)."),
    ],
    protocol: Annotated[
        list[str] | None,
        typer.Option(
            "--protocol",
            metavar=PROTOCOL_CHOICES,
            help="impulsive, linear, smooth or constant (repeatable).",
        ),
    ] = None,
    halo: Annotated[
        str,
        typer.Option("--halo", metavar=HALO_CHOICES, help="nfw, cored-nfw, plummer or hernquist."),
    ] = "nfw",
    t_change: Annotated[
        float, typer.Option("--t-change", metavar="T", help="Ramp duration.")
    ] = 67.0,
    t_end: Annotated[float, typer.Option("--t-end", metavar="T", help="Length of each run.")] = (
        100.0
    ),
    dt: Annotated[float, typer.Option("--dt", metavar="DT", help="Step.")] = 0.0067,
    snapshot_every: Annotated[
        float, typer.Option("--snapshot-every", metavar="T", help="Time between snapshots.")
    ] = 3.35,
    stars: Annotated[
        int, typer.Option("--stars", min=2, metavar="N", help="Stars per component.")
    ] = 2000,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, metavar="N", help="Members per setting.")
    ] = 1,
    method: Annotated[
        str,
        typer.Option("--method", metavar=METHOD_CHOICES, help="leapfrog, yoshida4 or block."),
    ] = "leapfrog",
    seed: SeedOption = 0,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Run an ensemble over amplitudes, protocols and seeds (resumable; Dask with --workers)."""
    from powertail.cli_progress import progress_bars
    from powertail.cli_run import command_run
    from powertail.dwarfs.simulation import SimulationConfig
    from powertail.dwarfs.sweep import sweep, sweep_units

    protocols = protocol or ["impulsive"]
    base = SimulationConfig(
        halo=halo,
        eps=tuple(eps),
        amplitude=amplitude[0],
        protocol=protocols[0],
        t_change=t_change,
        t_end=t_end,
        dt=dt,
        snapshot_every=snapshot_every,
        n_per_component=stars,
        method=method,  # type: ignore[arg-type]
    )
    for p in protocols:  # validate every setting before anything is written
        for a in amplitude:
            SimulationConfig(**{**asdict(base), "protocol": p, "amplitude": a})
    config = {**asdict(base), "amplitudes": amplitude, "protocols": protocols, "seeds": seeds}
    total = len(
        sweep_units(base, amplitudes=amplitude, protocols=protocols, seeds=seeds, root_seed=seed)
    )
    with (
        progress_bars() as progress,
        command_run(
            ctx, config=config, seed=seed, out=out, workers=workers, scheduler=scheduler
        ) as (run, executor),
    ):
        done = 0

        def on_done(key: str) -> None:
            nonlocal done
            done += 1
            progress("dwarfs sweep", done, total)

        with run.step("ensemble"):
            summary = sweep(
                run,
                base,
                amplitudes=amplitude,
                protocols=protocols,
                seeds=seeds,
                executor=executor,
                on_done=on_done,
            )
    typer.echo(summary.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")

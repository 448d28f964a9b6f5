"""``powertail shear``: simulate the sheared tagged particle, compare the regimes, reproduce."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from powertail.cli_options import OutOption, SchedulerOption, SeedOption, WorkersOption
from powertail.cli_run import add_reproduce_command
from powertail.shear.model import BACKGROUNDS, NORMALISATIONS, SCATTERING_LAWS
from powertail.shear.montecarlo import ENGINES, PRECISIONS

SCATTERING_CHOICES = "|".join(SCATTERING_LAWS)
MOMENT_BACKGROUNDS = tuple(b for b in BACKGROUNDS if b != "delta")
"""Backgrounds of ``moments`` (gamma = 0): the delta model needs gamma < 0."""

ShearOption = Annotated[float, typer.Option("--shear", metavar="K", help="Shear rate K >= 0.")]
TemperatureOption = Annotated[
    float, typer.Option("--temperature", metavar="T", help="Background temperature T > 0.")
]
NormalisationOption = Annotated[
    str,
    typer.Option(
        "--normalisation",
        metavar="|".join(NORMALISATIONS),
        help="Rate constant c0: unit | 4pi | 2pi.",
    ),
]

app = typer.Typer(
    no_args_is_help=True, help="Rayleigh-Boltzmann tagged particle under shear (exact Monte Carlo)."
)


_FLAGS = {
    "gamma": "--gamma",
    "shear": "--shear",
    "temperature": "--temperature",
    "background": "--background",
    "scattering": "--scattering",
    "normalisation": "--normalisation",
    "t_max": "--t-max",
    "n_times": "--n-times",
}
"""Parameter names of the library's error messages -> the command-line flags that set them."""


@contextmanager
def _named_as_flags(**renamed: str) -> Iterator[None]:
    """Re-raise an ``InputError`` whose message starts with a parameter name (``t_max: ...``)
    with the flag the user typed instead (``--t-max: ...``); the rest of the line is kept.
    ``renamed`` overrides :data:`_FLAGS` for a command without that flag."""
    from powertail.errors import InputError

    flags = {**_FLAGS, **renamed}
    try:
        yield
    except InputError as error:
        name, sep, rest = str(error).partition(": ")
        if not sep or name not in flags:
            raise
        raise InputError(f"{flags[name]}: {rest}") from None


def _parse_initial(text: str) -> str | tuple[float, float, float]:
    from powertail.errors import InputError

    if text == "thermal":
        return "thermal"
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise InputError(
            f"--initial: expected 'thermal' or three finite numbers 'w1,w2,w3', got {text!r}; "
            "e.g. --initial 0,20,0"
        )
    return values  # type: ignore[return-value]


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    gamma: Annotated[
        float, typer.Option("--gamma", metavar="GAMMA", help="Kernel homogeneity, in (-3, 1].")
    ],
    shear: ShearOption = 1.0,
    temperature: TemperatureOption = 1.0,
    background: Annotated[
        str,
        typer.Option(
            "--background",
            metavar="|".join(BACKGROUNDS),
            help="maxwellian | delta (MNV2 model) | bgk.",
        ),
    ] = "maxwellian",
    scattering: Annotated[
        str,
        typer.Option(
            "--scattering",
            metavar=SCATTERING_CHOICES,
            help="uniform-omega (b constant; the paper's law) | isotropic-cm (b ~ |n.omega|).",
        ),
    ] = "uniform-omega",
    normalisation: NormalisationOption = "unit",
    particles: Annotated[
        int, typer.Option("--particles", min=1, metavar="N", help="Number of particles.")
    ] = 2000,
    t_max: Annotated[float, typer.Option("--t-max", metavar="T", help="Last output time.")] = 100.0,
    n_times: Annotated[
        int, typer.Option("--n-times", min=1, metavar="N", help="Log-spaced output times.")
    ] = 12,
    initial: Annotated[
        str,
        typer.Option(
            "--initial", metavar="thermal|W1,W2,W3", help="'thermal' or a velocity 'w1,w2,w3'."
        ),
    ] = "thermal",
    collisions: Annotated[
        bool,
        typer.Option(
            "--collisions/--no-collisions",
            help="Also write the collision log (one row per collision) as table 'collisions'.",
        ),
    ] = False,
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            metavar="|".join(PRECISIONS),
            help="NumPy engine only: extended (longdouble, overflow-safe) | double (float64).",
        ),
    ] = "extended",
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            metavar="|".join(ENGINES),
            help="compiled (Numba, overflow-safe, default) | numpy (the reference engine).",
        ),
    ] = "compiled",
    batch: Annotated[
        int,
        typer.Option(
            "--batch", min=1, metavar="N", help="Particles per unit of work (resume granularity)."
        ),
    ] = 1000,
    seed: SeedOption = 0,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate particles exactly (no time step) and write quantile and moment tables."""
    from powertail.cli_run import command_run
    from powertail.errors import InputError
    from powertail.shear.experiments import (
        SimulationSpec,
        output_times,
        run_simulation,
        simulation_tables,
    )
    from powertail.shear.model import ShearModel

    # Validate everything before a run directory exists.
    with _named_as_flags():
        model = ShearModel(
            gamma,
            shear=shear,
            temperature=temperature,
            background=background,  # type: ignore[arg-type]
            scattering=scattering,  # type: ignore[arg-type]
            normalisation=normalisation,  # type: ignore[arg-type]
        )
        times = output_times(t_max=t_max, n_times=n_times)
    start = _parse_initial(initial)
    if precision not in ("extended", "double"):
        raise InputError(
            f"--precision: expected extended or double, got {precision!r}; extended is "
            "overflow-safe"
        )
    if engine not in ("compiled", "numpy"):
        raise InputError(
            f"--engine: expected compiled or numpy, got {engine!r}; compiled is the fast default"
        )
    spec = SimulationSpec(
        name="simulate",
        model=model,
        times=times,
        n_particles=particles,
        batch=batch,
        initial=start,
        record_collisions=collisions,
        precision=precision,
        engine=engine,
    )
    config = {
        "model": model.as_dict(),
        "times": list(times),
        "particles": particles,
        "initial": initial,
        "batch": batch,
        "precision": precision,
        "engine": engine,
        "collisions": collisions,
    }
    with command_run(
        ctx, config=config, seed=seed, out=out, workers=workers, scheduler=scheduler
    ) as (run, executor):
        with run.step("simulate"):
            sim = run_simulation(run, spec, executor, seed=seed)
        with run.step("tables"):
            tables = simulation_tables(sim)
            for name, table in tables.items():
                run.table(name, table)
            if sim.events is not None:
                run.table("collisions", sim.events)
    row = tables["summary"].iloc[0]
    typer.echo(
        f"{model.label}: {particles} particles to t = {times[-1]:g}, "
        f"{row['mean_collisions_per_particle']:.2f} collisions per particle, "
        f"absorbed {row['absorbed_fraction']:.3f}"
    )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")


@app.command("moments")
def moments_command(
    shear: ShearOption = 0.5,
    temperature: TemperatureOption = 1.0,
    background: Annotated[
        str,
        typer.Option(
            "--background", metavar="|".join(MOMENT_BACKGROUNDS), help="maxwellian | bgk."
        ),
    ] = "maxwellian",
    scattering: Annotated[
        str,
        typer.Option(
            "--scattering", metavar=SCATTERING_CHOICES, help="uniform-omega | isotropic-cm."
        ),
    ] = "uniform-omega",
    normalisation: NormalisationOption = "unit",
) -> None:
    """Maxwell molecules (gamma = 0): thresholds K_c, growth rate and stationary second moments."""
    from powertail.shear.model import ShearModel
    from powertail.shear.moments import moment_summary

    # gamma is fixed at 0 here: its only possible error is a background that needs gamma < 0
    with _named_as_flags(gamma="--background"):
        model = ShearModel(
            0.0,
            shear=shear,
            temperature=temperature,
            background=background,  # type: ignore[arg-type]
            scattering=scattering,  # type: ignore[arg-type]
            normalisation=normalisation,  # type: ignore[arg-type]
        )
    typer.echo(model.label)
    for key, value in moment_summary(model).items():
        typer.echo(f"  {key:14s} {value:.6g}")


@app.command("regimes")
def regimes_command(
    ctx: typer.Context,
    particles: Annotated[
        int, typer.Option("--particles", min=10, metavar="N", help="Particles per regime.")
    ] = 1000,
    seed: SeedOption = 0,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """The regimes gamma = -0.5 (hyperbolic), -1.5 (frozen), 0.5 (hard) side by side."""
    from powertail.cli_run import command_run
    from powertail.shear.experiments import regimes

    config = {"particles": particles}
    with command_run(
        ctx, config=config, seed=seed, out=out, workers=workers, scheduler=scheduler
    ) as (run, executor):
        table = regimes(run, executor, n_particles=particles, seed=seed)
    last = table.groupby("gamma").tail(1)
    for _, row in last.iterrows():
        typer.echo(
            f"gamma = {row['gamma']:g}: at ln t = {row['log_t']:.1f} median ln|w2| = "
            f"{row['log_w2_median']:.2f}, mean collisions {row['collisions_mean']:.1f}"
        )
    typer.echo(f"report: {(run.directory / 'index.html').resolve()}")


add_reproduce_command(app, "shear")

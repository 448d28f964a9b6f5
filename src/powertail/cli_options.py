"""Command-line option types shared by every study's ``cli.py`` (Typer ``Annotated`` form).

Only declarations live here: parsing and validation are Typer's, science is the library's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="DIR",
        help="Run directory to write (created; an existing one with the same config is resumed). "
        "Default: ./powertail-runs/<command>-<timestamp>.",
        file_okay=False,
        dir_okay=True,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="Run units of work on a local Dask cluster of this many processes.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Address of a running Dask scheduler (e.g. tcp://host:8786) to run units on.",
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed", min=0, metavar="SEED", help="Root random seed; every unit's seed derives from it."
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        metavar="DIR",
        help="Folder holding data that is not on PyPI (uci/, dwarfs/). "
        "Default: $POWERTAIL_DATA, else ../shared/data if present.",
        exists=True,
        file_okay=False,
        dir_okay=True,
        envvar="POWERTAIL_DATA",
    ),
]


def command_line(ctx: typer.Context) -> list[str]:
    """The command being run, with every option spelled out (recorded in the run manifest).

    Rebuilt from the parsed parameters, so defaults are explicit and the line reruns the same
    configuration, e.g. ``powertail reproduce --quick --seed 0 --out runs/x``.
    """
    words = ctx.command_path.split()
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.param_type_name == "argument":
            words.append(str(value))
            continue
        if value is None or value == [] or value == ():
            continue
        flag = param.opts[0]
        if getattr(param, "is_flag", False):
            secondary = getattr(param, "secondary_opts", [])
            if value:
                words.append(flag)
            elif secondary:
                words.append(secondary[0])
        elif isinstance(value, list | tuple):
            for item in value:
                words += [flag, str(item)]
        else:
            words += [flag, str(value)]
    return words

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

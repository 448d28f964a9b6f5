"""The studies that plug into powertail, listed explicitly.

Each study is a subpackage with the same rooms (see DESIGN.md). To take part in the command line
and in ``powertail reproduce`` a study provides two modules:

``powertail.<name>.cli``
    a ``typer.Typer`` named ``app`` holding the study's subcommands;
``powertail.<name>.experiments``
    a function ``reproduce(context: StudyContext) -> None`` that runs the study's quick (or full)
    reproduction into ``context.run``.

A study whose modules are not present yet is reported as missing; nothing is registered by the
side effect of an import.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import typer

    from powertail.runs import Executor, Run

ProgressCallback = Callable[[str, int, int], None]
"""``progress(description, done, total)``: called by long work after each completed unit."""


@dataclass(frozen=True)
class StudyContext:
    """Everything a study's ``reproduce`` needs; built by :func:`powertail.reproduce.reproduce`.

    Attributes
    ----------
    run : Run
        The study's own run directory (tables, figures, units, manifest).
    full : bool
        ``False`` for the quick variant that fits the default ``reproduce`` budget, ``True`` for the
        paper-sized runs.
    seed : int
        Root seed; per-unit seeds derive from it with :func:`powertail.runs.unit_seed`.
    executor : Executor
        Where units of work run (in-process, local Dask cluster or a Dask scheduler).
    data_dir : Path or None
        The data directory (``--data-dir`` / ``POWERTAIL_DATA``), if any.
    progress : ProgressCallback or None
        Progress reporting hook.
    """

    run: Run
    full: bool
    seed: int
    executor: Executor
    data_dir: Path | None = None
    progress: ProgressCallback | None = None

    def unit_progress(self, description: str, total: int) -> Callable[[str], None]:
        """Return an ``on_done(key)`` hook for :func:`~powertail.runs.run_units` that advances
        the progress bar ``description`` towards ``total``."""
        done = 0

        def on_done(key: str) -> None:
            nonlocal done
            done += 1
            if self.progress is not None:
                self.progress(description, done, total)

        return on_done


class ReproduceFunction(Protocol):
    def __call__(self, context: StudyContext) -> None: ...


@dataclass(frozen=True)
class Study:
    """One study of powertail: its command-line name, package and a one-line description."""

    name: str
    package: str
    title: str

    def _has_module(self, module: str) -> bool:
        """Whether ``<package>/<module>.py`` or the package ``<package>/<module>/`` exists, found on
        disk without importing the study."""
        try:
            spec = importlib.util.find_spec(self.package)
        except ModuleNotFoundError:
            return False
        if spec is None or not spec.submodule_search_locations:
            return False
        return any(
            (Path(p) / f"{module}.py").is_file() or (Path(p) / module / "__init__.py").is_file()
            for p in spec.submodule_search_locations
        )

    @property
    def available(self) -> bool:
        """Whether the study's ``experiments`` module exists in this installation."""
        return self._has_module("experiments")

    @property
    def has_cli(self) -> bool:
        """Whether the study has a ``cli`` module (its sub-app of the command line)."""
        return self._has_module("cli")

    def cli_app(self) -> typer.Typer:
        """The study's Typer sub-app (imports the study)."""
        return importlib.import_module(f"{self.package}.cli").app

    def description(self) -> str:
        """What the study's reproduction does, from its ``experiments`` module docstring, as
        plain text (reST roles reduced to their text), for the report."""
        module = importlib.import_module(f"{self.package}.experiments")
        text = inspect.cleandoc(module.__doc__ or self.title)
        text = re.sub(
            r":[a-z]+:`~?([^`]*)`",
            lambda m: (
                m.group(1).split(".")[-1]
                if m.group(0).startswith((":mod:", ":class:", ":func:"))
                else m.group(1)
            ),
            text,
        )
        return text.replace("``", "").replace("**", "")

    def reproduce_function(self) -> ReproduceFunction:
        """The study's ``experiments.reproduce`` function."""
        return importlib.import_module(f"{self.package}.experiments").reproduce


STUDIES: tuple[Study, ...] = (
    Study("tails", "powertail.tails", "shared power-law tail statistics (demo: recovery of alpha)"),
    Study(
        "spectra", "powertail.spectra", "layer quality from weight spectra (HTSR alpha, SETOL ERG)"
    ),
    Study("nngp", "powertail.nngp", "scale mixtures of NNGPs: Student-t process regression"),
    Study("dwarfs", "powertail.dwarfs", "impulsive mixing of stellar populations in dSph galaxies"),
    Study("shear", "powertail.shear", "Rayleigh-Boltzmann tagged particle under shear"),
)
"""Every study powertail knows about, in report order."""


def study_by_name(name: str) -> Study:
    """Return the study called ``name``; raise :class:`~powertail.errors.InputError` otherwise."""
    from powertail.errors import InputError

    for study in STUDIES:
        if study.name == name:
            return study
    known = ", ".join(s.name for s in STUDIES)
    raise InputError(f"--only must name a study ({known}); got {name!r}.")

"""The run manifest: what ran, with which configuration, seed and software, and how long it took.

A manifest is a frozen value (:class:`Manifest`); the run store (:class:`powertail.runs.Run`)
replaces it with an updated copy after each step and writes it as ``manifest.json``. Its
``config_hash`` (SHA-256 of the canonical JSON of the configuration) together with the root
``seed`` is the resume key: a run directory is resumed only by a command with the same pair.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform as _platform
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Literal

import numpy as np

from powertail.errors import InputError

__all__ = [
    "DEFAULT_PACKAGES",
    "MANIFEST_NAME",
    "MANIFEST_SCHEMA",
    "STATUSES",
    "Artifact",
    "Manifest",
    "RunStatus",
    "StepRecord",
    "UnitCounts",
    "canonical_json",
    "config_hash",
    "jsonable",
    "package_versions",
    "platform_info",
    "read_manifest",
    "utc_now",
]

#: File name of the manifest inside a run directory.
MANIFEST_NAME = "manifest.json"
#: Version of the manifest layout; bumped when a field changes meaning.
MANIFEST_SCHEMA = 1
#: Distributions whose versions are recorded (those not installed are skipped).
DEFAULT_PACKAGES: tuple[str, ...] = (
    "powertail",
    "numpy",
    "scipy",
    "jax",
    "jaxlib",
    "pandas",
    "pyarrow",
    "matplotlib",
    "dask",
    "distributed",
    "safetensors",
    "typer",
    "torch",
)

RunStatus = Literal["running", "complete", "failed", "interrupted"]
#: Every value ``Manifest.status`` can take.
STATUSES: tuple[str, ...] = ("running", "complete", "failed", "interrupted")
ArtifactKind = Literal["table", "figure"]


def utc_now() -> str:
    """Return the current time as an ISO 8601 UTC timestamp with milliseconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def jsonable(value: object, *, where: str, allow_path: bool = True) -> Any:
    """Return ``value`` as plain JSON data (dict / list / str / int / float / bool / None).

    Tuples become lists, :class:`pathlib.Path` becomes ``str`` and NumPy scalars become Python
    scalars; everything else that JSON cannot represent exactly is refused.

    Parameters
    ----------
    value : object
        The value to convert.
    where : str
        How the caller names ``value`` (``"config"``), used to point at the bad entry.
    allow_path : bool, default True
        Accept :class:`os.PathLike` values (stored as strings).

    Returns
    -------
    object
        A fresh JSON-compatible structure; ``value`` is not modified.

    Raises
    ------
    InputError
        On non-string dictionary keys, sets, non-finite floats and other types, naming the
        entry (``config['grid'][2]``).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.bool_ | np.number):
        raise InputError(
            f"{where}: expected JSON data, got NumPy {type(value).__name__} {value!r}; "
            "convert it to int, float, str or bool"
        )
    if isinstance(value, np.bool_ | np.integer | np.floating):
        value = value.item()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(
                f"{where}: expected a finite number, got {value!r}; JSON cannot store it, "
                "record it as a string such as 'nan'"
            )
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InputError(
                    f"{where}: expected str keys, got {type(k).__name__} key {k!r}; use string keys"
                )
            out[k] = jsonable(v, where=f"{where}[{k!r}]", allow_path=allow_path)
        return out
    if isinstance(value, list | tuple):
        return [
            jsonable(v, where=f"{where}[{i}]", allow_path=allow_path) for i, v in enumerate(value)
        ]
    if allow_path and isinstance(value, os.PathLike | PurePath):
        return os.fspath(value)
    raise InputError(
        f"{where}: expected JSON data (dict, list, str, int, float, bool, None), got "
        f"{type(value).__name__}; convert it (e.g. arrays with .tolist(), sets with sorted())"
    )


def canonical_json(value: object, *, where: str = "config") -> str:
    """Return the canonical JSON text of ``value``: sorted keys, no spaces, UTF-8 characters.

    Two configurations that differ only in dictionary key order, tuple-vs-list or NumPy-vs-Python
    scalars give the same text.

    Parameters
    ----------
    value : object
        Converted with :func:`jsonable` first.
    where : str, default "config"
        Name used in error messages.

    Returns
    -------
    str
        The canonical JSON text.
    """
    return json.dumps(
        jsonable(value, where=where),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def config_hash(config: Mapping[str, Any]) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of ``config`` (the resume key).

    Parameters
    ----------
    config : mapping of str to JSON data
        The validated configuration of a command.

    Returns
    -------
    str
        64 lowercase hex digits.

    Examples
    --------
    >>> config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": (1, 2), "a": 1})
    True
    """
    if not isinstance(config, Mapping):
        raise InputError(
            f"config: expected a dict of settings, got {type(config).__name__}; "
            "pass the command's options as a dict"
        )
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()


def package_versions(names: Iterable[str] = DEFAULT_PACKAGES) -> dict[str, str]:
    """Return ``{"python": ..., name: version, ...}`` for the installed distributions in ``names``.

    Parameters
    ----------
    names : iterable of str, default :data:`DEFAULT_PACKAGES`
        Distribution names; those that are not installed are skipped.

    Returns
    -------
    dict of str to str
        Python's version first, then each installed distribution in the order given.
    """
    versions = {"python": _platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def platform_info() -> dict[str, str]:
    """Return the operating system, machine and Python implementation of this process."""
    return {
        "system": _platform.system(),
        "release": _platform.release(),
        "machine": _platform.machine(),
        "python_implementation": _platform.python_implementation(),
        "executable": sys.executable,
    }


@dataclass(frozen=True)
class StepRecord:
    """Timing of one named step of a run.

    Attributes
    ----------
    name : str
        Step name given to :meth:`powertail.runs.Run.step`.
    started : str
        ISO 8601 UTC start time.
    seconds : float
        Wall-clock duration.
    resumed : bool
        Whether the step ran in a session that resumed an earlier, unfinished one.
    status : {"complete", "failed", "interrupted"}
        How the step ended.
    """

    name: str
    started: str
    seconds: float
    resumed: bool
    status: str = "complete"


@dataclass(frozen=True)
class Artifact:
    """A table or figure written into the run directory.

    Attributes
    ----------
    kind : {"table", "figure"}
        What it is.
    name : str
        Name without extension.
    files : tuple of str
        Paths relative to the run directory, POSIX style (``tables/summary.csv``), one per
        format: CSV then Parquet for tables, PNG then SVG for figures.
    """

    kind: ArtifactKind
    name: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class UnitCounts:
    """How many units of work the run holds and how this session obtained them.

    Attributes
    ----------
    completed : int
        Units whose results are saved in the run directory (all sessions).
    computed : int
        Units computed by this session.
    resumed : int
        Units this session loaded from an earlier session instead of computing them.
    """

    completed: int = 0
    computed: int = 0
    resumed: int = 0


@dataclass(frozen=True)
class Manifest:
    """Everything needed to understand and rerun a run; written as ``manifest.json``.

    Attributes
    ----------
    command : tuple of str
        The command line (argv) that started the run.
    config : dict
        Canonical JSON form of the configuration (see :func:`jsonable`). Treat as read-only.
    config_hash : str
        :func:`config_hash` of ``config``.
    seed : int or None
        Root seed; every random draw of the run derives from it (see
        :func:`powertail.runs.unit_seed`). ``None`` for commands that draw nothing.
    package_versions : dict of str to str
        From :func:`package_versions`, for this session.
    platform : dict of str to str
        From :func:`platform_info`, for this session.
    created : str
        Start time of the first session (ISO 8601 UTC).
    started : str
        Start time of this session.
    finished : str or None
        End time of this session; ``None`` while running.
    status : {"running", "complete", "failed", "interrupted"}
        ``"running"`` on disk after the session ended means the process died without notice
        (e.g. SIGKILL); the next session records it as interrupted.
    steps : tuple of StepRecord
        Steps of this session, in completion order.
    units : UnitCounts
        Unit bookkeeping.
    artifacts : tuple of Artifact
        Tables and figures, in the order first written (across sessions).
    diagnostics : dict
        Free-form JSON record of numerical repairs and other notes, by name.
    previous_sessions : tuple of dict
        Earlier sessions of a resumed run: their ``started``, ``finished``, ``status``,
        ``steps``, ``units`` and ``package_versions``.
    error : str or None
        ``"ExceptionType: message"`` when the session failed.
    schema : int
        :data:`MANIFEST_SCHEMA`.
    """

    command: tuple[str, ...]
    config: dict[str, Any]
    config_hash: str
    seed: int | None
    package_versions: dict[str, str]
    platform: dict[str, str]
    created: str
    started: str
    finished: str | None = None
    status: str = "running"
    steps: tuple[StepRecord, ...] = ()
    units: UnitCounts = field(default_factory=UnitCounts)
    artifacts: tuple[Artifact, ...] = ()
    diagnostics: dict[str, Any] = field(default_factory=dict)
    previous_sessions: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    schema: int = MANIFEST_SCHEMA

    @classmethod
    def new(
        cls,
        *,
        command: str | Sequence[str],
        config: Mapping[str, Any],
        seed: int | None,
    ) -> Manifest:
        """Build the manifest of a new session from the command, configuration and seed.

        Parameters
        ----------
        command : str or sequence of str
            Argv list, or a command line string (split with :func:`shlex.split`).
        config : mapping of str to JSON data
            The configuration; must pass :func:`jsonable`.
        seed : int or None
            Non-negative root seed, or ``None`` when the command draws no random numbers.

        Returns
        -------
        Manifest
            Status ``"running"``, ``created`` and ``started`` set to now.

        Raises
        ------
        InputError
            If an argument has the wrong type or value.
        """
        now = utc_now()
        return cls(
            command=_normalise_command(command),
            config=_normalise_config(config),
            config_hash=config_hash(config),
            seed=_normalise_seed(seed),
            package_versions=package_versions(),
            platform=platform_info(),
            created=now,
            started=now,
        )

    def replace(self, **changes: Any) -> Manifest:
        """Return a copy with ``changes`` applied (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest as plain JSON data (a deep copy)."""
        data = dataclasses.asdict(self)
        data["command"] = list(self.command)
        data["steps"] = [dataclasses.asdict(s) for s in self.steps]
        data["artifacts"] = [
            {"kind": a.kind, "name": a.name, "files": list(a.files)} for a in self.artifacts
        ]
        data["previous_sessions"] = [copy.deepcopy(s) for s in self.previous_sessions]
        return data

    def to_json(self) -> str:
        """Return the manifest as indented JSON text (what ``manifest.json`` holds)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Rebuild a manifest from :meth:`to_dict` output.

        Raises
        ------
        InputError
            If ``data`` does not have the manifest layout.
        """
        try:
            if data["schema"] != MANIFEST_SCHEMA:
                raise InputError(
                    f"manifest schema: expected {MANIFEST_SCHEMA}, got {data['schema']!r}; "
                    "it was written by another powertail version"
                )
            status = data["status"]
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            return cls(
                command=tuple(str(a) for a in data["command"]),
                config=dict(data["config"]),
                config_hash=str(data["config_hash"]),
                seed=None if data["seed"] is None else int(data["seed"]),
                package_versions={str(k): str(v) for k, v in data["package_versions"].items()},
                platform={str(k): str(v) for k, v in data["platform"].items()},
                created=str(data["created"]),
                started=str(data["started"]),
                finished=None if data["finished"] is None else str(data["finished"]),
                status=status,
                steps=tuple(StepRecord(**s) for s in data["steps"]),
                units=UnitCounts(**data["units"]),
                artifacts=tuple(
                    Artifact(kind=a["kind"], name=a["name"], files=tuple(a["files"]))
                    for a in data["artifacts"]
                ),
                diagnostics=dict(data["diagnostics"]),
                previous_sessions=tuple(dict(s) for s in data["previous_sessions"]),
                error=data["error"],
            )
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"manifest: expected the powertail manifest layout, got a mismatch "
                f"({type(exc).__name__}: {exc}); the file is damaged or not a powertail manifest"
            ) from exc


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read a ``manifest.json`` file (plain JSON; nothing is executed or unpickled).

    Parameters
    ----------
    path : str or path-like
        The manifest file.

    Returns
    -------
    Manifest

    Raises
    ------
    InputError
        If the file is not valid JSON or not a powertail manifest; the message names the file.
    """
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise InputError(f"expected a JSON object, got {type(data).__name__}")
        return Manifest.from_dict(data)
    except (InputError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{file}: expected a powertail manifest, got an unreadable file ({exc}); "
            "delete the run directory or choose another output directory"
        ) from exc


def _normalise_command(command: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(command, str):
        return tuple(shlex.split(command))
    if isinstance(command, Sequence) and all(isinstance(a, str) for a in command):
        return tuple(command)
    raise InputError(
        f"command: expected a str or a list of str (argv), got {command!r}; pass sys.argv"
    )


def _normalise_config(config: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise InputError(
            f"config: expected a dict of settings, got {type(config).__name__}; "
            "pass the command's options as a dict"
        )
    result: dict[str, Any] = jsonable(config, where="config")
    return result


def _normalise_seed(seed: int | None) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise InputError(
            f"seed: expected a non-negative int or None, got {seed!r}; pass e.g. seed=0"
        )
    return int(seed)

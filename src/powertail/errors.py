"""Exception types shared by every part of powertail.

The library raises these (never ``assert``, never ``sys.exit``); only ``cli.py`` turns them
into a one-line message and an exit code. Each message says which input is wrong, what was
expected, what was received and, where one exists, the fix.
"""


class PowertailError(Exception):
    """Base class for errors that powertail raises on purpose."""


class InputError(PowertailError, ValueError):
    """An argument or input file has the wrong value, shape or content (a usage error)."""


class MissingDataError(PowertailError, FileNotFoundError):
    """A file that must come from the data directory (``--data-dir``) is absent."""


class RunConfigMismatchError(PowertailError, ValueError):
    """An existing run directory was started with a different configuration."""

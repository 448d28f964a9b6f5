"""Loaders for external inputs, and the data-directory convention they share."""

from powertail.data.directory import (
    DATA_ENV_VAR,
    find_data_file,
    package_file,
    resolve_data_dir,
)
from powertail.data.values import load_values

__all__ = ["DATA_ENV_VAR", "find_data_file", "load_values", "package_file", "resolve_data_dir"]

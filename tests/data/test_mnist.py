import gzip
import pickle

import numpy as np
import pytest

from powertail.data import load_array_pickle, load_mnist
from powertail.errors import InputError


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def _write(path, obj):
    path.write_bytes(gzip.compress(pickle.dumps(obj, protocol=2)))
    return path


def test_arrays_and_containers_round_trip(tmp_path):
    data = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])), [1.5, "a"])
    loaded = load_array_pickle(_write(tmp_path / "ok.pkl.gz", data))
    np.testing.assert_array_equal(loaded[0][0], data[0][0])
    assert loaded[0][0].dtype == np.float32
    assert loaded[1] == [1.5, "a"]


def test_a_pickle_naming_any_other_callable_is_refused(tmp_path, capsys):
    path = _write(tmp_path / "evil.pkl.gz", {"payload": _Evil()})
    with pytest.raises(InputError, match=r"refusing to load (builtins|__builtin__)\.print"):
        load_array_pickle(path)
    assert "must never run" not in capsys.readouterr().out


def test_not_gzip(tmp_path):
    path = tmp_path / "plain.pkl.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="is not a valid gzip file"):
        load_array_pickle(path)


def test_wrong_layout_is_named(tmp_path):
    path = _write(tmp_path / "m.pkl.gz", (np.zeros((2, 784)), np.zeros(2)))
    with pytest.raises(InputError, match=r"does not hold \(\(X, y\), \(X, y\), \(X, y\)\) arrays"):
        load_mnist(path)


def test_real_mnist_is_the_official_split():
    mnist = load_mnist()
    assert mnist.x_train.shape == (60_000, 784) and mnist.x_test.shape == (10_000, 784)
    assert 0.0 <= mnist.x_train.min() and mnist.x_train.max() <= 1.0
    # the official label counts of the training set (LeCun et al.): 5923 zeros, 6742 ones
    counts = np.bincount(mnist.y_train, minlength=10)
    assert counts[0] == 5923 and counts[1] == 6742
    assert np.bincount(mnist.y_test, minlength=10)[0] == 980

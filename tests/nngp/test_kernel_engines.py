"""The kernel engines (compiled numba, JAX, NumPy reference) agree, and the compiled one against
closed forms; plus the single-buffer Cholesky of the posterior path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

from powertail.errors import InputError
from powertail.nngp.kernels import ConvFlatten, FullyConnected, fc_kernels, kernel_blocks
from powertail.nngp.kernels.compiled import _atan2
from powertail.nngp.kernels.fc import resolve_engine
from powertail.nngp.posterior.factor import cholesky_with_jitter

ENGINES = ("numba", "jax", "numpy")


def inputs(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-12) -> None:
    """Relative agreement, with an absolute floor of rtol * max|expected| (entries near 0)."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def off_diagonal(k: np.ndarray) -> np.ndarray:
    return k[:, ~np.eye(k.shape[1], dtype=bool)]


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("activation", ["relu", "erf", "identity"])
@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_engines_agree_on_every_block(activation: str, residual: bool, kind: str) -> None:
    arch = FullyConnected(
        depth=3,
        activation=activation,
        weight_variance=1.7,
        bias_variance=0.2,
        readout_variance=1.3,
        residual=residual,
    )
    x, z = inputs(23, 4, 0), inputs(9, 4, 1)
    depths = (0, 2, 3)
    blocks = {
        engine: kernel_blocks(x, z, architecture=arch, depths=depths, kind=kind, engine=engine)
        for engine in ENGINES
    }
    ours = blocks["numba"]
    assert ours.train_train.shape == (3, 23, 23)
    np.testing.assert_array_equal(ours.train_train, np.swapaxes(ours.train_train, 1, 2))
    for engine in ("jax", "numpy"):
        other = blocks[engine]
        close(ours.test_train, other.test_train)
        if kind == "ntk" and activation == "relu":
            # at x = x' the ReLU derivative kernel has an infinite slope in the correlation
            # (K' = (pi - arccos c) / 2 pi), so one ulp of c (a matrix product's diagonal
            # against the squared norms) moves it by ~1e-8: the diagonals are checked against
            # the closed form in test_relu_diagonal_closed_form instead
            close(off_diagonal(ours.train_train), off_diagonal(other.train_train))
        else:
            close(ours.train_train, other.train_train)
            close(ours.test_diag, other.test_diag)


@pytest.mark.parametrize("engine", ENGINES)
def test_fc_kernels_engines_agree_with_both_kernels_and_the_diagonal(engine: str) -> None:
    arch = FullyConnected(depth=2, activation="erf", weight_variance=2.0, bias_variance=0.1)
    x, z = inputs(7, 3, 2), inputs(5, 3, 3)
    ours = fc_kernels(z, x, architecture=arch, depths=(1, 2), engine="numba")
    other = fc_kernels(z, x, architecture=arch, depths=(1, 2), engine=engine)
    close(ours.nngp, other.nngp)
    close(ours.ntk, other.ntk)
    diag = fc_kernels(z, architecture=arch, depths=(1, 2), diagonal=True, engine="numba")
    full = fc_kernels(z, architecture=arch, depths=(1, 2), engine=engine)
    close(diag.nngp, np.diagonal(full.nngp, axis1=1, axis2=2))
    close(diag.ntk, np.diagonal(full.ntk, axis1=1, axis2=2))


@pytest.mark.parametrize("residual", [False, True])
def test_relu_diagonal_closed_form(residual: bool) -> None:
    # at x = x' the correlation is 1 at every layer: E[phi phi] = K / 2 and K' = 1 / 2, so
    # plain:    K <- sw K / 2 + sb,      Theta <- K_new + sw Theta / 2
    # residual: K <- K + sw K / 2 + sb,  Theta <- Theta + sw K / 2 + sb + sw Theta / 2
    # readout:  nngp = sv K / 2, ntk = sv (K / 2 + Theta / 2)
    sw, sb, sv, depth = 1.7, 0.2, 1.3, 3
    arch = FullyConnected(
        depth=depth,
        weight_variance=sw,
        bias_variance=sb,
        readout_variance=sv,
        residual=residual,
    )
    x = inputs(11, 4, 4)
    k = sw * np.sum(x**2, axis=1) / 4 + sb
    theta = k.copy()
    for _ in range(depth if residual else depth - 1):
        if residual:
            theta = theta + sw * k / 2 + sb + sw * theta / 2
            k = k + sw * k / 2 + sb
        else:
            k = sw * k / 2 + sb
            theta = k + sw * theta / 2
    expected_nngp, expected_ntk = sv * k / 2, sv * (k / 2 + theta / 2)
    for kind, expected in (("nngp", expected_nngp), ("ntk", expected_ntk)):
        blocks = kernel_blocks(x, x, architecture=arch, kind=kind, engine="numba")
        close(np.diagonal(blocks.train_train[0]), expected, rtol=1e-14)
        close(blocks.test_diag[0], expected, rtol=1e-14)


def test_depth_zero_is_the_linear_readout_and_only_requested_depths_are_written() -> None:
    arch = FullyConnected(depth=2, activation="relu", weight_variance=2.0, readout_variance=1.5)
    x = inputs(6, 3, 5)
    k = fc_kernels(x, architecture=arch, depths=(0, 2), engine="numba")
    assert k.depths == (0, 2)
    close(k.nngp[0], 1.5 * x @ x.T / 3, rtol=1e-15)
    close(k.ntk[0], 1.5 * x @ x.T / 3, rtol=1e-15)
    alone = fc_kernels(x, architecture=arch, engine="numba")
    np.testing.assert_array_equal(k.at_depth(2)[0], alone.nngp[0])


@pytest.mark.parametrize("n", [1, 2, 7, 8])
def test_symmetric_rows_are_paired_for_any_size(n: int) -> None:
    # rows are processed in pairs (i, n - 1 - i); odd and even sizes must fill every entry
    arch = FullyConnected(depth=2, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x, z = inputs(n, 3, 6), inputs(3, 3, 7)
    blocks = kernel_blocks(x, z, architecture=arch, engine="numba")
    reference = kernel_blocks(x, z, architecture=arch, engine="numpy")
    close(blocks.train_train, reference.train_train)
    close(blocks.test_train, reference.test_train)


def test_threads_do_not_change_the_result() -> None:
    numba = pytest.importorskip("numba")
    arch = FullyConnected(depth=3, activation="erf", weight_variance=1.5, bias_variance=0.1)
    x = inputs(40, 5, 8)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kernel_blocks(x, architecture=arch, engine="numba").train_train
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = kernel_blocks(x, architecture=arch, engine="numba").train_train
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)


def test_branch_free_atan2_matches_the_library_to_a_few_ulp() -> None:
    rng = np.random.default_rng(9)
    values = np.concatenate(
        [
            rng.normal(size=2000),
            rng.normal(size=200) * 1e-200,
            rng.normal(size=200) * 1e150,
            [0.0, 1.0, -1.0, math.sqrt(2.0) - 1.0, 1e-300],
        ]
    )
    pairs = [(y, x) for y, x in zip(values, rng.permutation(values), strict=True)]
    pairs += [(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (0.0, -1.0), (1e-300, 1.0), (0.0, 1.0)]
    pairs += [(1.0, 0.0), (-2.0, 0.0)]
    for y, x in pairs:
        expected = math.atan2(y, x)
        assert abs(_atan2(y, x) - expected) <= 4 * math.ulp(expected) + 1e-320, (y, x)


def test_auto_engine_and_bad_engines() -> None:
    fc = FullyConnected(depth=1)
    assert resolve_engine("auto", fc) in ("numba", "jax")
    assert resolve_engine("auto", ConvFlatten(depth=1)) == "jax"
    with pytest.raises(InputError, match="engine: expected one of auto, numba, jax, numpy"):
        kernel_blocks(np.ones((2, 2)), architecture=fc, engine="fortran")
    with pytest.raises(InputError, match="engine: 'numba' computes fully connected networks"):
        kernel_blocks(np.ones((2, 4, 4, 1)), architecture=ConvFlatten(depth=1), engine="numba")
    with pytest.raises(InputError, match="x_test: expected 2 features"):
        kernel_blocks(np.ones((2, 2)), np.ones((2, 3)), architecture=fc, engine="numba")


def test_cholesky_uses_the_lower_triangle_and_leaves_the_kernel_alone() -> None:
    rng = np.random.default_rng(10)
    a = rng.normal(size=(40, 40))
    k = a @ a.T / 40
    k_upper_garbage = np.tril(k) + np.triu(np.full_like(k, 7.0), 1)  # only the lower is read
    kept = k_upper_garbage.copy()
    chol, extra = cholesky_with_jitter(k_upper_garbage, noise=1e-2)
    assert extra == 0.0
    np.testing.assert_array_equal(k_upper_garbage, kept)
    assert chol.flags.c_contiguous
    np.testing.assert_array_equal(np.triu(chol, 1), 0.0)
    expected = scipy.linalg.cholesky(k + 1e-2 * np.eye(40), lower=True)
    np.testing.assert_allclose(chol, expected, rtol=1e-13, atol=1e-14)

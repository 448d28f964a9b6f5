"""Fully connected NNGP/NTK kernels: JAX vs NumPy, closed forms and wide random networks."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.kernels import (
    FullyConnected,
    fc_kernels,
    fc_kernels_reference,
    kernel_blocks,
)


def inputs(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize("activation", ["relu", "erf", "identity"])
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_jax_matches_numpy_reference(activation: str, depth: int) -> None:
    arch = FullyConnected(
        depth=depth,
        activation=activation,
        weight_variance=1.7,
        bias_variance=0.2,
        readout_variance=1.3,
    )
    x, z = inputs(6, 4, 0), inputs(5, 4, 1)
    k = fc_kernels(x, z, architecture=arch)
    nngp, ntk = fc_kernels_reference(x, z, architecture=arch)
    np.testing.assert_allclose(k.nngp[0], nngp, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(k.ntk[0], ntk, rtol=1e-12, atol=1e-13)


def test_all_depths_from_one_pass_equal_separate_networks() -> None:
    x = inputs(5, 3, 2)
    arch = FullyConnected(depth=4, activation="erf", weight_variance=2.0, bias_variance=0.1)
    together = fc_kernels(x, architecture=arch, depths=range(5))
    for depth in range(5):
        alone = fc_kernels(x, architecture=FullyConnected(**{**arch.__dict__, "depth": depth}))
        np.testing.assert_allclose(together.at_depth(depth)[0], alone.nngp[0], rtol=1e-14)
        np.testing.assert_allclose(together.at_depth(depth)[1], alone.ntk[0], rtol=1e-14)


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_diagonal_and_blocks_agree_with_full_kernel(activation: str) -> None:
    x, z = inputs(7, 3, 3), inputs(5, 3, 4)
    arch = FullyConnected(depth=3, activation=activation, weight_variance=2.0, bias_variance=0.1)
    depths = (1, 3)
    full_zz = fc_kernels(z, architecture=arch, depths=depths)
    diag = fc_kernels(z, architecture=arch, depths=depths, diagonal=True)
    np.testing.assert_allclose(diag.nngp, np.diagonal(full_zz.nngp, axis1=1, axis2=2), rtol=1e-12)
    for tile in (4, 100):
        blocks = kernel_blocks(x, z, architecture=arch, depths=depths, tile=tile)
        np.testing.assert_allclose(
            blocks.train_train, fc_kernels(x, architecture=arch, depths=depths).nngp, rtol=1e-13
        )
        np.testing.assert_allclose(
            blocks.test_train, fc_kernels(z, x, architecture=arch, depths=depths).nngp, rtol=1e-13
        )
        np.testing.assert_allclose(blocks.test_diag, diag.nngp, rtol=1e-13)
    cross_only = kernel_blocks(x, z, architecture=arch, depths=depths, include_train=False)
    assert cross_only.train_train.shape == (2, 0, 0)
    np.testing.assert_allclose(cross_only.test_train, blocks.test_train, rtol=1e-15)


def test_relu_arc_cosine_closed_form_for_orthogonal_inputs() -> None:
    # one ReLU layer, no bias: K = σ_v² σ_w² |x||x'| / d · (sin θ + (π - θ) cos θ) / (2π);
    # orthogonal inputs (θ = π/2) give σ_v² σ_w² |x||x'| / (2π d).
    x = np.array([[3.0, 0.0], [0.0, 2.0]])
    arch = FullyConnected(depth=1, weight_variance=2.0, readout_variance=1.5)
    k = fc_kernels(x, architecture=arch).nngp[0]
    assert k[0, 1] == pytest.approx(1.5 * 2.0 * 3.0 * 2.0 / (2 * np.pi * 2), rel=1e-14)
    assert k[0, 0] == pytest.approx(1.5 * 2.0 * 9.0 / 2 / 2, rel=1e-14)


def finite_network_kernel(
    x: np.ndarray, arch: FullyConnected, *, width: int, networks: int, seed: int
) -> np.ndarray:
    """Monte Carlo E[f(x) f(x')] over random networks, readout averaged in closed form."""
    rng = np.random.default_rng(seed)
    act = {"relu": lambda z: np.maximum(z, 0.0), "erf": __import__("scipy.special").special.erf}
    phi = act[arch.activation]
    total = np.zeros((x.shape[0], x.shape[0]))
    sw, sb = np.sqrt(arch.weight_variance), np.sqrt(arch.bias_variance)
    for _ in range(networks):
        h, fan_in = x, x.shape[1]
        for _layer in range(arch.depth):
            w = rng.standard_normal((fan_in, width))
            b = rng.standard_normal(width)
            h = phi(sw / np.sqrt(fan_in) * h @ w + sb * b)
            fan_in = width
        total += arch.readout_variance * h @ h.T / width
    return total / networks


@pytest.mark.parametrize(
    "activation, weight_variance, bias_variance",
    [("relu", 2.0, 0.1), ("erf", 1.5, 0.05)],
)
def test_nngp_matches_wide_random_networks(
    activation: str, weight_variance: float, bias_variance: float
) -> None:
    # brief section 5.3 target 1 (smaller width, more networks; error ~ 1/sqrt(width * networks))
    x = inputs(4, 3, 5)
    arch = FullyConnected(
        depth=2,
        activation=activation,
        weight_variance=weight_variance,
        bias_variance=bias_variance,
    )
    exact = fc_kernels(x, architecture=arch).nngp[0]
    mc = finite_network_kernel(x, arch, width=1500, networks=20, seed=6)
    np.testing.assert_allclose(mc, exact, rtol=0.03, atol=0.01 * np.abs(exact).max())


def test_ntk_matches_empirical_ntk_of_wide_networks() -> None:
    jax = jax_with_x64()
    jnp = jax.numpy
    x = jnp.asarray(inputs(3, 2, 7))
    arch = FullyConnected(depth=2, activation="relu", weight_variance=2.0, bias_variance=0.1)
    width = 1024

    def net(params, xs):
        h, fan_in = xs, xs.shape[1]
        for w, b in params[:-1]:
            h = jax.nn.relu(jnp.sqrt(2.0 / fan_in) * h @ w + jnp.sqrt(0.1) * b)
            fan_in = w.shape[1]
        return (h @ params[-1][0] / jnp.sqrt(fan_in))[:, 0]

    empirical = np.zeros((3, 3))
    seeds = 4
    for seed in range(seeds):
        keys = jax.random.split(jax.random.key(seed), 5)
        params = [
            (jax.random.normal(keys[0], (2, width)), jax.random.normal(keys[1], (width,))),
            (jax.random.normal(keys[2], (width, width)), jax.random.normal(keys[3], (width,))),
            (jax.random.normal(keys[4], (width, 1)), None),
        ]
        jac = jax.jacobian(net)(params, x)
        flat = jnp.concatenate(
            [leaf.reshape(3, -1) for leaf in jax.tree_util.tree_leaves(jac) if leaf is not None],
            axis=1,
        )
        empirical += np.asarray(flat @ flat.T) / seeds
    exact = fc_kernels(np.asarray(x), architecture=arch).ntk[0]
    np.testing.assert_allclose(empirical, exact, rtol=0.06)


def test_bad_inputs_raise_one_line_errors() -> None:
    arch = FullyConnected(depth=1)
    with pytest.raises(InputError, match="x1: expected finite values"):
        fc_kernels(np.array([[np.nan, 1.0]]), architecture=arch)
    with pytest.raises(InputError, match="x2: expected 2 features"):
        fc_kernels(np.ones((2, 2)), np.ones((2, 3)), architecture=arch)
    with pytest.raises(InputError, match=r"depths: expected depths between 0 and"):
        fc_kernels(np.ones((2, 2)), architecture=arch, depths=[2])
    with pytest.raises(InputError, match="activation: expected one of relu, erf, identity"):
        FullyConnected(activation="tanh")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="weight_variance: expected a finite float > 0"):
        FullyConnected(weight_variance=0.0)


def test_wide_networks_with_a_random_readout_variance_are_student_t() -> None:
    # brief section 5.3 target 7 (smaller): σ² ~ IG(α, β) once per network makes f(x*) a
    # t_{2α}(0, sqrt(β/α K(x*, x*))) in the wide limit
    from scipy import stats

    alpha, beta = 2.0, 2.0
    arch = FullyConnected(depth=2, activation="erf", weight_variance=2.0, bias_variance=0.05)
    x = inputs(2, 3, 8)
    k = fc_kernels(x, architecture=arch).nngp[0]
    rng = np.random.default_rng(9)
    width, networks = 256, 600
    outputs = np.empty(networks)
    from scipy.special import erf

    for i in range(networks):
        h, fan_in = x, 3
        for _ in range(2):
            w = rng.standard_normal((fan_in, width))
            h = erf(np.sqrt(2.0 / fan_in) * h @ w + np.sqrt(0.05) * rng.standard_normal(width))
            fan_in = width
        s2 = stats.invgamma(alpha, scale=beta).rvs(random_state=rng)
        outputs[i] = (np.sqrt(s2 / width) * h @ rng.standard_normal(width))[0]
    student = stats.t(2 * alpha, scale=np.sqrt(beta / alpha * k[0, 0]))
    assert stats.kstest(outputs, student.cdf).pvalue > 1e-3
    gaussian = stats.norm(scale=np.sqrt(beta / (alpha - 1) * k[0, 0]))  # same variance, no tails
    assert stats.kstest(outputs, gaussian.cdf).pvalue < stats.kstest(outputs, student.cdf).pvalue


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_dense_resnet_jax_matches_reference_and_depths(activation: str) -> None:
    arch = FullyConnected(
        depth=3, activation=activation, weight_variance=1.5, bias_variance=0.1, residual=True
    )
    x, z = inputs(5, 3, 10), inputs(4, 3, 11)
    k = fc_kernels(x, z, architecture=arch, depths=range(4))
    nngp, ntk = fc_kernels_reference(x, z, architecture=arch)
    np.testing.assert_allclose(k.nngp[-1], nngp, rtol=1e-12)
    np.testing.assert_allclose(k.ntk[-1], ntk, rtol=1e-12)
    shallow = fc_kernels_reference(
        x, z, architecture=FullyConnected(**{**arch.__dict__, "depth": 1})
    )
    np.testing.assert_allclose(k.at_depth(1)[0], shallow[0], rtol=1e-12)


def test_dense_resnet_nngp_matches_wide_random_networks() -> None:
    x = inputs(3, 3, 12)
    arch = FullyConnected(
        depth=2, activation="relu", weight_variance=1.0, bias_variance=0.1, residual=True
    )
    rng = np.random.default_rng(13)
    width, networks = 1500, 20
    total = np.zeros((3, 3))
    for _ in range(networks):
        h = x @ rng.standard_normal((3, width)) / np.sqrt(3) + np.sqrt(0.1) * rng.standard_normal(
            width
        )
        for _ in range(2):
            branch = np.maximum(h, 0) @ rng.standard_normal((width, width)) / np.sqrt(width)
            h = h + branch + np.sqrt(0.1) * rng.standard_normal(width)
        out = np.maximum(h, 0)
        total += out @ out.T / width
    np.testing.assert_allclose(
        total / networks, fc_kernels(x, architecture=arch).nngp[0], rtol=0.04
    )

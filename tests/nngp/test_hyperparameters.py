"""Type-II maximum likelihood: gradients, a closed-form optimum and a decreasing loss."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from powertail.errors import InputError
from powertail.jaxconfig import jax_with_x64
from powertail.nngp.hyperparameters import fit_hyperparameters, negative_log_marginal
from powertail.nngp.kernels import FullyConnected, fc_kernels_reference

ARCH = FullyConnected(depth=2, activation="relu", weight_variance=1.5, bias_variance=0.2)


def data(n: int = 20):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(n, 2))
    return x, np.sin(2 * x[:, 0]) + 0.1 * rng.standard_normal(n)


def test_loss_equals_scipy_student_t_and_gradient_matches_finite_differences() -> None:
    jax = jax_with_x64()
    jnp = jax.numpy
    x, y = data()
    d = x.shape[1]
    gram = (jnp.asarray(x @ x.T / d), jnp.asarray((x**2).sum(1) / d))
    inv = lambda v: float(np.log(np.expm1(v)))  # noqa: E731
    raw = {"weight_variance": jnp.asarray(inv(1.5)), "alpha": jnp.asarray(inv(2.0))}
    fixed = {"bias_variance": 0.2, "noise": 0.05, "beta": 3.0, "readout_variance": 1.0}

    @jax.jit
    def loss(r):
        return negative_log_marginal(
            r, fixed, gram, jnp.asarray(y[:, None]), activation="relu", depth=2, model="tp"
        )

    k = fc_kernels_reference(x, x, architecture=ARCH)[0] + 0.05 * np.eye(20)
    expected = -stats.multivariate_t(np.zeros(20), shape=3.0 / 2.0 * k, df=4.0).logpdf(y) / 20
    assert float(loss(raw)) == pytest.approx(expected, rel=1e-10)
    grads = jax.jit(jax.grad(loss))(raw)
    for name in raw:
        h = 1e-6
        up = dict(raw, **{name: raw[name] + h})
        down = dict(raw, **{name: raw[name] - h})
        fd = (float(loss(up)) - float(loss(down))) / (2 * h)
        assert float(grads[name]) == pytest.approx(fd, rel=1e-5)


def test_gp_readout_variance_reaches_its_closed_form_optimum() -> None:
    # with the kernel fixed, argmax over s of log N(y; 0, s K~) is s = y^T K~^-1 y / n
    x, y = data()
    result = fit_hyperparameters(
        x,
        y,
        architecture=ARCH,
        model="gp",
        noise=0.05,
        trainable=("readout_variance",),
        steps=400,
        learning_rate=0.05,
    )
    k = fc_kernels_reference(x, x, architecture=ARCH)[0] + 0.05 * np.eye(20)
    assert result.architecture.readout_variance == pytest.approx(
        y @ np.linalg.solve(k, y) / 20, rel=1e-3
    )


def test_student_t_training_lowers_the_loss() -> None:
    x, y = data()
    result = fit_hyperparameters(x, y, architecture=ARCH, model="tp", steps=60)
    assert result.losses[-1] < result.losses[0]
    assert result.alpha > 0 and result.beta > 0 and result.noise > 0
    with pytest.raises(InputError, match="trainable: expected names from"):
        fit_hyperparameters(x, y, architecture=ARCH, trainable=("sigma",))

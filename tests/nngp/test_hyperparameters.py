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


@pytest.mark.parametrize("model", ["tp", "gp"])
def test_loss_equals_scipy_and_every_gradient_matches_finite_differences(model: str) -> None:
    """All trainable parameters at once: (σ_w², σ_b², ε, α, β) for the Student-t process and
    (σ_w², σ_b², σ_v², ε) for the GP (the TP's readout variance is carried by the prior)."""
    jax = jax_with_x64()
    jnp = jax.numpy
    x, y = data()
    d = x.shape[1]
    gram = (jnp.asarray(x @ x.T / d), jnp.asarray((x**2).sum(1) / d))
    inv = lambda v: float(np.log(np.expm1(v)))  # noqa: E731
    values = {"weight_variance": 1.5, "bias_variance": 0.2, "noise": 0.05}
    values |= {"alpha": 2.0, "beta": 3.0} if model == "tp" else {"readout_variance": 1.7}
    raw = {name: jnp.asarray(inv(v)) for name, v in values.items()}
    fixed = {"readout_variance": 1.0} if model == "tp" else {}

    @jax.jit
    def loss(r):
        return negative_log_marginal(
            r, fixed, gram, jnp.asarray(y[:, None]), activation="relu", depth=2, model=model
        )

    k = fc_kernels_reference(x, x, architecture=ARCH)[0] + 0.05 * np.eye(20)
    if model == "tp":
        log_p = stats.multivariate_t(np.zeros(20), shape=3.0 / 2.0 * k, df=4.0).logpdf(y)
    else:
        log_p = stats.multivariate_normal(np.zeros(20), 1.7 * k).logpdf(y)
    assert float(loss(raw)) == pytest.approx(-log_p / 20, rel=1e-10)
    grads = jax.jit(jax.grad(loss))(raw)
    assert set(grads) == set(values)
    for name in raw:
        h = 1e-6
        up = dict(raw, **{name: raw[name] + h})
        down = dict(raw, **{name: raw[name] - h})
        fd = (float(loss(up)) - float(loss(down))) / (2 * h)
        assert float(grads[name]) == pytest.approx(fd, rel=1e-5, abs=1e-9)


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

    # the marginal likelihood itself (recomputed independently with NumPy + scipy) went up
    def log_p(arch, noise, alpha, beta):
        k = fc_kernels_reference(x, x, architecture=arch)[0] + noise * np.eye(y.size)
        mvt = stats.multivariate_t(np.zeros(y.size), shape=beta / alpha * k, df=2 * alpha)
        return mvt.logpdf(y)

    before = log_p(ARCH, 1e-2, 2.0, 2.0)
    after = log_p(result.architecture, result.noise, result.alpha, result.beta)
    assert after > before
    assert -before / y.size == pytest.approx(result.losses[0], rel=1e-8)
    with pytest.raises(InputError, match="trainable: expected names from"):
        fit_hyperparameters(x, y, architecture=ARCH, trainable=("sigma",))

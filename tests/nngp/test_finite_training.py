"""Finite networks with σ² ~ IG(α, β) per network after **nonlinear** full gradient descent
(dense, against MVT_{2α}(μ_NTK, (β/α)Σ_NTK)), finite CNNs at initialisation and after
readout-only training (against the library's CNN NNGP), and finite CNNs after full gradient
descent (against the library's CNN NTK), brief 1.8 items 3-5 and 5.3 items 7-8.

The df tolerance is Monte Carlo: the spread of the maximum-likelihood df from the same number of
exact F(d, 2α) quadratic forms (a parametric bootstrap), so the checks are as tight as the
ensemble size allows; the fitted df must be within 4 spreads of 2α and more than 4 spreads away
from the Bayesian posterior's 2α + n. Given each network's σ², the outputs must also be
Gaussian with the limit's covariance (a sharper check of the kernel: with it the finite CNN
matches the CNN NNGP, mean q/d = 1.04 ± 0.02, and not the dense NNGP of the flattened image,
0.91). After full gradient descent the finite CNN (depth 1, 128 channels, 1000 networks)
matches the CNN NTK limit, q/d = 1.04 ± 0.03, and not the readout-only CNN NNGP limit, 1.37.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from powertail.errors import InputError
from powertail.nngp.finite_width import (
    conv_gradient_descent_ensemble,
    conv_readout_ensemble,
    fit_student_t_df,
    gradient_descent_ensemble,
    ntk_limit,
    student_t_limit,
)
from powertail.nngp.kernels import ConvFlatten, FullyConnected
from powertail.nngp.priors import InverseGamma

ALPHA = BETA = 2.0
PRIOR = InverseGamma(ALPHA, BETA)


def _df_spread(d: int, k: int, replicates: int = 40) -> float:
    """Standard deviation of the ML df from ``k`` exact MVT_{2α}(0, I_d) draws (parametric
    bootstrap of :func:`fit_student_t_df`)."""
    rng = np.random.default_rng(123)
    fits = []
    for _ in range(replicates):
        z = rng.standard_normal((k, d)) / np.sqrt(rng.gamma(ALPHA, 1 / ALPHA, size=(k, 1)))
        fits.append(fit_student_t_df(z, np.zeros(d), np.eye(d))[0])
    return float(np.std(fits, ddof=1))


def _assert_student_t(samples, mu, shape, n_train: int) -> dict[str, float]:
    d = len(mu)
    nu, q = fit_student_t_df(samples, mu, shape)
    spread = _df_spread(d, len(samples))
    out = {
        "nu": nu,
        "spread": spread,
        "p_limit": stats.kstest(q, stats.f(d, 2 * ALPHA).cdf).pvalue,
        "p_posterior": stats.kstest(q, stats.f(d, 2 * ALPHA + n_train).cdf).pvalue,
        "p_gauss": stats.kstest(q, stats.chi2(d, scale=1 / d).cdf).pvalue,
    }
    assert out["p_limit"] > 1e-3, out
    assert out["p_posterior"] < 1e-3 and out["p_gauss"] < 1e-6, out
    assert abs(nu - 2 * ALPHA) < 4 * spread < abs(nu - (2 * ALPHA + n_train)), out
    return out


def _chi2_given_scale(samples, scales, mu, shape) -> np.ndarray:
    """Given each network's σ², (f − μ)/σ ~ N(0, Σ) with Σ = (α/β)·shape: the quadratic forms,
    χ²_d if the limit is right."""
    white = np.linalg.solve(
        np.linalg.cholesky((ALPHA / BETA) * shape), ((samples - mu) / np.sqrt(scales)[:, None]).T
    )
    return np.sum(white**2, axis=0)


def _assert_gaussian_given_scale(samples, scales, mu, shape) -> None:
    """The quadratic forms of :func:`_chi2_given_scale` are χ²_d, a sharper check of the kernel
    than the mixture (their mean q/d has Monte Carlo standard deviation √(2/(dK)))."""
    d, k = len(mu), len(samples)
    q = _chi2_given_scale(samples, scales, mu, shape)
    assert stats.kstest(q, stats.chi2(d).cdf).pvalue > 1e-3
    assert abs(np.mean(q) / d - 1) < 4 * np.sqrt(2 / (d * k))


def _dense_problem(n: int = 5, m: int = 4, d: int = 8):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n + m, d))
    x *= np.sqrt(d) / np.linalg.norm(x, axis=1, keepdims=True)
    return x[:n], np.sin(2 * x[:n, 0]), x[n:]


@pytest.mark.parametrize(
    ("depth", "width", "networks"),
    [(1, 512, 1000), pytest.param(2, 512, 1000, marks=pytest.mark.slow)],
)
def test_nonlinear_gradient_descent_ensemble_tends_to_the_ntk_student_t(
    depth, width, networks
) -> None:
    arch = FullyConnected(depth=depth, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x_train, y_train, x_test = _dense_problem()
    out = gradient_descent_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=PRIOR,
        width=width,
        n_networks=networks,
        seed=1,
    )
    assert out.train_residual <= 1e-6 and out.steps < 20_000  # converged on the training points
    mu, shape, df = ntk_limit(x_train, y_train, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
    assert df == 2 * ALPHA
    _assert_student_t(out.trained, mu, shape, len(x_train))
    _assert_gaussian_given_scale(out.trained, out.scales, mu, shape)
    mu0, shape0, _ = student_t_limit(None, None, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
    _assert_student_t(out.initial, mu0, shape0, len(x_train))
    _assert_gaussian_given_scale(out.initial, out.scales, mu0, shape0)


def _numpy_descent(x, y, scale, w, b, v, steps, sw2, sb2):
    """Explicit gradient descent of one ReLU network f = σ/√N V·relu(σ_w/√d W x + σ_b b) in all
    parameters, with η = 1/λ_max of the empirical NTK J Jᵀ at initialisation."""
    d, width = w.shape
    sigma = np.sqrt(scale)

    def outputs_and_jacobian(w, b, v):
        z = np.sqrt(sw2 / d) * x @ w + np.sqrt(sb2) * b
        h, g = np.maximum(z, 0), (z > 0) * v
        f = sigma / np.sqrt(width) * h @ v
        jw = sigma / np.sqrt(width) * np.sqrt(sw2 / d) * x[:, :, None] * g[:, None, :]
        jb = sigma / np.sqrt(width) * np.sqrt(sb2) * g
        jv = sigma / np.sqrt(width) * h
        return f, np.concatenate([jw.reshape(len(x), -1), jb, jv], axis=1)

    _, jac = outputs_and_jacobian(w, b, v)
    eta = 1.0 / np.linalg.eigvalsh(jac @ jac.T)[-1]
    theta = np.concatenate([w.ravel(), b, v])
    for _ in range(steps):
        f, jac = outputs_and_jacobian(w, b, v)
        theta = theta - eta * jac.T @ (f - y)
        w, b, v = theta[: d * width].reshape(d, width), theta[d * width : -width], theta[-width:]
    return w, b, v


def test_gradient_descent_equals_explicit_numpy_descent() -> None:
    arch = FullyConnected(depth=1, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x_train, y_train, x_test = _dense_problem(n=3, m=2, d=3)
    width, steps = 16, 25
    out = gradient_descent_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=PRIOR,
        width=width,
        n_networks=2,
        seed=4,
        tolerance=1e-300,
        max_steps=steps,
    )
    assert out.steps == steps
    one_by_one = gradient_descent_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=PRIOR,
        width=width,
        n_networks=2,
        seed=4,
        tolerance=1e-300,
        max_steps=steps,
        chunk=1,
    )
    assert np.allclose(one_by_one.trained, out.trained, atol=1e-12)  # chunking changes nothing
    # the same draws in the same order: σ² for all networks, then W, b, V per network
    rng = np.random.default_rng(4)
    scales = PRIOR.sample(rng, 2)
    w_all, b_all, v_all = [], [], []
    for _ in range(2):
        w_all.append(rng.standard_normal((3, width)))
        b_all.append(rng.standard_normal(width))
        v_all.append(rng.standard_normal(width))
    x = np.vstack([x_train, x_test])
    for k in range(2):
        w, b, v = _numpy_descent(
            x_train, y_train, scales[k], w_all[k], b_all[k], v_all[k], steps, 2.0, 0.1
        )
        z = np.sqrt(2.0 / 3) * x_test @ w + np.sqrt(0.1) * b
        f = np.sqrt(scales[k] / width) * np.maximum(z, 0) @ v
        assert np.allclose(f, out.trained[k], atol=1e-10)
        z0 = np.sqrt(2.0 / 3) * x @ w_all[k] + np.sqrt(0.1) * b_all[k]
        f0 = np.sqrt(scales[k] / width) * np.maximum(z0, 0) @ v_all[k]
        assert np.allclose(f0[3:], out.initial[k], atol=1e-12)


def _images(n: int = 5, m: int = 4, side: int = 8):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n + m, side, side, 1))
    return x[:n], np.tanh(4 * x[:n].mean(axis=(1, 2, 3))), x[n:]


@pytest.mark.parametrize(
    ("depth", "channels", "networks"),
    [(1, 128, 1000), pytest.param(2, 128, 1000, marks=pytest.mark.slow)],
)
def test_conv_ensemble_matches_the_cnn_nngp_student_t(depth, channels, networks) -> None:
    arch = ConvFlatten(depth=depth, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x_train, y_train, x_test = _images()
    out = conv_readout_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=PRIOR,
        channels=channels,
        n_networks=networks,
        seed=1,
    )
    assert out.train_residual < 1e-8
    for xt, yt, f in ((None, None, out.initial), (x_train, y_train, out.trained)):
        mu, shape, df = student_t_limit(xt, yt, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
        assert df == 2 * ALPHA
        _assert_student_t(f, mu, shape, len(x_train))
        _assert_gaussian_given_scale(f, out.scales, mu, shape)


def test_finite_training_rejects_bad_input() -> None:
    arch = FullyConnected(depth=1)
    x_train, y_train, x_test = _dense_problem()
    with pytest.raises(InputError, match="max_steps"):
        gradient_descent_ensemble(
            x_train,
            y_train,
            x_test,
            architecture=arch,
            prior=PRIOR,
            width=8,
            n_networks=2,
            seed=0,
            max_steps=0,
        )
    with pytest.raises(InputError, match="architecture"):
        conv_readout_ensemble(
            x_train,
            y_train,
            x_test,
            architecture=arch,
            prior=PRIOR,
            channels=8,
            n_networks=2,
            seed=0,
        )
    with pytest.raises(InputError, match="images"):
        conv_readout_ensemble(
            x_train,
            y_train,
            x_test,
            architecture=ConvFlatten(),
            prior=PRIOR,
            channels=8,
            n_networks=2,
            seed=0,
        )


def _conv_problem(n: int = 5, m: int = 3, side: int = 5):
    """Small one-channel images; targets scaled to standard deviation 2, so that at the test
    points the NTK limit (all layers trained) and the NNGP limit (readout only) are far apart."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n + m, side, side, 1))
    y = np.tanh(4 * x[:n].mean(axis=(1, 2, 3)))
    return x[:n], 2 * y / np.std(y), x[n:]


@pytest.mark.parametrize(
    ("depth", "channels", "networks"),
    [(1, 128, 1000), pytest.param(2, 256, 1000, marks=pytest.mark.slow)],
)
def test_conv_gradient_descent_ensemble_tends_to_the_cnn_ntk_student_t(
    depth, channels, networks
) -> None:
    arch = ConvFlatten(depth=depth, activation="relu", weight_variance=2.0, bias_variance=0.1)
    x_train, y_train, x_test = _conv_problem()
    out = conv_gradient_descent_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=PRIOR,
        channels=channels,
        n_networks=networks,
        seed=1,
    )
    assert out.train_residual <= 1e-6 and out.steps < 20_000  # converged on the training points
    mu, shape, df = ntk_limit(x_train, y_train, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
    assert df == 2 * ALPHA
    _assert_student_t(out.trained, mu, shape, len(x_train))
    _assert_gaussian_given_scale(out.trained, out.scales, mu, shape)
    # the readout-only limit (CNN NNGP) is far off: full training follows the CNN NTK
    d, sd = len(mu), np.sqrt(2 / (len(mu) * networks))
    mu_r, shape_r, _ = student_t_limit(
        x_train, y_train, x_test, architecture=arch, alpha=ALPHA, beta=BETA
    )
    q_ntk = np.mean(_chi2_given_scale(out.trained, out.scales, mu, shape)) / d
    q_nngp = np.mean(_chi2_given_scale(out.trained, out.scales, mu_r, shape_r)) / d
    assert abs(q_ntk - 1) < 4 * sd < q_nngp - 1 - 4 * sd, (q_ntk, q_nngp, sd)
    # at initialisation: the CNN NNGP Student-t, as for conv_readout_ensemble
    mu0, shape0, _ = student_t_limit(None, None, x_test, architecture=arch, alpha=ALPHA, beta=BETA)
    _assert_student_t(out.initial, mu0, shape0, len(x_train))
    _assert_gaussian_given_scale(out.initial, out.scales, mu0, shape0)
    readout = conv_readout_ensemble(
        x_train,
        y_train,
        x_test,
        architecture=arch,
        prior=PRIOR,
        channels=channels,
        n_networks=networks,
        seed=2,
        steps=0,
    )
    q_gd = _chi2_given_scale(out.initial, out.scales, mu0, shape0)
    q_readout = _chi2_given_scale(readout.initial, readout.scales, mu0, shape0)
    assert stats.ks_2samp(q_gd, q_readout).pvalue > 1e-3
    assert stats.ks_2samp(out.initial[:, 0], readout.initial[:, 0]).pvalue > 1e-3


def _numpy_conv_descent(x, y, scale, w, b, v, steps, sw2, sb2):
    """Explicit gradient descent of one CNN f = σ/√(PC) Σ_pc V_pc relu(z_pc),
    z_pc = σ_w/√(9C₀) Σ_(i,j,c') W_(i,j,c'),c x_(p+(i-1,j-1)),c' + σ_b b_c (zero padding), in all
    parameters with η = 1/λ_max of the empirical NTK J Jᵀ at initialisation. Returns the
    parameters and a function giving the outputs at any images."""
    n_img, height, width, c0 = x.shape
    channels = w.shape[1]
    sigma, norm = np.sqrt(scale), np.sqrt(height * width * channels)

    def patches(imgs):
        out = np.zeros((len(imgs), height * width, 9 * c0))
        for r in range(height):
            for c in range(width):
                for i in range(3):
                    for j in range(3):
                        rr, cc = r + i - 1, c + j - 1
                        if 0 <= rr < height and 0 <= cc < width:
                            k = (3 * i + j) * c0
                            out[:, r * width + c, k : k + c0] = imgs[:, rr, cc, :]
        return out

    def forward(imgs, w, b, v):
        p = patches(imgs)
        z = np.sqrt(sw2 / (9 * c0)) * p @ w + np.sqrt(sb2) * b  # (n, P, C)
        f = sigma / norm * np.einsum("npc,pc->n", np.maximum(z, 0), v.reshape(-1, channels))
        return p, z, f

    def outputs_and_jacobian(w, b, v):
        p, z, f = forward(x, w, b, v)
        g = (z > 0) * v.reshape(-1, channels)  # V_pc relu'(z_pc)
        jw = sigma / norm * np.sqrt(sw2 / (9 * c0)) * np.einsum("npk,npc->nkc", p, g)
        jb = sigma / norm * np.sqrt(sb2) * g.sum(axis=1)
        jv = sigma / norm * np.maximum(z, 0).reshape(n_img, -1)
        return f, np.concatenate([jw.reshape(n_img, -1), jb, jv], axis=1)

    _, jac = outputs_and_jacobian(w, b, v)
    eta = 1.0 / np.linalg.eigvalsh(jac @ jac.T)[-1]
    theta = np.concatenate([w.ravel(), b, v])
    for _ in range(steps):
        f, jac = outputs_and_jacobian(w, b, v)
        theta = theta - eta * jac.T @ (f - y)
        w = theta[: w.size].reshape(w.shape)
        b, v = theta[w.size : w.size + channels], theta[w.size + channels :]
    return lambda imgs: forward(imgs, w, b, v)[2]


def test_conv_gradient_descent_equals_explicit_numpy_descent() -> None:
    arch = ConvFlatten(depth=1, activation="relu", weight_variance=2.0, bias_variance=0.1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 4, 2))  # two input channels: checks the patch ordering
    x_train, y_train, x_test = x[:3], np.array([0.5, -1.0, 0.3]), x[3:]
    channels, steps = 3, 25
    kwargs = {
        "architecture": arch,
        "prior": PRIOR,
        "channels": channels,
        "n_networks": 2,
        "seed": 4,
        "tolerance": 1e-300,
        "max_steps": steps,
    }
    out = conv_gradient_descent_ensemble(x_train, y_train, x_test, **kwargs)
    assert out.steps == steps
    one_by_one = conv_gradient_descent_ensemble(x_train, y_train, x_test, chunk=1, **kwargs)
    assert np.allclose(one_by_one.trained, out.trained, atol=1e-12)  # chunking changes nothing
    # the same draws in the same order: σ² for all networks, then W, b, V per network
    draws = np.random.default_rng(4)
    scales = PRIOR.sample(draws, 2)
    params = [
        (
            draws.standard_normal((18, channels)),
            draws.standard_normal(channels),
            draws.standard_normal(16 * channels),
        )
        for _ in range(2)
    ]
    for k, (w, b, v) in enumerate(params):
        initial = _numpy_conv_descent(x_train, y_train, scales[k], w, b, v, 0, 2.0, 0.1)
        assert np.allclose(initial(x_test), out.initial[k], atol=1e-12)
        trained = _numpy_conv_descent(x_train, y_train, scales[k], w, b, v, steps, 2.0, 0.1)
        assert np.allclose(trained(x_test), out.trained[k], atol=1e-10)
        assert not np.allclose(trained(x_test), initial(x_test), atol=1e-3)  # training moved f


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"architecture": FullyConnected(depth=1)}, "architecture: expected a ConvFlatten"),
        ({"channels": 0}, "channels"),
        ({"n_networks": 2.0}, "n_networks"),
        ({"max_steps": 0}, "max_steps"),
        ({"chunk": 0}, "chunk"),
        ({"step_fraction": 2.0}, "step_fraction"),
        ({"tolerance": 0.0}, "tolerance"),
        ({"x_test": np.zeros((2, 4, 4, 2))}, "images"),
        ({"x_train": np.zeros((3, 5, 5))}, "images"),
        ({"y_train": np.zeros(4)}, "images"),
        ({"y_train": np.array([0.0, np.nan, 1.0])}, "finite"),
    ],
)
def test_conv_gradient_descent_rejects_bad_input(change, match) -> None:
    rng = np.random.default_rng(0)
    kwargs = {
        "x_train": rng.standard_normal((3, 5, 5, 1)),
        "y_train": np.zeros(3),
        "x_test": rng.standard_normal((2, 5, 5, 1)),
        "architecture": ConvFlatten(),
        "prior": PRIOR,
        "channels": 4,
        "n_networks": 2,
        "seed": 0,
    } | change
    with pytest.raises(InputError, match=match) as info:
        conv_gradient_descent_ensemble(**kwargs)
    assert "\n" not in str(info.value)

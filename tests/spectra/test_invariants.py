"""Synthetic invariants of brief §5.3: each compared with theory or an independent generator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from powertail.spectra import (
    analyze,
    bbp_spike_location,
    esd_from_matrices,
    layer_metrics,
    mp_edges,
)
from powertail.spectra.esd import Esd


def _row(w, **options):
    return analyze({"w": w}, **options).layers.iloc[0]


def test_scale_invariance():
    w = np.random.default_rng(0).standard_t(2.5, size=(500, 200))
    a, b = _row(w), _row(3.0 * w)
    for col in ("alpha", "D", "num_pl_spikes", "erg_num", "erg_delta", "num_spikes"):
        assert b[col] == pytest.approx(a[col], rel=1e-9), col
    assert b["lambda_max"] == pytest.approx(9 * a["lambda_max"], rel=1e-12)
    assert b["log_norm"] == pytest.approx(a["log_norm"] + 2 * math.log10(3), rel=1e-12)
    assert b["alpha_weighted"] == pytest.approx(
        a["alpha_weighted"] + 2 * a["alpha"] * math.log10(3), rel=1e-9
    )


def test_gaussian_matrix_is_random_like():
    n, m = 1000, 500
    w = np.random.default_rng(1).normal(size=(n, m)) / math.sqrt(n)
    row = _row(w, randomize=True)
    edge = mp_edges(m / n)[1]
    assert 2.80 < row["lambda_max"] < edge  # brief: 2.84-2.86 vs MP edge 2.914
    assert row["alpha"] > 6 and row["warning"] == "under-trained" and not row["reliable"]
    assert row["num_spikes"] == 0 and row["rand_num_spikes"] == 0
    assert row["sigma_mp"] == pytest.approx(1.0, abs=0.03)
    assert 0.7 < row["erg_num"] / m < 0.9  # brief: ERG tail ~80 % of the eigenvalues


@pytest.mark.parametrize(("alpha", "tol"), [(1.5, 0.08), (2.0, 0.1), (3.0, 0.3), (4.0, 0.45)])
def test_exact_pareto_spectrum(alpha, tol):
    # Eigenvalues drawn with density ~ lambda^-alpha, lambda >= 1 (inverse CDF), n = 1000.
    u = 1.0 - np.random.default_rng(int(alpha * 10)).random(1000)
    lam = np.sort(u ** (-1.0 / (alpha - 1.0)))
    lam.setflags(write=False)
    esd = Esd(lam, 0, 0.0, float(lam.sum()), 1000, 1000, 1, "none", 1.0)
    row = layer_metrics(esd)
    assert row["alpha"] == pytest.approx(alpha, abs=tol)


@pytest.mark.parametrize(
    ("mu", "low", "high", "delta_sign"), [(1.0, 1.35, 1.6, -1), (3.0, 3.0, 30, 1)]
)
def test_pareto_entry_matrices(mu, low, high, delta_sign):
    # |W_ij| = 1 + Pareto(mu), random sign; alpha ~ mu/2 + 1 for mu < 2; Delta lambda_min sign
    rng = np.random.default_rng(7)
    w = (1 + rng.pareto(mu, size=(1000, 500))) * rng.choice([-1.0, 1.0], size=(1000, 500))
    row = _row(w)
    assert low < row["alpha"] < high
    assert np.sign(row["erg_delta"]) == delta_sign


@pytest.mark.parametrize("theta", [3.0, 10.0])
def test_bbp_spike_is_not_a_heavy_tail_and_not_a_trap(theta):
    n, m = 1000, 500
    rng = np.random.default_rng(8)
    u = rng.normal(size=n)
    v = rng.normal(size=m)
    w = rng.normal(size=(n, m)) / math.sqrt(n) + theta * np.outer(
        u / np.linalg.norm(u), v / np.linalg.norm(v)
    )
    row = _row(w, randomize=True)
    assert row["lambda_max"] == pytest.approx(bbp_spike_location(theta, m / n), rel=0.04)
    assert row["num_spikes"] == 1  # the MP fit sees bulk + one spike ...
    assert row["D"] > 0.1 and row["alpha"] > 3.5  # ... and the PL fit is poor (brief: D > 0.1)
    assert row["rand_num_spikes"] == 0  # the diffuse spike does not survive shuffling


def test_correlation_traps_survive_shuffling():
    n, m = 1000, 500
    rng = np.random.default_rng(9)
    g = rng.normal(size=(n, m)) / math.sqrt(n)
    big = g.copy()
    big[0, 0] = 5.0
    row = _row(big, randomize=True)
    assert row["lambda_max"] == pytest.approx(25.0, rel=0.1)  # brief: 26.5
    assert row["rand_lambda_max"] == pytest.approx(25.0, rel=0.1) and row["rand_num_spikes"] >= 1
    shifted = _row(g + 0.01, randomize=True)
    assert shifted["rand_lambda_max"] == pytest.approx(n * m * 0.01**2, rel=0.1)  # ~50
    assert shifted["rand_num_spikes"] >= 1


def test_gram_and_svd_paths_agree_for_conv_stacks():
    w = np.random.default_rng(10).normal(size=(9, 64, 32))
    esd = esd_from_matrices(w)
    ref = np.sort((np.linalg.svd(w, compute_uv=False) ** 2).ravel())
    assert np.max(np.abs(esd.eigenvalues - ref)) <= 1e-12 * ref[-1]

"""fit_power_law: recovery of known exponents, exact KS variants, invariances, model methods."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from powertail.tails import fit_power_law
from powertail.tails._ks import CandidateModels, ks_extremes

from ._samples import body_and_tail, pareto

ALPHAS = (1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
SEEDS = (0, 1, 2)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("seed", SEEDS)
def test_recovers_alpha_with_known_xmin(alpha: float, seed: int) -> None:
    x = pareto(3000, alpha, xmin=2.0, seed=seed)
    fit = fit_power_law(x, xmin=2.0)
    assert fit.n_tail == 3000
    assert fit.sigma == pytest.approx((fit.alpha - 1) / np.sqrt(3000))
    assert abs(fit.alpha - alpha) < 3 * fit.sigma


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("seed", SEEDS)
def test_recovers_alpha_with_xmin_scan(alpha: float, seed: int) -> None:
    x = pareto(3000, alpha, xmin=2.0, seed=100 + seed)
    fit = fit_power_law(x)
    assert fit.xmin >= 2.0
    assert abs(fit.alpha - alpha) < 3 * fit.sigma


@pytest.mark.parametrize("seed", SEEDS)
def test_scan_finds_the_start_of_the_tail_above_a_lognormal_body(seed: int) -> None:
    x = body_and_tail(3000, 3000, 2.5, xmin=1.0, seed=seed)
    fit = fit_power_law(x)
    assert 0.95 < fit.xmin < 1.5
    assert abs(fit.alpha - 2.5) < 3 * fit.sigma


def test_closed_form_at_fixed_xmin_between_data_points() -> None:
    x = pareto(500, 2.5, seed=3)
    xmin = float(np.sort(x)[100] * 0.999)  # not a data value
    tail = x[x >= xmin]
    fit = fit_power_law(x, xmin=xmin)
    assert fit.fixed_xmin
    assert fit.n_tail == tail.size
    assert fit.alpha == pytest.approx(1 + tail.size / np.sum(np.log(tail / xmin)), rel=1e-12)
    np.testing.assert_array_equal(fit.xmin_candidates, [xmin])


def _slow_ww(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WeightWatcher 0.7.5.5 WWFit loop, re-implemented from its description (brief sec. 2.2)."""
    xs = np.sort(x)
    n = xs.size
    alphas, dists = [], []
    for i in range(n - 1):
        k = n - i
        a = 1 + k / (np.sum(np.log(xs[i:])) - k * np.log(xs[i]))
        if a > 1:
            cdf = 1 - (xs[i:] / xs[i]) ** (1 - a)
            d = np.max(np.abs(cdf - np.arange(k) / k))
        else:
            d = 1.0
        alphas.append(a)
        dists.append(d)
    return np.array(alphas), np.array(dists)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("rounded", [False, True])
def test_ww_mode_matches_direct_loop(seed: int, rounded: bool) -> None:
    x = body_and_tail(150, 150, 2.3, seed=seed)
    if rounded:  # duplicates: WW keeps every index as a candidate
        x = np.round(x, 2) + 0.01
    alphas, dists = _slow_ww(x)
    fit = fit_power_law(x, ks="ww", min_tail=2)
    finite = np.isfinite(alphas)
    np.testing.assert_allclose(fit.alpha_curve[finite], alphas[finite], rtol=1e-12)
    np.testing.assert_allclose(fit.D_curve[finite], dists[finite], rtol=0, atol=1e-12)
    best = int(np.argmin(np.where(finite, dists, np.inf)))
    assert fit.xmin == np.sort(x)[best]
    assert fit.alpha == pytest.approx(alphas[best], rel=1e-12)
    assert fit.D == pytest.approx(dists[best], abs=1e-12)


def _slow_distinct(x: np.ndarray, ks: str, min_tail: int) -> tuple[np.ndarray, np.ndarray]:
    """KS over distinct tail values, written directly from the definitions."""
    xs = np.sort(x)
    dists = []
    cands = [v for v in np.unique(xs) if np.sum(xs >= v) >= min_tail]
    for v in cands:
        tail = xs[xs >= v]
        k = tail.size
        a = 1 + k / np.sum(np.log(tail / v))
        vals = np.unique(tail)
        below = np.array([np.sum(tail < u) for u in vals]) / k
        upto = np.array([np.sum(tail <= u) for u in vals]) / k
        cdf = 1 - (vals / v) ** (1 - a)
        if ks == "two-sided":
            d = max(np.max(cdf - below), np.max(upto - cdf))
        else:
            d = np.max(np.abs(cdf - below))
        dists.append(d)
    return np.array(cands), np.array(dists)


@pytest.mark.parametrize("ks", ["two-sided", "powerlaw"])
@pytest.mark.parametrize("rounded", [False, True])
def test_distinct_value_modes_match_definition(ks: str, rounded: bool) -> None:
    x = body_and_tail(120, 180, 2.0, seed=7)
    if rounded:
        x = np.round(x, 1) + 0.1
    cands, dists = _slow_distinct(x, ks, min_tail=3)
    fit = fit_power_law(x, ks=ks, min_tail=3)
    np.testing.assert_array_equal(fit.xmin_candidates, cands)
    ok = np.isfinite(fit.D_curve)
    np.testing.assert_allclose(fit.D_curve[ok], dists[ok], rtol=0, atol=1e-12)
    assert fit.D == pytest.approx(np.nanmin(dists[ok]), abs=1e-12)


def test_two_sided_distance_is_at_least_the_left_limit_distance() -> None:
    x = pareto(800, 2.2, seed=4)
    two = fit_power_law(x, ks="two-sided")
    left = fit_power_law(x, ks="powerlaw")
    np.testing.assert_array_equal(two.xmin_candidates, left.xmin_candidates)
    assert np.all(two.D_curve >= left.D_curve - 1e-15)
    assert np.all(two.D_curve <= left.D_curve + 1.0 / two.n_tail_curve + 1e-15)


def test_block_size_does_not_change_the_scan() -> None:
    x = pareto(700, 2.4, seed=8)
    xs = np.sort(x)
    lv = np.log(xs)
    k = xs.size - np.arange(xs.size - 5)
    suffix = np.cumsum(lv[::-1])[::-1][: k.size]
    beta = k / (suffix - k * lv[: k.size])
    models = CandidateModels(
        col_start=np.arange(k.size),
        log_xmin=lv[: k.size],
        k=k.astype(float),
        s=np.arange(k.size, dtype=float),
        beta=beta,
        omega=np.zeros(k.size),
        sigma=np.zeros(k.size),
        rho=-np.ones(k.size),
    )
    lo = np.arange(xs.size, dtype=float)
    big = ks_extremes(lv, lo, lo + 1, models)
    small = ks_extremes(lv, lo, lo + 1, models, block_elements=97)
    np.testing.assert_allclose(small.a_max, big.a_max, atol=1e-13)
    np.testing.assert_allclose(small.a_min, big.a_min, atol=1e-13)


@pytest.mark.parametrize("ks", ["two-sided", "powerlaw", "ww"])
def test_scale_invariance(ks: str) -> None:
    x = body_and_tail(400, 400, 2.6, seed=5)
    base = fit_power_law(x, ks=ks)
    for c in (1e-6, 3.7, 1e8):
        scaled = fit_power_law(c * x, ks=ks)
        assert scaled.alpha == pytest.approx(base.alpha, rel=1e-9)
        assert scaled.xmin == pytest.approx(c * base.xmin, rel=1e-12)
        assert scaled.D == pytest.approx(base.D, abs=1e-9)
        assert scaled.n_tail == base.n_tail


def test_order_of_the_data_does_not_matter() -> None:
    x = pareto(500, 2.0, seed=6)
    a = fit_power_law(x)
    b = fit_power_law(np.random.default_rng(0).permutation(x))
    assert (a.alpha, a.xmin, a.D) == (b.alpha, b.xmin, b.D)


def test_min_tail_and_xmin_range_restrict_candidates() -> None:
    x = pareto(400, 2.5, seed=9)
    fit = fit_power_law(x, min_tail=50)
    assert fit.n_tail_curve.min() >= 50
    assert fit.n_tail >= 50
    lo, hi = np.quantile(x, [0.2, 0.6])
    ranged = fit_power_law(x, xmin_range=(lo, hi))
    assert np.all((ranged.xmin_candidates >= lo) & (ranged.xmin_candidates <= hi))
    assert lo <= ranged.xmin <= hi


def test_result_is_frozen_and_curves_read_only() -> None:
    fit = fit_power_law(pareto(200, 2.5, seed=1))
    with pytest.raises(AttributeError):
        fit.alpha = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        fit.D_curve[0] = 0.0


@pytest.mark.parametrize("xmax", [None, 40.0])
def test_pdf_cdf_and_loglikelihood_are_consistent(xmax: float | None) -> None:
    x = pareto(2000, 2.3, seed=11)
    fit = fit_power_law(x, xmin=1.5, xmax=xmax)
    upper = np.inf if xmax is None else xmax
    total, _ = integrate.quad(lambda t: float(fit.pdf(t)), fit.xmin, upper, limit=200)
    assert total == pytest.approx(1.0, rel=1e-8)
    for t in (2.0, 5.0, 20.0):
        part, _ = integrate.quad(lambda s: float(fit.pdf(s)), fit.xmin, t, limit=200)
        assert float(fit.cdf(t)) == pytest.approx(part, rel=1e-8)
        assert float(fit.ccdf(t)) == pytest.approx(1 - part, rel=1e-7)
    assert float(fit.cdf(0.5)) == 0.0
    assert float(fit.pdf(0.5)) == 0.0
    assert fit.loglikelihood == pytest.approx(fit.loglikelihoods(x).sum(), rel=1e-10)


@pytest.mark.parametrize("ks", ["two-sided", "powerlaw", "ww"])
@pytest.mark.parametrize("case", ["pareto", "ties", "xmax", "body"])
def test_pruned_scan_equals_dense_scan(ks: str, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The branch-and-bound KS scan must return exactly what the dense scan returns."""
    import powertail.tails._ks as ks_module
    import powertail.tails.powerlaw as pl_module

    x = {
        "pareto": pareto(3000, 2.2, seed=12),
        "ties": np.round(body_and_tail(1500, 1500, 2.5, seed=13), 2) + 0.01,
        "xmax": pareto(3000, 1.6, seed=14),
        "body": body_and_tail(2000, 1000, 3.0, seed=15),
    }[case]
    xmax = 50.0 if case == "xmax" else None
    pruned = fit_power_law(x, ks=ks, xmax=xmax, min_tail=2)

    def dense(*args, **kwargs):  # type: ignore[no-untyped-def]
        return ks_module.ks_extremes(*args, **kwargs, prune=False)

    monkeypatch.setattr(pl_module, "ks_extremes", dense)
    full = fit_power_law(x, ks=ks, xmax=xmax, min_tail=2)
    np.testing.assert_allclose(pruned.D_curve, full.D_curve, rtol=0, atol=1e-13)
    assert (pruned.xmin, pruned.alpha) == (full.xmin, full.alpha)

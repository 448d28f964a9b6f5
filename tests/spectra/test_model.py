"""ERG / TRACE-LOG, MP law, BBP, JS distances and free cumulants against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.spatial.distance import jensenshannon
from scipy.special import comb

from powertail.errors import InputError
from powertail.spectra import (
    delta_lambda_min,
    erg_crossing,
    free_cumulants,
    histogram_jsd,
    mp_cdf,
    mp_edges,
    mp_median,
    quantile_js_distance,
)


def test_erg_unit_case_from_the_brief():
    # top-down cumulative log-sums 2.5, 3.5, 3.5, 2.5, 0.5, -2.5: crossing at e^-3, erg_num 6
    lam = np.exp([-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.5])
    erg = erg_crossing(lam, rescale=False)
    np.testing.assert_allclose(erg.log_sums[:6], [2.5, 3.5, 3.5, 2.5, 0.5, -2.5], atol=1e-12)
    assert (erg.crossed, erg.num) == (True, 6)
    assert erg.lambda_min == pytest.approx(math.exp(-3.0))
    shuffled = np.random.default_rng(0).permutation(lam)
    assert erg_crossing(shuffled, rescale=False).num == 6


def test_erg_weightwatcher_toy_and_no_crossing():
    toy = np.concatenate([np.zeros(90), np.ones(10)])
    assert erg_crossing(toy, rescale=False).num == 11  # WW tests: detX_num 11, idx 89
    flat = erg_crossing(np.ones(50))
    assert not flat.crossed and flat.num == 0 and math.isnan(flat.lambda_min)


def test_erg_crossing_at_the_smallest_eigenvalue_is_found():
    lam = np.array([0.5, 1.1, 1.2])  # sums ln: 0.18, 0.28, -0.41 -> crosses at the last one
    erg = erg_crossing(lam, rescale=False)
    assert (erg.num, erg.lambda_min) == (3, 0.5)


def test_erg_is_scale_invariant_and_matches_the_product_without_overflow():
    rng = np.random.default_rng(1)
    lam = 10 ** rng.uniform(-5, 5, size=100_000)  # 10 decades: the plain product overflows
    a, b = erg_crossing(lam), erg_crossing(lam * 1e7)
    assert a.num == b.num and a.lambda_min_normalized == pytest.approx(b.lambda_min_normalized)
    small = rng.uniform(0.2, 3.0, size=40)
    erg = erg_crossing(small)
    desc = np.sort(small)[::-1] * small.size / small.sum()
    products = np.cumprod(desc)
    assert erg.num == int(np.flatnonzero(products < 1)[0]) + 1


def _mp_density(x, c):
    lo, hi = mp_edges(c)
    return np.sqrt(np.clip((hi - x) * (x - lo), 0, None)) / (2 * np.pi * c * x)


@pytest.mark.parametrize("c", [0.25, 0.5, 1.0])
def test_mp_cdf_and_median_against_direct_quadrature_and_monte_carlo(c):
    lo, hi = mp_edges(c)
    x = lo + 0.37 * (hi - lo)
    direct, _ = integrate.quad(_mp_density, max(lo, 1e-12), x, args=(c,), limit=400)
    assert mp_cdf(x, c) == pytest.approx(direct, abs=1e-6)
    assert mp_cdf(hi, c) == 1.0
    rng = np.random.default_rng(2)
    n = 800
    m = int(c * n)
    w = rng.normal(size=(n, m)) / math.sqrt(n)
    evals = np.linalg.eigvalsh(w.T @ w)
    assert np.median(evals) == pytest.approx(mp_median(c), rel=0.02)


def test_free_cumulants_of_marchenko_pastur_are_powers_of_c():
    # MP(c) moments are Narayana polynomials; its free cumulants are c^(k-1).
    c = 0.3

    def narayana_moment(k):
        return sum(comb(k, j) * comb(k, j - 1) / k * c ** (j - 1) for j in range(1, k + 1))

    moments = [narayana_moment(k) for k in range(1, 6)]
    np.testing.assert_allclose(free_cumulants(moments), c ** np.arange(5), rtol=1e-12)
    # semicircle: m = (0, 1, 0, 2, 0) -> kappa = (0, 1, 0, 0, 0)
    np.testing.assert_allclose(free_cumulants([0, 1, 0, 2, 0]), [0, 1, 0, 0, 0], atol=1e-14)


def test_js_distances():
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(size=300), rng.lognormal(1.0, size=300)
    assert quantile_js_distance(a, b) == pytest.approx(
        jensenshannon(np.sort(a) / a.sum(), np.sort(b) / b.sum())
    )
    assert histogram_jsd(a, a) == 0.0
    assert histogram_jsd(np.full(10, 1.0), np.full(10, 1e6) + np.arange(10)) == pytest.approx(1.0)
    with pytest.raises(InputError, match="expected equally long eigenvalue vectors"):
        quantile_js_distance(a, b[:10])


def test_delta_lambda_min_reproduces_the_falcon_7b_row():
    # SETOL_experiments Falcon-7B h.0 query_key_value (brief §5.2): M 4544, log_norm 4.1242,
    # xmin 20.285, normalised ERG cut-off 0.2177 -> detX_delta 6.707 (4 significant digits).
    scale = 4544 / 10**4.1242
    assert delta_lambda_min(20.285, scale, 0.2177) == pytest.approx(6.707, abs=2e-3)

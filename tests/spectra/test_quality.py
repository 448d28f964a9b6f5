"""SETOL quality estimates against their closed forms on hand-made tails."""

from __future__ import annotations

import math

import numpy as np
import pytest

from powertail.spectra import (
    quality_cumulant,
    quality_inverse_mp,
    quality_levy_wigner,
    quality_tail_norm,
)


def test_quality_formulas_on_a_constant_tail():
    ecs = np.full(12, 2.0)
    assert quality_tail_norm(ecs) == 24.0
    # (1/M) sum lambda^(alpha-1) = 2^(alpha-1)
    assert quality_levy_wigner(ecs, alpha=3.5) == pytest.approx(2.5 * math.log10(2.0))
    # kappa = alpha/2; sum ln(2/0.5) = 12 ln 4
    assert quality_inverse_mp(ecs, alpha=3.0, lambda_min=0.5) == pytest.approx(
        1.5 * 12 * math.log(4)
    )
    assert math.isnan(quality_cumulant(ecs))  # no spread


def test_levy_wigner_is_dominated_by_lambda_max_and_does_not_overflow():
    ecs = np.array([1.0, 2.0, 1e300])
    expected = 2.0 * 300 - math.log10(3)  # log10(1e600 / 3)
    assert quality_levy_wigner(ecs, alpha=3.0) == pytest.approx(expected, rel=1e-12)


def test_cumulant_quality_of_a_symmetric_tail():
    # Standardised symmetric values: m1 = 0, m2 = 1, m3 = 0 -> kappa = (0, 1, 0, m4 - 2, 0).
    ecs = np.array([1.0, 2.0, 3.0, 4.0])
    x = (ecs - ecs.mean()) / ecs.std()
    m4 = np.mean(x**4)
    z = ecs / ecs.size
    expected = np.sum(z**2) / 2 + (m4 - 2) / 4 * np.sum(z**4)
    assert quality_cumulant(ecs) == pytest.approx(expected, rel=1e-12)

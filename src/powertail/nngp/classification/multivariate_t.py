r"""A correct multivariate Student-t sampler (brief section 1.6, "Sampler bug in the official
code").

:math:`x \sim MVT_\nu(\mu, \Sigma)` is a Gaussian scale mixture with **one** scale per draw:

.. math::

    z \sim N(0, I),\quad g \sim \mathrm{Gamma}(\nu/2,\ \text{rate}\ \nu/2),\quad
    x = \mu + L z/\sqrt g,\quad LL^T = \Sigma,

so :math:`\mathrm{Cov}\,x = \frac{\nu}{\nu-2}\Sigma` for :math:`\nu > 2` and
:math:`(x-\mu)^T\Sigma^{-1}(x-\mu)/d \sim F(d, \nu)`. The official ``spax.utils.multivariate_t``
draws an independent univariate t per coordinate and then multiplies by :math:`L`: its
coordinates are uncorrelated in the scale, which is not a multivariate t (its quadratic form is
not F-distributed). :func:`independent_t_then_cholesky` reproduces that construction for tests.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError

__all__ = ["independent_t_then_cholesky", "sample_multivariate_t"]


def _checked(mean: ArrayLike, shape: ArrayLike, df: float) -> tuple[np.ndarray, np.ndarray]:
    mu = np.asarray(mean, dtype=np.float64)
    sigma = np.asarray(shape, dtype=np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise InputError(
            f"shape: expected a ({mu.size}, {mu.size}) matrix for a mean of length {mu.size}, "
            f"got {sigma.shape}"
        )
    if not (isinstance(df, int | float) and 0 < df < np.inf):
        raise InputError(f"df: expected a finite float > 0, got {df!r}")
    try:
        chol = np.linalg.cholesky(0.5 * (sigma + sigma.T))
    except np.linalg.LinAlgError:
        raise InputError("shape: expected a symmetric positive definite matrix") from None
    return mu, chol


def sample_multivariate_t(
    rng: np.random.Generator, mean: ArrayLike, shape: ArrayLike, df: float, size: int
) -> np.ndarray:
    """``size`` draws of :math:`MVT_{df}(\\mu, \\Sigma)` (one shared Gamma scale per draw).

    Returns
    -------
    ndarray of shape (size, d)
    """
    mu, chol = _checked(mean, shape, df)
    z = rng.standard_normal((size, mu.size))
    g = rng.gamma(0.5 * df, 2.0 / df, size=size)
    return mu + (z @ chol.T) / np.sqrt(g)[:, None]


def independent_t_then_cholesky(
    rng: np.random.Generator, mean: ArrayLike, shape: ArrayLike, df: float, size: int
) -> np.ndarray:
    """The official (incorrect) construction: independent univariate t per coordinate, then
    :math:`L`. Kept only so that tests can show the difference."""
    mu, chol = _checked(mean, shape, df)
    return mu + rng.standard_t(df, size=(size, mu.size)) @ chol.T

"""Seeded samplers written independently of powertail (inverse-CDF generators)."""

from __future__ import annotations

import numpy as np


def pareto(n: int, alpha: float, *, xmin: float = 1.0, seed: int) -> np.ndarray:
    """Exact Pareto sample, density (alpha-1)/xmin (x/xmin)^-alpha, by inversion."""
    u = 1.0 - np.random.default_rng(seed).random(n)  # in (0, 1]
    return xmin * u ** (-1.0 / (alpha - 1.0))


def truncated_pareto(n: int, alpha: float, *, xmin: float, xmax: float, seed: int) -> np.ndarray:
    """Exact doubly truncated Pareto on [xmin, xmax] (any alpha != 1), by inversion."""
    u = np.random.default_rng(seed).random(n)
    a, b = xmin ** (1.0 - alpha), xmax ** (1.0 - alpha)
    return (a + u * (b - a)) ** (1.0 / (1.0 - alpha))


def body_and_tail(
    n_body: int, n_tail: int, alpha: float, *, xmin: float = 1.0, seed: int
) -> np.ndarray:
    """Log-normal body below xmin plus an exact Pareto tail above it, shuffled."""
    rng = np.random.default_rng(seed)
    body = np.empty(0)
    while body.size < n_body:
        draw = rng.lognormal(mean=np.log(xmin) - 1.0, sigma=0.7, size=2 * n_body)
        body = np.concatenate([body, draw[draw < xmin]])
    tail = xmin * (1.0 - rng.random(n_tail)) ** (-1.0 / (alpha - 1.0))
    return rng.permutation(np.concatenate([body[:n_body], tail]))

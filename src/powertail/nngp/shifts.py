r"""Seeded distribution shifts for MNIST-style images (brief section 2.4, issue #6 item 2).

Own implementations that follow the verbal definitions of ImageNet-C (Hendrycks & Dietterich
2019) and MNIST-C (Mu & Gilmer 2019); images are float arrays in [0, 1] of shape (n, H, W)
(white digit on black). Every function takes a ``numpy.random.Generator``: the same seed gives the
same shifted set.

Corruptions (severity 1-5, ImageNet-C's parameter ladders):

* ``shot_noise`` — photon noise: :math:`x' = \mathrm{Poisson}(\lambda x)/\lambda`,
  :math:`\lambda \in (60, 25, 12, 5, 3)`;
* ``impulse_noise`` — salt and pepper: a fraction :math:`p \in (.03, .06, .09, .17, .27)` of the
  pixels set to 0 or 1 with equal odds;
* ``glass_blur`` — Gaussian blur (σ), then ``iterations`` sweeps in which every pixel swaps with a
  random neighbour at most ``delta`` away, then blur again; (σ, delta, iterations) from
  ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2));
* ``spatter`` — liquid blobs: Gaussian noise smoothed with σ, thresholded at a quantile, added
  as bright splashes of intensity 0.6-1; blob cover (3, 6, 9, 12, 15) % of the image;
* ``zigzag`` (MNIST-C) — one to three bright zig-zag polylines, each of 3-7 segments that
  alternate direction, drawn 1-1.5 pixels thick and overlaid with ``max``.

Training-set shifts (ICLR ``ood``, ``noisy_label``, ``imbalanced`` variants):
:func:`remove_classes`, :func:`noisy_labels`, :func:`imbalance`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from powertail.errors import InputError

__all__ = [
    "CORRUPTIONS",
    "corrupt",
    "glass_blur",
    "imbalance",
    "impulse_noise",
    "noisy_labels",
    "remove_classes",
    "shot_noise",
    "spatter",
    "zigzag",
]


def _images(x: ArrayLike) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 3 or 0 in arr.shape:
        raise InputError(f"images: expected shape (n, height, width), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise InputError("images: expected finite pixels in [0, 1]; divide uint8 images by 255")
    return arr


def _severity(severity: int) -> int:
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 5:
        raise InputError(f"severity: expected an int in 1..5, got {severity!r}")
    return severity - 1


def shot_noise(x: ArrayLike, rng: np.random.Generator, severity: int = 3) -> np.ndarray:
    """Poisson photon noise with (60, 25, 12, 5, 3) photons at full intensity."""
    lam = (60, 25, 12, 5, 3)[_severity(severity)]
    return np.clip(rng.poisson(_images(x) * lam) / lam, 0.0, 1.0)


def impulse_noise(x: ArrayLike, rng: np.random.Generator, severity: int = 3) -> np.ndarray:
    """Salt-and-pepper noise on a fraction (.03, .06, .09, .17, .27) of the pixels."""
    amount = (0.03, 0.06, 0.09, 0.17, 0.27)[_severity(severity)]
    out = _images(x).copy()
    hit = rng.random(out.shape) < amount
    out[hit] = (rng.random(int(hit.sum())) < 0.5).astype(np.float64)
    return out


def glass_blur(x: ArrayLike, rng: np.random.Generator, severity: int = 3) -> np.ndarray:
    """Blur, local pixel swaps (all images at once, each with its own offsets), blur."""
    sigma, delta, iterations = ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2))[
        _severity(severity)
    ]
    out = ndimage.gaussian_filter(_images(x), sigma=(0, sigma, sigma), mode="constant")
    n, h, w = out.shape
    rows = np.arange(n)
    for _ in range(iterations):
        for i in range(h - delta, delta, -1):
            for j in range(w - delta, delta, -1):
                di, dj = rng.integers(-delta, delta, size=(2, n))
                a = out[rows, i, j].copy()
                out[rows, i, j] = out[rows, i + di, j + dj]
                out[rows, i + di, j + dj] = a
    out = ndimage.gaussian_filter(out, sigma=(0, sigma, sigma), mode="constant")
    return np.clip(out, 0.0, 1.0)


def spatter(x: ArrayLike, rng: np.random.Generator, severity: int = 3) -> np.ndarray:
    """Bright liquid blobs: smoothed Gaussian noise above its (1 - cover) quantile."""
    cover = (0.03, 0.06, 0.09, 0.12, 0.15)[_severity(severity)]
    img = _images(x)
    field = ndimage.gaussian_filter(rng.standard_normal(img.shape), sigma=(0, 1.5, 1.5))
    cut = np.quantile(field.reshape(field.shape[0], -1), 1.0 - cover, axis=1)[:, None, None]
    blobs = (field > cut) * rng.uniform(0.6, 1.0, size=(img.shape[0], 1, 1))
    return np.clip(np.maximum(img, blobs), 0.0, 1.0)


def _segment_distance(py: np.ndarray, px: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of pixel centres (py, px) to the segment a-b (points as (y, x))."""
    d = b - a
    length2 = max(float(d @ d), 1e-12)
    t = np.clip(((py - a[0]) * d[0] + (px - a[1]) * d[1]) / length2, 0.0, 1.0)
    return np.hypot(py - (a[0] + t * d[0]), px - (a[1] + t * d[1]))


def zigzag(x: ArrayLike, rng: np.random.Generator, severity: int = 3) -> np.ndarray:
    """One to three zig-zag polylines per image (more and thicker with severity)."""
    level = _severity(severity)
    img = _images(x)
    n, h, w = img.shape
    py, px = np.mgrid[0:h, 0:w].astype(np.float64)
    out = img.copy()
    for k in range(n):
        ink = np.zeros((h, w))
        for _ in range(1 + (level + int(rng.integers(0, 2))) // 2):
            point = rng.uniform([0, 0], [h, w])
            heading = rng.uniform(0, 2 * np.pi)
            turn = rng.uniform(0.6, 1.4)
            thickness = 1.0 + 0.1 * level
            for s in range(int(rng.integers(3, 8))):
                angle = heading + (turn if s % 2 else -turn)
                step = rng.uniform(4, 8) * np.array([np.sin(angle), np.cos(angle)])
                end = point + step
                dist = _segment_distance(py, px, point, end)
                ink = np.maximum(ink, np.clip(thickness - dist, 0.0, 1.0))
                point = end
        out[k] = np.maximum(out[k], ink)
    return out


CORRUPTIONS: dict[str, Callable[[ArrayLike, np.random.Generator, int], np.ndarray]] = {
    "shot_noise": shot_noise,
    "impulse_noise": impulse_noise,
    "spatter": spatter,
    "glass_blur": glass_blur,
    "zigzag": zigzag,
}
"""The MNIST-C corruptions of the paper's table (brief section 2.3), in its row order."""


def corrupt(x: ArrayLike, name: str, *, seed: int, severity: int = 3) -> np.ndarray:
    """Apply corruption ``name`` with ``numpy.random.default_rng(seed)``."""
    if name not in CORRUPTIONS:
        raise InputError(f"corruption: expected one of {', '.join(CORRUPTIONS)}, got {name!r}")
    return CORRUPTIONS[name](x, np.random.default_rng(seed), severity)


def _labels(y: ArrayLike) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0:
        raise InputError(
            f"labels: expected a non-empty 1-D array of class indices, got {arr.shape}"
        )
    return arr


def remove_classes(labels: ArrayLike, removed: Sequence[int] = (1, 4, 8)) -> np.ndarray:
    """Indices of the training points whose class is not in ``removed`` (the ICLR ``ood`` split:
    train without {1, 4, 8}, test on every class)."""
    y = _labels(labels)
    return np.flatnonzero(~np.isin(y, np.asarray(removed)))


def noisy_labels(
    labels: ArrayLike, rng: np.random.Generator, *, fraction: float = 0.1, n_classes: int = 10
) -> np.ndarray:
    """Replace a random ``fraction`` of the labels by uniform random classes (which may equal the
    old label, as in the ICLR ``noisy_label`` variant)."""
    y = _labels(labels).copy()
    if not 0 <= fraction <= 1:
        raise InputError(f"fraction: expected a float in [0, 1], got {fraction!r}")
    pick = rng.choice(y.size, size=round(fraction * y.size), replace=False)
    y[pick] = rng.integers(0, n_classes, size=pick.size)
    return y


def imbalance(labels: ArrayLike, rng: np.random.Generator, *, n_classes: int = 10) -> np.ndarray:
    r"""Indices of an imbalanced subset: class c keeps
    :math:`\mathrm{round}(e^{0.5c}/e^{0.5(C-1)}\cdot\min_c n_c)` random examples (ICLR
    ``imbalanced``)."""
    y = _labels(labels)
    counts = np.bincount(y, minlength=n_classes)
    smallest = counts[counts > 0].min()
    keep = []
    for c in range(n_classes):
        k = round(float(np.exp(0.5 * c - 0.5 * (n_classes - 1)) * smallest))
        members = np.flatnonzero(y == c)
        keep.append(rng.choice(members, size=min(k, members.size), replace=False))
    return np.sort(np.concatenate(keep))

r"""Factorise the training kernel once; everything the scale mixtures need is a few numbers.

Given :math:`\sigma^2`, :math:`y \sim N(0, \sigma^2\tilde K)` with
:math:`\tilde K = K_{XX} + \varepsilon I`.
The data enter every scale-mixture posterior only through :math:`n`, the number of outputs
:math:`C`, :math:`q = \sum_c y_c^T\tilde K^{-1}y_c`, :math:`\ln|\tilde K|`, and per test point
:math:`\mu_* = K_{*X}\tilde K^{-1}y` and :math:`\Sigma_* = K_{**} - K_{*X}\tilde K^{-1}K_{X*}`
(brief sections 1.4, 1.5 and 5.2). :func:`gaussian_summary` gets them from one Cholesky
factorisation (with a visible jitter policy); :class:`EigenFactor` gets them for every jitter
:math:`\varepsilon` from one eigendecomposition.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from powertail.errors import InputError, PowertailError

__all__ = [
    "EigenFactor",
    "GaussianSummary",
    "JitterWarning",
    "NegativeVarianceWarning",
    "NotPositiveDefiniteError",
    "cholesky_with_jitter",
    "eigen_factor",
    "gaussian_summary",
    "summary_from_cholesky",
]

JitterPolicy = Literal["escalate", "raise"]

JITTER_START = 1e-10
"""First extra jitter tried after a failed Cholesky, relative to the mean kernel diagonal."""
JITTER_MAX = 1e-2
"""Largest relative extra jitter tried before giving up."""


class NotPositiveDefiniteError(PowertailError, np.linalg.LinAlgError):
    """The training kernel plus jitter is not positive definite (keeps the LinAlgError type)."""


class JitterWarning(UserWarning):
    """Extra jitter was added to the diagonal so that the Cholesky factorisation succeeds."""


class NegativeVarianceWarning(UserWarning):
    """Round-off made some predictive variances negative; they were clipped to 0."""


@dataclass(frozen=True)
class GaussianSummary:
    r"""Sufficient statistics of GP regression with unit readout variance.

    Attributes
    ----------
    n : int
        Training points.
    n_outputs : int
        Outputs :math:`C` (columns of y), sharing one :math:`\sigma^2`.
    quad_form : float
        :math:`q = \sum_c y_c^T\tilde K^{-1}y_c`.
    logdet : float
        :math:`\ln|\tilde K|`.
    noise : float
        :math:`\varepsilon` actually on the diagonal (requested noise plus any added jitter).
    jitter : float
        Extra jitter added by the escalation policy (0 if none).
    mean : ndarray of shape (m, C) or None
        :math:`\mu_*`.
    latent_var : ndarray of shape (m,) or None
        :math:`\mathrm{diag}\,\Sigma_*` (latent function, no noise), clipped at 0.
    latent_cov : ndarray of shape (m, m) or None
        :math:`\Sigma_*` when the full test kernel was given.
    clipped : int
        Number of negative variances clipped to 0.
    """

    n: int
    n_outputs: int
    quad_form: float
    logdet: float
    noise: float
    jitter: float = 0.0
    mean: np.ndarray | None = None
    latent_var: np.ndarray | None = None
    latent_cov: np.ndarray | None = None
    clipped: int = 0

    def predictive_var(self, *, noisy: bool) -> np.ndarray:
        """Per-point variance for unit :math:`\\sigma^2`: ``latent_var (+ noise)``."""
        if self.latent_var is None:
            raise InputError(
                "summary: expected test inputs, got a summary built without k_test_train; "
                "pass k_test_train and k_test_diag"
            )
        return self.latent_var + (self.noise if noisy else 0.0)


def _as_targets(y: ArrayLike, n: int) -> np.ndarray:
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise InputError(
            f"y: expected shape ({n},) or ({n}, n_outputs) to match the kernel, got "
            f"{np.shape(y)}; pass one row per training point"
        )
    if not np.all(np.isfinite(arr)):
        raise InputError("y: expected finite targets, got NaN or inf; drop or impute those rows")
    return arr


def _check_kernel(k: ArrayLike, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(k, dtype=np.float64)
    if shape is not None and arr.shape != shape:
        raise InputError(f"{name}: expected shape {shape}, got {arr.shape}; check the inputs")
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{name}: expected a finite kernel, got NaN or inf entries; lower the weight "
            "variance or depth (the kernel overflowed) or check the inputs"
        )
    return arr


def _clip_variances(var: np.ndarray) -> tuple[np.ndarray, int]:
    bad = var < 0
    count = int(bad.sum())
    if count:
        warnings.warn(
            f"{count} predictive variances were negative through round-off (smallest "
            f"{var.min():.3g}); clipped to 0",
            NegativeVarianceWarning,
            stacklevel=3,
        )
    return np.where(bad, 0.0, var), count


def gaussian_summary(
    k_train: ArrayLike,
    y: ArrayLike,
    k_test_train: ArrayLike | None = None,
    k_test_diag: ArrayLike | None = None,
    *,
    noise: float = 0.0,
    k_test_test: ArrayLike | None = None,
    jitter: JitterPolicy = "escalate",
) -> GaussianSummary:
    r"""Cholesky-factorise :math:`\tilde K = K_{XX} + \varepsilon I` once and summarise the data.

    Parameters
    ----------
    k_train : array_like of shape (n, n)
        Training kernel (unit readout variance).
    y : array_like of shape (n,) or (n, C)
        Targets.
    k_test_train, k_test_diag : array_like of shape (m, n) and (m,), optional
        Test×train kernel and the test variances.
    noise : float, default 0
        :math:`\varepsilon \ge 0` in absolute units of the kernel.
    k_test_test : array_like of shape (m, m), optional
        Full test kernel, for joint predictives.
    jitter : {"escalate", "raise"}, default "escalate"
        On a failed factorisation, add jitter from 1e-10 to 1e-2 times the mean diagonal
        (with a :class:`JitterWarning`) or raise :class:`NotPositiveDefiniteError`.

    Returns
    -------
    GaussianSummary
    """
    k = _check_kernel(k_train, "k_train")
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] == 0:
        raise InputError(f"k_train: expected a square (n, n) matrix, got shape {k.shape}")
    n = k.shape[0]
    targets = _as_targets(y, n)
    if not (isinstance(noise, int | float) and 0.0 <= noise < np.inf):
        raise InputError(f"noise: expected a finite float >= 0, got {noise!r}")
    chol, extra = cholesky_with_jitter(k, noise=noise, jitter=jitter)
    return summary_from_cholesky(
        chol,
        targets,
        k_test_train,
        k_test_diag,
        noise=float(noise + extra),
        jitter=extra,
        k_test_test=k_test_test,
    )


def cholesky_with_jitter(
    k: np.ndarray, *, noise: float, jitter: JitterPolicy = "escalate"
) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of ``k + (noise + extra) I`` and the ``extra`` jitter it needed.

    Raises
    ------
    NotPositiveDefiniteError
        With ``jitter="raise"`` on the first failure, or when 1e-2 of the mean diagonal is not
        enough.
    """
    if jitter not in ("escalate", "raise"):
        raise InputError(f"jitter: expected 'escalate' or 'raise', got {jitter!r}")
    scale = float(np.mean(np.diag(k)))
    extra = 0.0
    while True:
        try:
            chol = _cholesky_lower(k, noise + extra)
            diagonal = np.diagonal(chol)  # a NaN anywhere in L reaches a later diagonal entry
            if np.all(diagonal > 0) and np.all(np.isfinite(diagonal)):
                break
        except np.linalg.LinAlgError:
            pass
        next_extra = JITTER_START * scale if extra == 0.0 else 10.0 * extra
        if jitter == "raise" or next_extra > JITTER_MAX * scale or scale <= 0:
            raise NotPositiveDefiniteError(
                f"k_train: expected a positive definite kernel after adding noise={noise:g}"
                + (f" and jitter {extra:.3g}" if extra else "")
                + ", got a failed Cholesky factorisation; raise noise (e.g. to "
                f"{max(1e-6 * max(scale, 1.0), 10 * noise):.3g}) or use jitter='escalate'"
            )
        extra = next_extra
    if extra:
        warnings.warn(
            f"k_train is not numerically positive definite with noise={noise:g}; added jitter "
            f"{extra:.3g} ({extra / scale:.1e} of the mean diagonal)",
            JitterWarning,
            stacklevel=3,
        )
    return chol, extra


def _cholesky_lower(k: np.ndarray, shift: float) -> np.ndarray:
    """Lower Cholesky factor of ``k + shift I`` (reading k's lower triangle), with one n²
    buffer: the copy of ``k`` is factorised in place and returned.

    LAPACK works on column-major arrays; the row-major copy, seen transposed, is column-major
    and holds :math:`k^T`, whose upper triangle is k's lower one, so its upper factor
    :math:`U` (:math:`k = U^T U`) is factorised in place and :math:`L = U^T` is the row-major
    view of the same memory (no transposing copy, no identity matrix, no second sum)."""
    work = np.array(k, dtype=np.float64, order="C")
    work.flat[:: k.shape[0] + 1] += shift
    upper = scipy.linalg.cholesky(work.T, lower=False, overwrite_a=True, check_finite=False)
    return upper.T


def summary_from_cholesky(
    chol: np.ndarray,
    targets: np.ndarray,
    k_test_train: ArrayLike | None = None,
    k_test_diag: ArrayLike | None = None,
    *,
    noise: float,
    jitter: float = 0.0,
    k_test_test: ArrayLike | None = None,
) -> GaussianSummary:
    """:class:`GaussianSummary` from a lower Cholesky factor of the noisy training kernel."""
    n = chol.shape[0]
    targets = _as_targets(targets, n)
    white = scipy.linalg.solve_triangular(chol, targets, lower=True, check_finite=False)
    quad = float(np.sum(white**2))
    logdet = float(2.0 * np.sum(np.log(np.diag(chol))))
    mean = var = cov = None
    clipped = 0
    if k_test_train is not None:
        kx = _check_kernel(k_test_train, "k_test_train")
        if kx.ndim != 2 or kx.shape[1] != n:
            raise InputError(
                f"k_test_train: expected shape (m, {n}), got {kx.shape}; rows are test points"
            )
        if k_test_diag is None and k_test_test is None:
            raise InputError("k_test_diag: expected the test variances with k_test_train, got None")
        # L^-1 K_X* (kx was checked finite; a row-major L is solved as its transpose, no copy)
        v = scipy.linalg.solve_triangular(chol, kx.T, lower=True, check_finite=False)
        mean = v.T @ white
        if k_test_test is not None:
            kss = _check_kernel(k_test_test, "k_test_test", (kx.shape[0], kx.shape[0]))
            cov = kss - v.T @ v
            cov = 0.5 * (cov + cov.T)
            raw = np.diag(cov).copy()
        else:
            diag = _check_kernel(k_test_diag, "k_test_diag", (kx.shape[0],))
            raw = diag - np.einsum("ij,ij->j", v, v)
        var, clipped = _clip_variances(raw)
    return GaussianSummary(
        n=n,
        n_outputs=targets.shape[1],
        quad_form=quad,
        logdet=logdet,
        noise=noise,
        jitter=jitter,
        mean=mean,
        latent_var=var,
        latent_cov=cov,
        clipped=clipped,
    )


@dataclass(frozen=True)
class EigenFactor:
    r"""One eigendecomposition :math:`K_{XX} = U\Lambda U^T` serving every jitter
    :math:`\varepsilon` and every fixed-noise scale (brief section 5.2).

    Attributes
    ----------
    eigenvalues : ndarray of shape (n,)
        :math:`\Lambda`, negative round-off clipped to 0.
    projected_y : ndarray of shape (n, C)
        :math:`U^T y`.
    projected_cross : ndarray of shape (m, n) or None
        :math:`K_{*X}U`.
    test_diag : ndarray of shape (m,) or None
        :math:`\mathrm{diag}\,K_{**}`.
    clipped : int
        Eigenvalues clipped to 0.
    eigenvectors : ndarray of shape (n, n) or None
        :math:`U`, kept so that later test points can be projected (:meth:`with_test`).
    """

    eigenvalues: np.ndarray
    projected_y: np.ndarray
    projected_cross: np.ndarray | None
    test_diag: np.ndarray | None
    clipped: int = 0
    eigenvectors: np.ndarray | None = None

    def with_test(self, k_test_train: ArrayLike, k_test_diag: ArrayLike) -> EigenFactor:
        """The same factor with new test points (needs ``eigenvectors``)."""
        if self.eigenvectors is None:
            raise InputError(
                "eigenvectors: expected them kept by eigen_factor, got None; refactorise"
            )
        kx = _check_kernel(k_test_train, "k_test_train")
        if kx.ndim != 2 or kx.shape[1] != self.n:
            raise InputError(f"k_test_train: expected shape (m, {self.n}), got {kx.shape}")
        diag = _check_kernel(k_test_diag, "k_test_diag", (kx.shape[0],))
        return EigenFactor(
            eigenvalues=self.eigenvalues,
            projected_y=self.projected_y,
            projected_cross=kx @ self.eigenvectors,
            test_diag=diag,
            clipped=self.clipped,
            eigenvectors=self.eigenvectors,
        )

    @property
    def n(self) -> int:
        return int(self.eigenvalues.size)

    def quad_form(self, noise: ArrayLike) -> np.ndarray:
        r""":math:`q(\varepsilon) = \sum_c y_c^T(K_{XX} + \varepsilon I)^{-1}y_c` for each
        ``noise`` value, O(n) per value (brief section 5.2)."""
        eps = np.asarray(noise, dtype=np.float64)
        lam = self.eigenvalues[:, None] + eps.reshape(1, -1)
        if not np.all(lam > 0):
            raise NotPositiveDefiniteError(
                f"noise: expected values making K + noise*I positive definite, got min "
                f"{eps.min():g} (smallest eigenvalue {self.eigenvalues.min():.3g}); raise noise"
            )
        weights = np.sum(self.projected_y**2, axis=1)
        return (weights @ (1.0 / lam)).reshape(eps.shape)

    def summary(self, noise: float) -> GaussianSummary:
        r"""The :class:`GaussianSummary` at jitter ``noise`` in O(n m):

        .. math::

            q(\varepsilon) = \sum_j \frac{(U^Ty)_j^2}{\lambda_j + \varepsilon},\quad
            \ln|\tilde K| = \sum_j \ln(\lambda_j + \varepsilon),\quad
            \mathrm{diag}\,\Sigma_* = \mathrm{diag}\,K_{**}
              - \sum_j \frac{(K_{*X}U)_{\cdot j}^2}{\lambda_j + \varepsilon}

        (brief section 5.2, "Sweep ε via one eigendecomposition").
        """
        lam = self.eigenvalues + noise
        if not np.all(lam > 0):
            raise NotPositiveDefiniteError(
                f"noise: expected a value making K + noise*I positive definite, got {noise:g} "
                f"(smallest eigenvalue {self.eigenvalues.min():.3g}); raise noise"
            )
        inv = 1.0 / lam
        quad = float(np.sum(self.projected_y**2 * inv[:, None]))
        logdet = float(np.sum(np.log(lam)))
        mean = var = None
        clipped = 0
        if self.projected_cross is not None and self.test_diag is not None:
            mean = self.projected_cross @ (self.projected_y * inv[:, None])
            var, clipped = _clip_variances(self.test_diag - (self.projected_cross**2) @ inv)
        return GaussianSummary(
            n=self.n,
            n_outputs=self.projected_y.shape[1],
            quad_form=quad,
            logdet=logdet,
            noise=float(noise),
            mean=mean,
            latent_var=var,
            clipped=clipped,
        )


def eigen_factor(
    k_train: ArrayLike,
    y: ArrayLike,
    k_test_train: ArrayLike | None = None,
    k_test_diag: ArrayLike | None = None,
) -> EigenFactor:
    """Eigendecompose the training kernel once (see :class:`EigenFactor`)."""
    k = _check_kernel(k_train, "k_train")
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] == 0:
        raise InputError(f"k_train: expected a square (n, n) matrix, got shape {k.shape}")
    targets = _as_targets(y, k.shape[0])
    lam, u = scipy.linalg.eigh(0.5 * (k + k.T), check_finite=False, driver="evd")
    clipped = int(np.sum(lam < 0))
    lam = np.maximum(lam, 0.0)
    cross = diag = None
    if k_test_train is not None:
        kx = _check_kernel(k_test_train, "k_test_train")
        if kx.ndim != 2 or kx.shape[1] != k.shape[0]:
            raise InputError(f"k_test_train: expected shape (m, {k.shape[0]}), got {kx.shape}")
        cross = kx @ u
        diag = _check_kernel(k_test_diag, "k_test_diag", (kx.shape[0],))
    return EigenFactor(
        eigenvalues=lam,
        projected_y=u.T @ targets,
        projected_cross=cross,
        test_diag=diag,
        clipped=clipped,
        eigenvectors=u,
    )

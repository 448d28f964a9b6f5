r"""Classification with labels as regression targets (brief section 1.6a, the NeurIPS version).

One-hot labels are C regression targets sharing one readout variance :math:`\sigma^2 \sim H`:
:math:`Y_c \mid \sigma^2 \sim N(0, \sigma^2(K + \varepsilon I))`. The posterior is exact for
every prior through the library's one-factorisation machinery
(:func:`~powertail.nngp.posterior.factor.cholesky_with_jitter`,
:func:`~powertail.nngp.posterior.quadrature_posterior`): the Gaussian NNGP is a point mass,
the Student-t process is :class:`~powertail.nngp.priors.InverseGamma` (df :math:`2\alpha + nC`),
Burr XII has no closed form and goes through quadrature in :math:`\ln\sigma^2`.

Three scores per model, named by what they are:

* ``accuracy`` — argmax of the posterior mean, the same for every prior;
* ``argmax_nll`` (ours) — categorical NLL of the *induced argmax probit*
  :math:`p(c \mid x) = P(c = \arg\max_j y_{*j})` under the marginal predictive, which is
  independent across classes given :math:`\sigma^2`:

  .. math::

      p(c\mid x) = \int dH(\sigma^2\mid Y)\int \phi(z)\prod_{j\ne c}
          \Phi\Bigl(z + \frac{\mu_c - \mu_j}{\sigma\sqrt{v_*}}\Bigr)\,dz

  (Gauss–Hermite in z, equal-mass quantile nodes of the posterior of :math:`\sigma^2`);
* ``paper_score`` — the paper's "NLL": the predictive density of the one-hot vector with the
  latent (noise-free) variance, averaged over test points and classes (brief 1.6a). It is not a
  categorical log-loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from powertail.errors import InputError
from powertail.nngp.classification.metrics import (
    PROB_FLOOR,
    accuracy,
    categorical_nll,
    expected_calibration_error,
    one_hot,
)
from powertail.nngp.posterior import quadrature_posterior, student_t_log_marginal
from powertail.nngp.posterior.factor import (
    GaussianSummary,
    cholesky_with_jitter,
    summary_from_cholesky,
)
from powertail.nngp.priors import ScalePrior

__all__ = ["ConjugateClassifier", "argmax_probabilities", "conjugate_scores"]

HERMITE_NODES = 48
"""Gauss–Hermite nodes of the inner integral over z."""
SCALE_NODES = 24
"""Equal-mass quantile nodes of the posterior of σ² in the argmax probabilities."""


def argmax_probabilities(
    means: ArrayLike, variances: ArrayLike, weights: ArrayLike | None = None
) -> np.ndarray:
    r""":math:`P(c = \arg\max_j y_j)` for independent :math:`y_j \sim N(\mu_j, v)` (one variance
    per point, shared by the classes), mixed over scale nodes.

    Parameters
    ----------
    means : array_like (m, C)
    variances : array_like (J, m)
        Predictive variance per scale node and point.
    weights : array_like (J,), optional
        Node weights summing to 1 (default equal).

    Returns
    -------
    ndarray (m, C), rows summing to 1.
    """
    mu = np.asarray(means, dtype=np.float64)
    var = np.atleast_2d(np.asarray(variances, dtype=np.float64))
    if mu.ndim != 2 or var.shape[1] != mu.shape[0]:
        raise InputError(f"variances: expected shape (J, {mu.shape[0]}), got {var.shape}")
    w = np.full(var.shape[0], 1.0 / var.shape[0]) if weights is None else np.asarray(weights)
    z, hw = np.polynomial.hermite_e.hermegauss(HERMITE_NODES)
    hw = hw / hw.sum()
    diff = mu[:, :, None] - mu[:, None, :]  # (m, c, j) = mu_c - mu_j
    out = np.zeros_like(mu)
    for wj, vj in zip(w, var, strict=True):
        sd = np.sqrt(np.maximum(vj, 1e-300))[:, None, None, None]
        arg = z[None, None, None, :] + diff[..., None] / sd  # (m, c, j, h)
        logcdf = special.log_ndtr(arg)
        c = mu.shape[1]
        logcdf[:, np.arange(c), np.arange(c), :] = 0.0  # leave out j == c
        out += wj * np.exp(logcdf.sum(axis=2)) @ hw
    return out / out.sum(axis=1, keepdims=True)


def _quantile_nodes(s2: np.ndarray, log_w: np.ndarray, n: int) -> np.ndarray:
    """Equal-mass nodes: the posterior quantiles of σ² at levels (k + ½)/n."""
    order = np.argsort(s2)
    cdf = np.cumsum(np.exp(log_w[order]))
    levels = (np.arange(n) + 0.5) / n * cdf[-1]
    return s2[order][np.minimum(np.searchsorted(cdf, levels), s2.size - 1)]


@dataclass(frozen=True)
class ConjugateClassifier:
    """A factorised training kernel with one-hot targets, ready to score test sets.

    Build it with :meth:`fit`; :meth:`predict` then costs two triangular solves per test set.
    """

    chol: np.ndarray
    targets: np.ndarray
    noise: float
    jitter: float
    n_classes: int

    @classmethod
    def fit(
        cls, k_train: ArrayLike, labels: ArrayLike, *, n_classes: int, noise: float
    ) -> ConjugateClassifier:
        """Factorise :math:`K + \\varepsilon I` (ε absolute, in kernel units) once."""
        k = np.asarray(k_train, dtype=np.float64)
        y = one_hot(labels, n_classes)
        if k.shape != (y.shape[0], y.shape[0]):
            raise InputError(
                f"k_train: expected shape ({y.shape[0]}, {y.shape[0]}) to match the labels, "
                f"got {k.shape}"
            )
        chol, extra = cholesky_with_jitter(k, noise=noise)
        return cls(chol=chol, targets=y, noise=noise + extra, jitter=extra, n_classes=n_classes)

    def summary(self, k_test_train: ArrayLike, k_test_diag: ArrayLike) -> GaussianSummary:
        """The sufficient statistics at a test set (unit σ²)."""
        return summary_from_cholesky(
            self.chol,
            self.targets,
            k_test_train,
            k_test_diag,
            noise=self.noise,
            jitter=self.jitter,
        )

    def evidence(self, alpha: float, beta: float) -> float:
        """Student-t log marginal likelihood of the one-hot targets (for choosing ε)."""
        s = summary_from_cholesky(self.chol, self.targets, noise=self.noise)
        return float(student_t_log_marginal(s, alpha, beta))


def conjugate_scores(
    model: ConjugateClassifier,
    k_test_train: ArrayLike,
    k_test_diag: ArrayLike,
    labels: ArrayLike,
    priors: Mapping[str, ScalePrior],
    *,
    n_bins: int = 15,
) -> tuple[list[dict[str, float | str]], dict[str, np.ndarray]]:
    """Score every prior on one test set.

    Returns
    -------
    rows : list of dict
        ``model, accuracy, argmax_nll, ece, paper_score, scale_mean`` per prior.
    probs : dict of str to ndarray (m, C)
        The argmax-probit class probabilities per prior (for reliability diagrams).
    """
    y = np.asarray(labels)
    summary = model.summary(k_test_train, k_test_diag)
    targets = one_hot(y, model.n_classes)
    rows, probs = [], {}
    for name, prior in priors.items():
        noisy = quadrature_posterior(summary, prior, noisy=True)
        latent = quadrature_posterior(summary, prior, noisy=False)
        if noisy.s2.size == 1:
            nodes = noisy.s2
        else:
            nodes = _quantile_nodes(noisy.s2, noisy.log_weights, SCALE_NODES)
        var = nodes[:, None] * summary.predictive_var(noisy=True)[None, :]
        p = argmax_probabilities(summary.mean, var)
        probs[name] = p
        rows.append(
            {
                "model": name,
                "accuracy": accuracy(p, y),
                "argmax_nll": categorical_nll(p, y),
                "ece": expected_calibration_error(p, y, n_bins=n_bins),
                "paper_score": float(-np.mean(latent.logpdf(targets))),
                "mean_accuracy": float(np.mean(np.argmax(summary.mean, axis=1) == y)),
                "scale_mean": noisy.scale_moments()[0],
                "min_prob": float(max(p[np.arange(y.size), y].min(), PROB_FLOOR)),
            }
        )
    return rows, probs

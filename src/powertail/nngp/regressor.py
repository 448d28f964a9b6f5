"""``ScaleMixtureNNGPRegressor``: scikit-learn-style regression with a scale-mixture NNGP."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from powertail.errors import InputError, PowertailError
from powertail.nngp.kernels import ConvFlatten, FullyConnected, kernel_blocks
from powertail.nngp.kernels.fc import check_inputs
from powertail.nngp.posterior import (
    FixedNoiseLikelihood,
    ScaleMixturePosterior,
    StudentTPredictive,
    eigen_factor,
    importance_posterior,
    quadrature_posterior,
    scale_posterior,
    student_t_log_marginal,
    student_t_predictive,
)
from powertail.nngp.posterior.factor import (
    _as_targets,
    cholesky_with_jitter,
    summary_from_cholesky,
)
from powertail.nngp.priors import InverseGamma, PointMass, ScalePrior

Method = Literal["auto", "exact", "quadrature", "importance"]
NoiseModel = Literal["conjugate", "fixed"]

DEFAULT_ARCHITECTURE = FullyConnected(
    depth=2, activation="relu", weight_variance=2.0, bias_variance=0.1
)
"""Used when ``architecture=None``."""
DEFAULT_PRIOR = InverseGamma(alpha=2.0, beta=2.0)
"""Used when ``prior=None`` (the ICLR code's initial α = β = 2)."""

_PARAMS = (
    "architecture",
    "prior",
    "noise",
    "noise_model",
    "relative_noise",
    "method",
    "n_nodes",
    "n_samples",
    "random_state",
    "jitter",
    "normalize_y",
)


class NotFittedError(PowertailError, ValueError, AttributeError):
    """``predict``/``score`` was called before ``fit`` (ValueError and AttributeError, like
    scikit-learn's ``NotFittedError``)."""


@dataclass(frozen=True)
class RescaledPredictive:
    """A predictive distribution mapped back to the original target units:
    :math:`y = \\mu_y + s_y z` where ``base`` is the distribution of the standardised ``z``.

    Shapes follow scikit-learn: with ``single_output`` (the model was fitted on ``y`` of shape
    ``(n,)``) every method takes and returns arrays of shape ``(m,)``, as ``predict`` does;
    otherwise ``(m, C)``.
    """

    base: StudentTPredictive | ScaleMixturePosterior
    shift: np.ndarray
    scale: np.ndarray
    single_output: bool = False

    def _targets(self, y: ArrayLike) -> np.ndarray:
        arr = np.asarray(y, dtype=np.float64)
        return arr[:, None] if arr.ndim == 1 else arr

    def _out(self, arr: np.ndarray) -> np.ndarray:
        if arr.ndim == 1:
            arr = arr[:, None]
        return arr[:, 0] if self.single_output else arr

    def logpdf(self, y: ArrayLike) -> np.ndarray:
        """Log predictive density per point (and output)."""
        z = (self._targets(y) - self.shift) / self.scale
        return self._out(self.base.logpdf(z) - np.log(self.scale))

    def pdf(self, y: ArrayLike) -> np.ndarray:
        """Predictive density per point (and output)."""
        return np.exp(self.logpdf(y))

    def std(self) -> np.ndarray:
        """Predictive standard deviation per point (and output); ``inf`` when df <= 2."""
        return np.sqrt(self.var())

    def cdf(self, y: ArrayLike) -> np.ndarray:
        """Predictive CDF per point (and output)."""
        return self._out(self.base.cdf((self._targets(y) - self.shift) / self.scale))

    def interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval in original units."""
        lo, hi = self.base.interval(confidence)
        return self._out(self.shift + self.scale * lo), self._out(self.shift + self.scale * hi)

    def mean(self) -> np.ndarray:
        """Predictive mean (the location where df <= 1)."""
        return self._out(self.shift + self.scale * self.base.mean())

    def var(self) -> np.ndarray:
        """Predictive variance (``inf`` where df <= 2)."""
        base = self.base.var()
        if base.ndim == 1:
            base = base[:, None]
        return self._out(self.scale**2 * base)


class ScaleMixtureNNGPRegressor:
    r"""Regression with an NNGP whose readout variance has a prior :math:`\sigma^2 \sim H`.

    The model is :math:`f \mid \sigma^2 \sim GP(0, \sigma^2 K)`,
    :math:`y \mid f, \sigma^2 \sim N(f, \sigma^2\varepsilon I)` (``noise_model="conjugate"``) or
    :math:`N(f, \varepsilon I)` (``"fixed"``), with :math:`K` the NNGP kernel of
    ``architecture`` at unit readout variance. An inverse-gamma prior gives the Student-t process
    (exact); any other prior is integrated by quadrature over :math:`\ln\sigma^2` or, as in the
    official code, by importance sampling.

    Parameters
    ----------
    architecture : FullyConnected or ConvFlatten, optional
        Network (default :data:`DEFAULT_ARCHITECTURE`); its ``readout_variance`` is overridden
        to 1 (the prior carries the scale).
    prior : ScalePrior, optional
        Prior of :math:`\sigma^2` (default ``InverseGamma(2, 2)``); ``PointMass(v)`` is the
        Gaussian NNGP with readout variance ``v``.
    noise : float, default 1e-2
        :math:`\varepsilon` (jitter / noise), absolute in kernel units unless ``relative_noise``.
    noise_model : {"conjugate", "fixed"}, default "conjugate"
    relative_noise : bool, default False
        Multiply ``noise`` by the mean diagonal of the training kernel (neural-tangents'
        ``diag_reg`` convention).
    method : {"auto", "exact", "quadrature", "importance"}, default "auto"
        "auto": closed form for an inverse-gamma prior with conjugate noise, quadrature else.
    n_nodes : int, default 256
        Quadrature nodes.
    n_samples : int, default 1000
        Importance samples.
    random_state : int, default 101
        Seed of the importance sampler (the official value).
    jitter : {"escalate", "raise"}, default "escalate"
        What to do when the kernel is not numerically positive definite.
    normalize_y : bool, default False
        Standardise targets with training mean and std; predictions come back in original units.

    Attributes
    ----------
    X_train_ : ndarray of shape (n, d)
    n_features_in_ : int
    log_marginal_likelihood_ : float
        :math:`\log p(y)` of the (standardised, if ``normalize_y``) training targets.
    scale_posterior_ : InverseGamma or ScaleMixturePosterior
        Posterior of :math:`\sigma^2`.
    noise_ : float
        :math:`\varepsilon` on the diagonal, including escalated jitter.
    jitter_ : float
        Extra jitter added by the escalation (0 if none).
    method_ : str
        The method used.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-2, 2, 20)[:, None]
    >>> model = ScaleMixtureNNGPRegressor(noise=0.1).fit(x, np.sin(x[:, 0]))
    >>> model.predict(x[:3]).shape
    (3,)
    """

    def __init__(
        self,
        architecture: FullyConnected | ConvFlatten | None = None,
        *,
        prior: ScalePrior | None = None,
        noise: float = 1e-2,
        noise_model: NoiseModel = "conjugate",
        relative_noise: bool = False,
        method: Method = "auto",
        n_nodes: int = 256,
        n_samples: int = 1000,
        random_state: int = 101,
        jitter: Literal["escalate", "raise"] = "escalate",
        normalize_y: bool = False,
    ) -> None:
        self.architecture = architecture
        self.prior = prior
        self.noise = noise
        self.noise_model = noise_model
        self.relative_noise = relative_noise
        self.method = method
        self.n_nodes = n_nodes
        self.n_samples = n_samples
        self.random_state = random_state
        self.jitter = jitter
        self.normalize_y = normalize_y

    # ------------------------------------------------------------------ sklearn protocol
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters (scikit-learn protocol)."""
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **params: Any) -> ScaleMixtureNNGPRegressor:
        """Set constructor parameters (scikit-learn protocol)."""
        for name, value in params.items():
            if name not in _PARAMS:
                raise InputError(
                    f"set_params: expected one of {', '.join(_PARAMS)}, got {name!r}; "
                    "check the parameter name"
                )
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        """Estimator tags for scikit-learn's checks (imported only when scikit-learn asks)."""
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True, one_d_labels=False, multi_output=True),
            input_tags=InputTags(),
            regressor_tags=RegressorTags(),
        )

    def __repr__(self) -> str:
        changed = [
            f"{k}={v!r}" for k, v in self.get_params().items() if v != _DEFAULTS.get(k, object())
        ]
        return f"ScaleMixtureNNGPRegressor({', '.join(changed)})"

    # ------------------------------------------------------------------ validation
    def _validated(self) -> tuple[FullyConnected | ConvFlatten, ScalePrior, str]:
        arch = DEFAULT_ARCHITECTURE if self.architecture is None else self.architecture
        if not isinstance(arch, FullyConnected | ConvFlatten):
            raise InputError(
                f"architecture: expected a FullyConnected or ConvFlatten, got "
                f"{type(arch).__name__}; build one with FullyConnected(depth=..., activation=...)"
            )
        prior = DEFAULT_PRIOR if self.prior is None else self.prior
        if not isinstance(prior, ScalePrior):
            raise InputError(
                f"prior: expected a ScalePrior such as InverseGamma(2, 2), got "
                f"{type(prior).__name__}; see powertail.nngp.priors"
            )
        noise = self.noise
        if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < np.inf:
            raise InputError(f"noise: expected a finite float >= 0, got {noise!r}; pass e.g. 1e-2")
        if self.noise_model not in ("conjugate", "fixed"):
            raise InputError(
                f"noise_model: expected 'conjugate' or 'fixed', got {self.noise_model!r}"
            )
        if self.noise_model == "fixed" and noise <= 0:
            raise InputError("noise: expected > 0 for noise_model='fixed', got 0; pass e.g. 1e-2")
        if self.method not in ("auto", "exact", "quadrature", "importance"):
            raise InputError(
                f"method: expected 'auto', 'exact', 'quadrature' or 'importance', got "
                f"{self.method!r}"
            )
        exact_ok = isinstance(prior, InverseGamma | PointMass) and self.noise_model == "conjugate"
        method = self.method
        if method == "auto":
            method = "exact" if exact_ok else "quadrature"
        if method == "exact" and not exact_ok:
            raise InputError(
                f"method: 'exact' needs an InverseGamma or PointMass prior with "
                f"noise_model='conjugate', got {prior.describe()} with {self.noise_model!r}; "
                "use method='quadrature'"
            )
        return replace(arch, readout_variance=1.0), prior, method

    @staticmethod
    def _inputs(X: ArrayLike, arch: FullyConnected | ConvFlatten) -> np.ndarray:
        """Validated inputs: (n, d) for a FullyConnected, (n, H, W, C) images for a CNN."""
        if not isinstance(arch, ConvFlatten):
            return check_inputs(X, name="X")
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"X: expected numeric images, got {type(X).__name__} ({exc}); pass numbers"
            ) from None
        if arr.ndim != 4 or 0 in arr.shape:
            raise InputError(
                f"X: expected images of shape (n, height, width, channels) for a ConvFlatten, "
                f"got shape {arr.shape}; add a channel axis with X[..., None]"
            )
        if not np.all(np.isfinite(arr)):
            raise InputError("X: expected finite pixels, got NaN or inf; clean the images")
        return arr

    def _check_fitted(self) -> None:
        if not hasattr(self, "X_train_"):
            raise NotFittedError(
                "ScaleMixtureNNGPRegressor: expected a fitted model, got one without fit(); "
                "call fit(X, y) first"
            )

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X: ArrayLike, y: ArrayLike) -> ScaleMixtureNNGPRegressor:
        """Compute the training kernel, factorise it once and the posterior of :math:`\\sigma^2`.

        Parameters
        ----------
        X : array_like of shape (n, d)
        y : array_like of shape (n,) or (n, C)

        Returns
        -------
        self
        """
        arch, prior, method = self._validated()
        if y is None:
            raise InputError(
                "y: expected targets, got None; this estimator requires y to be passed, but the "
                "target y is None"
            )
        x = self._inputs(X, arch)
        try:
            targets = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"y: expected numeric targets, got {type(y).__name__} that NumPy cannot convert "
                f"({exc}); pass numbers"
            ) from None
        if targets.ndim not in (1, 2) or targets.shape[0] != x.shape[0]:
            raise InputError(
                f"y: expected shape ({x.shape[0]},) or ({x.shape[0]}, n_outputs) matching X, got "
                f"{np.shape(y)}; pass one target per row of X"
            )
        single = targets.ndim == 1
        targets = _as_targets(targets, x.shape[0])
        if self.normalize_y:
            shift = targets.mean(axis=0)
            spread = targets.std(axis=0)
            spread = np.where(spread > 0, spread, 1.0)
        else:
            shift, spread = np.zeros(targets.shape[1]), np.ones(targets.shape[1])
        z = (targets - shift) / spread
        k = kernel_blocks(x, architecture=arch).train_train[0]
        noise = float(self.noise) * (float(np.mean(np.diag(k))) if self.relative_noise else 1.0)
        self.architecture_ = arch
        self.prior_ = prior
        self.method_ = method
        self.single_output_ = single
        self.y_shift_, self.y_scale_ = shift, spread
        self.z_train_ = z
        if self.noise_model == "conjugate":
            chol, extra = cholesky_with_jitter(k, noise=noise, jitter=self.jitter)
            self.cholesky_ = chol
            self.noise_ = noise + extra
            self.jitter_ = extra
            self._summary = summary_from_cholesky(chol, z, noise=self.noise_, jitter=extra)
        else:
            self.factor_ = eigen_factor(k, z)
            self.noise_ = noise
            self.jitter_ = 0.0
        self._fit_posterior(self._likelihood(None))
        self.X_train_ = x
        self.n_features_in_ = int(np.prod(x.shape[1:]))
        self.input_shape_ = x.shape[1:]
        return self

    def _likelihood(self, x_test: np.ndarray | None) -> Any:
        if x_test is None:
            kx = kd = None
        else:
            blocks = kernel_blocks(
                self.X_train_, x_test, architecture=self.architecture_, include_train=False
            )
            kx, kd = blocks.test_train[0], blocks.test_diag[0]  # type: ignore[index]
        if self.noise_model == "conjugate":
            if kx is None:
                return self._summary
            return summary_from_cholesky(
                self.cholesky_, self.z_train_, kx, kd, noise=self.noise_, jitter=self.jitter_
            )
        factor = self.factor_ if kx is None else self.factor_.with_test(kx, kd)
        return FixedNoiseLikelihood(factor, self.noise_)

    def _fit_posterior(self, likelihood: Any) -> None:
        """Set ``log_marginal_likelihood_`` and ``scale_posterior_`` from the training data."""
        prior = self.prior_
        if self.method_ == "exact" and isinstance(prior, InverseGamma):
            self.log_marginal_likelihood_ = float(
                student_t_log_marginal(likelihood, prior.alpha, prior.beta)
            )
            self.scale_posterior_ = scale_posterior(likelihood, prior.alpha, prior.beta)
            return
        post = self._mixture(likelihood, noisy=True)
        self.log_marginal_likelihood_ = post.log_marginal
        self.scale_posterior_ = post

    def _mixture(self, likelihood: Any, *, noisy: bool) -> ScaleMixturePosterior:
        if self.method_ == "importance":
            return importance_posterior(
                likelihood,
                self.prior_,
                n_samples=self.n_samples,
                seed=self.random_state,
                noisy=noisy,
            )
        return quadrature_posterior(likelihood, self.prior_, n_nodes=self.n_nodes, noisy=noisy)

    def _predictive(
        self, likelihood: Any, *, noisy: bool
    ) -> StudentTPredictive | ScaleMixturePosterior:
        prior = self.prior_
        if self.method_ == "exact" and isinstance(prior, InverseGamma):
            return student_t_predictive(likelihood, prior.alpha, prior.beta, noisy=noisy)
        return self._mixture(likelihood, noisy=noisy)

    def predict_dist(self, X: ArrayLike, *, noisy: bool = True) -> RescaledPredictive:
        """Marginal predictive distribution at ``X`` (per point and output).

        Parameters
        ----------
        X : array_like of shape (m, d)
        noisy : bool, default True
            Distribution of :math:`y_*` (with noise) or, if False, of the latent :math:`f_*`.

        Returns
        -------
        RescaledPredictive
            ``logpdf(y)``, ``cdf(y)``, ``mean()``, ``var()``, ``std()``, ``interval(c)`` in
            original units, arrays of shape (m,) for a model fitted on y of shape (n,) and
            (m, C) otherwise (like :meth:`predict`); ``base`` is the
            :class:`~powertail.nngp.posterior.StudentTPredictive` (scipy-backed, ``.dist()``) or
            :class:`~powertail.nngp.posterior.ScaleMixturePosterior` of the standardised
            targets.
        """
        self._check_fitted()
        if isinstance(self.architecture_, ConvFlatten):
            x = self._inputs(X, self.architecture_)
            if x.shape[1:] != self.input_shape_:
                raise InputError(
                    f"X: expected images of shape {self.input_shape_} as in fit, got "
                    f"{x.shape[1:]}; pass images like the training ones"
                )
            base = self._predictive(self._likelihood(x), noisy=noisy)
            return RescaledPredictive(
                base=base,
                shift=self.y_shift_,
                scale=self.y_scale_,
                single_output=self.single_output_,
            )
        shape = np.asarray(X).shape
        width = shape[1] if len(shape) == 2 else None
        if width is not None and width != self.n_features_in_:
            raise InputError(
                f"X: expected {self.n_features_in_} features as in fit, got {width}: X has "
                f"{width} features, but ScaleMixtureNNGPRegressor is expecting "
                f"{self.n_features_in_} features as input; pass the training columns"
            )
        x = check_inputs(X, name="X", n_features=self.n_features_in_)
        base = self._predictive(self._likelihood(x), noisy=noisy)
        return RescaledPredictive(
            base=base, shift=self.y_shift_, scale=self.y_scale_, single_output=self.single_output_
        )

    def predict(
        self, X: ArrayLike, return_std: bool = False, return_cov: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predictive mean, optionally with the predictive std of :math:`y_*`.

        The std is ``inf`` where the Student-t predictive has df <= 2. ``return_cov`` is not
        supported (use :func:`~powertail.nngp.posterior.gaussian_summary` with ``k_test_test``).
        """
        if return_cov:
            raise InputError(
                "return_cov: expected False, got True; joint predictives come from "
                "powertail.nngp.posterior.gaussian_summary(..., k_test_test=...)"
            )
        dist = self.predict_dist(X)
        return (dist.mean(), dist.std()) if return_std else dist.mean()

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Mean log predictive density of ``y`` at ``X`` (noisy predictive, original units)."""
        dist = self.predict_dist(X)
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.shape != (np.shape(X)[0], dist.shift.size):
            raise InputError(
                f"y: expected shape ({np.shape(X)[0]},) or ({np.shape(X)[0]}, "
                f"{dist.shift.size}), got {np.shape(y)}; one target per row of X"
            )
        return float(np.mean(dist.logpdf(arr)))


_DEFAULTS = ScaleMixtureNNGPRegressor().get_params()

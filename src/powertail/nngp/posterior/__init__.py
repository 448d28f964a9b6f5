"""Exact scale-mixture NNGP regression: one factorisation, any prior on the readout variance."""

from powertail.nngp.posterior.factor import (
    EigenFactor,
    GaussianSummary,
    JitterWarning,
    NegativeVarianceWarning,
    NotPositiveDefiniteError,
    eigen_factor,
    gaussian_summary,
)
from powertail.nngp.posterior.mixture import (
    ConjugateLikelihood,
    FixedNoiseLikelihood,
    ScaleLikelihood,
    ScaleMixturePosterior,
    importance_posterior,
    quadrature_posterior,
)
from powertail.nngp.posterior.student_t import (
    StudentTPredictive,
    scale_posterior,
    student_t_log_marginal,
    student_t_predictive,
)

__all__ = [
    "ConjugateLikelihood",
    "EigenFactor",
    "FixedNoiseLikelihood",
    "GaussianSummary",
    "JitterWarning",
    "NegativeVarianceWarning",
    "NotPositiveDefiniteError",
    "ScaleLikelihood",
    "ScaleMixturePosterior",
    "StudentTPredictive",
    "eigen_factor",
    "gaussian_summary",
    "importance_posterior",
    "quadrature_posterior",
    "scale_posterior",
    "student_t_log_marginal",
    "student_t_predictive",
]

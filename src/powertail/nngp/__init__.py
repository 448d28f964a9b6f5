"""Scale mixtures of neural-network Gaussian processes (Lee, Yun, Yang, Lee; ICLR 2022).

NNGP/NTK kernels of fully connected, dense ResNet and CNN-Flatten networks
(:mod:`~powertail.nngp.kernels`), exact Student-t
process regression and any other prior on the readout variance by quadrature or importance
sampling (:mod:`~powertail.nngp.posterior`, :mod:`~powertail.nngp.priors`), the scikit-learn
style :class:`ScaleMixtureNNGPRegressor`, and the paper's UCI experiment
(:mod:`~powertail.nngp.experiments`). The brief is ``papers/scale-mixture-nngp.md``.
"""

from powertail.nngp.hyperparameters import Type2Result, fit_hyperparameters
from powertail.nngp.kernels import (
    ConvFlatten,
    FCKernels,
    FullyConnected,
    KernelBlocks,
    conv_kernels,
    fc_kernels,
    fc_kernels_reference,
    kernel_blocks,
)
from powertail.nngp.posterior import (
    EigenFactor,
    FixedNoiseLikelihood,
    GaussianSummary,
    JitterWarning,
    NegativeVarianceWarning,
    NotPositiveDefiniteError,
    ScaleMixturePosterior,
    StudentTPredictive,
    eigen_factor,
    gaussian_summary,
    importance_posterior,
    quadrature_posterior,
    scale_posterior,
    student_t_log_marginal,
    student_t_predictive,
)
from powertail.nngp.priors import (
    BurrXII,
    CustomPrior,
    Gamma,
    HalfCauchy,
    InverseGamma,
    LogNormal,
    PointMass,
    ScalePrior,
)
from powertail.nngp.regressor import NotFittedError, ScaleMixtureNNGPRegressor

__all__ = [
    "BurrXII",
    "ConvFlatten",
    "CustomPrior",
    "EigenFactor",
    "FCKernels",
    "FixedNoiseLikelihood",
    "FullyConnected",
    "Gamma",
    "GaussianSummary",
    "HalfCauchy",
    "InverseGamma",
    "JitterWarning",
    "KernelBlocks",
    "LogNormal",
    "NegativeVarianceWarning",
    "NotFittedError",
    "NotPositiveDefiniteError",
    "PointMass",
    "ScaleMixtureNNGPRegressor",
    "ScaleMixturePosterior",
    "ScalePrior",
    "StudentTPredictive",
    "Type2Result",
    "conv_kernels",
    "eigen_factor",
    "fc_kernels",
    "fc_kernels_reference",
    "fit_hyperparameters",
    "gaussian_summary",
    "importance_posterior",
    "kernel_blocks",
    "quadrature_posterior",
    "scale_posterior",
    "student_t_log_marginal",
    "student_t_predictive",
]

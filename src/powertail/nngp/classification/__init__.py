"""Classification with scale mixtures of NNGPs (brief sections 1.6 and 2.3-2.4).

* :mod:`~powertail.nngp.classification.conjugate` — labels as regression targets (NeurIPS);
* :mod:`~powertail.nngp.classification.svgp` — SVGP / SVTP with a softmax likelihood (ICLR);
* :mod:`~powertail.nngp.classification.multivariate_t` — a correct multivariate-t sampler;
* :mod:`~powertail.nngp.classification.metrics` — accuracy, categorical NLL, ECE, reliability;
* :mod:`~powertail.nngp.classification.image_kernels` — blockwise CNN-Flatten NNGP of images.
"""

from powertail.nngp.classification.conjugate import (
    ConjugateClassifier,
    argmax_probabilities,
    conjugate_scores,
)
from powertail.nngp.classification.image_kernels import ImageKernels, image_kernels
from powertail.nngp.classification.metrics import (
    accuracy,
    categorical_nll,
    expected_calibration_error,
    one_hot,
    reliability_table,
)
from powertail.nngp.classification.multivariate_t import sample_multivariate_t
from powertail.nngp.classification.svgp import (
    SVIConfig,
    SVIFit,
    fit_svi,
    inducing_indices,
    kl_inverse_gamma,
    svi_kl,
)

__all__ = [
    "ConjugateClassifier",
    "ImageKernels",
    "SVIConfig",
    "SVIFit",
    "accuracy",
    "argmax_probabilities",
    "categorical_nll",
    "conjugate_scores",
    "expected_calibration_error",
    "fit_svi",
    "image_kernels",
    "inducing_indices",
    "kl_inverse_gamma",
    "one_hot",
    "reliability_table",
    "sample_multivariate_t",
    "svi_kl",
]

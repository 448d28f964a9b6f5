"""Power-law tail fitting and tail statistics shared by every study.

Public names (each lives in one module of this package):

* :func:`fit_power_law` / :class:`PowerLawFit` - continuous PL MLE with the Clauset
  :math:`x_{\\min}` scan, optional :math:`x_{\\max}` truncation (``powerlaw.py``);
* :func:`fit_truncated_power_law` / :class:`TruncatedPowerLawFit` - PL with exponential
  cut-off (``cutoff.py``);
* :func:`hill_estimator` / :class:`HillEstimate` (``hill.py``);
* :func:`bootstrap_alpha` / :class:`BootstrapResult` (``bootstrap.py``);
* :func:`compare_power_law`, :func:`loglikelihood_ratio` / :class:`LikelihoodRatio`
  (``compare.py``);
* :func:`log_slope`, :func:`fit_log_slope`, :func:`density_profile` (``slope.py``);
* :func:`plot_ccdf`, :func:`plot_ks_curve` (``plots.py``; matplotlib is imported on first use).
"""

from powertail.tails.bootstrap import BootstrapResult, bootstrap_alpha
from powertail.tails.compare import (
    ALTERNATIVES,
    LikelihoodRatio,
    compare_power_law,
    loglikelihood_ratio,
)
from powertail.tails.cutoff import TruncatedPowerLawFit, fit_truncated_power_law
from powertail.tails.hill import HillEstimate, hill_estimator
from powertail.tails.plots import plot_ccdf, plot_ks_curve
from powertail.tails.powerlaw import KS_VARIANTS, PowerLawFit, fit_power_law
from powertail.tails.slope import (
    DensityProfile,
    LogSlopeFit,
    density_profile,
    fit_log_slope,
    log_slope,
)

__all__ = [
    "ALTERNATIVES",
    "KS_VARIANTS",
    "BootstrapResult",
    "DensityProfile",
    "HillEstimate",
    "LikelihoodRatio",
    "LogSlopeFit",
    "PowerLawFit",
    "TruncatedPowerLawFit",
    "bootstrap_alpha",
    "compare_power_law",
    "density_profile",
    "fit_log_slope",
    "fit_power_law",
    "fit_truncated_power_law",
    "hill_estimator",
    "log_slope",
    "loglikelihood_ratio",
    "plot_ccdf",
    "plot_ks_curve",
]

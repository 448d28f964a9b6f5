"""Layer quality from weight spectra: HTSR alpha, alpha-hat, SETOL ERG / TRACE-LOG, traps.

Public names (each lives in one module of this package):

* :func:`analyze` / :class:`Analysis` / :class:`SpectraOptions` - every layer of a model
  (``analysis.py``);
* :func:`open_weights` / :class:`WeightStore` - safetensors, shard directories, ``.npz``, dicts
  (``weights.py``);
* :func:`plan_layers` / :class:`LayerSpec` - which tensors are layers and how (``layers.py``);
* :func:`layer_esd`, :func:`esd_from_matrices`, :func:`gram_matrix` / :class:`Esd` - the ESD
  engine (``esd.py``);
* :func:`layer_metrics`, :func:`fit_mp_bulk` (``observables.py``);
* :func:`erg_crossing`, :func:`trace_log`, :func:`mp_edges`, :func:`bbp_spike_location`,
  :func:`histogram_jsd`, :func:`quantile_js_distance` ... (``model.py``);
* SETOL quality estimates (``quality.py``); :func:`truncate_to_ecs` (``truncation.py``);
* figures (``plots.py``).
"""

from powertail.spectra.analysis import Analysis, analyze, summarize
from powertail.spectra.compare import compare_analyses
from powertail.spectra.esd import NORMALIZATIONS, Esd, esd_from_matrices, gram_matrix, layer_esd
from powertail.spectra.layers import LayerSpec, plan_layers
from powertail.spectra.model import (
    ErgCrossing,
    alpha_hat,
    bbp_spike_location,
    delta_lambda_min,
    erg_crossing,
    histogram_jsd,
    mp_cdf,
    mp_edges,
    mp_median,
    quantile_js_distance,
    trace_log,
    tracy_widom_width,
)
from powertail.spectra.observables import MPFit, fit_mp_bulk, layer_metrics
from powertail.spectra.options import SpectraOptions
from powertail.spectra.quality import (
    free_cumulants,
    quality_cumulant,
    quality_inverse_mp,
    quality_levy_wigner,
    quality_tail_norm,
)
from powertail.spectra.truncation import TruncatedWeights, truncate_to_ecs
from powertail.spectra.weights import TensorInfo, WeightStore, open_weights

__all__ = [
    "NORMALIZATIONS",
    "Analysis",
    "ErgCrossing",
    "Esd",
    "LayerSpec",
    "MPFit",
    "SpectraOptions",
    "TensorInfo",
    "TruncatedWeights",
    "WeightStore",
    "alpha_hat",
    "analyze",
    "bbp_spike_location",
    "compare_analyses",
    "delta_lambda_min",
    "erg_crossing",
    "esd_from_matrices",
    "fit_mp_bulk",
    "free_cumulants",
    "gram_matrix",
    "histogram_jsd",
    "layer_esd",
    "layer_metrics",
    "mp_cdf",
    "mp_edges",
    "mp_median",
    "open_weights",
    "plan_layers",
    "quality_cumulant",
    "quality_inverse_mp",
    "quality_levy_wigner",
    "quality_tail_norm",
    "quantile_js_distance",
    "summarize",
    "trace_log",
    "tracy_widom_width",
    "truncate_to_ecs",
]

r"""What is measured on the MLP3 network after every epoch.

* errors: mean cross-entropy and classification error on the held-out 10 % and the test set
  every epoch, and on the training images on the epochs of the ECS test (elsewhere the
  running training error of the epoch stands in for it, as in the paper's code);
* for FC1 and FC2, the spectra analysis of the in-memory weights
  (:func:`powertail.spectra.esd_from_matrices` and :func:`powertail.spectra.layer_metrics`, with
  the ESD of the element-wise shuffled weights for correlation traps): :math:`\alpha`, ``D``,
  ``xmin``, the ERG tail and :math:`\Delta\lambda_{\min}`, MP spikes, ``rand_num_spikes`` ...;
* the ECS truncation test (brief §1.8): the layer's :math:`W` is replaced at inference by
  :func:`powertail.spectra.truncate_to_ecs` with the PL rule (keep :math:`\lambda \ge
  \lambda_{\min}^{PL}`) and with the ERG rule (keep the ERG tail), and

  .. math:: \Delta E = E(W_{\mathrm{ECS}}) - E(W)

  is recorded for the training and the test images.

Columns of FC1 and FC2 are prefixed ``fc1_`` / ``fc2_`` (e.g. ``fc1_alpha``, ``fc1_erg_delta``,
``fc1_ecs_erg_dE_test``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from powertail.jaxconfig import jax_with_x64
from powertail.spectra.esd import Esd, esd_from_matrices
from powertail.spectra.experiments.mlp3_data import Mlp3Data
from powertail.spectra.experiments.mlp3_model import Params, loss_and_error, to_numpy
from powertail.spectra.observables import layer_metrics
from powertail.spectra.truncation import truncate_to_ecs

__all__ = [
    "ANALYSED_LAYERS",
    "ECS_RULES",
    "MIN_EVALS",
    "SPECTRA_COLUMNS",
    "LayerSpectra",
    "analyse_layer",
    "ecs_test",
    "errors",
    "observe",
]

#: Layers whose spectra are analysed (the paper's WeightWatcher run with ``min_evals=50`` keeps
#: exactly these two: "out" has 10 eigenvalues).
ANALYSED_LAYERS: tuple[str, ...] = ("fc1", "fc2")
#: Fewer eigenvalues than this and a layer is not analysed (the paper's ``min_evals``).
MIN_EVALS = 50
#: Truncation rules of the ECS test.
ECS_RULES: tuple[str, ...] = ("pl", "erg")
#: Per-layer columns kept from :func:`powertail.spectra.layer_metrics`.
SPECTRA_COLUMNS: tuple[str, ...] = (
    "status",
    "alpha",
    "D",
    "xmin",
    "num_pl_spikes",
    "lambda_max",
    "log_norm",
    "alpha_weighted",
    "stable_rank",
    "erg_num",
    "erg_lambda_min",
    "erg_lambda_min_normalized",
    "erg_delta",
    "num_spikes",
    "bulk_max",
    "rand_lambda_max",
    "rand_bulk_max",
    "rand_num_spikes",
    "quality_tailnorm",
    "quality_cumulant",
)


@dataclass(frozen=True, eq=False)
class LayerSpectra:
    """One layer's ESD, shuffled ESD and metrics row (``layer_metrics`` output)."""

    esd: Esd
    rand_esd: Esd
    row: dict[str, Any]


def analyse_layer(w: NDArray[np.floating], *, rng: np.random.Generator) -> LayerSpectra:
    """Spectra analysis of one weight matrix and of its element-wise shuffled copy (float64)."""
    matrix = np.asarray(w, dtype=np.float64)
    esd = esd_from_matrices(matrix)
    rand = esd_from_matrices(rng.permutation(matrix.ravel()).reshape(matrix.shape))
    row = layer_metrics(esd, rand=rand, min_evals=MIN_EVALS)
    return LayerSpectra(esd=esd, rand_esd=rand, row=row)


def errors(params: Params, data: Mlp3Data, *, train: bool = True) -> dict[str, float]:
    """``{val,test}_{loss,error}`` (and ``train_*`` with ``train``) of the network."""
    parts = [("val", data.x_val, data.y_val), ("test", data.x_test, data.y_test)]
    if train:
        parts.insert(0, ("train", data.x_train, data.y_train))
    out: dict[str, float] = {}
    for part, x, y in parts:
        out[f"{part}_loss"], out[f"{part}_error"] = loss_and_error(params, x, y)
    return out


def ecs_test(
    params: Params, layer: str, data: Mlp3Data, base: Mapping[str, float]
) -> dict[str, float]:
    """ΔE_train and ΔE_test of replacing ``layer``'s weights by their ECS truncations.

    Parameters
    ----------
    params : dict
        The network.
    layer : str
        ``"fc1"`` or ``"fc2"``.
    data : Mlp3Data
        Images.
    base : mapping
        :func:`errors` of the untruncated network (``train_error``, ``test_error``).

    Returns
    -------
    dict
        ``ecs_<rule>_k`` (kept components), ``ecs_<rule>_dE_train``, ``ecs_<rule>_dE_test`` for
        each rule of :data:`ECS_RULES` (keys without the layer prefix).
    """
    jnp = jax_with_x64().numpy
    out: dict[str, float] = {}
    w = np.asarray(params[layer]["w"], dtype=np.float64)
    for rule in ECS_RULES:
        truncated = truncate_to_ecs(w, rule=rule)
        w_ecs = jnp.asarray(truncated.weights, dtype=jnp.float32)
        changed = {**params, layer: {**params[layer], "w": w_ecs}}
        _, train_error = loss_and_error(changed, data.x_train, data.y_train)
        _, test_error = loss_and_error(changed, data.x_test, data.y_test)
        out[f"ecs_{rule}_k"] = float(truncated.k)
        out[f"ecs_{rule}_dE_train"] = train_error - base["train_error"]
        out[f"ecs_{rule}_dE_test"] = test_error - base["test_error"]
    return out


def observe(
    params: Params,
    data: Mlp3Data,
    *,
    rng: np.random.Generator,
    ecs_layers: Sequence[str] = ("fc1",),
) -> tuple[dict[str, Any], dict[str, LayerSpectra]]:
    """All per-epoch measurements of the network (module docstring).

    Parameters
    ----------
    params : dict
        The network.
    data : Mlp3Data
        Images.
    rng : numpy.random.Generator
        Stream of the weight shuffles (seeded per unit, so the numbers are reproducible).
    ecs_layers : sequence of str, default ("fc1",)
        Layers given the ECS truncation test (empty: skip it, and the error on the training
        images, this epoch).

    Returns
    -------
    (dict, dict)
        The flat row of this epoch, and the :class:`LayerSpectra` of each analysed layer.
    """
    row: dict[str, Any] = errors(params, data, train=bool(ecs_layers))
    weights = to_numpy(params)
    spectra: dict[str, LayerSpectra] = {}
    for layer in ANALYSED_LAYERS:
        spectra[layer] = analyse_layer(weights[layer]["w"], rng=rng)
        for column in SPECTRA_COLUMNS:
            row[f"{layer}_{column}"] = spectra[layer].row.get(column, np.nan)
    for layer in ecs_layers:
        for name, value in ecs_test(params, layer, data, row).items():
            row[f"{layer}_{name}"] = value
    return row, spectra

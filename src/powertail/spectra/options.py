"""Settings of an analysis: :class:`SpectraOptions` and its WeightWatcher-compatible preset."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from powertail.errors import InputError
from powertail.spectra.esd import (
    NORMALIZATIONS,
    RAND_PRECISIONS,
    SOLVERS,
    WW_EVALS_THRESHOLD,
)
from powertail.spectra.layers import CONV_LAYOUTS, DEPTHWISE_POLICIES

__all__ = ["KS_CHOICES", "WW_MIN_EVALS", "SpectraOptions"]

#: Accepted ``ks`` values (see :func:`powertail.tails.fit_power_law`).
KS_CHOICES: tuple[str, ...] = ("two-sided", "powerlaw", "ww")
#: WeightWatcher 0.7.7's ``DEFAULT_MIN_EVALS`` (layers with fewer eigenvalues are skipped).
WW_MIN_EVALS = 8


@dataclass(frozen=True)
class SpectraOptions:
    """Validated settings of one analysis (recorded in run manifests).

    Build it with :meth:`make`, which resolves ``ww_compat`` and checks every value.

    Attributes
    ----------
    normalization : str
        ``"none"`` (raw sigma^2), ``"1/N"`` (paper) or ``"ww"`` (WeightWatcher 0.7.x scale).
    ks : str
        KS variant of the xmin scan (see :func:`powertail.tails.fit_power_law`).
    min_tail : int
        Smallest power-law tail in the scan.
    min_evals : int
        Layers with fewer kept eigenvalues are reported as skipped (their ESD is kept).
    absolute_threshold : float or None
        Absolute zero threshold (WeightWatcher's 1e-5) instead of the relative one.
    randomize : bool
        Also analyse the element-wise shuffled weights (correlation traps).
    rand_precision : str
        Arithmetic of the shuffled weights' Gram and eigen-solver: ``"auto"`` (default:
        float32 on layers at least 2048 wide whose every eigenvalue it resolves to 1e-3,
        float64 elsewhere; see :mod:`powertail.spectra.esd`), ``"float64"`` (what
        WeightWatcher 0.7.7 uses) or ``"float32"`` (about 1.8x faster on large layers;
        eigenvalue errors ~1e-5 lambda_max, far below the shuffle's own sampling scatter).
        The layer's own ESD is always float64; the row's ``rand_precision`` says which was
        used.
    conv_layout, depthwise, split_gates, split_qkv, dedupe_tied
        Layer extraction (see :func:`~powertail.spectra.layers.plan_layers`).
    solver : str
        ``"numpy"`` or ``"jax"`` (see :func:`~powertail.spectra.esd.layer_esd`).
    ww_compat : bool
        Whether the WeightWatcher 0.7.x conventions were asked for.
    """

    normalization: str = "none"
    ks: str = "two-sided"
    min_tail: int = 10
    min_evals: int = 10
    absolute_threshold: float | None = None
    randomize: bool = False
    rand_precision: str = "auto"
    conv_layout: str = "channels_first"
    depthwise: str = "flatten"
    split_gates: bool = True
    split_qkv: bool = False
    dedupe_tied: bool = True
    solver: str = "numpy"
    ww_compat: bool = False

    @classmethod
    def make(
        cls,
        *,
        ww_compat: bool = False,
        normalization: str | None = None,
        ks: str | None = None,
        min_tail: int | None = None,
        min_evals: int | None = None,
        randomize: bool = False,
        rand_precision: str = "auto",
        conv_layout: str = "channels_first",
        depthwise: str = "flatten",
        split_gates: bool = True,
        split_qkv: bool = False,
        dedupe_tied: bool = True,
        solver: str = "numpy",
    ) -> SpectraOptions:
        """Resolve defaults and check values.

        ``ww_compat=True`` selects WeightWatcher 0.7.x conventions: ``normalization="ww"``
        (pooled Conv2D eigenvalues halved), ``ks="ww"`` (one-sided j/k KS over every index),
        ``min_tail=2``, ``min_evals=8`` (its ``DEFAULT_MIN_EVALS``), the absolute 1e-5 zero
        threshold, the ERG over all eigenvalues (zeros included) and, below 20 eigenvalues,
        WeightWatcher's small-N fit (:mod:`~powertail.spectra.ww_small_n`). Otherwise the
        defaults are raw eigenvalues, the two-sided Clauset KS, ``min_tail=10``,
        ``min_evals=10`` and the relative threshold.
        An explicit value that contradicts ``ww_compat`` raises.

        Raises
        ------
        InputError
            On an unknown value or a contradiction with ``ww_compat``.
        """
        preset = {"normalization": "ww", "ks": "ww", "min_tail": 2} if ww_compat else {}
        given = {"normalization": normalization, "ks": ks, "min_tail": min_tail}
        for key, value in preset.items():
            if given[key] is not None and given[key] != value:
                raise InputError(
                    f"{key}: expected {value!r} (or nothing) with ww_compat=True, got "
                    f"{given[key]!r}; drop ww_compat or the {key} argument"
                )
        norm = normalization or preset.get("normalization", "none")
        ks_v = ks or preset.get("ks", "two-sided")
        tail = min_tail if min_tail is not None else preset.get("min_tail", 10)
        if min_evals is None:
            min_evals = WW_MIN_EVALS if ww_compat else 10
        if norm not in NORMALIZATIONS:
            raise InputError(
                f"normalization: expected one of {NORMALIZATIONS}, got {norm!r}; "
                "use 'none' (raw), '1/N' (paper) or 'ww' (WeightWatcher)"
            )
        if ks_v not in KS_CHOICES:
            raise InputError(f"ks: expected one of {KS_CHOICES}, got {ks_v!r}; use 'two-sided'")
        for name, value, low in (("min_tail", tail, 2), ("min_evals", min_evals, 2)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"{name}: expected an int >= {low}, got {value!r}")
        if solver not in SOLVERS:
            raise InputError(f"solver: expected one of {SOLVERS}, got {solver!r}; use 'numpy'")
        if rand_precision not in RAND_PRECISIONS:
            raise InputError(
                f"rand_precision: expected one of {RAND_PRECISIONS}, got {rand_precision!r}; "
                "use 'auto' (default), 'float64' or 'float32'"
            )
        if conv_layout not in CONV_LAYOUTS:
            raise InputError(f"conv_layout: expected one of {CONV_LAYOUTS}, got {conv_layout!r}")
        if depthwise not in DEPTHWISE_POLICIES:
            raise InputError(f"depthwise: expected one of {DEPTHWISE_POLICIES}, got {depthwise!r}")
        return cls(
            normalization=norm,
            ks=ks_v,
            min_tail=int(tail),
            min_evals=int(min_evals),
            absolute_threshold=WW_EVALS_THRESHOLD if ww_compat else None,
            randomize=bool(randomize),
            rand_precision=rand_precision,
            conv_layout=conv_layout,
            depthwise=depthwise,
            split_gates=bool(split_gates),
            split_qkv=bool(split_qkv),
            dedupe_tied=bool(dedupe_tied),
            solver=solver,
            ww_compat=bool(ww_compat),
        )

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON data."""
        return dataclasses.asdict(self)

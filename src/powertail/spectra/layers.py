"""Which tensors are layers, and how each becomes one or more weight matrices.

:func:`plan_layers` turns the tensor list of a :class:`~powertail.spectra.weights.WeightStore`
into one :class:`LayerSpec` per row of the output table. Every tensor gets a row: the ones that
are not analysed carry ``status="skipped"`` and a reason, so nothing disappears silently.

Policy (from the stored shape and the parameter name, never from class names):

=====================  =========================================================================
shape                   treatment
=====================  =========================================================================
integer / bool          skipped: a buffer, not weights (e.g. ``position_ids``)
0-D / 1-D               skipped: bias or norm scale
2-D                     one matrix. ``kind`` is ``embedding`` (name contains ``embed``, ``wte``,
                        ``wpe``), ``conv1d_hf`` (GPT-2 ``c_attn``/``c_fc``/``c_proj``, stored
                        in x out), ``rnn_gate`` (``weight_ih_l*``/``weight_hh_l*`` split into
                        its 4 LSTM gates i,f,g,o or 3 GRU gates r,z,n when ``split_gates``), else
                        ``linear``. The orientation never matters: the ESD uses the smaller side.
3-D / 4-D / 5-D         Conv1d/2d/3d in PyTorch layout (out, in/groups, *kernel) (or Keras
                        (*kernel, in, out) with ``conv_layout="channels_last"``): one
                        out x in matrix per kernel position, pooled into one ESD. When
                        in/groups = 1 (depthwise, or a single input channel) the slices would be
                        out x 1 (M = 1, no spectrum): the kernels are analysed as one
                        out x prod(kernel) matrix (``depthwise="flatten"``) or skipped
                        (``depthwise="skip"``).
other ranks             skipped: unsupported rank
=====================  =========================================================================

Tensors with identical contents (tied embeddings / ``lm_head``) are analysed once; the copies are
skipped with ``"tied to <name>"``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np

from powertail.errors import InputError
from powertail.spectra.weights import WeightStore

__all__ = ["CONV_LAYOUTS", "DEPTHWISE_POLICIES", "LayerSpec", "plan_layers"]

ConvLayout = Literal["channels_first", "channels_last"]
DepthwisePolicy = Literal["flatten", "skip"]
#: Accepted ``conv_layout`` values: PyTorch (out, in, *k) or Keras/TF (*k, in, out).
CONV_LAYOUTS: tuple[str, ...] = ("channels_first", "channels_last")
#: Accepted ``depthwise`` values (see the module docstring).
DEPTHWISE_POLICIES: tuple[str, ...] = ("flatten", "skip")

_EMBEDDING = re.compile(r"(embed|(^|\.)wte\.|(^|\.)wpe\.)")
_HF_CONV1D = re.compile(r"(^|\.)(c_attn|c_fc|c_proj)\.weight$")
_FUSED_QKV = re.compile(r"(qkv|query_key_value|c_attn|in_proj_weight)")
_RNN = re.compile(r"(^|\.)weight_(ih|hh)_l(\d+)(_reverse)?$")
_GATES = {4: ("i", "f", "g", "o"), 3: ("r", "z", "n")}
_CONV_KIND = {3: "conv1d", 4: "conv2d", 5: "conv3d"}


@dataclass(frozen=True)
class LayerSpec:
    """One row of the analysis: a tensor (or a gate block of one) and how to read it.

    Attributes
    ----------
    name : str
        Row key: the tensor name, with ``[gate]`` appended for split RNN gates.
    tensor : str
        Name of the stored tensor.
    kind : str
        ``linear``, ``embedding``, ``conv1d_hf``, ``rnn_gate``, ``conv1d``, ``conv2d``,
        ``conv3d``, ``vector``, ``buffer`` or ``unsupported``.
    shape : tuple of int
        Stored shape of `tensor`.
    layout : str
        ``matrix`` (2-D), ``slices`` (one matrix per kernel position), ``flatten`` (kernels as
        one out x prod(kernel) matrix) or ``none`` (not analysed).
    block : tuple of int or None
        ``(axis, start, stop)``: the slice of a 2-D tensor that this row analyses (RNN gates,
        split fused QKV), else ``None`` (the whole tensor).
    N : int
        Larger side of each matrix (0 when not analysed).
    M : int
        Smaller side of each matrix: eigenvalues per matrix.
    n_matrices : int
        Matrices pooled into the ESD (kernel positions; WeightWatcher's ``rf``).
    conv_layout : str
        Layout used to slice convolution kernels.
    status : str
        ``"pending"`` (to analyse) or ``"skipped"``.
    reason : str
        Why the row is skipped (empty when pending).
    """

    name: str
    tensor: str
    kind: str
    shape: tuple[int, ...]
    layout: str
    block: tuple[int, int, int] | None
    N: int
    M: int
    n_matrices: int
    conv_layout: str
    status: str
    reason: str

    @property
    def num_evals(self) -> int:
        """Number of eigenvalues of the pooled ESD, ``M * n_matrices``."""
        return self.M * self.n_matrices


def _skipped(name: str, shape: tuple[int, ...], kind: str, reason: str, layout: str) -> LayerSpec:
    return LayerSpec(name, name, kind, shape, "none", None, 0, 0, 0, layout, "skipped", reason)


def _matrix(
    name: str,
    tensor: str,
    kind: str,
    shape: tuple[int, ...],
    n: int,
    m: int,
    layout: str,
    *,
    how: str = "matrix",
    block: tuple[int, int, int] | None = None,
    count: int = 1,
) -> LayerSpec:
    big, small = max(n, m), min(n, m)
    return LayerSpec(
        name=name,
        tensor=tensor,
        kind=kind,
        shape=shape,
        layout=how,
        block=block,
        N=big,
        M=small,
        n_matrices=count,
        conv_layout=layout,
        status="pending",
        reason="",
    )


def conv_dims(shape: tuple[int, ...], layout: str) -> tuple[int, int, tuple[int, ...]]:
    """Return ``(out, in_per_group, kernel)`` of a convolution weight of `shape` in `layout`."""
    if layout == "channels_first":
        return shape[0], shape[1], shape[2:]
    return shape[-1], shape[-2], shape[:-2]


def _fingerprint(store: WeightStore, name: str, *, full: bool) -> str:
    """Hash of a tensor's values: its first and last two rows only (cheap), or all of it."""
    digest = hashlib.blake2b(digest_size=16)
    lazy = store.lazy(name)
    rows = lazy.shape[0]
    if not full:
        for start, stop in ((0, min(2, rows)), (max(0, rows - 2), rows)):
            digest.update(np.ascontiguousarray(lazy[start:stop]).tobytes())
        return digest.hexdigest()
    step = max(1, (1 << 22) // max(1, int(np.prod(lazy.shape[1:]))))
    for start in range(0, rows, step):
        digest.update(np.ascontiguousarray(lazy[start : start + step]).tobytes())
    return digest.hexdigest()


def _tied_to(store: WeightStore, name: str, seen: dict[str, list[str]]) -> str | None:
    """The earlier tensor with the same values as `name`, or ``None`` (records `name`).

    Tensors are first compared by a hash of a few rows; only when those match is the whole
    tensor hashed, so untied models (the usual case) are never read in full here.
    """
    quick = _fingerprint(store, name, full=False)
    candidates = seen.setdefault(quick, [])
    if candidates:
        full = _fingerprint(store, name, full=True)
        for other in candidates:
            if _fingerprint(store, other, full=True) == full:
                return other
    candidates.append(name)
    return None


def plan_layers(
    store: WeightStore,
    *,
    conv_layout: ConvLayout = "channels_first",
    depthwise: DepthwisePolicy = "flatten",
    split_gates: bool = True,
    split_qkv: bool = False,
    dedupe_tied: bool = True,
) -> list[LayerSpec]:
    """Decide, for every tensor of `store`, whether and how it is analysed.

    Parameters
    ----------
    store : WeightStore
        The opened weights.
    conv_layout : {"channels_first", "channels_last"}, default "channels_first"
        Layout of convolution kernels: PyTorch (out, in/groups, *k) or Keras (*k, in, out).
    depthwise : {"flatten", "skip"}, default "flatten"
        Convolutions with one input channel per group: analyse the kernels as one
        out x prod(kernel) matrix, or skip them with a reason.
    split_gates : bool, default True
        Split RNN ``weight_ih_l*`` / ``weight_hh_l*`` matrices into their gate blocks.
    split_qkv : bool, default False
        Split fused attention projections (``qkv``, ``query_key_value``, ``c_attn``,
        ``in_proj_weight``) whose one side is exactly 3x the other into ``[q]``, ``[k]``,
        ``[v]`` rows. Fused and split matrices give different alphas; the default analyses
        the fused matrix as stored.
    dedupe_tied : bool, default True
        Analyse tensors with identical contents once (tied weights).

    Returns
    -------
    list of LayerSpec
        One spec per output row, in the store's order.

    Raises
    ------
    InputError
        If an option has an unknown value.
    """
    if conv_layout not in CONV_LAYOUTS:
        raise InputError(
            f"conv_layout: expected one of {CONV_LAYOUTS}, got {conv_layout!r}; use "
            "'channels_first' for PyTorch and 'channels_last' for Keras"
        )
    if depthwise not in DEPTHWISE_POLICIES:
        raise InputError(
            f"depthwise: expected one of {DEPTHWISE_POLICIES}, got {depthwise!r}; "
            "use 'flatten' or 'skip'"
        )
    hidden = {}  # RNN layer suffix -> hidden size, from weight_hh (gH x H)
    for info in store.tensors:
        match = _RNN.search(info.name)
        if match and match.group(2) == "hh" and len(info.shape) == 2:
            hidden[(info.name[: match.start(2)], match.group(3), match.group(4))] = info.shape[1]
    specs: list[LayerSpec] = []
    seen: dict[str, list[str]] = {}  # quick fingerprint -> tensors with it
    counts = Counter((i.shape, i.dtype) for i in store.tensors if len(i.shape) == 2)
    for info in store.tensors:
        name, shape = info.name, info.shape
        if not info.floating:
            specs.append(
                _skipped(name, shape, "buffer", f"{info.dtype} buffer, not weights", conv_layout)
            )
            continue
        if len(shape) < 2:
            specs.append(
                _skipped(
                    name,
                    shape,
                    "vector",
                    f"{len(shape)}-D tensor (bias or norm scale)",
                    conv_layout,
                )
            )
            continue
        if 0 in shape:
            specs.append(_skipped(name, shape, "unsupported", "empty tensor", conv_layout))
            continue
        if dedupe_tied and len(shape) == 2 and counts[(shape, info.dtype)] > 1:
            original = _tied_to(store, name, seen)
            if original is not None:
                specs.append(_skipped(name, shape, "linear", f"tied to {original}", conv_layout))
                continue
        if len(shape) == 2:
            specs.extend(
                _plan_matrix(name, shape, hidden, split_gates=split_gates, split_qkv=split_qkv)
            )
            continue
        if len(shape) in _CONV_KIND:
            kind = _CONV_KIND[len(shape)]
            out, inp, kernel = conv_dims(shape, conv_layout)
            positions = int(np.prod(kernel))
            if inp == 1:
                if depthwise == "skip":
                    specs.append(
                        _skipped(
                            name,
                            shape,
                            kind,
                            f"depthwise kernel slices are {out}x1 (M = 1); depthwise='skip'",
                            conv_layout,
                        )
                    )
                    continue
                specs.append(
                    _matrix(name, name, kind, shape, out, positions, conv_layout, how="flatten")
                )
                continue
            specs.append(
                _matrix(
                    name, name, kind, shape, out, inp, conv_layout, how="slices", count=positions
                )
            )
            continue
        specs.append(_skipped(name, shape, "unsupported", f"{len(shape)}-D tensor", conv_layout))
    return specs


def _plan_matrix(
    name: str, shape: tuple[int, ...], hidden: dict, *, split_gates: bool, split_qkv: bool
) -> list[LayerSpec]:
    n, m = shape
    if split_qkv and _FUSED_QKV.search(name) and (n == 3 * m or m == 3 * n):
        axis = 0 if n == 3 * m else 1
        size = shape[axis] // 3
        kind = "conv1d_hf" if _HF_CONV1D.search(name) else "linear"
        return [
            _matrix(
                f"{name}[{part}]",
                name,
                kind,
                shape,
                size,
                shape[1 - axis],
                "channels_first",
                block=(axis, i * size, (i + 1) * size),
            )
            for i, part in enumerate("qkv")
        ]
    match = _RNN.search(name)
    if match and split_gates:
        size = hidden.get((name[: match.start(2)], match.group(3), match.group(4)))
        if size and n % size == 0 and n // size in _GATES:
            gates = _GATES[n // size]
            return [
                _matrix(
                    f"{name}[{gate}]",
                    name,
                    "rnn_gate",
                    shape,
                    size,
                    m,
                    "channels_first",
                    block=(0, i * size, (i + 1) * size),
                )
                for i, gate in enumerate(gates)
            ]
    if _HF_CONV1D.search(name):
        kind = "conv1d_hf"
    elif _EMBEDDING.search(name):
        kind = "embedding"
    else:
        kind = "linear"
    return [_matrix(name, name, kind, shape, n, m, "channels_first")]

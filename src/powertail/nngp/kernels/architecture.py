"""The fully connected architecture whose infinite-width kernels :mod:`powertail.nngp.kernels`
computes (brief section 1.1, neural-tangents "ntk" parameterisation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from powertail.errors import InputError

Activation = Literal["relu", "erf", "identity"]
ACTIVATIONS: tuple[str, ...] = ("relu", "erf", "identity")
"""Activations with a closed-form dual (brief section 1.2)."""


@dataclass(frozen=True)
class FullyConnected:
    r"""A fully connected network ``depth × [Dense(σ_w, σ_b), φ]`` followed by ``Dense(σ_v)``.

    Hidden layers use the NTK parameterisation
    :math:`z_i = (\sigma_w/\sqrt{N_{in}})\sum_j W_{ij} x_j + \sigma_b b_i`,
    :math:`W, b \sim N(0, 1)`; the readout has no bias and variance ``readout_variance``.

    Parameters
    ----------
    depth : int
        Number of hidden layers :math:`L \ge 0` (0: a linear readout of the input).
    activation : {"relu", "erf", "identity"}
        The nonlinearity :math:`\phi`.
    weight_variance : float
        :math:`\sigma_w^2 > 0`.
    bias_variance : float
        :math:`\sigma_b^2 \ge 0`.
    readout_variance : float
        :math:`\sigma_v^2 > 0`; a scale mixture replaces it by a random :math:`\sigma^2`, so the
        mixture models use 1.
    residual : bool, default False
        The dense ResNet of the official regression code instead:
        ``Dense(σ_w, σ_b) → depth × [x + Dense(σ_w, σ_b)(φ(x))] → φ → Dense(σ_v)``
        (brief section 1.2, "Dense ResNet"); ``depth`` counts residual blocks.
    """

    depth: int = 1
    activation: Activation = "relu"
    weight_variance: float = 1.0
    bias_variance: float = 0.0
    readout_variance: float = 1.0
    residual: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 0:
            raise InputError(
                f"depth: expected an int >= 0 (number of hidden layers), got {self.depth!r}; "
                "pass e.g. depth=4"
            )
        if not isinstance(self.residual, bool):
            raise InputError(f"residual: expected a bool, got {self.residual!r}")
        if self.activation not in ACTIVATIONS:
            raise InputError(
                f"activation: expected one of {', '.join(ACTIVATIONS)}, got {self.activation!r}; "
                "pick one of those"
            )
        for name, low, strict in (
            ("weight_variance", 0.0, True),
            ("bias_variance", 0.0, False),
            ("readout_variance", 0.0, True),
        ):
            value = getattr(self, name)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and value == value and value < float("inf")
            ok = ok and (value > low if strict else value >= low)
            if not ok:
                bound = "> 0" if strict else ">= 0"
                raise InputError(
                    f"{name}: expected a finite float {bound}, got {value!r}; "
                    f"pass a {'positive' if strict else 'non-negative'} number"
                )
            object.__setattr__(self, name, float(value))

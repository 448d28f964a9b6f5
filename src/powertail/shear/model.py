r"""The sheared Rayleigh-Boltzmann tagged particle: model options and collision rates.

The law :math:`f(w, t)` of the peculiar velocity :math:`w \in \mathbb R^3` of one test particle
solves (brief section 1.1)

.. math::

    \partial_t f - K w_2 \partial_{w_1} f = \mathcal L f ,

with free flights :math:`w(t) = (w_1 - K w_2 t, w_2, w_3)` between collisions. A
:class:`ShearModel` fixes everything that enters :math:`\mathcal L` and every convention the numbers
depend on:

``background``
    ``"maxwellian"`` - linear Boltzmann (Rayleigh gas) against a Maxwellian of temperature
    :math:`T`, kernel :math:`B = b(n\cdot\omega)|u|^\gamma` (brief 1.2);
    ``"delta"`` - the approximated model of MNV2 (brief 1.4): background replaced by a Dirac mass
    at 0, rate :math:`c_0 |w|^{-a}` with :math:`a = -\gamma`;
    ``"bgk"`` - linear BGK sanity model: at rate :math:`\nu = c_0` the velocity is replaced by a
    fresh Maxwellian sample (brief 1.11, last paragraph). Needs :math:`\gamma = 0`.
``scattering``
    ``"uniform-omega"`` - :math:`b` constant: :math:`\omega` uniform on :math:`S^2` and
    :math:`w' = w - ((w - v_*)\cdot\omega)\omega`. Forward peaked in the centre-of-mass frame
    (mean deflection cosine 1/3); :math:`\kappa_1 = E\mu^2 = 1/3`, :math:`\kappa_2 = E\mu^4 = 1/5`.
    **This is the law the paper's formulas assume** (MNV2 takes :math:`B = |w|^{-a}` with a
    constant angular part; the brief's sections 1.4-1.11 use it).
    ``"isotropic-cm"`` - :math:`b \propto |n\cdot\omega|`: the relative velocity after the
    collision is uniform on the sphere in the centre-of-mass frame (hard-sphere-type law);
    :math:`\kappa_1 = 1/2`, :math:`\kappa_2 = 1/3`.
``normalisation``
    The rate constant :math:`c_0 = \beta_0 = \int_{S^2} b\,d\omega` multiplying :math:`|u|^\gamma`:
    ``"unit"`` (:math:`c_0 = 1`, the brief's Monte Carlo numbers), ``"4pi"`` (:math:`b \equiv 1`
    on the full sphere) or ``"2pi"`` (:math:`b \equiv 1` on a hemisphere). Since :math:`\omega`
    and :math:`-\omega` give the same :math:`w'`, the hemisphere and the sphere differ only in
    this constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from powertail.errors import InputError

__all__ = [
    "BACKGROUNDS",
    "NORMALISATIONS",
    "SCATTERING_LAWS",
    "Background",
    "Normalisation",
    "ScatteringLaw",
    "ShearModel",
    "angular_moments",
    "collision_rate",
    "rate_constant",
]

Background = Literal["maxwellian", "delta", "bgk"]
ScatteringLaw = Literal["uniform-omega", "isotropic-cm"]
Normalisation = Literal["unit", "4pi", "2pi"]
BACKGROUNDS: tuple[str, ...] = ("maxwellian", "delta", "bgk")
SCATTERING_LAWS: tuple[str, ...] = ("uniform-omega", "isotropic-cm")
NORMALISATIONS: tuple[str, ...] = ("unit", "4pi", "2pi")

GAMMA_MIN = -3.0
"""Lower end (excluded) of the supported homogeneities: the rate integral diverges at gamma = -3."""
GAMMA_MAX = 1.0
"""Upper end (included): hard spheres."""

KUMMER_SWITCH = 1.0e4
r"""Above this :math:`x = |w|^2/(2T)` the rate uses Kummer's large-argument series instead of
SciPy's ``hyp1f1`` (brief 4.2, item 10: special functions at large arguments)."""


def rate_constant(normalisation: Normalisation) -> float:
    r"""The rate constant :math:`c_0 = \beta_0` of a normalisation convention (module docstring)."""
    table = {"unit": 1.0, "4pi": 4.0 * math.pi, "2pi": 2.0 * math.pi}
    if normalisation not in table:
        raise InputError(
            f"normalisation: expected one of {', '.join(NORMALISATIONS)}, got {normalisation!r}; "
            "use 'unit' for the brief's numbers"
        )
    return table[normalisation]


def angular_moments(scattering: ScatteringLaw) -> tuple[float, float]:
    r"""Return :math:`(\kappa_1, \kappa_2) = (E\mu^2, E\mu^4)`, :math:`\mu = n\cdot\omega`.

    Under the angular law :math:`b(\mu)/\beta_0` (brief 1.2): uniform :math:`\omega` gives
    :math:`\mu` uniform on :math:`[-1, 1]`, so :math:`(1/3, 1/5)`; :math:`b \propto |\mu|` gives
    :math:`|\mu|` with density :math:`2\mu` on :math:`[0, 1]`, so :math:`(1/2, 1/3)`.
    """
    if scattering == "uniform-omega":
        return 1.0 / 3.0, 1.0 / 5.0
    if scattering == "isotropic-cm":
        return 1.0 / 2.0, 1.0 / 3.0
    raise InputError(
        f"scattering: expected one of {', '.join(SCATTERING_LAWS)}, got {scattering!r}; "
        "'uniform-omega' is the paper's law"
    )


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name}: expected a real number, got {value!r}; pass a float")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{name}: expected a finite number, got {value!r}; pass a finite float")
    return out


@dataclass(frozen=True)
class ShearModel:
    r"""One tagged-particle model (see the module docstring for every option).

    Parameters
    ----------
    gamma : float
        Homogeneity :math:`\gamma` of the kernel :math:`|u|^\gamma`, in :math:`(-3, 1]`; the
        δ-model needs :math:`\gamma < 0` (:math:`a = -\gamma`), BGK needs :math:`\gamma = 0`.
    shear : float, default 1.0
        Shear rate :math:`K \ge 0` (:math:`L = K e_1 \otimes e_2`).
    temperature : float, default 1.0
        Background temperature :math:`T > 0` (unused by the δ-model).
    background : {"maxwellian", "delta", "bgk"}, default "maxwellian"
    scattering : {"uniform-omega", "isotropic-cm"}, default "uniform-omega"
    normalisation : {"unit", "4pi", "2pi"}, default "unit"

    Raises
    ------
    InputError
        On any value outside the ranges above.
    """

    gamma: float
    shear: float = 1.0
    temperature: float = 1.0
    background: Background = "maxwellian"
    scattering: ScatteringLaw = "uniform-omega"
    normalisation: Normalisation = "unit"

    def __post_init__(self) -> None:
        gamma = _finite(self.gamma, "gamma")
        shear = _finite(self.shear, "shear")
        temperature = _finite(self.temperature, "temperature")
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "shear", shear)
        object.__setattr__(self, "temperature", temperature)
        if not GAMMA_MIN < gamma <= GAMMA_MAX:
            raise InputError(
                f"gamma: expected a value in (-3, 1], got {gamma}; the collision rate is infinite "
                "for gamma <= -3 and the hard-sphere case is gamma = 1"
            )
        if shear < 0:
            raise InputError(
                f"shear: expected K >= 0, got {shear}; the sign convention is L = K e1 x e2 with "
                "K > 0 (reflect w2 for the other sign)"
            )
        if temperature <= 0:
            raise InputError(
                f"temperature: expected T > 0, got {temperature}; pass the background temperature"
            )
        if self.background not in BACKGROUNDS:
            raise InputError(
                f"background: expected one of {', '.join(BACKGROUNDS)}, got {self.background!r}"
            )
        angular_moments(self.scattering)
        rate_constant(self.normalisation)
        if self.background == "delta" and not gamma < 0:
            raise InputError(
                f"gamma: the delta background needs gamma < 0 (rate c0 |w|^-a, a = -gamma), got "
                f"{gamma}; use background='maxwellian' for gamma >= 0"
            )
        if self.background == "bgk" and gamma != 0:
            raise InputError(
                f"gamma: the BGK model has a constant rate and needs gamma = 0, got {gamma}; "
                "use background='maxwellian' for other gamma"
            )

    @property
    def c0(self) -> float:
        r"""Rate constant :math:`c_0 = \beta_0` of :attr:`normalisation`."""
        return rate_constant(self.normalisation)

    @property
    def a(self) -> float:
        r""":math:`a = -\gamma` (the exponent of the δ-model rate :math:`c_0|w|^{-a}`)."""
        return -self.gamma

    @property
    def label(self) -> str:
        """Every convention of the model in one string, for tables and figure titles."""
        return (
            f"{self.background} gamma={self.gamma:g} K={self.shear:g} T={self.temperature:g} "
            f"{self.scattering} c0={self.normalisation}"
        )

    def as_dict(self) -> dict[str, object]:
        """The model as JSON data (for run configs and unit arguments)."""
        return {
            "gamma": self.gamma,
            "shear": self.shear,
            "temperature": self.temperature,
            "background": self.background,
            "scattering": self.scattering,
            "normalisation": self.normalisation,
        }


def collision_rate(model: ShearModel, speed: ArrayLike) -> NDArray[np.float64]:
    r"""Total collision rate :math:`\lambda(w)` of a test particle of speed :math:`|w|`.

    Brief section 1.2 (Maxwellian background), for :math:`Z \sim N(0, I_3)`:

    .. math::

        \lambda(w) = c_0\, E|w - \sqrt T Z|^\gamma
                   = c_0\, T^{\gamma/2} 2^{\gamma/2}
                     \frac{\Gamma((3+\gamma)/2)}{\Gamma(3/2)}\,
                     {}_1F_1\Bigl(-\tfrac{\gamma}{2}; \tfrac32; -\tfrac{|w|^2}{2T}\Bigr),

    and for :math:`x = |w|^2/(2T) >` :data:`KUMMER_SWITCH` Kummer's expansion
    :math:`\lambda = c_0 |w|^\gamma \sum_{n<4} (A)_n (A - 1/2)_n / n!\, x^{-n}`,
    :math:`A = -\gamma/2`. δ-model (brief 1.4): :math:`\lambda = c_0|w|^{-a}`. BGK: :math:`c_0`.

    Parameters
    ----------
    model : ShearModel
    speed : array_like
        :math:`|w| \ge 0`; float64 or longdouble (very large speeds are fine).

    Returns
    -------
    ndarray of float64, same shape as `speed`
    """
    from scipy.special import gamma as gamma_fn
    from scipy.special import hyp1f1

    r = np.asarray(speed)
    g = model.gamma
    if model.background == "bgk" or g == 0.0:
        return np.full(r.shape, model.c0, dtype=np.float64)
    if model.background == "delta":
        with np.errstate(divide="ignore"):
            return np.asarray(model.c0 * r.astype(np.longdouble) ** g, dtype=np.float64)
    T = model.temperature
    x = (r.astype(np.longdouble) ** 2) / (2.0 * T)
    small = x <= KUMMER_SWITCH
    out = np.empty(r.shape, dtype=np.float64)
    prefactor = model.c0 * T ** (g / 2) * 2 ** (g / 2) * gamma_fn((3 + g) / 2) / gamma_fn(1.5)
    out[small] = prefactor * hyp1f1(-g / 2, 1.5, -np.asarray(x[small], dtype=np.float64))
    if np.any(~small):
        xl = x[~small]
        A = -g / 2
        series = np.ones_like(xl)
        term = np.ones_like(xl)
        for n in range(1, 4):  # (A)_n (A - b + 1)_n / n! x^-n with b = 3/2
            term = term * (A + n - 1) * (A - 0.5 + n - 1) / n / xl
            series = series + term
        out[~small] = np.asarray(model.c0 * r[~small].astype(np.longdouble) ** g * series)
    return out

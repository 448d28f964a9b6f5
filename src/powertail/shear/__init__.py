r"""The sheared Rayleigh-Boltzmann tagged particle (Miele, Nota, Velázquez 2025).

Public names, one room each:

* ``model.py`` - :class:`ShearModel` (background, scattering law, :math:`c_0` convention),
  :func:`collision_rate`;
* ``streams.py`` - counter-based per-particle random streams (Threefry-2x32);
* ``flights.py`` / ``jumps.py`` - exact next-collision times and post-collision velocities;
* ``montecarlo.py`` - :func:`simulate` (exact event-driven engine) → :class:`ShearSimulation`;
* ``compiled.py`` - the same engine as one Numba loop per particle (``engine="compiled"``, the
  default; the NumPy rounds of ``montecarlo.py`` are the reference);
* ``moments.py`` - γ = 0 moment equations, stationary values, :math:`K_c`, growth rates;
* ``dyson.py`` - small-time Dyson expansion (0-, 1- and, for the δ-model, 2-collision terms);
* ``asymptotics.py`` - predictions of the hyperbolic-dominated regimes (P1-P10, frozen collisions);
* ``observables.py`` - estimators with confidence intervals;
* ``experiments.py`` / ``plots.py`` / ``cli.py`` - the reproduction, its figures and
  ``powertail shear``.
"""

from powertail.shear.dyson import (
    DysonTerms,
    TwoCollisionTerm,
    dyson_terms,
    dyson_two_collision_term,
)
from powertail.shear.model import (
    BACKGROUNDS,
    NORMALISATIONS,
    SCATTERING_LAWS,
    ShearModel,
    angular_moments,
    collision_rate,
)
from powertail.shear.moments import (
    MomentGenerator,
    SecondMoments,
    critical_shear,
    critical_shear_order,
    growth_rate,
    moment_trajectory,
    polynomial_moment_generator,
    second_moments,
    stationary_second_moments,
)
from powertail.shear.montecarlo import ShearSimulation, simulate

__all__ = [
    "BACKGROUNDS",
    "NORMALISATIONS",
    "SCATTERING_LAWS",
    "DysonTerms",
    "MomentGenerator",
    "SecondMoments",
    "ShearModel",
    "ShearSimulation",
    "TwoCollisionTerm",
    "angular_moments",
    "collision_rate",
    "critical_shear",
    "critical_shear_order",
    "dyson_terms",
    "dyson_two_collision_term",
    "growth_rate",
    "moment_trajectory",
    "polynomial_moment_generator",
    "second_moments",
    "simulate",
    "stationary_second_moments",
]

"""Spherical dark-matter potentials (G = 1) and their time dependence.

Every potential has the same vocabulary (``phi``, ``force``, ``density``, ``mass``, ``vcirc``,
``acceleration``, ``central_potential``); time dependence is the wrapper
:class:`TimeDependentPotential` with an amplitude and a scale history from ``protocols``.
"""

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.dwarfs.potentials.cored_nfw import CoredNFW
from powertail.dwarfs.potentials.dehnen import Dehnen
from powertail.dwarfs.potentials.evolving import TimeDependentPotential
from powertail.dwarfs.potentials.nfw import NFW, NFW_X_MAX
from powertail.dwarfs.potentials.plummer import Plummer
from powertail.dwarfs.potentials.protocols import (
    PROTOCOL_NAMES,
    Bursts,
    Constant,
    CustomHistory,
    Impulsive,
    LinearRamp,
    Protocol,
    SmoothRamp,
    make_protocol,
)
from powertail.dwarfs.potentials.tabulated import TabulatedPotential

__all__ = [
    "NFW",
    "NFW_X_MAX",
    "PROTOCOL_NAMES",
    "Bursts",
    "Constant",
    "CoredNFW",
    "CustomHistory",
    "Dehnen",
    "Impulsive",
    "LinearRamp",
    "Plummer",
    "Protocol",
    "SmoothRamp",
    "SphericalPotential",
    "TabulatedPotential",
    "TimeDependentPotential",
    "make_protocol",
]

r"""Observed Milky Way dwarf spheroidals: a cited built-in table and the LVDB loader.

Physical units live only here (pc, kpc, km/s, L☉, M☉; astropy for the constants). Derived
quantities, for a galaxy at distance modulus :math:`(m-M)_0` with half-light radius
:math:`r_h` (major axis, arcmin), ellipticity :math:`e`, absolute magnitude :math:`M_V` and
line-of-sight dispersion :math:`\sigma` (brief §4.1):

.. math::

    D = 10^{(m-M)_0/5 + 1}\,\mathrm{pc},\quad R_h = D\tan r_h,\quad
    R_{h,\mathrm{circ}} = R_h\sqrt{1-e},\quad L_V = 10^{-0.4(M_V - M_{V,\odot})}\,L_\odot,\quad
    M_\mathrm{Wolf} = 4\sigma^2 R_{h,\mathrm{circ}}/G .
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from powertail.dwarfs.model import mono_energetic_sizes
from powertail.dwarfs.potentials import NFW, SphericalPotential
from powertail.errors import InputError

__all__ = [
    "CLASSICAL_SOURCE",
    "LVDB_FILE",
    "M_V_SUN",
    "classical_dsphs",
    "derive_structure",
    "load_lvdb",
    "map_population",
]

M_V_SUN = 4.83
"""Absolute V magnitude of the Sun (Willmer 2018 gives 4.81-4.83; 4.83 reproduces the brief's
§4.1 luminosities)."""

CLASSICAL_SOURCE = (
    "McConnachie (2012, AJ 144, 4), updated NearbyGalaxies.dat as mirrored in gomeshun/pydsph; "
    "transcribed in the powertail dwarfs brief §4.1"
)
_CLASSICAL = (
    # name, (m-M)_0, r_h [arcmin, major axis], e, M_V, sigma_los [km/s], [Fe/H]
    ("Fornax", 20.84, 16.6, 0.30, -13.5, 11.7, -0.99),
    ("Sculptor", 19.67, 11.3, 0.32, -11.1, 9.2, -1.68),
    ("Draco", 19.40, 10.0, 0.31, -8.9, 9.1, -1.93),
    ("Ursa Minor", 19.40, 8.2, 0.56, -8.9, 9.5, -2.13),
    ("Carina", 20.11, 8.2, 0.33, -9.3, 6.6, -1.72),
    ("Sextans", 19.67, 27.8, 0.35, -9.4, 7.9, -1.93),
    ("Leo I", 22.02, 3.4, 0.21, -12.1, 9.2, -1.43),
    ("Leo II", 21.84, 2.6, 0.13, -9.9, 6.6, -1.62),
)

LVDB_FILE = "dwarfs/lvdb_dwarf_mw.csv"
"""Path of the Local Volume Database table inside the data directory."""
LVDB_SOURCE = (
    "Pace (2024) Local Volume Database (CC0), file lvdb_dwarf_mw.csv from "
    "https://github.com/apace7/local_volume_database"
)
_LVDB_COLUMNS = {
    "key": "key",
    "name": "name",
    "distance_modulus": "distance_modulus",
    "rhalf": "rhalf_arcmin",
    "ellipticity": "ellipticity",
    "M_V": "M_V",
    "vlos_sigma": "sigma_los",
    "metallicity_spectroscopic": "feh",
}


def classical_dsphs() -> pd.DataFrame:
    """The eight classical Milky Way dSphs (brief §4.1; source in :data:`CLASSICAL_SOURCE`).

    Returns
    -------
    DataFrame
        Columns ``name, distance_modulus, rhalf_arcmin, ellipticity, M_V, sigma_los, feh,
        source``; add derived quantities with :func:`derive_structure`.
    """
    table = pd.DataFrame(
        _CLASSICAL,
        columns=[
            "name",
            "distance_modulus",
            "rhalf_arcmin",
            "ellipticity",
            "M_V",
            "sigma_los",
            "feh",
        ],
    )
    table["source"] = CLASSICAL_SOURCE
    return table


def _gravitational_constant() -> float:
    """G in pc (km/s)² / M☉ (astropy constants, used only at this edge)."""
    from astropy import constants, units

    return float(constants.G.to(units.pc * units.km**2 / units.s**2 / units.M_sun).value)


def derive_structure(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``distance_kpc, R_h_pc, R_h_circ_pc, L_V, M_Wolf`` (module formulas) to a copy.

    Parameters
    ----------
    table : DataFrame
        With columns ``distance_modulus, rhalf_arcmin, ellipticity, M_V, sigma_los`` (NaN
        allowed: the derived value is then NaN).

    Raises
    ------
    InputError
        If a column is missing or an ellipticity lies outside [0, 1).
    """
    need = ["distance_modulus", "rhalf_arcmin", "ellipticity", "M_V", "sigma_los"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise InputError(
            f"table: expected columns {', '.join(need)}, got none named {', '.join(missing)}; "
            "rename your columns or use classical_dsphs() / load_lvdb()"
        )
    out = table.copy()
    ell = out["ellipticity"].astype(float)
    if ((ell < 0) | (ell >= 1)).any():
        bad = out.loc[(ell < 0) | (ell >= 1), "ellipticity"].iloc[0]
        raise InputError(f"ellipticity: expected values in [0, 1), got {bad!r}")
    distance_pc = 10.0 ** (out["distance_modulus"].astype(float) / 5.0 + 1.0)
    out["distance_kpc"] = distance_pc / 1e3
    out["R_h_pc"] = distance_pc * np.tan(np.radians(out["rhalf_arcmin"].astype(float) / 60.0))
    out["R_h_circ_pc"] = out["R_h_pc"] * np.sqrt(1.0 - ell.fillna(0.0))
    out["L_V"] = 10.0 ** (-0.4 * (out["M_V"].astype(float) - M_V_SUN))
    # Wolf et al. (2010): M(<r_1/2) = 4 sigma^2 R_e / G (brief §2.5)
    out["M_Wolf"] = (
        4.0 * out["sigma_los"].astype(float) ** 2 * out["R_h_circ_pc"] / (_gravitational_constant())
    )
    return out


def load_lvdb(
    path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read the Local Volume Database table of Milky Way satellites and derive R_h, L_V, M_Wolf.

    Parameters
    ----------
    path : path-like, optional
        The CSV file; default :data:`LVDB_FILE` in the data directory.
    data_dir : path-like, optional
        The data directory (``--data-dir``; see :func:`powertail.data.find_data_file`).

    Returns
    -------
    DataFrame
        Standard columns ``key, name, distance_modulus, rhalf_arcmin, ellipticity, M_V,
        sigma_los, feh`` (NaN where the LVDB has no value; a missing ellipticity is taken as 0),
        the derived columns of :func:`derive_structure`, and ``source``.

    Raises
    ------
    MissingDataError
        If the file is not in the data directory (the message says where to get it).
    InputError
        If the file is not an LVDB table (names the missing columns).
    """
    from powertail.data import find_data_file

    file = (
        find_data_file(LVDB_FILE, data_dir=data_dir, source=LVDB_SOURCE) if path is None else (path)
    )
    try:
        raw = pd.read_csv(file)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(
            f"LVDB file {str(file)!r}: expected a CSV table, got one that cannot be read ({exc})"
        ) from None
    missing = [c for c in _LVDB_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"LVDB file {str(file)!r}: expected the columns {', '.join(_LVDB_COLUMNS)}, got none "
            f"named {', '.join(missing)}; pass lvdb_dwarf_mw.csv from {LVDB_SOURCE}"
        )
    table = raw[list(_LVDB_COLUMNS)].rename(columns=_LVDB_COLUMNS)
    table["ellipticity"] = table["ellipticity"].fillna(0.0)
    table = derive_structure(table)
    table["source"] = LVDB_SOURCE
    return table


@dataclass(frozen=True)
class PopulationMapping:
    r"""A mono-energetic population scaled onto an observed galaxy (see :func:`map_population`).

    Attributes
    ----------
    eps : float
        Binding energy whose projected half-light radius matches the galaxy's.
    R_e_model, sigma_model : float
        :math:`R_e` and :math:`\sigma_{los}` of that population in model units.
    length_unit_kpc, velocity_unit_kms, time_unit_gyr, mass_unit_msun : float
        The model units implied by ``r_s`` and by matching :math:`\sigma_{los}`.
    v_max_kms : float
        The halo's peak circular velocity in km/s.
    """

    eps: float
    R_e_model: float
    sigma_model: float
    length_unit_kpc: float
    velocity_unit_kms: float
    time_unit_gyr: float
    mass_unit_msun: float
    v_max_kms: float


def map_population(
    r_e_pc: float,
    sigma_kms: float,
    *,
    r_s_kpc: float,
    halo: SphericalPotential | None = None,
) -> PopulationMapping:
    r"""Place a mono-energetic population on an observed dSph (brief §2.3 example).

    The length unit is the halo's scale :math:`r_s` (``r_s_kpc``); :math:`\varepsilon` is chosen
    so that the population's projected half-light radius equals ``r_e_pc``, and the velocity
    unit so that its :math:`\sigma_{los}` equals ``sigma_kms``. With G = 1 the mass unit is
    :math:`v_0^2 r_s / G` and the time unit :math:`r_s/v_0`.

    Raises
    ------
    InputError
        If no ε in (0.001, 0.95) gives that size in this halo.
    """
    from astropy import constants, units
    from scipy.optimize import brentq

    pot = NFW() if halo is None else halo
    target = float(r_e_pc) / (1e3 * float(r_s_kpc))
    lo, hi = 1e-3, 0.95
    size_lo, size_hi = mono_energetic_sizes(pot, lo)[1], mono_energetic_sizes(pot, hi)[1]
    if not size_lo < target < size_hi:
        raise InputError(
            f"r_e_pc: expected a size between {size_lo * r_s_kpc * 1e3:.3g} and "
            f"{size_hi * r_s_kpc * 1e3:.3g} pc for r_s = {r_s_kpc} kpc, got {r_e_pc}; "
            "change r_s_kpc"
        )
    eps = brentq(lambda e: mono_energetic_sizes(pot, e)[1] - target, lo, hi, xtol=1e-7)
    _, r_e_model, sigma_model = mono_energetic_sizes(pot, eps)
    v0 = float(sigma_kms) / sigma_model
    length = float(r_s_kpc) * units.kpc
    speed = v0 * units.km / units.s
    mass = (speed**2 * length / constants.G).to(units.M_sun).value
    time = (length / speed).to(units.Gyr).value
    r_peak = _peak_radius(pot)
    return PopulationMapping(
        eps=float(eps),
        R_e_model=r_e_model,
        sigma_model=sigma_model,
        length_unit_kpc=float(r_s_kpc),
        velocity_unit_kms=v0,
        time_unit_gyr=float(time),
        mass_unit_msun=float(mass),
        v_max_kms=float(pot.vcirc(r_peak)) * v0,
    )


def _peak_radius(pot: SphericalPotential) -> float:
    r = np.geomspace(1e-3, 1e3, 4001)
    return float(r[np.argmax(pot.vcirc(r))])

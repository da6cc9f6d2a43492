"""Unit conversion to canonical units, exact in both directions, unit spellings read as UCUM
codes, and albumin correction."""

from __future__ import annotations

import re

import numpy as np

from .errors import InvalidInputError
from .features import BY_NAME

# Calcium: 1 mg/dL = 10 mg/L; molar mass 40.078 g/mol (IUPAC standard atomic weight).
# ALP: 1 ukat/L = 1 umol/s/L = 60 umol/min/L = 60 U/L. Albumin: 1 g/dL = 10 g/L.
# CEA: 1 ng/mL = 1 ug/L. Factors multiply a value to give the canonical unit.
_CALCIUM_MOLAR_MASS = 40.078
FACTORS: dict[str, dict[str, float]] = {
    "calcium": {"mmol/L": 1.0, "mg/dL": 10.0 / _CALCIUM_MOLAR_MASS},
    "albumin": {"g/L": 1.0, "g/dL": 10.0},
    "alp": {"U/L": 1.0, "ukat/L": 60.0},
    "cea": {"ng/mL": 1.0, "ug/L": 1.0},
}


# Spellings laboratories send for a unit of the table above, besides case variants and micro
# written µ (U+00B5) or μ (U+03BC): an international unit of ALP is the enzyme unit (umol/min).
SPELLINGS: dict[str, dict[str, str]] = {"alp": {"IU/L": "U/L", "[IU]/L": "U/L"}}
_MICRO = str.maketrans({"\u00b5": "u", "\u03bc": "u"})


def _spelled(name: str) -> dict[str, str]:
    own = {unit.casefold(): unit for unit in BY_NAME[name].units}
    return own | {text.casefold(): unit for text, unit in SPELLINGS.get(name, {}).items()}


_SPELLED = {name: _spelled(name) for name in FACTORS}


def ucum_code(name: str, text: str | None) -> str | None:
    """The UCUM code of ``name``'s units that ``text`` spells, or None when it spells none.

    UCUM writes micro as 'u'; a case variant of one of the lab's units means that unit (no two
    units of one lab differ only in case).

    Examples
    --------
    >>> ucum_code("alp", "[IU]/L"), ucum_code("calcium", "mg/dl")
    ('U/L', 'mg/dL')
    >>> ucum_code("cea", "\N{MICRO SIGN}g/l")
    'ug/L'
    >>> ucum_code("alp", "\N{GREEK SMALL LETTER MU}kat/L"), ucum_code("alp", "mmol/L")
    ('ukat/L', None)
    """
    if not isinstance(text, str):
        return None
    return _SPELLED.get(name, {}).get(text.strip().translate(_MICRO).casefold())


def shown_unit(code: str) -> str:
    """A UCUM code as people read it, micro as µ: 'ukat/L' -> 'µkat/L' (others unchanged)."""
    return re.sub(r"^u(?=[a-z])", "\u00b5", code)


def check_unit(name: str, unit: str) -> None:
    """Raise InvalidInputError when ``unit`` is not a known unit of ``name``."""
    units = BY_NAME[name].units
    if unit not in units:
        raise InvalidInputError(
            {f"{name}.unit": [f"{unit!r} is not a known unit; use one of {', '.join(units)}"]}
        )


def to_canonical(name: str, value, unit: str):
    """Convert ``value`` (scalar or array) in ``unit`` to the canonical unit of ``name``.

    Examples
    --------
    >>> round(float(to_canonical("calcium", 9.28, "mg/dL")), 4)
    2.3155
    >>> float(to_canonical("alp", 2.0, "ukat/L"))
    120.0
    """
    check_unit(name, unit)
    factor = FACTORS[name][unit]
    return value if factor == 1.0 else np.multiply(value, factor)[()]


def from_canonical(name: str, value, unit: str):
    """Convert a canonical ``value`` of ``name`` to ``unit`` (inverse of to_canonical)."""
    check_unit(name, unit)
    factor = FACTORS[name][unit]
    return value if factor == 1.0 else np.divide(value, factor)[()]


def corrected_calcium(calcium_mmol, albumin_g_per_l, slope: float, reference: float):
    """Payne's albumin-corrected calcium in mmol/L: Ca + slope x (reference - albumin).

    The slope and reference albumin come from the model spec (with their citation).
    Where albumin is NaN (missing), calcium is returned unchanged.
    """
    calcium = np.asarray(calcium_mmol, dtype=float)
    albumin = np.asarray(albumin_g_per_l, dtype=float)
    adjusted = calcium + slope * (reference - albumin)
    return np.where(np.isnan(albumin), calcium, adjusted)

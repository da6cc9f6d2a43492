"""The patient as the engine takes it, and every input rule, checked a table at a time.

Every rule is written once, for a table (``find_problems``). A single Patient is first tested on
Python values (``_surely_valid``, which may only pass what the table passes); anything else is
checked as a table of one row, so single and batch share every rule and every message.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .errors import InvalidInputError, Message
from .features import BY_NAME, CATEGORICAL, OUT_OF_SCOPE_STAGES, QUANTITIES
from .staging import describe, possible_stages, stage_matches
from .units import FACTORS

M_CATEGORIES = ("M0", "M1", "M1a", "M1b", "M1c")
OUT_OF_SCOPE_M = ("M1", "M1a", "M1b", "M1c")
_M1_REASON = ("is out of scope: the model estimates bone metastasis for M0 disease, and a bone "
              "metastasis is itself M1b/M1c")
_NO_INVASIVE = ("with N0 means no invasive primary tumour: out of scope for this model")

Problems = dict[str, list[str]]


@dataclass(frozen=True)
class Quantity:
    """A lab value with its UCUM unit, as given (converted when scored)."""

    value: float
    unit: str


@dataclass(frozen=True)
class Patient:
    """One patient's inputs; every field may be None (missing). Checked on construction.

    Examples
    --------
    >>> Patient(histology="squamous", cea=Quantity(7.5, "ng/mL")).histology
    'squamous'
    >>> Patient(stage="IV")
    Traceback (most recent call last):
    ...
    riskmodel.errors.InvalidInputError: stage: 'IV' is out of scope: ...
    """

    histology: str | None = None
    t_category: str | None = None
    n_category: str | None = None
    stage: str | None = None
    bsp: str | None = None
    calcium: Quantity | None = None
    albumin: Quantity | None = None
    alp: Quantity | None = None
    cea: Quantity | None = None
    m_category: str | None = None

    def __post_init__(self) -> None:
        problems = _type_problems(self)
        if not problems and not _surely_valid(self):
            problems = find_problems(raw_table([self])).get(0, {})
        if problems:
            raise InvalidInputError(problems)

    @classmethod
    def checked(cls, values: Mapping[str, Any]) -> Patient:
        """A Patient built without its own check, for values whose table already passed
        ``find_problems`` (a batch checks every row in one vectorised call, then builds each
        patient here). Trusting unchecked values would score nonsense: check first."""
        patient = object.__new__(cls)
        for name in _FIELD_NAMES:
            object.__setattr__(patient, name, values.get(name))
        return patient


_FIELD_NAMES = tuple(f.name for f in fields(Patient))


def _type_problems(patient: Patient) -> Problems:
    problems: Problems = {}
    for feature in QUANTITIES:
        q = getattr(patient, feature.name)
        if q is None:
            continue
        if not isinstance(q, Quantity):
            problems[feature.name] = [Message("must be a Quantity(value, unit)", "wrong_type")]
        elif isinstance(q.value, bool) or not isinstance(q.value, int | float):
            problems[f"{feature.name}.value"] = [Message("must be a number", "wrong_type")]
        elif not math.isfinite(q.value):
            problems[f"{feature.name}.value"] = [Message("must be a finite number", "not_finite")]
        elif not isinstance(q.unit, str):
            problems[f"{feature.name}.unit"] = [Message("must be a unit string", "wrong_type")]
    for name in [f.name for f in CATEGORICAL] + ["m_category"]:
        value = getattr(patient, name)
        if value is not None and not isinstance(value, str):
            problems[name] = [Message("must be a string", "wrong_type")]
    return problems


def _surely_valid(patient: Patient) -> bool:
    """Whether one patient (its types checked) passes every rule of ``find_problems``, tested
    on Python values: the usual case, without a table of one row. False is only "maybe not":
    the table check then finds and words the problems, so every error is worded in one place.
    tests/riskmodel/test_inputs_one_row.py checks that True never hides a problem."""
    for feature in CATEGORICAL:
        value = getattr(patient, feature.name)
        if value is not None and value not in feature.categories:
            return False
    if patient.m_category not in (None, "M0"):
        return False
    for feature in QUANTITIES:
        q = getattr(patient, feature.name)
        if q is None:
            continue
        factor = FACTORS[feature.name].get(q.unit) if isinstance(q.unit, str) else None
        low, high = feature.plausible
        if factor is None or not low <= float(q.value) * factor <= high:
            return False
    t, stage = patient.t_category, patient.stage
    if t in ("Tis", "T0") or stage == "0":
        return False
    if stage is None:
        return True
    derived = possible_stages(t, patient.n_category)
    return not derived or stage_matches(stage, derived)


def raw_table(patients: Sequence[Patient]) -> dict[str, np.ndarray]:
    """Columns of raw inputs: categories, and '<lab>' values with '<lab>_unit' units."""
    table: dict[str, np.ndarray] = {}
    for name in [f.name for f in CATEGORICAL] + ["m_category"]:
        table[name] = np.array([getattr(p, name) for p in patients], dtype=object)
    for feature in QUANTITIES:
        qs = [getattr(p, feature.name) for p in patients]
        table[feature.name] = np.array([np.nan if q is None else float(q.value) for q in qs])
        table[f"{feature.name}_unit"] = np.array([None if q is None else q.unit for q in qs],
                                                 dtype=object)
    return table


def canonical_table(raw: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Convert a raw table (already checked) to canonical units for the model."""
    table = {f.name: np.asarray(raw.get(f.name, [None] * _len(raw)), dtype=object)
             for f in CATEGORICAL}
    for feature in QUANTITIES:
        table[feature.name] = _canonical(raw, feature.name)
    return table


def _len(raw: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(raw.values())))


def _canonical(raw: Mapping[str, Any], name: str) -> np.ndarray:
    n = _len(raw)
    values = np.asarray(raw.get(name, np.full(n, np.nan)), dtype=float)
    return values * _factors(_column(raw, f"{name}_unit"), name)


def find_problems(raw: Mapping[str, np.ndarray]) -> dict[int, Problems]:
    """Every problem of every row of a raw table: {row: {path: [messages]}}."""
    found: dict[int, Problems] = defaultdict(lambda: defaultdict(list))

    def add(mask: np.ndarray, path: str, message) -> None:
        if not mask.any():  # the usual case: skip the index search
            return
        for row in np.flatnonzero(mask):
            found[int(row)][path].append(message(int(row)) if callable(message) else message)

    _check_categories(raw, add)
    _check_quantities(raw, add)
    _check_cross_fields(raw, add)
    return {row: dict(paths) for row, paths in found.items()}


def _column(raw: Mapping[str, Any], name: str) -> np.ndarray:
    """A raw category/unit column as an object array (None where absent)."""
    values = raw.get(name)
    if values is None:
        return np.full(_len(raw), None, dtype=object)
    return np.asarray(values, dtype=object)


def _isin(column: np.ndarray, allowed) -> np.ndarray:
    allowed = frozenset(allowed)
    return np.fromiter((v in allowed for v in column), dtype=bool, count=len(column))


def _notna(column: np.ndarray) -> np.ndarray:
    return np.fromiter((v is not None for v in column), dtype=bool, count=len(column))


def _outside(column: np.ndarray, allowed) -> np.ndarray | None:
    """Rows whose value is given and not in ``allowed``; None when there are none.

    The distinct values are checked, not every row: a column of a million rows holds a
    handful, and a table of one row costs no array work unless its value is wrong.
    """
    allowed = frozenset(allowed)
    if all(v is None or v in allowed for v in set(column.tolist())):
        return None
    return _notna(column) & ~_isin(column, allowed)


def _check_categories(raw, add) -> None:
    for feature in CATEGORICAL:
        column = _column(raw, feature.name)
        bad = _outside(column, feature.categories)
        if bad is None:
            continue
        if feature.name == "stage":
            out = _isin(column, OUT_OF_SCOPE_STAGES)
            add(out, "stage", lambda r, c=column: _out_of_scope(c[r]))
            bad &= ~out
        add(bad, feature.name, lambda r, c=column, f=feature: _unknown_value(c[r], f.categories))
    m = _column(raw, "m_category")
    if _outside(m, ("M0",)) is None:
        return
    add(_isin(m, OUT_OF_SCOPE_M), "m_category", lambda r: _out_of_scope(m[r]))
    add(_notna(m) & ~_isin(m, M_CATEGORIES), "m_category",
        lambda r: _unknown_value(m[r], M_CATEGORIES))


def _out_of_scope(value: Any) -> Message:
    return Message(f"{value!r} {_M1_REASON}", "out_of_scope", value=value)


def _unknown_value(value: Any, choices: Sequence[str]) -> Message:
    return Message(f"{value!r} is not a known value; use one of {', '.join(choices)}",
                   "unknown_value", value=value, choices=tuple(choices))


def _factors(units: np.ndarray, name: str) -> np.ndarray:
    table = FACTORS[name]
    return np.fromiter((table.get(u, np.nan) if u is not None else np.nan for u in units),
                       dtype=float, count=len(units))


def _check_quantities(raw, add) -> None:
    n = _len(raw)
    for feature in QUANTITIES:
        name = feature.name
        values = np.asarray(raw.get(name, np.full(n, np.nan)), dtype=float)
        units = _column(raw, f"{name}_unit")
        given = _notna(units)
        with np.errstate(over="ignore"):  # a huge value overflows to inf: out of range below
            canonical = values * _factors(units, name)
        low, high = feature.plausible
        # The usual case in one test: each value is absent (no value, no unit), or a possible
        # value in a known unit (NaN fails both comparisons). Only otherwise find out why.
        if np.where(given, (canonical >= low) & (canonical <= high), np.isnan(values)).all():
            continue
        known = _isin(units, feature.units)
        add(given & ~known, f"{name}.unit", lambda r, u=units, f=feature: Message(
            f"{u[r]!r} is not a known unit; use one of {', '.join(f.units)}", "unknown_unit",
            unit=u[r], units=f.units))
        add(~given & ~np.isnan(values), f"{name}.unit", Message(
            f"a unit is required; use one of {', '.join(feature.units)}", "unit_required",
            units=feature.units))
        add(given & np.isnan(values), f"{name}.value",
            Message("a number is required", "number_required"))
        add(np.isinf(values), f"{name}.value", Message("must be a finite number", "not_finite"))
        add(values < 0, f"{name}.value", Message("must not be negative", "negative"))
        implausible = known & np.isfinite(values) & (values >= 0) & (
            (canonical < low) | (canonical > high))
        add(implausible, f"{name}.value", lambda r, v=values, u=units, f=feature:
            _implausible_message(f, v[r], u[r]))


def _implausible_message(feature, value: float, unit: str) -> Message:
    low, high = (bound / FACTORS[feature.name][unit] for bound in feature.plausible)
    return Message(f"{value:g} {unit} is not a possible {feature.label.lower()} "
                   f"(possible: {_fmt(low)} to {_fmt(high)} {unit}); check the value and unit",
                   "implausible", value=float(value), unit=unit, low=low, high=high)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def _check_cross_fields(raw, add) -> None:
    t, nn, stage = (_column(raw, k) for k in ("t_category", "n_category", "stage"))
    no_invasive = None
    if {"Tis", "T0"} & set(t.tolist()):
        no_invasive = _isin(t, ("Tis", "T0")) & _isin(nn, ("N0",))
        add(no_invasive, "t_category",
            lambda r: Message(f"{t[r]} {_NO_INVASIVE}", "no_invasive", value=t[r]))
    stages = set(stage.tolist())
    if "0" in stages:
        add(_isin(stage, ("0",)), "stage", Message(
            "stage 0 means no invasive primary tumour: out of scope for this model",
            "no_invasive", value="0"))
    checkable = frozenset(BY_NAME["stage"].categories) - {"0"}
    if not stages & checkable:
        return
    skip = no_invasive.tolist() if no_invasive is not None else None
    combos: dict[tuple[Any, Any, Any], list[int]] = defaultdict(list)
    for row, combo in enumerate(zip(t.tolist(), nn.tolist(), stage.tolist(), strict=True)):
        if combo[2] in checkable and not (skip and skip[row]):
            combos[combo].append(row)
    for (t_cat, n_cat, given), members in combos.items():
        # T0 and Tis are not rows of the table: with nodes, the stage must still fit N.
        derived = possible_stages(None if t_cat in ("T0", "Tis") else t_cat, n_cat)
        if derived and not stage_matches(given, derived):
            mask = np.zeros(len(t), dtype=bool)
            mask[members] = True
            given_tn = " and ".join(v for v in (t_cat, n_cat) if v is not None)
            add(mask, "stage", Message(
                f"stage {given} contradicts {given_tn}: AJCC 8th gives {describe(derived)}; "
                "correct the stage, T or N", "stage_contradiction", stage=given,
                t_category=t_cat, n_category=n_cat, derived=tuple(sorted(derived))))


def is_number(value: Any) -> bool:
    """A real, finite number that is not a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

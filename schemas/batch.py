"""Load a batch: each row on its own, clean rows checked by the engine in one vectorised call.

A row whose every field has the right JSON type and a listed value ("type-clean") skips the
per-row marshmallow load: the engine's own ``find_problems`` checks all such rows at once, as
``Patient`` would check each. Any other row is loaded by ``PatientSchema`` itself, so its messages
are exactly those of a single request. The fast path reads its choices from the schema's fields.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from math import isfinite
from typing import Any

from marshmallow import Schema, ValidationError

from riskmodel import Patient, Quantity
from riskmodel.inputs import find_problems, raw_table

from .errors import flatten_errors, nest_problems
from .fields import Choice, LabField, as_finite_float
from .request import (
    MAX_REF_LENGTH,
    PATIENT_FIELDS,
    BatchRequestSchema,
    PatientSchema,
    ScoreRequest,
    is_model_id,
)


@dataclass(frozen=True)
class RowError:
    """A batch row that could not be loaded: its index, its reference if valid, every problem."""

    index: int
    patient_ref: str | None
    errors: list[dict[str, str]]


def load_batch(data: Any) -> list[ScoreRequest | RowError]:
    """Load ``{"patients": [...]}`` into one ScoreRequest or RowError per row, in order.

    Raises ``ValidationError`` only when the envelope itself is wrong.
    """
    rows = BatchRequestSchema().load(data)["patients"]
    with paused_gc():
        return _RowLoader(PatientSchema()).load(rows)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    A full batch allocates some 10^5 dicts and dataclasses that all stay alive; each automatic
    collection rescans them, which more than doubles the build time. Nothing built here forms
    a cycle, so nothing is left for the collector; its previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _valid_ref(row: Any) -> str | None:
    ref = row.get("patient_ref") if isinstance(row, Mapping) else None
    return ref if isinstance(ref, str) and 1 <= len(ref) <= MAX_REF_LENGTH else None


def _choices(validators: list[Any]) -> frozenset[str]:
    choice = next(v for v in validators if isinstance(v, Choice))
    return frozenset(choice.choices) | choice.refused


class _RowLoader:
    """Load rows: type-clean ones through the vectorised engine check, the rest by the schema."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.categories: dict[str, frozenset[str]] = {}
        self.units: dict[str, frozenset[str]] = {}
        for name in PATIENT_FIELDS:
            field = schema.fields[name]
            if isinstance(field, LabField):
                self.units[name] = _choices(field.schema.fields["unit"].validators)
            else:
                self.categories[name] = _choices(field.validators)

    def load(self, rows: list[Any]) -> list[ScoreRequest | RowError]:
        loaded: list[Any] = [None] * len(rows)
        clean: list[tuple[int, Patient, dict[str, Any]]] = []
        for index, row in enumerate(rows):
            values = self._clean_values(row)
            if values is None:
                loaded[index] = self._load_one(index, row)
            else:
                clean.append((index, Patient.checked(values), row))  # checked below, all at once
        problems = find_problems(raw_table([patient for _, patient, _ in clean])) if clean else {}
        for position, (index, patient, row) in enumerate(clean):
            if position in problems:
                errors = flatten_errors(nest_problems(problems[position]))
                loaded[index] = RowError(index, _valid_ref(row), errors)
            else:
                loaded[index] = ScoreRequest(patient, row.get("patient_ref"), row.get("model"))
        return loaded

    def _load_one(self, index: int, row: Any) -> ScoreRequest | RowError:
        try:
            return self.schema.load(row)
        except ValidationError as error:
            return RowError(index, _valid_ref(row), flatten_errors(error.messages))

    def _clean_values(self, row: Any) -> dict[str, Any] | None:
        """The row's patient fields when every field is type-clean, else None (load it slowly)."""
        if type(row) is not dict:
            return None
        values: dict[str, Any] = {}
        for key, value in row.items():
            if value is None:
                if key not in self.schema.fields:
                    return None
            elif key in self.categories:
                if type(value) is not str or value not in self.categories[key]:
                    return None
                values[key] = value
            elif key in self.units:
                quantity = self._clean_quantity(key, value)
                if quantity is None:
                    return None
                values[key] = quantity
            elif not self._clean_extra(key, value):
                return None
        return values or None

    def _clean_quantity(self, name: str, value: Any) -> Quantity | None:
        # Hot path (40,000 calls for a full batch): exact types, no helper calls.
        if type(value) is not dict or len(value) != 2:
            return None
        unit, number = value.get("unit"), value.get("value")
        if type(unit) is not str or unit not in self.units[name]:
            return None
        if type(number) is int:
            number = as_finite_float(number)
        elif type(number) is not float or not isfinite(number):
            return None
        return None if number is None else Quantity(number, unit)

    @staticmethod
    def _clean_extra(key: str, value: Any) -> bool:
        if type(value) is not str:
            return False
        if key == "patient_ref":
            return 1 <= len(value) <= MAX_REF_LENGTH
        return key == "model" and is_model_id(value)

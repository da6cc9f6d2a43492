"""Strict marshmallow fields for the request: numbers that are numbers, labs that carry a unit."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate

from riskmodel import Quantity
from riskmodel.errors import Message
from riskmodel.units import ucum_code

_LAB_KEYS = frozenset({"value", "unit"})


def quoted(value: Any) -> str:
    """Show a value the way the client sent it (JSON), shortened for long input."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_kind(value: Any) -> str:
    """The JSON type name of a decoded value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def as_finite_float(value: Any) -> float | None:
    """The value as a finite float when it is a real JSON number (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# Request problems that only the request contract finds (the engine's codes are in
# riskmodel.errors.INPUT_CODES); both lists are documented in the OpenAPI.
REQUEST_CODES: dict[str, str] = {
    "required": "a required field is absent",
    "null": "null where a value is required",
    "unknown_field": "a field the request does not define",
    "not_object": "something other than a JSON object where an object belongs",
    "not_array": "something other than a JSON array where an array belongs",
    "length": "a text or a list that is too short or too long",
    "model_id": "a model id of the wrong form",
    "no_patient_field": "a patient without any patient field",
    "unknown_model": "a model id that no loaded model has (GET /v1/models lists them)",
}
# marshmallow's error keys -> our codes.
_KEY_CODES = {"required": "required", "null": "null", "invalid": "wrong_type",
              "special": "not_finite", "type": "not_object"}


class Coded:
    """Mixin: a field whose marshmallow errors carry a stable code (``Message``)."""

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        error = super().make_error(key, **kwargs)  # type: ignore[misc]
        return ValidationError(Message(str(error.messages[0]), self.codes.get(key, "wrong_type")))

    codes: Mapping[str, str] = _KEY_CODES


class StrictNumber(Coded, fields.Float):
    """A JSON number only: refuses strings, booleans, NaN, infinities and huge integers."""

    default_error_messages = {  # noqa: RUF012 (marshmallow merges this class attribute)
        "invalid": "must be a number, not {kind}",
        "special": "must be a finite number",
    }

    def __init__(self, **kwargs: Any):
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", kind=json_kind(value))
        number = as_finite_float(value)
        if number is None:
            raise self.make_error("special")
        return number


class Choice(validate.OneOf):
    """One of ``choices``; values in ``refused`` pass on so the engine can refuse them with
    their reason (stage IV, M1). The message quotes the input as JSON and lists the choices."""

    def __init__(self, choices: Iterable[str], refused: Iterable[str] = (), kind: str = "value"):
        super().__init__(choices)
        self.refused = frozenset(refused)
        self.kind = kind

    def __call__(self, value: Any) -> Any:
        if value in self.refused:
            return value
        return super().__call__(value)

    def _format_error(self, value: Any) -> Message:
        code = "unknown_unit" if self.kind == "unit" else "unknown_value"
        return Message(f"{quoted(value)} is not a known {self.kind}; use one of "
                       f"{', '.join(map(str, self.choices))}", code, value=value)


class LabField(Coded, fields.Nested):
    """A lab result as an object {value, unit}; a bare number is refused, never given a unit.

    A well-formed lab (exactly a finite number and one of the lab's units) is read directly;
    anything else goes through the nested schema, which names every problem. Both give the
    same Quantity (tests/schemas/test_lab_field.py); the direct read skips a nested load.
    """

    def __init__(self, nested: Any, example_unit: str, units: tuple[str, ...], lab: str,
                 **kwargs: Any):
        super().__init__(nested, **kwargs)
        self.example_unit = example_unit
        self.units = units
        self.lab = lab

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError(self._shape_message(value))
        return self.well_formed(value) or super()._deserialize(value, attr, data, **kwargs)

    def well_formed(self, value: Mapping[str, Any]) -> Quantity | None:
        """The Quantity of a lab the nested schema would load without a problem, else None."""
        if type(value) is not dict or value.keys() != _LAB_KEYS:
            return None
        number, unit = as_finite_float(value["value"]), value["unit"]
        if number is None or not isinstance(unit, str):
            return None
        code = ucum_code(self.lab, unit) or unit
        return Quantity(number, code) if code in self.units else None

    def _shape_message(self, value: Any) -> Message:
        units = ", ".join(self.units)
        if as_finite_float(value) is not None:
            sent = json.dumps(value)
            return Message(f'a unit is required: send {{"value": {sent}, "unit": '
                           f'"{self.example_unit}"}} with the unit the laboratory reported '
                           f"(one of {units})", "unit_required")
        return Message(f'must be an object {{"value": <number>, "unit": <one of {units}>}}, '
                       f"not {json_kind(value)}", "not_object")


class StrictString(Coded, fields.String):
    """A JSON string only; the message names the type that was sent instead."""

    default_error_messages = {"invalid": "must be a string, not {kind}"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid", kind=json_kind(value))
        return value


class TextLength(validate.Length):
    """A string length check, coded ``length``."""

    def __init__(self, min: int, max: int):
        super().__init__(min=min, max=max)

    def _format_error(self, value: Any, message: str) -> Message:
        return Message(f"must be {self.min} to {self.max} characters long", "length")


class UnitField(StrictString):
    """The unit of one lab: a spelling laboratories send (IU/L, µg/L, mg/dl) becomes its UCUM
    code; anything else is kept for the unit's Choice validator to refuse by name."""

    def __init__(self, lab: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.lab = lab

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return ucum_code(self.lab, text) or text


class SizedList(validate.Length):
    """A length check whose message says how many items were sent."""

    def __init__(self, min: int, max: int, noun: str):
        super().__init__(min=min, max=max)
        self.noun = noun

    def _format_error(self, value: Any, message: str) -> Message:
        return Message(f"must hold {self.min:,} to {self.max:,} {self.noun}; got {len(value):,}",
                       "length")

"""The form: fields from the feature list, the typed text kept, parsed into the API's request.

The form layer only turns text into the JSON-like dict the API takes (a decimal comma becomes a
point, empty fields are left out, the unit comes from its selector); ``schemas.PatientSchema``
then validates it exactly as it validates an API request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from riskmodel.features import FEATURES
from schemas import PatientSchema, ScoreRequest, flatten_errors

UNIT = "_unit"
MAX_TEXT = 40  # longer than any value or code; longer text is cut, never echoed whole
FIELD_NAMES: tuple[str, ...] = tuple(
    name for f in FEATURES for name in ((f.name, f.name + UNIT) if f.kind == "quantity"
                                        else (f.name,)))
FORM_LEVEL = ""  # the field of an error about the form as a whole
# Printed on the record only: never sent to the engine, logged, or put in a URL.
PATIENT = "patient_identifier"
# Digits with at most one decimal separator, point or comma; no thousands separators.
_NUMBER = re.compile(r"-?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_SCHEMA = PatientSchema()


@dataclass(frozen=True)
class FieldError:
    """A problem with one form field: a stable code, words' parameters, the English detail."""

    field: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True)
class FormInput:
    """The form's fields as typed (stripped and cut to a sane length), by field name, and the
    patient identifier the clinician may type for the printed record."""

    values: Mapping[str, str]
    patient: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], posted: bool = False) -> FormInput:
        """Keep only the form's own fields from request data (form or query string).

        The patient identifier is read from a posted form only: never from a URL, which
        proxies and browsers keep in their logs and history.
        """
        return cls({name: _clean(data.get(name)) for name in FIELD_NAMES},
                   _clean(data.get(PATIENT)) if posted else "")

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def filled(self) -> tuple[str, ...]:
        """The features given a value (a unit alone does not count)."""
        return tuple(f.name for f in FEATURES if self.get(f.name))


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a form: the request when valid, else every error."""

    request: ScoreRequest | None
    errors: tuple[FieldError, ...]


def _clean(value: Any) -> str:
    text = value if isinstance(value, str) else ""
    return unicodedata.normalize("NFKC", text).strip()[:MAX_TEXT]


def parse_number(text: str) -> float | None:
    """The number in ``text`` ("2.41", "2,41", full-width digits), or None when it is not one."""
    return float(text.replace(",", ".")) if _NUMBER.fullmatch(text) else None


def to_request(form: FormInput) -> tuple[dict[str, Any], list[FieldError]]:
    """The API request dict of the form, and the errors only the form layer can see."""
    data: dict[str, Any] = {}
    errors: list[FieldError] = []
    for feature in FEATURES:
        text = form.get(feature.name)
        if not text:
            continue
        if feature.kind == "category":
            data[feature.name] = text
            continue
        number = parse_number(text)
        if number is None:
            code = "two_separators" if "," in text and "." in text else "not_a_number"
            errors.append(FieldError(feature.name, code))
            continue
        data[feature.name] = {"value": number}
        if form.get(feature.name + UNIT):  # the schema reads the spelling (IU/L is U/L)
            data[feature.name]["unit"] = form.get(feature.name + UNIT)
    return data, errors


def check(form: FormInput) -> Checked:
    """Check the form as the API checks a request; every error at once, mapped to fields."""
    data, errors = to_request(form)
    if not data and errors:
        return Checked(None, tuple(errors))
    try:
        loaded = _SCHEMA.load(data)
    except ValidationError as error:
        found = [field_error(item) for item in flatten_errors(error.messages)]
        return Checked(None, tuple(errors + found))
    if errors:
        return Checked(None, tuple(errors))
    return Checked(loaded, ())


def field_of(path: str) -> str:
    """The form field an API error path belongs to (``calcium.unit`` -> ``calcium_unit``)."""
    head, _, tail = path.partition(".")
    if head in FIELD_NAMES:
        return head + UNIT if tail == "unit" and head + UNIT in FIELD_NAMES else head
    return FORM_LEVEL


def field_error(item: Mapping[str, str]) -> FieldError:
    """A FieldError from an API error item (path, English message, stable code)."""
    path = item["path"]
    return FieldError(field_of(path), form_code(path, item.get("code", "")), {}, item["message"])


def form_code(path: str, code: str) -> str:
    """The page's code of an API error: the API's stable code, with an absent unit or number
    told apart (both are 'required' to the API) and a patient with no field an empty form."""
    if code in ("required", "null") and path.rpartition(".")[2] in ("unit", "value"):
        return "unit_required" if path.endswith(".unit") else "number_required"
    return {"no_patient_field": "empty_form"}.get(code, code or "other")

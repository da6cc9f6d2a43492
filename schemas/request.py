"""The request schemas, one patient and the batch envelope, derived from the feature list."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validates_schema,
)

from riskmodel import FEATURES, InvalidInputError, Patient, Quantity
from riskmodel.errors import Message
from riskmodel.features import OUT_OF_SCOPE_STAGES, Feature
from riskmodel.inputs import M_CATEGORIES, OUT_OF_SCOPE_M
from riskmodel.units import SPELLINGS

from .errors import nest_problems
from .fields import (
    Choice,
    Coded,
    LabField,
    SizedList,
    StrictNumber,
    StrictString,
    TextLength,
    UnitField,
)

PATIENT_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Patient))
M_IN_SCOPE: tuple[str, ...] = tuple(m for m in M_CATEGORIES if m not in OUT_OF_SCOPE_M)
MAX_REF_LENGTH = 128
MODEL_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._@-]{0,127}"
MODEL_ID_ERROR = Message("must be a model id such as lung-bm-literature (letters, digits and "
                         ". _ @ -; at most 128 characters)", "model_id")
MAX_BATCH = 10_000
NO_PATIENT_FIELD = Message("send at least one patient field: " + ", ".join(PATIENT_FIELDS)
                           + " (patient_ref and model do not count)", "no_patient_field")
_MODEL_ID = re.compile(MODEL_ID_PATTERN)
_PATIENT = "__patient__"  # carries the Patient built by the record check to post_load


@dataclasses.dataclass(frozen=True)
class ScoreRequest:
    """A validated request: the engine's patient, the caller's reference, the model asked for."""

    patient: Patient
    patient_ref: str | None = None
    model: str | None = None


def is_model_id(value: str) -> bool:
    """Whether ``value`` has the form of a model id (letters, digits, . _ @ -; up to 128)."""
    return _MODEL_ID.fullmatch(value) is not None


def _check_model_id(value: str) -> None:
    if not is_model_id(value):
        raise ValidationError(MODEL_ID_ERROR)


def _unit_list(feature: Feature) -> str:
    return ", ".join(feature.units)


def _range_text(bounds: tuple[float, float], unit: str) -> str:
    return f"{bounds[0]:g} to {bounds[1]:g} {unit}"


def _unit_description(feature: Feature) -> str:
    spellings = ", ".join(SPELLINGS.get(feature.name, {}))
    return ("UCUM unit code; the first listed is canonical. Case variants (mg/dl) and micro "
            "written \u00b5 or \u03bc are read as the code" + (f", as are {spellings}" if spellings
                                                              else "") + ".")


def _quantity_schema(feature: Feature) -> type[Schema]:
    """The {value, unit} schema of one lab, units and limits from the feature list."""
    unit = feature.canonical_unit
    value = StrictNumber(required=True, error_messages={
        "required": "a number is required", "null": "a number is required"}, metadata={
        "description": f"{feature.label}, in the unit given by `unit`. Possible: "
                       f"{_range_text(feature.plausible, unit)} (else refused); usual: "
                       f"{_range_text(feature.usual, unit)} (else a warning).",
        "x-plausible": {"low": feature.plausible[0], "high": feature.plausible[1], "unit": unit},
        "x-usual": {"low": feature.usual[0], "high": feature.usual[1], "unit": unit,
                    "basis": feature.usual_basis}})
    required = f"a unit is required; use one of {_unit_list(feature)}"
    unit_field = UnitField(feature.name, required=True,
                           validate=Choice(feature.units, kind="unit"),
                           error_messages={"required": required, "null": required},
                           metadata={"description": _unit_description(feature)})
    name = "".join(part.title() for part in feature.name.split("_")) + "QuantitySchema"
    return _QuantityBase.from_dict({"value": value, "unit": unit_field}, name=name)


class _QuantityBase(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {  # noqa: RUF012 (marshmallow merges this class attribute)
        "unknown": Message("is not a known field; send only value and unit", "unknown_field"),
        "type": Message('must be an object {"value": <number>, "unit": <unit>}', "not_object"),
    }

    @post_load
    def _make_quantity(self, data: dict[str, Any], **kwargs: Any) -> Quantity:
        return Quantity(data["value"], data["unit"])


def _feature_field(feature: Feature) -> fields.Field:
    """The request field of one feature: a category with its choices, or a lab quantity."""
    metadata: dict[str, Any] = {"title": feature.label, "description": feature.description,
                                "x-group": feature.group}
    if feature.missing_codes:
        metadata["description"] += f" {', '.join(feature.missing_codes)} counts as missing."
    if feature.kind == "quantity":
        metadata["description"] += f" Units: {_unit_list(feature)}."
        metadata["x-units"] = list(feature.units)
        return LabField(_quantity_schema(feature), feature.canonical_unit, feature.units,
                        feature.name, allow_none=True, metadata=metadata)
    refused = OUT_OF_SCOPE_STAGES if feature.name == "stage" else ()
    return StrictString(allow_none=True, validate=Choice(feature.categories, refused),
                        metadata=metadata)


def _patient_fields() -> dict[str, fields.Field]:
    found = {f.name: _feature_field(f) for f in FEATURES}
    found["m_category"] = StrictString(allow_none=True, validate=Choice(M_IN_SCOPE, OUT_OF_SCOPE_M),
                                       metadata={
        "title": "M category (AJCC 8th)",
        "description": "Optional. Only M0 is in scope: M1, M1a, M1b and M1c are refused with the "
                       "reason (a bone metastasis is itself M1b/M1c).", "x-group": "tumour"})
    return found


class _PatientBase(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {  # noqa: RUF012 (marshmallow merges this class attribute)
        "unknown": Message("is not a known field; known fields: patient_ref, model, "
                           + ", ".join(PATIENT_FIELDS), "unknown_field"),
        "type": Message("must be a JSON object of patient fields", "not_object"),
    }

    patient_ref = StrictString(allow_none=True, validate=TextLength(1, MAX_REF_LENGTH),
        metadata={"description": "Your opaque reference for this patient or request, echoed in "
                                 "the result and never logged. Do not send names or record "
                                 "numbers.", "examples": ["case-0042"]})
    model = StrictString(allow_none=True, validate=_check_model_id, metadata={
        "description": "Id of the model to score with; the default model when absent. "
                       "GET /v1/models lists them.",
        "pattern": f"^{MODEL_ID_PATTERN}$", "examples": ["lung-bm-literature"]})

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_record(self, data: dict[str, Any], original_data: Any, **kwargs: Any) -> None:
        """Build the engine's Patient from the fields that validated: the engine checks the rest."""
        if not isinstance(original_data, Mapping):
            return
        if all(original_data.get(name) is None for name in PATIENT_FIELDS):
            raise ValidationError(NO_PATIENT_FIELD)
        # A lab with a bad part leaves a partial dict behind: only whole values go to the engine.
        given = {name: data[name] for name in PATIENT_FIELDS
                 if isinstance(data.get(name), str | Quantity)}
        try:
            data[_PATIENT] = Patient(**given)
        except InvalidInputError as error:
            raise ValidationError(nest_problems(error.problems)) from None

    @post_load
    def _make_request(self, data: dict[str, Any], **kwargs: Any) -> ScoreRequest:
        patient = data.pop(_PATIENT, None) or Patient(
            **{name: data.get(name) for name in PATIENT_FIELDS})
        return ScoreRequest(patient, data.get("patient_ref"), data.get("model"))


PatientSchema: type[Schema] = _PatientBase.from_dict(_patient_fields(), name="PatientSchema")
PatientSchema.__doc__ = ("One patient to score: every field optional, at least one patient field "
                         "given; loads to a ScoreRequest.")


class RowList(Coded, fields.List):
    """A JSON array whose rows are loaded one by one later (so one bad row fails only itself)."""

    codes = {"required": "required", "null": "not_array", "invalid": "not_array"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class BatchRequestSchema(Schema):
    """The batch envelope {"patients": [...]}; ``load_batch`` loads its rows."""

    class Meta:
        unknown = RAISE

    error_messages = {  # noqa: RUF012 (marshmallow merges this class attribute)
        "unknown": Message("is not a known field; send only patients", "unknown_field"),
        "type": Message('must be a JSON object {"patients": [...]}', "not_object"),
    }

    patients = RowList(
        fields.Nested(PatientSchema), required=True,
        validate=SizedList(1, MAX_BATCH, "patients"),
        error_messages={"required": 'is required: send {{"patients": [...]}}',
                        "null": "must be an array of patient objects",
                        "invalid": "must be an array of patient objects"},
        metadata={"description": f"1 to {MAX_BATCH:,} patients, each scored on its own: a bad "
                                 "row is reported in its place and never fails the others."})

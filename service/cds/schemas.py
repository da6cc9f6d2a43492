"""The CDS Hooks request and feedback bodies, checked field by field (every problem at once).

Unknown fields are ignored (the specification reserves ``extension`` and may add fields); ids
that go into FHIR URLs must be FHIR ids, so a context value cannot smuggle in a query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

HOOK = "patient-view"
FHIR_ID = r"[A-Za-z0-9\-.]{1,64}"
USER_TYPES = ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson")
_ID = validate.Regexp(f"^{FHIR_ID}$", error="must be a FHIR id (letters, digits, - and ., "
                                             "at most 64)")
_UUID = validate.Regexp(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
                        error="must be a UUID")
_REQUIRED = {"required": "is required"}
_FHIR_SERVER = {"schemes": {"http", "https"}, "require_tld": False}


class Text(fields.String):
    """A string of valid Unicode: a lone surrogate (JSON "\\ud800") can be neither stored nor
    sent on, so it is a field error like any other."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "surrogate": "must be valid Unicode text (no lone surrogates)"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        try:
            loaded.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("surrogate") from None
        return loaded


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class FhirAuthorizationSchema(_Lenient):
    """The bearer token the EHR lends for FHIR calls."""

    access_token = Text(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9\-._~+/]{1,8192}=*$", error="must be an OAuth bearer token (RFC 6750)"),
        error_messages=_REQUIRED)
    token_type = Text(required=True, validate=validate.Equal(
        "Bearer", error="must be 'Bearer'"), error_messages=_REQUIRED)
    expires_in = fields.Integer(strict=True)
    scope = Text(validate=validate.Length(max=2000))
    subject = Text(required=True, validate=validate.Length(min=1, max=500),
                            error_messages=_REQUIRED)
    patient = Text(validate=_ID)


class PatientViewContextSchema(_Lenient):
    """The patient-view context: who is looking at which patient (ids, never data)."""

    userId = Text(required=True, error_messages=_REQUIRED, validate=validate.Regexp(
        f"^({'|'.join(USER_TYPES)})/{FHIR_ID}$", error="must be Type/id, e.g. Practitioner/123"))
    patientId = Text(required=True, validate=_ID, error_messages=_REQUIRED)
    encounterId = Text(validate=_ID)


class CdsRequestSchema(_Lenient):
    """A CDS Hooks service call for the patient-view hook."""

    hook = Text(required=True, error_messages=_REQUIRED, validate=validate.Equal(
        HOOK, error=f"this service answers the {HOOK} hook"))
    hookInstance = Text(required=True, validate=_UUID, error_messages=_REQUIRED)
    fhirServer = fields.Url(**_FHIR_SERVER)
    fhirAuthorization = fields.Nested(FhirAuthorizationSchema)
    context = fields.Nested(PatientViewContextSchema, required=True, error_messages=_REQUIRED)
    prefetch = fields.Dict(keys=Text(), values=fields.Raw(allow_none=True))

    @validates_schema(skip_on_field_errors=False)
    def _server_with_token(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, Any] = {}
        if data.get("fhirAuthorization") and not data.get("fhirServer"):
            problems["fhirServer"] = ["is required when fhirAuthorization is sent"]
        for key, value in (data.get("prefetch") or {}).items():
            if value is not None and not (isinstance(value, dict) and "resourceType" in value):
                problems.setdefault("prefetch", {})[key] = ["must be a FHIR resource or null"]
        if problems:
            raise ValidationError(problems)


# marshmallow compiles the URL validator's pattern (Unicode-aware, large) at its first use, some
# 40 ms, and keeps it for the process: compile it at import, in gunicorn's master before the
# workers fork, so no worker's first hook call pays it.
validate.URL(**_FHIR_SERVER)("https://fhir.example.org/r4")


class CodingSchema(_Lenient):
    """A CDS Hooks Coding (system and code required)."""

    system = Text(required=True, validate=validate.Length(min=1, max=500))
    code = Text(required=True, validate=validate.Length(min=1, max=200))
    display = Text(validate=validate.Length(max=500))


class OverrideReasonSchema(_Lenient):
    """Why a card was overridden: a reason chosen from the card, and/or a comment."""

    reason = fields.Nested(CodingSchema)
    userComment = Text(validate=validate.Length(max=2000))


class AcceptedSuggestionSchema(_Lenient):
    """A suggestion the user accepted, by its uuid."""

    id = Text(required=True, validate=validate.Length(min=1, max=128))


class FeedbackItemSchema(_Lenient):
    """One card's outcome."""

    card = Text(required=True, validate=validate.Length(min=1, max=128),
                         error_messages=_REQUIRED)
    outcome = Text(required=True, validate=validate.OneOf(("accepted", "overridden")),
                            error_messages=_REQUIRED)
    acceptedSuggestions = fields.List(fields.Nested(AcceptedSuggestionSchema),
                                      validate=validate.Length(max=20))
    overrideReason = fields.Nested(OverrideReasonSchema)
    outcomeTimestamp = Text(required=True, validate=validate.Length(max=64),
                            error_messages=_REQUIRED)

    @validates_schema(skip_on_field_errors=False)
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, list[str]] = {}
        if data.get("outcome") == "accepted" and not data.get("acceptedSuggestions"):
            problems["acceptedSuggestions"] = ["is required when the outcome is accepted"]
        stamp = data.get("outcomeTimestamp")
        if isinstance(stamp, str) and not _is_utc_time(stamp):
            problems["outcomeTimestamp"] = ["must be an ISO 8601 date and time in UTC, e.g. "
                                            "2026-11-26T10:05:31Z"]
        if problems:
            raise ValidationError(problems)


class FeedbackSchema(_Lenient):
    """The feedback body: a list of card outcomes."""

    feedback = fields.List(fields.Nested(FeedbackItemSchema), required=True,
                           validate=validate.Length(min=1, max=100), error_messages=_REQUIRED)


def _is_utc_time(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return "T" in text and moment.utcoffset() is not None and not moment.utcoffset()

"""The result schemas, and the fast payload builders whose output they describe exactly."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .errors import ErrorItemSchema
from .request import MAX_BATCH

TERM_STATUSES = ("fired", "not_fired", "missing", "not_used")
GRADES = ("A", "B", "C", "D")


def _probability(description: str) -> fields.Float:
    return fields.Float(required=True, metadata={"description": description,
                                                 "minimum": 0, "maximum": 1})


class ModelRefSchema(Schema):
    """What identifies the model behind a score."""

    id = fields.String(required=True, metadata={"examples": ["lung-bm-literature"]})
    version = fields.String(required=True, metadata={"examples": ["1.0.0"]})
    sha256 = fields.String(required=True, metadata={
        "description": "SHA-256 of the canonical model spec: proves which weights were used.",
        "pattern": "^[0-9a-f]{64}$"})


class IntervalSchema(Schema):
    """An interval of the risk (level, low, high)."""

    level = _probability("Coverage of the interval, e.g. 0.95.")
    low = _probability("Lower bound of the risk.")
    high = _probability("Upper bound of the risk.")


class RangeSchema(Schema):
    """Range of the risk over every possible value of the missing inputs."""

    low = _probability("Lowest risk the missing inputs could give.")
    high = _probability("Highest risk the missing inputs could give.")


class CitationSchema(Schema):
    """Where a weight comes from, in brief; the model card has locator and derivation."""

    text = fields.String(required=True, metadata={
        "description": "Authors, journal and year, as one line.",
        "examples": ["Zhang L, et al. Lung Cancer 67(1):114-9 (2010)"]})
    doi = fields.String(required=True, allow_none=True)
    pmid = fields.String(required=True, allow_none=True)
    url = fields.String(required=True, allow_none=True, metadata={
        "format": "uri", "description": "DOI link, else PubMed, else the source's page."})
    evidence_ref = fields.String(required=True, allow_none=True, metadata={
        "description": "Section of the repository's evidence file, docs/evidence.md#anchor."})


class TermSchema(Schema):
    """One term's part in the score: value used, weight, contribution, evidence."""

    name = fields.String(required=True, metadata={"examples": ["t4"]})
    label = fields.String(required=True, metadata={"examples": ["T4 primary tumour"]})
    status = fields.String(required=True, validate=validate.OneOf(TERM_STATUSES), metadata={
        "description": "fired, not_fired, missing (marginalised over the reference) or not_used "
                       "(set aside by a rule: stage III when T and N are known)."})
    fired = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "Whether the term applies; null when its input is missing."})
    value = fields.Raw(required=True, allow_none=True, metadata={
        "type": ["number", "string"],
        "description": "Value used, after unit conversion (and albumin correction, for calcium); "
                       "the category for a categorical term."})
    unit = fields.String(required=True, allow_none=True, metadata={
        "description": "UCUM unit of value; null for a category."})
    beta = fields.Float(required=True, metadata={"description": "Log odds ratio (per unit for a "
                                                                "continuous term)."})
    se = fields.Float(required=True, metadata={"description": "Standard error of beta."})
    contribution = fields.Float(required=True, metadata={
        "description": "beta x value on the log-odds scale; the expected value when missing."})
    risk_without = _probability("The risk if this term did not apply.")
    grade = fields.String(required=True, validate=validate.OneOf(GRADES), metadata={
        "description": "Evidence grade: A meta-analysis ... D derived or proxy (see model card)."})
    citation = fields.Nested(CitationSchema, required=True)
    note = fields.String(required=True, metadata={"description": "Caveats; may be empty."})


class MissingSchema(Schema):
    """A missing input: how it was handled, and how much knowing it would narrow the range."""

    name = fields.String(required=True, metadata={"examples": ["alp"]})
    terms = fields.List(fields.String(), required=True)
    handling = fields.String(required=True)
    narrowing = _probability("How much the missing range would shrink if this input were known.")


class NoticeSchema(Schema):
    """A warning or alert: a stable code, the field it concerns, and plain words."""

    code = fields.String(required=True, metadata={"examples": ["outside_usual_range"]})
    field = fields.String(required=True, allow_none=True)
    message = fields.String(required=True)


class ResultSchema(Schema):
    """The full, transparent result of scoring one patient."""

    probability = _probability("Estimated risk of synchronous bone metastasis (0-1).")
    percent = fields.Float(required=True, metadata={"description": "Risk in percent, 1 decimal."})
    per_100 = fields.Integer(required=True, metadata={
        "description": "Risk as 'N in 100 patients like this one'.", "minimum": 0,
        "maximum": 100})
    band = fields.String(required=True, metadata={"examples": ["low", "moderate", "high"]})
    band_validated = fields.Boolean(required=True, metadata={
        "description": "Whether the band cut-offs were validated (false: a display choice)."})
    interval = fields.Nested(IntervalSchema, required=True, metadata={
        "description": "The headline uncertainty: 95% interval of the risk given what is known, "
                       "combining the uncertainty of the published weights with the spread over "
                       "the missing inputs' reference distribution (docs/evidence.md#interval). "
                       "Wider when less is known."})
    parameter_interval = fields.Nested(IntervalSchema, required=True, metadata={
        "description": "Interval from the uncertainty of the published weights only, at the "
                       "marginal risk; equals interval when nothing is missing."})
    not_tested = fields.List(fields.String(), required=True, metadata={
        "description": "Research inputs not given (e.g. bsp): marginalised over their "
                       "reference, never counted as missing."})
    missing_range = fields.Nested(RangeSchema, required=True, allow_none=True, metadata={
        "description": "Risk over the possible values of the missing inputs; null when nothing "
                       "is missing."})
    terms = fields.List(fields.Nested(TermSchema), required=True)
    missing = fields.List(fields.Nested(MissingSchema), required=True, metadata={
        "description": "Missing inputs, those that would narrow the range most first."})
    warnings = fields.List(fields.Nested(NoticeSchema), required=True)
    alerts = fields.List(fields.Nested(NoticeSchema), required=True, metadata={
        "description": "Clinical alerts in their own right (e.g. hypercalcaemia)."})
    stage_derived = fields.String(required=True, allow_none=True, metadata={
        "description": "AJCC 8th stage group derived from T and N (e.g. 'IB or IIA')."})
    model = fields.Nested(ModelRefSchema, required=True)
    service_version = fields.String(required=True)
    patient_ref = fields.String(metadata={"description": "Echo of the request's patient_ref; "
                                                         "absent when none was sent."})


class BatchRowResultSchema(Schema):
    """A batch row that was scored."""

    index = fields.Integer(required=True, metadata={"minimum": 0})
    ok = fields.Boolean(required=True, validate=validate.Equal(True))
    result = fields.Nested(ResultSchema, required=True)


class BatchRowErrorSchema(Schema):
    """A batch row that was refused, with every problem (paths relative to the row)."""

    index = fields.Integer(required=True, metadata={"minimum": 0})
    ok = fields.Boolean(required=True, validate=validate.Equal(False))
    patient_ref = fields.String(metadata={"description": "The row's patient_ref, when valid."})
    errors = fields.List(fields.Nested(ErrorItemSchema), required=True)


class BatchRowField(fields.Field):
    """A batch row: dumped as a scored row or a refused row, by its ``ok``."""

    def _serialize(self, value, attr, obj, **kwargs):
        schema = BatchRowResultSchema if value["ok"] else BatchRowErrorSchema
        return schema().dump(value)


class SummarySchema(Schema):
    """Counts of a batch."""

    n = fields.Integer(required=True, metadata={"minimum": 1, "maximum": MAX_BATCH})
    ok = fields.Integer(required=True, metadata={"minimum": 0})
    errors = fields.Integer(required=True, metadata={"minimum": 0})


class BatchResultSchema(Schema):
    """Every row of a batch in order, scored or refused, with counts and the model used."""

    results = fields.List(BatchRowField(metadata={"oneOf": [
        {"$ref": "#/components/schemas/BatchRowResult"},
        {"$ref": "#/components/schemas/BatchRowError"}]}), required=True)
    summary = fields.Nested(SummarySchema, required=True)
    model = fields.Nested(ModelRefSchema, required=True)

"""marshmallow schemas of the service: requests in, results, models and problems out.

Imports ``riskmodel`` for the feature list, units and domain objects; never Flask.
"""

from __future__ import annotations

from .batch import RowError, load_batch
from .errors import ErrorItemSchema, ProblemSchema, flatten_errors, nest_problems
from .models import ModelCardSchema, ModelSummarySchema, model_summary
from .payload import SERVICE_VERSION, batch_payload, model_ref_payload, result_payload
from .request import MAX_BATCH, BatchRequestSchema, PatientSchema, ScoreRequest
from .result import BatchResultSchema, ModelRefSchema, ResultSchema

__all__ = [
    "MAX_BATCH", "SERVICE_VERSION", "BatchRequestSchema", "BatchResultSchema", "ErrorItemSchema",
    "ModelCardSchema", "ModelRefSchema", "ModelSummarySchema", "PatientSchema", "ProblemSchema",
    "ResultSchema", "RowError", "ScoreRequest", "batch_payload", "flatten_errors",
    "load_batch", "model_ref_payload", "model_summary", "nest_problems", "result_payload",
]

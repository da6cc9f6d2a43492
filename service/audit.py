"""The audit trail of every score: one row per scoring request, committed before it is answered.

``metrics.note_scored`` (called by every channel once it has scored) leaves what was scored in
``flask.g``; the last after-request step here hashes the response body (SHA-256), writes the
row and commits it. If that fails the client gets 503 with Retry-After instead of the score:
no answer leaves without its record.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import SQLAlchemyError

from .errors import database_unavailable
from .logging import log_event
from .request_context import request_id
from .storage import audit as audit_rows
from .storage import current as current_storage


def init_app(app: Flask) -> None:
    """Audit every scoring response; call after every other after-request step is registered
    (Flask runs them last-registered first, so the log line and metrics see a 503)."""
    app.after_request(_commit)
    if not app.config["AUDIT"]:
        log_event("audit_disabled", level=logging.WARNING, detail="THE AUDIT TRAIL IS OFF "
                  "(BMRISK_AUDIT=off): scores are given without a record. Benchmarks only.")
    elif app.config["AUDIT_KEY"] is None:
        log_event("audit_without_patient_refs", level=logging.WARNING,
                  detail="BMRISK_AUDIT_KEY is not set: patient references are not audited, so "
                         "records cannot be looked up by patient.")


def set_caller(caller: str) -> None:
    """Name who called, for the audit row (an API key id, a JWT's iss and sub)."""
    g.caller = caller


def row_of(response: Response) -> dict[str, Any]:
    """The audit row of this request's response (what ``note_scored`` left, and the body)."""
    state = g._get_current_object()  # one context lookup, not one per field
    ref, result = state.model_ref, state.get("scored_result")
    single = state.rows == 1 and result is not None
    key, patient = current_app.config["AUDIT_KEY"], state.get("patient_ref")
    hashed = key is not None and bool(patient)
    return {
        "at": datetime.now(UTC), "request_id": request_id(), "channel": state.channel,
        "caller": state.get("caller") or ("form" if state.channel == "form"
                                          else "unauthenticated"),
        "model_id": ref.id, "model_version": ref.version, "model_sha256": ref.sha256,
        "rows": state.rows, "status": response.status_code,
        "probability": result.probability if single else None,
        "band": result.band if single else None,
        "response_sha256": hashlib.sha256(response.get_data()).hexdigest(),
        "patient_hmac": audit_rows.patient_hmac(patient, key) if hashed else None,
        "patient_key_id": audit_rows.key_id(key) if hashed else None,
    }


def _commit(response: Response) -> Response:
    if g.get("model_ref") is None or not current_app.config["AUDIT"]:
        return response
    try:
        current_storage().audit_writer.write(row_of(response))
    except SQLAlchemyError as exc:
        return database_unavailable(exc)
    return response

"""Liveness and readiness: is the process up, and are its models loaded and verified."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from service import __version__
from service.errors import RETRY_AFTER_S, Problem
from service.registry import current
from service.storage import current as current_storage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def show_health() -> dict[str, Any]:
    """Alive: the worker answers."""
    return {"status": "ok", "service_version": __version__}


@bp.get("/readyz")
def show_readiness() -> dict[str, Any]:
    """Ready: the models were loaded and their SHA-256 verified at boot (which ones), and the
    database answers (no score can be given without its audit row)."""
    if not current_storage().reachable():
        raise Problem(503, "The database does not answer: scores cannot be audited.",
                      headers={"Retry-After": str(RETRY_AFTER_S)})
    models = [{"id": m.ref.id, "version": m.ref.version, "sha256": m.ref.sha256}
              for m in current().all()]
    return {"status": "ready", "service_version": __version__, "models": models}

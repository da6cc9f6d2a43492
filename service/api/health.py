"""Liveness and readiness: is the process up, and are its models loaded and verified."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from service import __version__
from service.registry import current

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def show_health() -> dict[str, Any]:
    """Alive: the worker answers."""
    return {"status": "ok", "service_version": __version__}


@bp.get("/readyz")
def show_readiness() -> dict[str, Any]:
    """Ready: the models were loaded and their SHA-256 verified at boot; which ones."""
    models = [{"id": m.ref.id, "version": m.ref.version, "sha256": m.ref.sha256}
              for m in current().all()]
    return {"status": "ready", "service_version": __version__, "models": models}

"""The models the service offers, and each one's model card."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from schemas.models import model_summary
from service.errors import Problem
from service.registry import current

bp = Blueprint("models", __name__, url_prefix="/v1")


@bp.get("/models")
def list_models() -> dict[str, Any]:
    """Every model offered, the default first."""
    registry = current()
    return {"models": [model_summary(m, default=m is registry.default) for m in registry.all()]}


@bp.get("/models/<model_id>")
def show_model(model_id: str) -> dict[str, Any]:
    """The model card (id, or id@version): every term with weight, SE, grade and citation."""
    registry = current()
    model = registry.find(model_id)
    if model is None:
        raise Problem(404, "There is no such model; GET /v1/models lists them.")
    return registry.card(model)

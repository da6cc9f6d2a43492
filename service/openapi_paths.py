"""OpenAPI path items the blueprint packages contribute to the service's one document.

The API package builds the document; the FHIR and CDS Hooks packages cannot import it (imports
run one way), so each registers its paths here in its ``init_app`` and the document merges them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

EXTENSION = "bmrisk.openapi_paths"
SCHEMES = "bmrisk.openapi_schemes"
# Contributors get the app (its config decides, e.g., whether an operation is secured).
Contributor = Callable[[Flask], dict[str, dict[str, Any]]]


def contribute(app: Flask, paths: Contributor) -> None:
    """Add the path items ``paths(app)`` returns to the OpenAPI document."""
    app.extensions.setdefault(EXTENSION, []).append(paths)


def contribute_scheme(app: Flask, name: str, scheme: dict[str, Any]) -> None:
    """Add a security scheme the contributed paths refer to."""
    app.extensions.setdefault(SCHEMES, {})[name] = scheme


def schemes(app: Flask) -> dict[str, dict[str, Any]]:
    """The contributed security schemes, by name."""
    return dict(app.extensions.get(SCHEMES, {}))


def contributed(app: Flask) -> dict[str, dict[str, Any]]:
    """Every contributed path item, merged by path and method (a later method wins)."""
    merged: dict[str, dict[str, Any]] = {}
    for paths in app.extensions.get(EXTENSION, []):
        for path, operations in paths(app).items():
            merged.setdefault(path, {}).update(operations)
    return merged


def fhir_resource(kind: str, description: str) -> dict[str, Any]:
    """A FHIR R4 resource as a JSON schema: its type, and where its definition lives."""
    return {"type": "object", "description": f"{description} FHIR R4 {kind}: "
            f"https://hl7.org/fhir/R4/{kind.lower()}.html",
            "properties": {"resourceType": {"const": kind}}, "required": ["resourceType"]}

"""API docs: the OpenAPI 3.1 document (built once at startup) and Swagger UI from local files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template

from service.urls import public_url

from .openapi import build_document

bp = Blueprint("docs", __name__)
DOCUMENT = "bmrisk.openapi"
# Swagger UI runs our static script and its bundle (its styles go through the CSSOM, which CSP
# allows), draws icons from data: URLs, and may only call this service: nothing inline at all.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def init_app(app: Flask) -> None:
    """Build the OpenAPI document once, after every blueprint has registered its routes."""
    app.extensions[DOCUMENT] = build_document(app)


@bp.get("/openapi.json")
def show_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document, its server URL set to this service's public URL."""
    document: dict[str, Any] = current_app.extensions[DOCUMENT]
    return {**document, "servers": [{"url": public_url(), "description": "This service"}]}


@bp.get("/docs")
def show_docs() -> Response:
    """Swagger UI on /openapi.json, served from the package's own files (no CDN)."""
    page = render_template("docs.html", title=current_app.extensions[DOCUMENT]["info"]["title"])
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response

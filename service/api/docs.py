"""API docs: the OpenAPI 3.1 document (built once at startup) and Swagger UI from local files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, url_for
from markupsafe import escape

from service.urls import public_url

from .openapi import build_document

bp = Blueprint("docs", __name__)
DOCUMENT = "bmrisk.openapi"
# Swagger UI runs our static script and its bundle (its styles go through the CSSOM, which CSP
# allows), draws icons from data: URLs, and may only call this service: nothing inline at all.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API documentation</title>
<link rel="icon" href="{icon}">
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{page_css}">
</head>
<body>
<p class="bmrisk-docs-notice">Decision support only: read the model card before use.</p>
<main id="swagger-ui" data-spec-url="{spec_url}"></main>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


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
    def static(name: str) -> str:
        return str(escape(url_for("static", filename=f"swagger/{name}")))

    page = _PAGE.format(
        title=escape(current_app.extensions[DOCUMENT]["info"]["title"]),
        icon=static("vendor/favicon-32x32.png"), css=static("vendor/swagger-ui.css"),
        page_css=static("docs.css"), bundle=static("vendor/swagger-ui-bundle.js"),
        init=static("init.js"), spec_url=escape(url_for("docs.show_openapi")))
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response

"""Absolute links: the configured public URL, else the URL the request came in on."""

from __future__ import annotations

from flask import current_app, request


def public_url() -> str:
    """Base URL for links, without a trailing slash (config PUBLIC_URL, else the request's,
    with the path prefix a trusted proxy sent in X-Forwarded-Prefix)."""
    configured = current_app.config.get("PUBLIC_URL")
    return (configured or request.url_root).rstrip("/")


def absolute(path: str) -> str:
    """``path`` (starting with /) as an absolute URL under the public URL."""
    return public_url() + path

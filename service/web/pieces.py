"""Parts of a page that are the same for every patient: drawn once, then reused.

A piece is a template whose output depends only on the page language, the address the service
is mounted at, and a small key that determines everything else it shows (the icon array's count,
the model's identity): at most a few hundred variants, never a patient's values. Each app keeps
its own pieces. A whole page is never kept.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from flask import Flask, current_app, render_template, request
from markupsafe import Markup

from .i18n import current_language

EXTENSION = "bmrisk_web_pieces"


def init_pieces(app: Flask) -> None:
    """Give ``app`` its own, empty store of pieces."""
    app.extensions[EXTENSION] = {}


def piece(template: str, key: Hashable = None, **context: Any) -> Markup:
    """The template ``template`` rendered with ``context``, which ``key`` must determine: drawn
    once per key, page language and mount point of the service."""
    store: dict[Hashable, Markup] = current_app.extensions[EXTENSION]
    found_at = (template, key, current_language(), request.script_root)
    found = store.get(found_at)
    if found is None:
        found = store[found_at] = Markup(render_template(template, **context))
    return found

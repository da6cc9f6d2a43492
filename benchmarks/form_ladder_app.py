"""The service with the form's result page cut short, for bench_form.py's ladder.

``create_app("noview")``: the form's POST runs everything up to and including the score (CSRF
check, session, form parsing, the API's schema, scoring, the audit hook, ids, logs, metrics),
then answers ``ok`` instead of building and rendering the result page. ``create_app("norender")``
also builds the page's view (every number and word), and answers ``ok`` instead of rendering it.
The difference between the three is what the view and the page cost a request.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

SKIPPED = ("noview", "norender")


def create_app(skip: str) -> Flask:
    """The service, with ``skip`` (one of ``SKIPPED``) left out of the form's POST."""
    if skip not in SKIPPED:
        raise ValueError(f"skip must be one of {SKIPPED}, not {skip!r}")
    import service.web as web
    from service import create_app as create_service

    render_page, _ = web.render_template, web.result_view  # both must exist: they are replaced

    def render(name: str, **context: Any) -> str:
        return "ok" if name == "web/result.html" else render_page(name, **context)

    web.render_template = render
    if skip == "noview":
        web.result_view = lambda *args, **kwargs: None
    return create_service()

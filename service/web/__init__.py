"""The clinician's pages: the form (GET /), its result (POST /), the model card (GET /model-card).

Server-rendered and complete without JavaScript. The form goes through the API's own schema;
errors are shown next to their fields; the page language comes from ``web_i18n``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Request, Response, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect

import riskmodel
from riskmodel.features import FEATURES
from service.errors import add_renderer
from service.metrics import note_scored
from service.registry import current
from service.request_context import request_id

from .card import card_view, cell, heading
from .fields import derived_stage, groups, problems, ranked_empty, stage_table
from .form import FieldError, FormInput, check
from .html import (
    BLUEPRINT,
    code,
    grade_list,
    hidden_inputs,
    language_buttons,
    language_links,
    said,
    term_rows,
    words,
)
from .i18n import (
    current_language,
    install_template_gettext,
    page_scope,
    remember,
    select_locale,
)
from .labels import GRADE_WORDS, spec_words
from .pieces import init_pieces, piece
from .result import Record, feature_label, result_view
from .svg import icon_array_size, icon_uses

bp = Blueprint(BLUEPRINT, __name__)
csrf = CSRFProtect()
TRANSLATIONS = Path(__file__).parents[1] / "translations"  # app-wide: error pages use it too
# Pages load only this site's files: no inline script or style, no framing, no foreign forms.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
# same-origin (not no-referrer): over HTTPS, Flask-WTF checks the form's Referer is this site.
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
PAGE_PATHS = frozenset({"/", "/model-card"})


def init_app(app: Flask) -> None:
    """Set up the pages' languages, CSRF tokens (this blueprint's POSTs only) and HTML errors."""
    Babel(app, locale_selector=select_locale,
          default_translation_directories=str(TRANSLATIONS))
    install_template_gettext(app)
    init_pieces(app)
    # CSRFProtect would guard every POST of the app (the JSON API too): only the form's here.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    # The session cookie carries only the form's CSRF token; it never goes to another site.
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.session_interface = CookieOnlyWhenSentSessions()
    app.jinja_env.globals.update(page_language=current_language, words_of=words,
                                 hidden_inputs=hidden_inputs, term_rows=term_rows, piece=piece,
                                 language_links=language_links,
                                 language_buttons=language_buttons, said=said, code=code,
                                 grade_list=grade_list)
    add_renderer(app, is_page_request, render_error_page)
    # A browser asking for any other address gets a page too, unless its channel answers.
    add_renderer(app, wants_html, render_error_page, fallback=True)
    # Compile the pages' templates now, in gunicorn's master before the workers fork: compiled
    # at first use, they cost every worker's first page some 60 ms.
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith("web/")):
        app.jinja_env.get_template(name)


class CookieOnlyWhenSentSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for a request that sent no
    session cookie (every API call): such a session starts empty either way."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all: not even the cookies are parsed (a scan of the headers).
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or self.get_cookie_name(app) not in request.cookies):
            return self.session_class()
        return super().open_session(app, request)


@bp.context_processor
def _page_helpers() -> dict[str, Any]:
    return {"feature_label": feature_label,
            "first_field": FEATURES[0].name, "spec_words": spec_words,
            "icon_size": icon_array_size(), "icon_uses": icon_uses,
            "card_heading": heading, "card_cell": cell}


def is_page_request(req: Request) -> bool:
    """Whether an error of this request should be an HTML page (the clinician's pages)."""
    return req.blueprint == bp.name or req.path in PAGE_PATHS


def wants_html(req: Request) -> bool:
    """Whether the request prefers an HTML page to JSON (a browser's Accept header; API
    clients ask for JSON, or for anything)."""
    # JSON is listed first, so a client sending */* (or nothing) keeps problem+json.
    return req.accept_mimetypes.best_match(
        ("application/json", "application/problem+json", "text/html"), default="") == "text/html"


@bp.before_request
def _protect() -> None:
    if request.method == "POST":
        csrf.protect()


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    response.vary.update(("Accept-Language", "Cookie"))  # the language depends on both
    return remember(response)


@bp.get("/")
def show_form() -> str:
    """The empty form, or one prefilled from query parameters named as the features."""
    return render_form(FormInput.from_mapping(request.args))


@bp.post("/")
def create_result() -> tuple[str, int] | str:
    """Check the form as the API checks a request; show the result, or the form with errors."""
    form = FormInput.from_mapping(request.form, posted=True)
    if request.form.get("action") == "edit":
        return render_form(form)
    checked = check(form)
    if checked.request is None:
        return render_form(form, checked.errors), 422
    model = current().get(None)
    result = riskmodel.score(checked.request.patient, model)
    note_scored(model.ref, 1, "form", result, form.patient or None)  # audited as its HMAC only
    with page_scope():
        return render_template("web/result.html", view=result_view(result, model, form),
                               form=form, record=Record(datetime.now(UTC), request_id()))


@bp.get("/model-card")
def show_model_card() -> str:
    """The model card the API serves at /v1/models/<id>, as a page a clinician can read."""
    registry = current()
    model = registry.get(None)
    with page_scope():
        view = card_view(registry.card(model))
        return render_template(
            "web/model_card.html", card=view, api_path=f"/v1/models/{model.ref.id}",
            grades=tuple((g, str(GRADE_WORDS[g])) for g in sorted({t.grade for t in view.terms})
                         if g in GRADE_WORDS),
            others=tuple(f"{m.ref.id} {m.ref.version}" for m in registry.all()
                         if m is not model))


@bp.errorhandler(CSRFError)
def _expired(error: CSRFError) -> tuple[str, int]:
    """A form whose token expired (or came from elsewhere): show it again, input kept."""
    return render_form(FormInput.from_mapping(request.form, posted=True),
                       (FieldError("", "form_expired"),)), 400


def render_form(form: FormInput, errors: tuple[FieldError, ...] = ()) -> str:
    """The form page with the values typed, the errors next to their fields, the ranking."""
    with page_scope():
        shown = problems(errors, form)
        return render_template(
            "web/form.html", form=form, groups=groups(form, shown), problems=shown,
            ranked=ranked_empty(form, current().get(None)), stage=derived_stage(form),
            stage_table=stage_table())


def render_error_page(problem: dict[str, Any]) -> Response:
    """An error of a page request (404, 405, 413, 500...) as an HTML page."""
    with page_scope():
        page = render_template("web/error.html", status=problem["status"],
                               request_id=problem.get("request_id"))
    response = Response(page, mimetype="text/html", headers=PAGE_HEADERS)
    response.vary.update(("Accept", "Accept-Language"))  # the same address answers JSON too
    return response

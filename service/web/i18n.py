"""The page languages: which one a request gets, and the first-party cookie that remembers it.

Order: an explicit choice (``?lang=`` or the form's ``lang`` button), then the ``lang`` cookie,
then Accept-Language, then English. The cookie holds only the language code: no identifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_babel import get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a year: a clinician keeps the language they chose
DEFAULT = "en"
# BCP 47 tag (lang attribute, cookie, URL) -> Babel locale of the catalogue.
LANGUAGES: dict[str, str] = {"en": "en", "zh-Hans": "zh_Hans"}
# Endonyms: each language is offered in its own name.
NAMES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文"}


def explicit_choice() -> str | None:
    """The language the user picked on this request (a link or a button), if any."""
    tag = request.values.get("lang")
    return tag if tag in LANGUAGES else None


def current_language() -> str:
    """The language of this request's page, as a BCP 47 tag (``en`` or ``zh-Hans``)."""
    scoped = _PAGE.get()
    if scoped is not None:
        return scoped[0]
    if "page_language" not in g:
        g.page_language = explicit_choice() or _remembered() or _accepted() or DEFAULT
    return str(g.page_language)


def _remembered() -> str | None:
    tag = request.cookies.get(COOKIE)
    return tag if tag in LANGUAGES else None


# What Accept-Language may match (werkzeug also matches on the primary subtag, so zh-TW
# finds zh): any Chinese gets the simplified-Chinese pages, the only Chinese catalogue.
_OFFERED = ("en", "zh-Hans", "zh")


def _accepted() -> str | None:
    found = request.accept_languages.best_match(_OFFERED)
    return "zh-Hans" if found == "zh" else found


def select_locale() -> str:
    """Flask-Babel's locale selector: the catalogue of the page language."""
    return LANGUAGES[current_language()]


def remember(response: Response) -> Response:
    """Set the ``lang`` cookie when the user picked a language on this request."""
    choice = explicit_choice()
    if choice:
        response.set_cookie(COOKIE, choice, max_age=COOKIE_MAX_AGE, path="/",
                            samesite="Lax", httponly=True, secure=request.is_secure)
    return response


def translations() -> Any:
    """This request's catalogue: the page's (``page_scope``), else the one of its language
    (``_catalogue``). Flask-Babel would find it again (context, domain, locale) for every
    string, a third of the time of a result page."""
    scoped = _PAGE.get()
    return scoped[1] if scoped is not None else _catalogue()


# The page language and catalogue while a page is built (``page_scope``): a result page looks
# them up some hundred times, each a lookup through Flask's ``g`` proxy otherwise.
_PAGE: ContextVar[tuple[str, Any] | None] = ContextVar("bmrisk_page", default=None)


@contextmanager
def page_scope() -> Iterator[None]:
    """Within this block (on this thread), ``current_language`` and ``translations`` answer
    this request's language and catalogue without looking them up again. Set and reset by the
    block itself, so nothing outlives it."""
    token = _PAGE.set((current_language(), translations()))
    try:
        yield
    finally:
        _PAGE.reset(token)


_CATALOGUES = "bmrisk_web_catalogues"  # app.extensions: page language -> Flask-Babel catalogue


def _catalogue() -> Any:
    """Flask-Babel's catalogue of the page language, asked of Flask-Babel once per app and
    language: it depends on nothing else (one domain, one set of directories), and finding it
    costs a parse of the locale and three lookups."""
    language = current_language()
    found = current_app.extensions.setdefault(_CATALOGUES, {})
    if language not in found:
        found[language] = get_translations()  # its locale selector gives the same language
    return found[language]


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` (translate, then fill ``%(name)s``), from this request's
    catalogue."""
    text: str = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext``: translated when shown, from that request's catalogue."""
    return LazyString(gettext, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """The templates' ``_``, ``gettext`` and ``ngettext`` from this request's catalogue (as
    Flask-Babel installs them, newstyle)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)


@pass_context
def template_gettext(context: Context, string: str, **variables: Any) -> str:
    """Jinja's newstyle ``gettext`` (translate, mark safe under autoescape, then always fill
    ``%(name)s``, so ``%%`` is a percent sign). A page is rendered in a ``page_scope``, which
    holds its catalogue: not found anew for each of its hundred-odd strings."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if not variables and "%" not in text:  # nothing to fill: what ``% {}`` would give
        return text  # type: ignore[no-any-return]
    return text % variables  # type: ignore[no-any-return]

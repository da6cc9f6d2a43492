"""Small pieces of HTML the pages repeat, built in Python rather than by Jinja macros and loops
(a macro call costs more than the few strings it writes, and a template that imports macros
builds or checks a module on every page). Each writes exactly what the template it replaced
wrote, escaping every value as the templates' autoescape does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask import g, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .form import FIELD_NAMES, PATIENT, FormInput
from .i18n import NAMES, current_language, translations
from .labels import Text
from .svg import bar_svg

if TYPE_CHECKING:
    from .messages import Said
    from .result import TermRow

BLUEPRINT = "web"  # the pages' blueprint: its endpoints are "web.<view>"


def _(string: str, **variables: Any) -> Markup:
    """A message of the page as the templates' ``_`` gives it: translated, trusted as HTML, then
    always filled (the values escaped; ``%%`` is a percent sign). Named ``_`` for Babel."""
    said = Markup(translations().ugettext(string))
    return said % variables if variables or "%" in said else said  # no % sign: nothing to fill


def words(text: Text) -> Markup:
    """Words of the page, marked ``lang="en"`` when they are an English fallback."""
    if text.lang:
        return Markup(f'<span lang="{escape(text.lang)}">{escape(text.text)}</span>')
    return escape(text.text)


def language_url(code: str) -> str:
    """This GET page in the language ``code`` (a prefilled form keeps its fields, nothing else)."""
    if request.method == "GET" and request.blueprint == BLUEPRINT and request.endpoint:
        kept = {k: v for k, v in request.args.items() if k in FIELD_NAMES and v}
        args = {**kept, **(request.view_args or {}), "lang": code}
        return url_for(request.endpoint, **args)
    return url_for(f"{BLUEPRINT}.show_form", lang=code)


def _current(code: str, shown: str) -> str:
    return ' aria-current="true"' if code == shown else ""


def language_links() -> Markup:
    """The language switch of a GET page: a link to this page in each language."""
    shown = current_language()
    items = [f'\n  <li><a href="{escape(language_url(code))}" lang="{escape(code)}" '
             f'hreflang="{escape(code)}"{_current(code, shown)}>{escape(name)}</a></li>'
             for code, name in NAMES.items()]
    return Markup(f"<ul>{''.join(items)}\n</ul>")


def language_buttons(form: FormInput, action: str = "") -> Markup:
    """The language switch of a page answering a POST: it posts the inputs again (and
    ``action``, when given), so nothing typed is lost."""
    shown = current_language()
    again = (f'<input type="hidden" name="action" value="{escape(action)}">' if action else "")
    items = [f'\n    <li><button type="submit" name="lang" value="{escape(code)}" '
             f'lang="{escape(code)}" class="link-button"{_current(code, shown)}>{escape(name)}'
             f'</button></li>' for code, name in NAMES.items()]
    return Markup(f'<form method="post" action="{escape(url_for(f"{BLUEPRINT}.create_result"))}"'
                  f' class="language-form">\n  {hidden_inputs(form)}{again}\n  <ul>'
                  f'{"".join(items)}\n  </ul>\n</form>')


def said(words: Said) -> Markup:
    """A message, with its English detail in parentheses when it has one."""
    detail = (f' <span lang="en" class="detail">({escape(words.detail)})</span>'
              if words.detail else "")
    return Markup(f"{escape(words.text)}{detail}")


def code(text: Any) -> Markup:
    """``text`` as code."""
    return Markup(f"<code>{escape(text)}</code>")


def grade_list(pairs: Sequence[tuple[str, Any]]) -> Markup:
    """The evidence grades a page shows, each in words."""
    items = "".join(f"\n  <dd>{escape(words)}</dd>" for _grade, words in pairs)
    return Markup(f'<dl class="grades">\n  <dt>{_("Evidence grades")}</dt>{items}\n</dl>')


def hidden_inputs(form: FormInput) -> Markup:
    """The form's CSRF token and every field typed (the patient identifier too), as hidden
    inputs: a form on the result page sends them again. Written once per request and form
    (the result page has two forms that send them)."""
    kept = g.get("_hidden_inputs")
    if kept is not None and kept[0] is form:
        return kept[1]
    found = [f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">']
    found += [f'\n<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
              for name, value in form.values.items() if value]
    if form.patient:
        found.append(f'\n<input type="hidden" name="{PATIENT}" value="{escape(form.patient)}">')
    written = Markup("".join(found))
    g._hidden_inputs = (form, written)
    return written


def citation(source: Any, source_word: str) -> Markup:
    """A term's citation: its words, then a link to its DOI, PubMed record or address (the
    latter named ``source_word``), whichever it has first."""
    given: Mapping[str, Any] = source if isinstance(source, Mapping) else {}
    found = f'<span lang="en">{escape(given["text"]) if "text" in given else ""}</span>'
    if given.get("doi"):
        doi = escape(given["doi"])
        found += f' <a href="https://doi.org/{doi}" lang="en">doi:{doi}</a>'
    elif given.get("pmid"):
        pmid = escape(given["pmid"])
        found += f' <a href="https://pubmed.ncbi.nlm.nih.gov/{pmid}/" lang="en">PMID {pmid}</a>'
    elif given.get("url"):
        found += f' <a href="{escape(given["url"])}" lang="en">{escape(source_word)}</a>'
    return Markup(found)


def term_rows(terms: Sequence[TermRow]) -> Markup:
    """The rows of the factor table: the factor with its status and notes, the value used, the
    bar and contribution, the weight, the risk without it, the grade and the source.

    What a row shows of its term alone (the factor's words, weight, grade and source) and the
    table's words are written once per page language and term (``_fixed_cells``); each row
    adds what this patient's score gives it."""
    catalogue = translations()
    said = _table_words(catalogue)
    rows = []
    for t in terms:
        notes = "".join(f'<br><span class="term-note">{escape(n)}</span>' for n in t.notes)
        status = _("(%(status)s)", status=t.status)  # outside the f-string: Babel finds it
        term = (catalogue, t.name, t.label, t.weight, t.grade, _cited(t.citation))
        try:
            head, middle, tail = _fixed_cells(*term)
        except TypeError:  # a citation with a value that cannot be a key: written each time
            head, middle, tail = _fixed_cells.__wrapped__(*term)
        rows.append(
            f'{head}{status}</span>{notes}</th>'
            f'\n      <td data-label="{said["value_used"]}"><span class="cell">{escape(t.value)}'
            f'</span></td>'
            f'\n      <td class="bar-cell" data-label="{said["contribution"]}"><span class="cell">'
            f'{bar_svg(t.bar, t.state == "missing")} <span class="num">'
            f'{escape(t.contribution_text)}</span> <span class="direction">'
            f'{said["directions"][t.bar.direction]}</span></span></td>'
            f'{middle}{escape(t.risk_without)}{tail}')
    return Markup("".join(rows))


@lru_cache(maxsize=8)
def _table_words(catalogue: Any) -> dict[str, Any]:
    """The factor table's words in the language of ``catalogue`` (the page's: ``_`` answers
    from it)."""
    return {"value_used": _("Value used"), "contribution": _("Contribution (log-odds)"),
            "weight": _("Weight ± SE"), "risk_without": _("Risk without it"),
            "grade": _("Grade"), "source": _("Source"), "source_link": _("source"),
            "directions": {1: _("raises the risk"), -1: _("lowers the risk"),
                           0: _("no effect")}}


def _cited(source: Any) -> tuple[tuple[str, Any], ...] | None:
    return tuple(source.items()) if isinstance(source, Mapping) else None


@lru_cache(maxsize=512)
def _fixed_cells(catalogue: Any, name: str, label: Text, weight: str, grade: str,
                 cited: tuple[tuple[str, Any], ...] | None) -> tuple[str, str, str]:
    """A row's HTML that depends on its term and the page language only: up to its status,
    from after its bar to its risk without it, and after that."""
    said = _table_words(catalogue)
    head = (f'\n    <tr class="status-{escape(name)}">'
            f'\n      <th scope="row">{words(label)} <span class="status">')
    middle = (f'\n      <td class="num" data-label="{said["weight"]}"><span class="cell">'
              f'{escape(weight)}</span></td>'
              f'\n      <td class="num" data-label="{said["risk_without"]}"><span class="cell">')
    tail = (f'</span></td>'
            f'\n      <td class="grade" data-label="{said["grade"]}"><span class="cell">'
            f'{escape(grade)}</span></td>'
            f'\n      <td class="citation" data-label="{said["source"]}"><span class="cell">'
            f'{citation(dict(cited) if cited is not None else None, said["source_link"])}'
            f'</span></td>'
            f'\n    </tr>')
    return head, middle, tail

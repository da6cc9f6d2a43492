"""Small pieces of HTML every result page repeats, built in Python rather than by Jinja macros
and loops (a macro call costs more than the few strings it writes). Each writes exactly what the
template it replaced wrote, escaping every value as the templates' autoescape does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .form import PATIENT, FormInput
from .i18n import translations
from .labels import Text
from .svg import bar_svg

if TYPE_CHECKING:
    from .result import TermRow


def _(string: str, **variables: Any) -> Markup:
    """A message of the page as the templates' ``_`` gives it: translated, trusted as HTML, then
    always filled (the values escaped; ``%%`` is a percent sign). Named ``_`` for Babel."""
    return Markup(translations().ugettext(string)) % variables


def words(text: Text) -> Markup:
    """Words of the page, marked ``lang="en"`` when they are an English fallback."""
    if text.lang:
        return Markup(f'<span lang="{escape(text.lang)}">{escape(text.text)}</span>')
    return escape(text.text)


def hidden_inputs(form: FormInput) -> Markup:
    """The form's CSRF token and every field typed (the patient identifier too), as hidden
    inputs: a form on the result page sends them again."""
    found = [f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">']
    found += [f'\n<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
              for name, value in form.values.items() if value]
    if form.patient:
        found.append(f'\n<input type="hidden" name="{PATIENT}" value="{escape(form.patient)}">')
    return Markup("".join(found))


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
    bar and contribution, the weight, the risk without it, the grade and the source."""
    value_used, contribution, weight = (_("Value used"), _("Contribution (log-odds)"),
                                        _("Weight ± SE"))
    risk_without, grade, source = _("Risk without it"), _("Grade"), _("Source")
    directions = {1: _("raises the risk"), -1: _("lowers the risk"), 0: _("no effect")}
    source_link = _("source")
    rows = []
    for t in terms:
        notes = "".join(f'<br><span class="term-note">{escape(n)}</span>' for n in t.notes)
        status = _("(%(status)s)", status=t.status)  # outside the f-string: Babel finds it
        rows.append(
            f'\n    <tr class="status-{escape(t.name)}">'
            f'\n      <th scope="row">{words(t.label)} <span class="status">'
            f'{status}</span>{notes}</th>'
            f'\n      <td data-label="{value_used}"><span class="cell">{escape(t.value)}'
            f'</span></td>'
            f'\n      <td class="bar-cell" data-label="{contribution}"><span class="cell">'
            f'{bar_svg(t.bar, t.state == "missing")} <span class="num">'
            f'{escape(t.contribution_text)}</span> <span class="direction">'
            f'{directions[t.bar.direction]}</span></span></td>'
            f'\n      <td class="num" data-label="{weight}"><span class="cell">{escape(t.weight)}'
            f'</span></td>'
            f'\n      <td class="num" data-label="{risk_without}"><span class="cell">'
            f'{escape(t.risk_without)}</span></td>'
            f'\n      <td class="grade" data-label="{grade}"><span class="cell">{escape(t.grade)}'
            f'</span></td>'
            f'\n      <td class="citation" data-label="{source}"><span class="cell">'
            f'{citation(t.citation, source_link)}</span></td>'
            f'\n    </tr>')
    return Markup("".join(rows))

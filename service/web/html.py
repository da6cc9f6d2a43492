"""Small pieces of HTML every result page repeats, built in Python rather than by Jinja macros
(a macro call costs more than the few strings it writes). Each writes exactly what the macro it
replaced wrote, escaping every value as the templates' autoescape does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .form import PATIENT, FormInput
from .labels import Text


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

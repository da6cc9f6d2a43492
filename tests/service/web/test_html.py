"""The HTML pieces built in Python write exactly what the Jinja macros they replaced wrote."""

from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf
from jinja2 import Environment

from service.web.form import FormInput
from service.web.html import citation, hidden_inputs, words
from service.web.labels import Text

# The macros as they were (service/templates/web before the result page was made faster).
MACROS = """
{% macro citation(c) -%}
<span lang="en">{{ c.text }}</span>
{%- if c.doi %} <a href="https://doi.org/{{ c.doi }}" lang="en">doi:{{ c.doi }}</a>
{%- elif c.pmid %} <a href="https://pubmed.ncbi.nlm.nih.gov/{{ c.pmid }}/" lang="en">PMID {{ c.pmid }}</a>
{%- elif c.url %} <a href="{{ c.url }}" lang="en">{{ _("source") }}</a>{% endif %}
{%- endmacro %}
{% macro words(text) -%}
{%- if text.lang %}<span lang="{{ text.lang }}">{{ text.text }}</span>{% else %}{{ text.text }}{% endif -%}
{%- endmacro %}
{% macro hidden_inputs(form) -%}
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
{%- for name, value in form.values.items() if value %}
<input type="hidden" name="{{ name }}" value="{{ value }}">
{%- endfor %}
{%- if form.patient %}
<input type="hidden" name="patient_identifier" value="{{ form.patient }}">
{%- endif %}
{%- endmacro %}
"""  # noqa: E501


def macros(**globals_: object) -> object:
    env = Environment(autoescape=True)
    env.globals.update(_=lambda s: "la <source>", **globals_)
    return env.from_string(MACROS).module


@pytest.mark.parametrize("source", [
    {"text": "Knapp BJ, et al. <i>Front Oncol</i> (2024)", "doi": "10.3389/a&b"},
    {"text": "Ye H", "pmid": 12345678, "url": "https://example.org/x"},
    {"text": "Ye H", "pmid": "", "url": "https://example.org/?a=1&b=\"2\""},
    {"text": None, "doi": None},
    {"doi": "10.1/x"},
    {},
    None,
])
def test_a_citation_is_written_as_the_macro_wrote_it(source):
    assert str(citation(source, "la <source>")) == str(macros().citation(source))


@pytest.mark.parametrize("text", [Text("Adults <18"), Text("Adults & <b>", "en"), Text("")])
def test_words_are_written_as_the_macro_wrote_them(text):
    assert str(words(text)) == str(macros().words(text))


@pytest.mark.parametrize("form", [
    FormInput({"histology": "squamous", "calcium": "2,4\"1", "calcium_unit": "", "cea": "<b>"},
              "MRN <1> & 'x'"),
    FormInput({"histology": ""}),
])
def test_hidden_inputs_are_written_as_the_macro_wrote_them(app, form):
    with app.test_request_context("/", method="POST"):
        expected = str(macros(csrf_token=generate_csrf).hidden_inputs(form))
        assert str(hidden_inputs(form)) == expected
        assert 'name="csrf_token" value="' in expected

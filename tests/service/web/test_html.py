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


# service/templates/web/_macros.html as it was before its macros became html.py helpers.
PAGE_MACROS = """
{% macro language_links() -%}
<ul>
{%- for code, name in language_names.items() %}
  <li><a href="{{ language_url(code) }}" lang="{{ code }}" hreflang="{{ code }}"
    {%- if code == page_language() %} aria-current="true"{% endif %}>{{ name }}</a></li>
{%- endfor %}
</ul>
{%- endmacro %}
{% macro language_buttons(form, action="") -%}
<form method="post" action="{{ url_for('web.create_result') }}" class="language-form">
  {{ hidden_inputs(form) }}
  {%- if action %}<input type="hidden" name="action" value="{{ action }}">{% endif %}
  <ul>
  {%- for code, name in language_names.items() %}
    <li><button type="submit" name="lang" value="{{ code }}" lang="{{ code }}" class="link-button"
      {%- if code == page_language() %} aria-current="true"{% endif %}>{{ name }}</button></li>
  {%- endfor %}
  </ul>
</form>
{%- endmacro %}
{% macro said(words) -%}
{{ words.text }}{% if words.detail %} <span lang="en" class="detail">({{ words.detail }})</span>{% endif %}
{%- endmacro %}
{% macro code(text) -%}
<code>{{ text }}</code>
{%- endmacro %}
{% macro grades(pairs) -%}
<dl class="grades">
  <dt>{{ _("Evidence grades") }}</dt>
  {%- for grade, words in pairs %}
  <dd>{{ words }}</dd>
  {%- endfor %}
</dl>
{%- endmacro %}
"""  # noqa: E501


def page_macros(app: object) -> object:
    from flask import url_for

    from service.web import html
    from service.web.i18n import NAMES, current_language

    env = Environment(autoescape=True)
    env.globals.update(_=lambda s: html._(s), language_names=NAMES, url_for=url_for,
                       page_language=current_language, language_url=html.language_url,
                       hidden_inputs=hidden_inputs)
    return env.from_string(PAGE_MACROS).module


@pytest.mark.parametrize(("method", "path", "language"), [
    ("GET", "/?histology=squamous&calcium=2%2C4&x=<b>", "en"), ("GET", "/model-card", "zh-Hans"),
    ("POST", "/", "en"), ("POST", "/", "zh-Hans")])
def test_the_page_helpers_write_what_the_macros_wrote(app, method, path, language):
    from service.web import html
    from service.web.messages import Said

    form = FormInput({"histology": "squamous", "cea": "<b>"}, "MRN <1>")
    with app.test_request_context(path, method=method, headers={"Accept-Language": language}):
        old = page_macros(app)
        assert str(html.language_links()) == str(old.language_links())
        for action in ("", "edit", "<x>"):
            expected = str(old.language_buttons(form, action))
            assert str(html.language_buttons(form, action)) == expected
        for said in (Said("Calcium < 2", "mmol/L & more"), Said("plain")):
            assert str(html.said(said)) == str(old.said(said))
        assert str(html.code("a<b>&")) == str(old.code("a<b>&"))
        pairs = (("A", "A: <pooled>"), ("D", "D & derived"))
        assert str(html.grade_list(pairs)) == str(old.grades(pairs))
        assert str(html.grade_list(())) == str(old.grades(()))


def test_factor_rows_are_the_same_from_the_cache_and_for_a_citation_that_cannot_be_a_key(app):
    import dataclasses

    import riskmodel
    from service.registry import current
    from service.web.form import check
    from service.web.html import term_rows
    from service.web.result import result_view

    form = FormInput({"histology": "squamous", "t_category": "T2a", "n_category": "N1",
                      "cea": "12", "cea_unit": "ng/mL"})
    with app.test_request_context("/", method="POST"):
        model = current().get(None)
        view = result_view(riskmodel.score(check(form).request.patient, model), model, form)
        first, again = str(term_rows(view.terms)), str(term_rows(view.terms))
        assert first == again
        listed = [dataclasses.replace(t, citation={**t.citation, "authors": ["A", "B"]})
                  for t in view.terms]
        assert str(term_rows(listed)) == first  # the extra field is not shown
        for t in view.terms:
            assert str(citation(t.citation, "source")) in first


@pytest.mark.parametrize("message", ["Grade", "a %% b", "<b>trusted</b>", "100%% sure, %%"])
def test_a_message_without_values_is_what_filling_it_with_nothing_gives(app, message):
    from markupsafe import Markup

    from service.web import html
    from service.web.i18n import template_gettext

    env = Environment(autoescape=True)
    env.globals.update(_=template_gettext)
    with app.test_request_context("/"):
        expected = Markup(message) % {}
        assert html._(message) == expected
        assert isinstance(html._(message), Markup)
        assert env.from_string("{{ _(m) }}").render(m=message) == str(expected)

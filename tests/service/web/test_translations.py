"""Every string of the pages is in the Simplified Chinese catalogue; the Chinese pages use it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "service" / "translations" / "zh_Hans" / "LC_MESSAGES"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")
# Words a Chinese page may show outside lang="en": units, the model's id, and the name of the
# evidence file (evidence.md) that texts of the spec cite.
ALLOWED_WORDS = {"mmol", "ukat", "lung", "literature", "evidence"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


def po_catalogue():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        return read_po(handle)


def extracted_ids() -> set[str]:
    """Every message the sources use, extracted exactly as babel.cfg says."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = extract_from_dir(ROOT, method_map, options_map,
                             keywords={"_": None, "gettext": None, "_l": None,
                                       "lazy_gettext": None})
    return {message for _file, _line, message, _comments, _context in found}


def test_the_chinese_catalogue_translates_every_message_and_none_is_fuzzy():
    catalogue = po_catalogue()
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_the_catalogue_holds_every_message_the_pages_and_the_spec_use():
    assert extracted_ids() - {m.id for m in po_catalogue()} == set()


def test_translations_keep_the_placeholders_of_their_message():
    for message in po_catalogue():
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
                PLACEHOLDER.findall(message.id)), message.id


def test_the_compiled_catalogue_matches_its_source():
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == {m.id: m.string for m in po_catalogue() if m.id}


class VisibleText(HTMLParser):
    """Text and spoken attributes of a page, leaving out what is marked lang="en" and code."""

    SPOKEN = ("aria-label", "title", "alt", "placeholder", "data-with", "data-without")

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def english(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        english = (values["lang"] == "en" if "lang" in values else self.english()) or tag == "code"
        if not english:
            self.parts += [values[a] or "" for a in self.SPOKEN if a in values]
        if tag not in VOID:
            self.stack.append(english)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.english():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S))
    return re.sub(r"\{\w+\}", "", " ".join(parser.parts))  # {stage}: the script's slot


@pytest.fixture
def chinese_pages(client, submit):
    full = {"histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3",
            "bsp": "positive", "calcium": "2,8", "calcium_unit": "mmol/L", "alp": "3000",
            "alp_unit": "U/L", "cea": "30", "cea_unit": "ng/mL"}
    return {
        "form": client.get("/", headers=ZH),
        "errors": submit({"calcium": "x", "alp": "5", "stage": "IA", "t_category": "T4",
                          "n_category": "N3", "cea": "-1", "cea_unit": "ng/mL"}, headers=ZH),
        "result": submit(full, headers=ZH),
        "sparse result": submit({"albumin": "40", "albumin_unit": "g/L"}, headers=ZH),
        "model card": client.get("/model-card", headers=ZH),
        "error page": client.delete("/", headers=ZH),
    }


def test_chinese_pages_show_no_english_words_outside_text_marked_english(chinese_pages):
    for name, response in chinese_pages.items():
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in html, name
        words = set(re.findall(r"\b[a-z]{3,}\b", visible_text(html))) - ALLOWED_WORDS
        assert words == set(), f"{name}: English words outside lang=en: {sorted(words)}"


def test_chinese_pages_show_none_of_the_catalogues_english_strings(chinese_pages):
    english = [m.id for m in po_catalogue() if m.id and m.string != m.id]
    for name, response in chinese_pages.items():
        text = visible_text(response.get_data(as_text=True))
        for message in english:
            for fragment in PLACEHOLDER.split(message):
                fragment = fragment.strip(" .:()")
                if re.search(r"[a-z]{3,}", fragment):
                    assert not re.search(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])", text), (
                        f"{name} shows {fragment!r}")


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_every_kind_of_form_error_has_its_own_words_in_both_languages(app, language):
    from service.web.form import FieldError, FormInput
    from service.web.messages import error_text

    form = FormInput.from_mapping({"calcium": "60", "calcium_unit": "mmol/L", "stage": "IA",
                                   "t_category": "T4", "n_category": "N3"})
    codes = ["no_invasive", "out_of_scope", "stage_contradiction", "unit_required",
             "unknown_unit", "number_required", "negative", "implausible", "unknown_value",
             "empty_form", "not_a_number", "two_separators", "form_expired"]
    with app.test_request_context("/", headers={"Accept-Language": language}):
        general = error_text(FieldError("calcium", "other", detail="x"), form).text
        for code in codes:
            field = "stage" if code == "stage_contradiction" else "calcium"
            said = error_text(FieldError(field, code, detail="English detail"), form)
            assert said.text != general, code
            assert said.detail == "", code


def test_a_page_scope_answers_its_requests_language_and_leaves_nothing_behind(app):
    from service.web import i18n

    with app.test_request_context("/", headers=ZH):
        outside = (i18n.current_language(), i18n.translations())
        seen = []

        def build_a_page_that_fails() -> None:
            with i18n.page_scope():
                seen.append((i18n.current_language(), i18n.translations()))
                raise RuntimeError("a page that fails half-way")

        with pytest.raises(RuntimeError):
            build_a_page_that_fails()
        assert seen == [outside]
        assert i18n._PAGE.get() is None  # reset on the way out, error or not
    # The next request on this thread finds its own language, not the last page's.
    with app.test_request_context("/", headers={"Accept-Language": "en"}), i18n.page_scope():
        assert i18n.current_language() == "en"
        assert i18n.translations() is not outside[1]
    assert outside[0] == "zh-Hans"

"""The pages in Debian's Chromium against the real gunicorn server: what a clinician does.

One browser for the session (tests/web/conftest.py); a handful of pages per test. Screenshots
go to test-artifacts/screenshots/ (look at them: layout, Chinese glyphs, icons, bars).
"""

from __future__ import annotations

import re

import pytest
import requests

from riskmodel.features import FEATURES

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

FULL = {"histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3",
        "bsp": "positive", "calcium": "2,41", "calcium_unit": "mmol/L", "albumin": "36",
        "albumin_unit": "g/L", "alp": "130", "alp_unit": "U/L", "cea": "8,5",
        "cea_unit": "ng/mL"}
SPARSE = {"histology": "squamous", "cea": "4", "cea_unit": "ng/mL"}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RADIOS = ("bsp",)
LABELS = {f.name: f.label for f in FEATURES}


def api_body(fields: dict[str, str]) -> dict:
    """The API request for the same inputs (decimal commas written as points, as JSON needs)."""
    body: dict = {}
    for name, value in fields.items():
        if name.endswith("_unit"):
            continue
        unit = fields.get(name + "_unit")
        body[name] = {"value": float(value.replace(",", ".")), "unit": unit} if unit else value
    return body


def api_percent(server, fields: dict[str, str]) -> str:
    answer = requests.post(server.url + "/v1/risk", json=api_body(fields), timeout=10)
    assert answer.status_code == 200, answer.text
    return f"{100 * answer.json()['probability']:.0f}%"  # people read whole percents


def fill(page, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        if name in RADIOS:
            page.check(f'input[name="{name}"][value="{value}"]')
        elif page.eval_on_selector(f"#{name}", "e => e.tagName") == "SELECT":
            page.select_option(f"#{name}", value)
        else:
            page.fill(f"#{name}", value)


def submit(page) -> None:
    with page.expect_navigation():
        page.click("#patient-form button[type=submit]")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_full_patient_gets_the_apis_risk_and_a_one_page_printable_record(live_server,
                                                                           open_page):
    page = open_page()
    page.goto(live_server.url + "/")
    screenshot(page, "form-en")
    fill(page, FULL)
    submit(page)
    assert page.text_content("#risk-percent") == api_percent(live_server, FULL)
    assert page.locator(".icon-array use.icon-with, .icon-array use.icon-without").count() == 102
    assert page.is_visible(".js-print")  # the script offers printing
    screenshot(page, "result-en")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1, "the record prints on one page"


def test_a_sparse_patient_gets_the_apis_risk_and_the_missing_tests_ranked(live_server,
                                                                          open_page):
    page = open_page()
    page.goto(live_server.url + "/")
    fill(page, SPARSE)
    submit(page)
    assert page.text_content("#risk-percent") == api_percent(live_server, SPARSE)
    missing = requests.post(live_server.url + "/v1/risk", json=api_body(SPARSE),
                            timeout=10).json()["missing"]
    items = page.locator(".missing li")
    assert items.count() == len(missing)
    first = items.first
    assert first.locator(".badge").count() == 1
    assert first.locator("strong").text_content() == LABELS[missing[0]["name"]]
    assert page.locator(".ranked").count() == 0  # the ranking of empty fields is the form's


def test_errors_show_next_to_their_fields_keep_the_input_and_lead_to_the_field(live_server,
                                                                               open_page):
    page = open_page()
    page.goto(live_server.url + "/")
    fill(page, {"t_category": "T4", "n_category": "N3", "stage": "IA", "calcium": "2,4,1",
                "calcium_unit": "mmol/L"})
    submit(page)
    assert focused_id(page) == "error-summary"
    assert "Enter serum total calcium as a number" in page.text_content("#calcium-error")
    assert "IIIC" in page.text_content("#stage-error")
    described = page.get_attribute("#calcium", "aria-describedby").split()
    assert "calcium-error" in described
    assert page.input_value("#calcium") == "2,4,1"
    assert page.input_value("#stage") == "IA"
    screenshot(page, "errors-en")
    page.click('#error-summary a[href="#calcium"]')
    assert focused_id(page) == "calcium"


def test_the_chinese_pages_show_chinese_and_the_apis_risk(live_server, open_page):
    page = open_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.text_content("h1") == "肺癌确诊时的骨转移风险"
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '骨转移')")
    screenshot(page, "form-zh-Hans")
    fill(page, FULL)
    submit(page)
    assert page.text_content("#risk-percent") == api_percent(live_server, FULL)
    assert "每 100 位与此患者相似的患者中" in page.text_content("#per-100")
    screenshot(page, "result-zh-Hans")
    with page.expect_navigation():
        page.click('.language-form button[value="en"]')
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("#risk-percent") == api_percent(live_server, FULL)


# Each step: Tab until this field has the focus, then type (a select picks by typing its words).
KEYBOARD_STEPS = (("histology", "Adeno"), ("t_category", "T4"), ("n_category", "N3"),
                  ("bsp", " "), ("calcium", "2,41"), ("calcium_unit", "mmol"), ("cea", "12"),
                  ("cea_unit", "ng"))
KEYBOARD_TYPED = {"histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3",
                  "bsp": "positive", "calcium": "2,41", "calcium_unit": "mmol/L", "cea": "12",
                  "cea_unit": "ng/mL"}


def tab_to(page, element_id: str) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_form_can_be_completed_with_the_keyboard_alone(live_server, open_page):
    page = open_page()
    page.goto(live_server.url + "/")
    for element_id, keys in KEYBOARD_STEPS:
        tab_to(page, element_id)
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        if keys == " ":
            page.keyboard.press("Space")
        else:
            page.keyboard.type(keys)
    tab_to(page, "alp")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.text_content("#risk-percent") == api_percent(live_server, KEYBOARD_TYPED)


def test_the_tumour_selects_line_up(live_server, open_page):
    page = open_page()
    page.goto(live_server.url + "/")
    tops = {name: page.eval_on_selector(f"#{name}", "e => e.getBoundingClientRect().top")
            for name in ("histology", "t_category", "n_category", "stage")}
    assert len(set(tops.values())) == 1, tops


def test_the_script_shows_the_stage_t_and_n_give_before_submitting(live_server, open_page):
    page = open_page()
    page.goto(live_server.url + "/")
    page.select_option("#t_category", "T3")
    page.select_option("#n_category", "N3")
    assert "IIIC" in page.text_content("#stage-derived")


def test_the_form_works_with_javascript_turned_off(live_server, open_page):
    page = open_page(javascript=False)
    page.goto(live_server.url + "/")
    fill(page, SPARSE)
    submit(page)
    assert page.text_content("#risk-percent") == api_percent(live_server, SPARSE)
    assert not page.is_visible(".js-print")


def test_the_typed_values_never_reach_the_server_log(live_server, open_page):
    # Four decimals: no timestamp or latency in the log has as many, so a match is a leak.
    page = open_page()
    page.goto(live_server.url + "/?histology=large_cell&cea=97.3813&cea_unit=ng/mL")
    fill(page, {"calcium": "2,4917", "calcium_unit": "mmol/L"})
    submit(page)
    assert page.is_visible("#risk-percent")
    log = live_server.log_text()
    for typed in ("large_cell", "97.3813", "2,4917", "2.4917"):
        assert typed not in log


def test_the_patient_identifier_is_printed_and_never_logged(live_server, open_page):
    marker = "PID-7f3a9c-MARKER"
    page = open_page()
    page.goto(live_server.url + "/")
    fill(page, SPARSE)
    page.fill("#patient_identifier", marker)
    submit(page)
    page.emulate_media(media="print")
    assert page.is_visible("#record-patient")
    assert page.text_content("#record-patient") == marker
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                        page.text_content("#record-time"))
    page.emulate_media(media="screen")
    with page.expect_navigation():  # "Change the inputs" keeps it, and so does a new result
        page.click('.result-actions button[value="edit"]')
    assert page.input_value("#patient_identifier") == marker
    submit(page)
    assert page.text_content("#record-patient") == marker
    assert marker not in live_server.log_text()


def axe_violations(page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    found = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
        .then(r => r.violations.map(v => v.id + ': ' + v.help + ' @ ' +
                                   v.nodes.map(n => n.target.join(' ')).join(', ')))""",
                          WCAG_21_AA)
    return list(found)


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_form_error_state_result_and_model_card_have_no_wcag_violations(live_server,
                                                                        open_page,
                                                                        axe_source, locale):
    page = open_page(locale=locale, bypass_csp=True)  # only so axe-core can be injected
    found: dict[str, list[str]] = {}
    page.goto(live_server.url + "/")
    found["form"] = axe_violations(page, axe_source)
    fill(page, {"calcium": "x", "t_category": "T4", "n_category": "N3", "stage": "IA"})
    submit(page)
    found["errors"] = axe_violations(page, axe_source)
    fill(page, {**FULL, "calcium": "2,41", "stage": ""})
    submit(page)
    found["result"] = axe_violations(page, axe_source)
    page.goto(live_server.url + "/model-card")
    found["model card"] = axe_violations(page, axe_source)
    page.goto(live_server.url + "/no-such-page")
    found["error page"] = axe_violations(page, axe_source)
    assert found == {"form": [], "errors": [], "result": [], "model card": [], "error page": []}

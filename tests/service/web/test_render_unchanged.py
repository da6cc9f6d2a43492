"""The pages' HTML, byte for byte, against golden files rendered before the result page was
made faster: a speed-up must not change what the clinician gets.

Only what differs per request is normalised: the CSRF token, the time of scoring, the score id
and an error page's request id. Regenerate the files (after a change meant to alter the pages,
and only then) with
``WRITE_GOLDEN_PAGES=1 pytest tests/service/web/test_render_unchanged.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
FULL = {
    "histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3", "stage": "IIIC",
    "bsp": "positive", "calcium": "2,41", "calcium_unit": "mmol/L", "albumin": "38",
    "albumin_unit": "g/L", "alp": "120", "alp_unit": "U/L", "cea": "12", "cea_unit": "ng/mL",
}
# Varied patients: complete, with missing inputs, with warnings and an alert, unknown codes.
POSTS = {
    "full": {**FULL, "patient_identifier": "MRN <b>&'\"1"},
    "low": {"histology": "squamous", "t_category": "T1a", "n_category": "N0", "bsp": "negative",
            "calcium": "2.2", "calcium_unit": "mmol/L", "albumin": "45", "albumin_unit": "g/L",
            "alp": "60", "alp_unit": "U/L", "cea": "1.5", "cea_unit": "ng/mL"},
    "missing": {"histology": "squamous", "alp": "150", "alp_unit": "U/L"},
    "alert": {"calcium": "2.8", "calcium_unit": "mmol/L"},
    "out_of_range": {"histology": "large_cell", "calcium": "10,2", "calcium_unit": "mg/dL",
                     "albumin": "3.1", "albumin_unit": "g/dL", "alp": "2400", "alp_unit": "U/L",
                     "cea": "900", "cea_unit": "ng/mL"},
    "derived_stage": {"histology": "nsclc_nos", "t_category": "T2a", "n_category": "N1",
                      "albumin": "40", "albumin_unit": "g/L"},
    "unknown_codes": {"histology": "other", "t_category": "TX", "n_category": "NX",
                      "bsp": "not_tested", "cea": "7", "cea_unit": "ng/mL"},
    "small_cell": {"histology": "small_cell", "stage": "IIB", "bsp": "positive"},
    "edit": {**FULL, "action": "edit"},
    "bad_number": {"histology": "squamous", "calcium": "2,4,1", "calcium_unit": "mmol/L"},
    "empty": {},
}
GETS = {"form": "/", "prefilled": "/?histology=adenocarcinoma&t_category=T4&calcium=2.41"
        "&calcium_unit=mmol/L", "model_card": "/model-card", "not_found": "/no-such-page"}
LANGUAGES = ("en", "zh-Hans")
_VARYING = (
    (re.compile(r'name="csrf_token" value="[^"]*"'), 'name="csrf_token" value="TOKEN"'),
    (re.compile(r'<time datetime="[^"]*" id="record-time">[^<]*</time>'),
     '<time datetime="TIME" id="record-time">TIME</time>'),
    (re.compile(r'<code id="record-id">[^<]*</code>'), '<code id="record-id">ID</code>'),
    (re.compile(r"<code>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</code>"),
     "<code>REQUEST-ID</code>"),  # an error page's request id
)


def normalised(html: str) -> str:
    """The page with the per-request token, time and id replaced by fixed words."""
    for pattern, fixed in _VARYING:
        html = pattern.sub(fixed, html)
    return html


def check_golden(name: str, status: int, html: str) -> None:
    path = GOLDEN / f"{name}.html"
    page = f"<!-- status {status} -->\n{normalised(html)}"
    if os.environ.get("WRITE_GOLDEN_PAGES"):
        path.write_text(page, "utf-8")
    assert path.exists(), f"no golden file {path.name}: see this module's docstring"
    assert page == path.read_text("utf-8"), f"{name}: the page's HTML changed"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(POSTS))
def test_a_posted_form_renders_as_before(submit, case, lang):
    response = submit({**POSTS[case], "lang": lang} if lang != "en" else POSTS[case])
    check_golden(f"post-{case}.{lang}", response.status_code, response.get_data(as_text=True))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(GETS))
def test_a_page_renders_as_before(client, case, lang):
    path = GETS[case]
    path += ("&" if "?" in path else "?") + f"lang={lang}" if lang != "en" else ""
    response = client.get(path, headers={"Accept": "text/html"})  # as a browser asks
    check_golden(f"get-{case}.{lang}", response.status_code, response.get_data(as_text=True))


def test_pages_in_turn_in_both_languages_render_as_before(submit):
    """Nothing drawn once for one request or language shows on a page of another."""
    for case in ("full", "missing", "full", "alert"):
        for lang in (*LANGUAGES, "en"):
            response = submit({**POSTS[case], "lang": lang})
            check_golden(f"post-{case}.{lang}", response.status_code,
                         response.get_data(as_text=True))


def test_a_piece_drawn_once_follows_the_address_the_service_is_mounted_at(client):
    """The pieces drawn once (service.web.pieces) hold links: one per mount point."""
    from tests.service.web.conftest import csrf_token

    token = csrf_token(client)
    plain = client.post("/", data={**FULL, "csrf_token": token}).get_data(as_text=True)
    mounted = client.post("/", data={**FULL, "csrf_token": token},
                          environ_overrides={"SCRIPT_NAME": "/bmrisk"}).get_data(as_text=True)
    model_section = re.compile(r'<section class="model".*?</section>', re.S)
    assert '<a href="/model-card">' in model_section.search(plain).group(0)
    assert '<a href="/bmrisk/model-card">' in model_section.search(mounted).group(0)


def test_pieces_are_kept_per_count_model_and_language_never_per_patient(app, submit):
    """Two patients with the same count share the icon array; nothing else is kept for them."""
    from service.web.pieces import EXTENSION

    submit(FULL)
    submit({**FULL, "patient_identifier": "A-1", "cea": "12.0"})
    submit({**FULL, "lang": "zh-Hans"})
    kept = app.extensions[EXTENSION]
    assert sorted({template for template, *_ in kept}) == [
        "web/_icon_array.html", "web/_page_footer.html", "web/_page_top.html",
        "web/_result_model.html", "web/_terms_head.html"]
    assert len(kept) == 10  # five pieces, two languages
    assert not any("A-1" in html for html in kept.values())

"""The pages through Flask's test client: form, result, errors, CSRF, headers, languages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest

import riskmodel
from riskmodel.features import FEATURES
from riskmodel.units import shown_unit
from service.errors import problem_dict

FULL = {
    "histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3", "stage": "IIIC",
    "bsp": "positive", "calcium": "2,41", "calcium_unit": "mmol/L", "albumin": "38",
    "albumin_unit": "g/L", "alp": "120", "alp_unit": "U/L", "cea": "12", "cea_unit": "ng/mL",
}
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def shown_percent(html: str) -> str:
    return re.search(r'id="risk-percent">([^<]+)<', html).group(1)


def api_percent(client, body: dict) -> str:
    answer = client.post("/v1/risk", json=body)
    assert answer.status_code == 200, answer.get_json()
    return f"{100 * answer.get_json()['probability']:.0f}%"  # whole percents, from the probability


def test_form_has_a_labelled_field_for_every_feature_and_lab_labels_name_their_units(client):
    html = text_of(client.get("/"))
    for feature in FEATURES:
        assert f'for="{feature.name}"' in html or f'id="{feature.name}"' in html
        if feature.kind == "quantity":
            assert f'<label for="{feature.name}_unit">' in html
            label = re.search(rf'<label for="{feature.name}">([^<]+)</label>', html).group(1)
            assert all(shown_unit(unit) in label for unit in feature.units), label


def test_form_is_prefilled_from_query_parameters_and_never_submitted(client):
    response = client.get("/?histology=adenocarcinoma&t_category=T4&calcium=2.41"
                          "&calcium_unit=mmol/L&patient_name=Doe")
    html = text_of(response)
    assert response.status_code == 200
    assert '<option value="adenocarcinoma" selected>' in html
    assert '<option value="T4" selected>' in html
    assert 'name="calcium" value="2.41"' in html
    assert '<option value="mmol/L" selected>' in html
    assert 'id="risk-percent"' not in html
    assert "Doe" not in html


def test_the_empty_form_opens_without_the_ranking_of_empty_fields(client):
    html = text_of(client.get("/"))
    assert 'class="ranked"' not in html


def test_the_form_says_once_that_units_are_the_laboratorys(client):
    html = text_of(client.get("/"))
    assert html.count("the unit the laboratory reported") == 1
    units = [f.name for f in FEATURES if f.kind == "quantity"]
    for name in units:
        assert re.search(rf'id="{name}_unit"[^>]*aria-describedby="units-hint"', html, re.S)


def test_the_ranking_follows_a_score_of_what_is_already_filled_in_one_line(client):
    patient = riskmodel.Patient(histology="squamous", alp=riskmodel.Quantity(150, "U/L"))
    expected = [m.name for m in riskmodel.score(patient).missing]
    html = text_of(client.get("/?histology=squamous&alp=150&alp_unit=U/L"))
    ranked = re.search(r'<p class="ranked".*?</p>', html, re.S).group(0)
    assert re.findall(r'href="#(\w+)"', ranked) == expected
    assert "alp" not in expected


def test_result_shows_the_same_percent_as_the_api_for_the_same_patient(client, submit):
    response = submit(FULL)
    assert response.status_code == 200
    body = {k: v for k, v in FULL.items() if not k.endswith("_unit")}
    for lab in ("calcium", "albumin", "alp", "cea"):
        body[lab] = {"value": float(FULL[lab].replace(",", ".")), "unit": FULL[lab + "_unit"]}
    assert shown_percent(text_of(response)) == api_percent(client, body)


def test_a_decimal_comma_gives_the_same_result_as_a_decimal_point(submit):
    comma = submit({"histology": "squamous", "cea": "7,5", "cea_unit": "ng/mL"})
    point = submit({"histology": "squamous", "cea": "7.5", "cea_unit": "ng/mL"})
    assert shown_percent(text_of(comma)) == shown_percent(text_of(point))


def test_result_shows_every_term_with_grade_citation_link_and_the_model_identity(client, submit):
    html = text_of(submit(FULL))
    model = riskmodel.load_model()
    for term in model.terms:
        assert f'class="status-{term.name}"' in html
    assert 'href="https://doi.org/10.1016/j.lungcan.2009.03.017"' in html
    assert model.ref.sha256 in html
    assert model.ref.id in html
    assert model.ref.version in html
    assert "not validated" in html
    assert "95% interval" in html
    per_100 = riskmodel.score(riskmodel.Patient(
        histology="adenocarcinoma", t_category="T4", n_category="N3", stage="IIIC", bsp="positive",
        calcium=riskmodel.Quantity(2.41, "mmol/L"), albumin=riskmodel.Quantity(38, "g/L"),
        alp=riskmodel.Quantity(120, "U/L"), cea=riskmodel.Quantity(12, "ng/mL"))).per_100
    assert f"About {per_100} in 100 patients like this one" in html
    assert html.count('class="icon-with"') + html.count('class="icon-without"') == 100 + 2
    assert 'href="/model-card"' in html
    assert "it is not a diagnosis" in html


def test_a_sparse_result_names_what_was_missing_the_range_left_and_the_best_next_test(submit):
    patient = riskmodel.Patient(histology="adenocarcinoma")
    result = riskmodel.score(patient)
    html = text_of(submit({"histology": "adenocarcinoma"}))
    low, high = result.missing_range
    assert f"{100 * low:.0f}% to {100 * high:.0f}%" in html
    missing = re.search(r'<section class="missing".*?</section>', html, re.S).group(0)
    first = missing.split("<li>")[1]
    assert "narrows the range most" in first
    label = next(f.label for f in FEATURES if f.name == result.missing[0].name)
    assert label in first


def test_field_errors_sit_next_to_their_fields_are_linked_and_keep_the_input(submit):
    response = submit({"histology": "squamous", "calcium": "2,4,1", "calcium_unit": "mmol/L",
                       "alp": "150"})
    html = text_of(response)
    assert response.status_code == 422
    assert 'id="calcium-error"' in html
    assert 'id="alp_unit-error"' in html
    assert re.search(r'id="calcium"[^>]*aria-describedby="calcium-hint calcium-error"'
                     r'[^>]*aria-invalid="true"', html, re.S)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#calcium"' in summary
    assert 'href="#alp_unit"' in summary
    assert 'name="calcium" value="2,4,1"' in html
    assert 'name="alp" value="150"' in html
    assert '<option value="squamous" selected>' in html
    assert "Enter serum total calcium as a number, such as 2.41 or 2,41." in html
    assert ("Choose the unit of serum alkaline phosphatase that the laboratory reported "
            "(U/L or \u00b5kat/L).") in summary
    assert "Serum total calcium: " not in summary  # each entry is one plain sentence
    assert 'id="risk-percent"' not in html


def test_a_stage_that_contradicts_t_and_n_is_explained_next_to_the_stage(submit):
    html = text_of(submit({"t_category": "T4", "n_category": "N3", "stage": "IA"}))
    error = re.search(r'id="stage-error">(.*?)</p>', html, re.S).group(1)
    assert "Stage IA contradicts T4 and N3" in error
    assert "IIIC" in error
    assert "T and N give stage IIIC" in html


def test_an_empty_submission_asks_for_at_least_one_field(submit):
    response = submit({})
    assert response.status_code == 422
    assert "Fill in at least one field" in text_of(response)


def test_a_post_without_its_csrf_token_is_refused_and_the_input_kept(client):
    response = client.post("/", data={"histology": "squamous", "cea": "7,5"})
    html = text_of(response)
    assert response.status_code == 400
    assert 'id="risk-percent"' not in html
    assert "The form had expired" in html
    assert 'name="cea" value="7,5"' in html


def test_the_api_is_not_asked_for_a_form_token(client):
    assert client.post("/v1/risk", json={"histology": "squamous"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/model-card", "/?lang=zh-Hans"])
def test_pages_send_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == PAGE_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_result_and_error_pages_send_the_security_headers_and_are_not_cached(submit):
    for response in (submit(FULL), submit({"calcium": "x"})):
        assert response.headers["Content-Security-Policy"] == PAGE_CSP
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_hold_no_inline_script_or_style(client, submit):
    for html in (text_of(client.get("/")), text_of(submit(FULL)),
                 text_of(client.get("/model-card"))):
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert "<style" not in html
        assert " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)


def test_the_page_language_follows_accept_language(client):
    html = text_of(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}))
    assert '<html lang="zh-Hans">' in html
    assert "估计风险" in html
    html = text_of(client.get("/", headers={"Accept-Language": "fr-FR,en;q=0.5"}))
    assert '<html lang="en">' in html


@pytest.mark.parametrize(("header", "lang"), [
    ("zh-TW", "zh-Hans"), ("zh-Hant-TW", "zh-Hans"), ("ZH-hans", "zh-Hans"),
    ("fr, zh;q=0.5", "zh-Hans"), ("zh;q=0.4, en;q=0.8", "en"), ("fr", "en"), ("", "en"),
])
def test_accept_language_picks_the_best_offered_language(client, header, lang):
    html = text_of(client.get("/", headers={"Accept-Language": header}))
    assert f'<html lang="{lang}">' in html


def test_choosing_a_language_sets_a_cookie_holding_only_the_language(client):
    response = client.get("/?lang=zh-Hans")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh-Hans;")
    assert "SameSite=Lax" in cookie
    html = text_of(client.get("/", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-Hans">' in html


def test_switching_language_on_a_result_shows_the_same_result_in_that_language(submit):
    english = text_of(submit(FULL))
    chinese = text_of(submit({**FULL, "lang": "zh-Hans"}))
    assert '<html lang="zh-Hans">' in chinese
    assert "骨转移风险估计" in chinese
    assert shown_percent(chinese) == shown_percent(english)


def test_change_the_inputs_returns_to_the_filled_form(submit):
    html = text_of(submit({**FULL, "action": "edit"}))
    assert 'id="patient-form"' in html
    assert 'name="calcium" value="2,41"' in html


def test_an_alert_is_set_apart_and_warnings_are_in_plain_words(submit):
    html = text_of(submit({"calcium": "2.8", "calcium_unit": "mmol/L"}))
    alerts = re.search(r'<section class="alerts" role="alert".*?</section>', html, re.S).group(0)
    assert "hypercalcaemia" in alerts
    assert "2.80 mmol/L" in alerts
    assert "Albumin is missing: calcium was used without albumin correction." in html


def two_figures(value: float) -> str:
    """Odds ratios as the page writes them: 1.23, 42.3, 62,900 (no exponent for a clinician)."""
    return f"{value:.2f}" if value < 10 else f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def test_the_model_card_page_shows_use_terms_validation_and_version_from_the_card(client):
    card = client.get("/v1/models/lung-bm-literature").get_json()
    html = text_of(client.get("/model-card"))
    assert card["sha256"] in html
    assert card["intended_use"]["statement"].replace("'", "&#39;") in html
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S)
    assert len(rows) == len(card["model"]["terms"])
    for term, row in zip(card["model"]["terms"], rows, strict=True):
        low, high = term["odds_ratio_95ci"]
        assert term["label"] in row
        assert two_figures(term["odds_ratio"]) in row
        assert f"{two_figures(low)} to {two_figures(high)}" in row
        assert f">{term['grade']}</abbr>" in row
    assert f'href="https://doi.org/{card["model"]["terms"][0]["citation"]["doi"]}"' in rows[0]
    for limitation in card["limitations"]:
        assert limitation.replace("'", "&#39;") in html
    assert "Not yet validated" in html
    full = re.search(r"<pre lang=\"en\"><code>(.*?)</code></pre>", html, re.S)[1]
    assert json.loads(unescape(full)) == card
    assert "What changed" in html  # 2.0.0, the default, says what changed from 1.0.0
    assert "Plausibility check" in html


def test_the_model_card_page_shows_changes_and_a_plausibility_table_when_the_card_has_them(
        client, monkeypatch):
    from service.registry import Registry

    plain = Registry.card

    def later(self, model):
        return {**plain(self, model), "changes_from_1.0.0": ["Stage III is derived from T and N."],
                "plausibility": [{"histology": "squamous", "model": 0.0912, "published": 0.0844}]}

    monkeypatch.setattr(Registry, "card", later)
    html = text_of(client.get("/model-card"))
    assert "What changed" in html
    assert "Stage III is derived from T and N." in html
    table = re.search(r'<table class="card-plausibility">.*?</table>', html, re.S)[0]
    assert "9.1%" in table
    assert "8.4%" in table


def test_an_error_on_a_page_is_an_html_page_not_json(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == PAGE_CSP


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/no-such-page", 404), ("get", "/v1/risk", 405), ("get", "/model-card/x", 404)])
@pytest.mark.parametrize(("language", "words"), [("en", "Error"), ("zh-CN", "\u9519\u8bef")])
def test_a_browser_gets_an_html_error_page_in_its_language_anywhere(client, method, path,
                                                                  status, language, words):
    response = getattr(client, method)(path, headers={"Accept": BROWSER,
                                                      "Accept-Language": language})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert f"<h1>{words} {status}</h1>" in text_of(response)
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/problem+json"])
def test_api_clients_keep_the_same_problem_json_bytes(client, accept):
    response = client.get("/no-such-page", headers={"Accept": accept} if accept else {})
    assert response.mimetype == "application/problem+json"
    ident = response.get_json()["request_id"]
    assert response.data == json.dumps(problem_dict(404, ident=ident),
                                       separators=(",", ":")).encode()


def test_channels_keep_their_own_error_shape_for_browsers(client):
    assert client.get("/fhir/nothing", headers={"Accept": BROWSER}).mimetype != "text/html"
    assert client.get("/cds-services/x", headers={"Accept": BROWSER}).mimetype != "text/html"


@pytest.mark.parametrize(("fields", "says"), [
    ({"t_category": "T2a", "n_category": "N2"}, "IIIA (from T and N)"),
    ({"t_category": "T2a"},
     "Not known exactly: averaged over the stages that the known T, N and stage allow."),
    ({"t_category": "T4", "n_category": "N2", "stage": "IIIB"}, "IIIB"),
    ({"stage": "IA"}, "IA"),
])
def test_the_stage_iii_row_says_plainly_where_the_stage_came_from(submit, fields, says):
    # Model 2.0.0: stage III is a property of T and N, used whenever the stage group is III,
    # derived from T and N when both are known; there is no 'not used' rule to explain.
    html = unescape(text_of(submit({"histology": "squamous", **fields})))
    row = re.search(r'<tr class="status-stage_iii">.*?</tr>', html, re.S)[0]
    assert says in " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert "Not used" not in row


def test_the_result_records_when_what_and_for_whom_it_was_scored(submit):
    before = datetime.now(UTC).replace(microsecond=0)
    html = text_of(submit({**FULL, "patient_identifier": "MRN 12345"}))
    assert re.search(r'id="record-patient">MRN 12345<', html)
    when = datetime.fromisoformat(re.search(r'<time datetime="([^"]+)"', html)[1])
    assert before <= when <= datetime.now(UTC)
    assert re.search(r'id="record-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<', html)
    assert re.search(r'id="record-id">[0-9a-f-]{36}<', html)
    assert riskmodel.load_model().ref.sha256 in re.search(r'id="record-hash">([0-9a-f]+)<', html)[1]
    assert 'name="patient_identifier" value="MRN 12345"' in html  # kept for "change the inputs"


def test_the_patient_identifier_is_never_read_from_a_link(client):
    html = text_of(client.get("/?histology=squamous&patient_identifier=MRN+12345"))
    assert "MRN 12345" not in html


def test_a_prefilled_value_the_form_does_not_offer_is_shown_and_refused_on_submit(client,
                                                                                submit):
    html = text_of(client.get("/?stage=IV&calcium=2.4&calcium_unit=mg/L"))
    assert '<option value="IV" selected>IV</option>' in html
    assert '<option value="mg/L" selected>mg/L</option>' in html
    response = submit({"stage": "IV", "calcium": "2.4", "calcium_unit": "mg/L"})
    refused = text_of(response)
    assert response.status_code == 422
    assert 'id="stage-error"' in refused
    assert "out of scope" in refused
    assert 'id="calcium_unit-error"' in refused


def test_units_show_micro_as_mu_and_a_links_spelling_selects_its_unit(client, submit):
    html = text_of(client.get("/?alp=2&alp_unit=%C2%B5kat/l&cea=3&cea_unit=ug/l"))
    assert '<option value="ukat/L" selected>\u00b5kat/L</option>' in html
    assert '<option value="ug/L" selected>\u00b5g/L</option>' in html
    assert "ukat/L</option>" not in html.replace('value="ukat/L"', "")
    as_ucum = text_of(submit({"alp": "130", "alp_unit": "U/L"}))
    as_iu = text_of(submit({"alp": "130", "alp_unit": "IU/L"}))
    assert re.search(r'id="risk-percent">([^<]+)<', as_iu)[1] == re.search(
        r'id="risk-percent">([^<]+)<', as_ucum)[1]


def test_only_a_contradicted_term_is_called_contradictory(submit):
    # 2.0.0's histology term has a caveat (abstract only) that is not a contradiction.
    html = unescape(text_of(submit({"histology": "adenocarcinoma",
                                    "calcium": "2.4", "calcium_unit": "mmol/L"})))
    rows = dict(re.findall(r'<tr class="status-(\w+)">(.*?)</tr>', html, re.S))
    assert "Contradictory evidence" in rows["calcium"]
    assert "Contradictory evidence" not in rows["non_squamous"]

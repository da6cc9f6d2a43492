"""Known-answer vignettes: each risk worked out by hand in the test, to 1e-9.

b0 is the engine's intercept, first checked against the test's own solution of the mean-risk
equation (conftest: a plain loop over the reference combinations and Brent's method).
"""

from __future__ import annotations

import pytest

import riskmodel
from riskmodel import Patient, Quantity

V1 = riskmodel.load_model(version="1.0.0")  # these vignettes are the 1.0.0 arithmetic


def score_v1(patient):
    return riskmodel.score(patient, V1)

TOL = 1e-9

# Inputs that make every term known and not fired (stage left out: T and N carry it).
NOTHING_FIRED = {"histology": "squamous", "t_category": "T2a", "n_category": "N1",
                 "bsp": "negative", "calcium": Quantity(2.20, "mmol/L"),
                 "alp": Quantity(70, "U/L"), "cea": Quantity(0, "ng/mL")}


@pytest.fixture(scope="module")
def b0(model, hand) -> float:
    independent = hand.intercept()
    assert model.intercept == pytest.approx(independent, abs=1e-10)
    return model.intercept


def risk(**inputs) -> float:
    return score_v1(Patient(**inputs)).probability


def term(result: riskmodel.Result, name: str) -> riskmodel.TermResult:
    return next(t for t in result.terms if t.name == name)


def test_intercept_matches_an_independent_solution(model, hand):
    assert model.intercept == pytest.approx(hand.intercept(), abs=1e-10)
    assert model.intercept == pytest.approx(-4.016142232849774, abs=1e-12)


def test_all_missing_is_the_baseline_exactly(hand, b0):
    result = score_v1(Patient())
    assert result.probability == pytest.approx(hand.BASELINE, abs=TOL)
    everything = (1.050 + 0.481 + 0.631 + 1.201 + 1.347 + 0.595 + 0.0602 * 20)
    assert result.missing_range.low == pytest.approx(hand.sigmoid(b0), abs=TOL)
    assert result.missing_range.high == pytest.approx(hand.sigmoid(b0 + everything), abs=TOL)
    assert {m.name for m in result.missing} == {
        "histology", "t_category", "n_category", "bsp", "alp", "calcium", "cea"}
    assert term(result, "stage_iii").status == "not_used"


def test_all_present_adds_every_weight(hand, b0):
    result = score_v1(Patient(
        histology="adenocarcinoma", t_category="T4", n_category="N3", stage="IIIC",
        bsp="positive", calcium=Quantity(2.5, "mmol/L"), albumin=Quantity(40, "g/L"),
        alp=Quantity(120, "U/L"), cea=Quantity(10, "ng/mL")))
    expected = hand.sigmoid(b0 + 1.050 + 0.481 + 0.631 + 1.201 + 1.347 + 0.595 + 0.0602 * 10)
    assert result.probability == pytest.approx(expected, abs=TOL)
    assert result.missing_range is None
    assert result.missing == ()
    assert term(result, "stage_iii").status == "not_used"  # T and N known: stage III set aside
    everything = 1.050 + 0.481 + 0.631 + 1.201 + 1.347 + 0.595 + 0.0602 * 10
    assert term(result, "alp_high").risk_without == pytest.approx(
        hand.sigmoid(b0 + everything - 1.347), abs=TOL)
    assert term(result, "cea").risk_without == pytest.approx(
        hand.sigmoid(b0 + everything - 0.602), abs=TOL)
    assert term(result, "stage_iii").risk_without == result.probability


def test_nothing_fired_is_the_intercept_alone(hand, b0):
    assert risk(**NOTHING_FIRED) == pytest.approx(hand.sigmoid(b0), abs=TOL)


def test_squamous_with_nothing_else_is_marginalised_over_the_rest(hand, b0):
    # Known: squamous (x = 0). Missing: T4, N3, BSP, ALP, calcium (binary) and CEA (at 5).
    expected = hand.marginal(b0 + 0.0602 * 5.0,
                             ["t4", "n3", "bsp_positive", "alp_high", "calcium_high"])
    assert risk(histology="squamous") == pytest.approx(expected, abs=TOL)


def test_t4_n3_with_stage_given_does_not_count_stage_iii(hand, b0):
    inputs = {**NOTHING_FIRED, "t_category": "T4", "n_category": "N3", "stage": "IIIC",
              "cea": Quantity(3, "ng/mL")}
    result = score_v1(Patient(**inputs))
    assert result.probability == pytest.approx(hand.sigmoid(b0 + 0.481 + 0.631 + 0.0602 * 3),
                                               abs=TOL)
    assert term(result, "stage_iii").status == "not_used"
    assert term(result, "stage_iii").contribution == 0.0


def test_stage_only_marginalises_t4_and_n3_by_hand(hand, b0):
    # Adenocarcinoma, stage IIIA, T and N unknown, the rest known and not fired.
    inputs = {**NOTHING_FIRED, "histology": "adenocarcinoma", "t_category": None,
              "n_category": None, "stage": "IIIA"}
    eta = b0 + 1.050 + 0.739
    p_t4, p_n3 = 0.0548, 0.10
    expected = ((1 - p_t4) * (1 - p_n3) * hand.sigmoid(eta)
                + p_t4 * (1 - p_n3) * hand.sigmoid(eta + 0.481)
                + (1 - p_t4) * p_n3 * hand.sigmoid(eta + 0.631)
                + p_t4 * p_n3 * hand.sigmoid(eta + 0.481 + 0.631))
    result = score_v1(Patient(**inputs))
    assert result.probability == pytest.approx(expected, abs=TOL)
    assert term(result, "stage_iii").status == "fired"
    assert result.missing_range.low == pytest.approx(hand.sigmoid(eta), abs=TOL)
    assert result.missing_range.high == pytest.approx(hand.sigmoid(eta + 0.481 + 0.631), abs=TOL)


def test_bsp_and_calcium_missing_marginalised_by_hand(hand, b0):
    inputs = {**NOTHING_FIRED, "bsp": None, "calcium": None}
    eta = b0
    expected = (0.6 * 0.81 * hand.sigmoid(eta) + 0.4 * 0.81 * hand.sigmoid(eta + 1.201)
                + 0.6 * 0.19 * hand.sigmoid(eta + 0.595)
                + 0.4 * 0.19 * hand.sigmoid(eta + 1.201 + 0.595))
    assert risk(**inputs) == pytest.approx(expected, abs=TOL)


def test_unknown_t_with_stage_iii_given_uses_stage_and_marginalises_t4(hand, b0):
    inputs = {**NOTHING_FIRED, "t_category": "TX", "n_category": "N2", "stage": "III"}
    eta = b0 + 0.739
    expected = (1 - 0.0548) * hand.sigmoid(eta) + 0.0548 * hand.sigmoid(eta + 0.481)
    result = score_v1(Patient(**inputs))
    assert result.probability == pytest.approx(expected, abs=TOL)
    assert term(result, "stage_iii").status == "fired"
    assert [m.name for m in result.missing] == ["t_category"]


def test_calcium_in_mg_per_dl_is_converted(hand, b0):
    # 10.0 mg/dL = 10 x 10 / 40.078 = 2.4951 mmol/L > 2.315; 9.0 mg/dL = 2.2456 is not.
    high = score_v1(Patient(**{**NOTHING_FIRED, "calcium": Quantity(10.0, "mg/dL")}))
    assert high.probability == pytest.approx(hand.sigmoid(b0 + 0.595), abs=TOL)
    assert term(high, "calcium_high").value == pytest.approx(100 / 40.078, abs=1e-12)
    low = risk(**{**NOTHING_FIRED, "calcium": Quantity(9.0, "mg/dL")})
    assert low == pytest.approx(hand.sigmoid(b0), abs=TOL)


def test_albumin_corrected_calcium_fires_the_calcium_term(hand, b0):
    # 2.25 + 0.02 x (40 - 30) = 2.45 mmol/L > 2.315; uncorrected 2.25 would not fire.
    for albumin in (Quantity(30, "g/L"), Quantity(3.0, "g/dL")):
        result = score_v1(Patient(**{**NOTHING_FIRED, "calcium": Quantity(2.25, "mmol/L"),
                                            "albumin": albumin}))
        assert result.probability == pytest.approx(hand.sigmoid(b0 + 0.595), abs=TOL)
        assert term(result, "calcium_high").value == pytest.approx(2.45, abs=1e-12)
        assert "corrected for albumin" in term(result, "calcium_high").note
    uncorrected = score_v1(Patient(**{**NOTHING_FIRED, "calcium": Quantity(2.25, "mmol/L")}))
    assert uncorrected.probability == pytest.approx(hand.sigmoid(b0), abs=TOL)
    assert "calcium_uncorrected" in {w.code for w in uncorrected.warnings}


def test_cea_above_the_cap_counts_as_the_cap(hand, b0):
    result = score_v1(Patient(**{**NOTHING_FIRED, "cea": Quantity(50, "ng/mL")}))
    assert result.probability == pytest.approx(hand.sigmoid(b0 + 0.0602 * 20), abs=TOL)
    assert term(result, "cea").value == 20.0
    assert "value_capped" in {w.code for w in result.warnings}


def test_cea_in_ug_per_l_equals_ng_per_ml(hand, b0):
    result = risk(**{**NOTHING_FIRED, "cea": Quantity(7.5, "ug/L")})
    assert result == pytest.approx(hand.sigmoid(b0 + 0.0602 * 7.5), abs=TOL)


def test_alp_in_ukat_per_l_is_converted(hand, b0):
    # 1 ukat/L = 60 U/L: 1.5 ukat/L = 90 U/L (not above 93.85); 2.0 ukat/L = 120 U/L (above).
    assert risk(**{**NOTHING_FIRED, "alp": Quantity(1.5, "ukat/L")}) == pytest.approx(
        hand.sigmoid(b0), abs=TOL)
    assert risk(**{**NOTHING_FIRED, "alp": Quantity(2.0, "ukat/L")}) == pytest.approx(
        hand.sigmoid(b0 + 1.347), abs=TOL)


def test_bsp_not_tested_is_missing(hand, b0):
    result = score_v1(Patient(**{**NOTHING_FIRED, "bsp": "not_tested"}))
    expected = 0.6 * hand.sigmoid(b0) + 0.4 * hand.sigmoid(b0 + 1.201)
    assert result.probability == pytest.approx(expected, abs=TOL)
    assert term(result, "bsp_positive").status == "missing"
    assert [m.name for m in result.missing] == ["bsp"]


def test_hypercalcaemia_is_alerted_on_corrected_calcium(hand, b0):
    plain = score_v1(Patient(**{**NOTHING_FIRED, "calcium": Quantity(2.7, "mmol/L")}))
    assert [a.code for a in plain.alerts] == ["hypercalcaemia"]
    assert plain.probability == pytest.approx(hand.sigmoid(b0 + 0.595), abs=TOL)
    corrected_up = score_v1(Patient(**{**NOTHING_FIRED, "calcium": Quantity(2.5, "mmol/L"),
                                              "albumin": Quantity(25, "g/L")}))  # 2.80 mmol/L
    assert [a.code for a in corrected_up.alerts] == ["hypercalcaemia"]
    corrected_down = score_v1(Patient(**{**NOTHING_FIRED,
                                                "calcium": Quantity(2.7, "mmol/L"),
                                                "albumin": Quantity(50, "g/L")}))  # 2.50
    assert corrected_down.alerts == ()


def test_t_and_n_known_without_stage_leave_stage_iii_out(hand, b0):
    result = score_v1(Patient(**{**NOTHING_FIRED, "t_category": "T3",
                                        "n_category": "N2"}))
    assert result.probability == pytest.approx(hand.sigmoid(b0), abs=TOL)
    assert term(result, "stage_iii").status == "not_used"
    assert result.stage_derived == "IIIB"


def test_percent_and_per_100_round_the_probability(b0):
    result = score_v1(Patient(**{**NOTHING_FIRED, "histology": "adenocarcinoma",
                                        "alp": Quantity(120, "U/L")}))
    assert result.percent == round(100 * result.probability, 1)
    assert result.per_100 == round(100 * result.probability)
    assert result.band == "moderate"  # 10% <= p < 30% (display bands, not validated)

"""Model 2.0.0: stage as a constraint, no cliffs in the reference intervals, honest uncertainty."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import riskmodel
from riskmodel import Patient, Quantity
from riskmodel.staging import derive_stage

V2 = riskmodel.load_model(version="2.0.0")
V1 = riskmodel.load_model(version="1.0.0")
NORMAL = {"alp": Quantity(70.0, "U/L"), "calcium": Quantity(2.35, "mmol/L"),
          "albumin": Quantity(40.0, "g/L"), "cea": Quantity(2.0, "ng/mL"), "bsp": "negative"}
T_FINE = ("T1a", "T1b", "T1c", "T2a", "T2b", "T3", "T4")
N_ALL = ("N0", "N1", "N2", "N3")


def score(**inputs) -> riskmodel.Result:
    return riskmodel.score(Patient(**inputs), V2)


def term(result: riskmodel.Result, name: str) -> riskmodel.TermResult:
    return next(t for t in result.terms if t.name == name)


def test_default_is_2_0_0_and_1_0_0_stays_loadable_with_its_hash():
    assert riskmodel.load_model().ref.version == "2.0.0"
    assert V1.ref.sha256 == "7ffefa256ae0afcf81ad9e7e93758b91e9830971f6ea2909d9bb7cbd21e19dd3"


@pytest.mark.parametrize("stage", ["I", "IA", "IA1", "IA2", "IA3", "IB", "II", "IIA", "IIB"])
def test_stage_i_or_ii_sets_t4_n3_and_stage_iii_to_zero(stage):
    result = score(histology="adenocarcinoma", stage=stage, **NORMAL)
    for name in ("t4", "n3", "stage_iii"):
        assert term(result, name).status == "not_fired", (stage, name)
        assert term(result, name).contribution == 0.0


def test_stage_ia_with_t_n_unknown_scores_as_t1a_n0_and_below_no_stage():
    ia = score(histology="adenocarcinoma", stage="IA", **NORMAL)
    t1a_n0 = score(histology="adenocarcinoma", t_category="T1a", n_category="N0", **NORMAL)
    nothing = score(histology="adenocarcinoma", **NORMAL)
    assert ia.probability == t1a_n0.probability
    assert ia.probability < nothing.probability


def _completions(stage):
    return [(t, n) for t, n in itertools.product(T_FINE, N_ALL)
            if any(stage in (g, g[:-1], g.rstrip("ABC123")) for g in derive_stage(t, n))]


@pytest.mark.parametrize("stage", ["II", "IIB", "III", "IIIA", "IIIB", "IIIC"])
def test_a_stage_with_t_n_unknown_lies_within_its_completions_and_ranges_over_them(stage):
    found = score(histology="adenocarcinoma", stage=stage, **NORMAL)
    risks = [score(histology="adenocarcinoma", t_category=t, n_category=n, **NORMAL).probability
             for t, n in _completions(stage)]
    assert min(risks) - 1e-12 <= found.probability <= max(risks) + 1e-12
    if max(risks) > min(risks):
        assert found.missing_range.low == pytest.approx(min(risks), abs=1e-12)
        assert found.missing_range.high == pytest.approx(max(risks), abs=1e-12)


def test_stage_iiic_with_n3_and_t_unknown_stays_within_t3_n3_and_t4_n3():
    found = score(histology="adenocarcinoma", stage="IIIC", n_category="N3", **NORMAL).probability
    t3 = score(histology="adenocarcinoma", t_category="T3", n_category="N3", **NORMAL).probability
    t4 = score(histology="adenocarcinoma", t_category="T4", n_category="N3", **NORMAL).probability
    assert t3 <= found <= t4


def test_entering_t_and_n_of_stage_iiia_stays_within_iiia():
    iiia = score(histology="adenocarcinoma", stage="IIIA", **NORMAL)
    t2a_n2 = score(histology="adenocarcinoma", t_category="T2a", n_category="N2", **NORMAL)
    assert iiia.missing_range.low <= t2a_n2.probability <= iiia.missing_range.high
    assert term(t2a_n2, "stage_iii").status == "fired"  # N2 matters now


def test_more_advanced_t_or_n_never_lowers_the_risk():
    risk = {(t, n): score(histology="squamous", t_category=t, n_category=n).probability
            for t, n in itertools.product(T_FINE, N_ALL)}
    for (t, n), p in risk.items():
        ti, ni = T_FINE.index(t), N_ALL.index(n)
        if ti + 1 < len(T_FINE):
            assert risk[(T_FINE[ti + 1], n)] >= p, (t, n)
        if ni + 1 < len(N_ALL):
            assert risk[(t, N_ALL[ni + 1])] >= p, (t, n)


def test_the_intercept_gives_the_baseline_over_the_new_reference():
    assert V2.mean_reference_risk() == pytest.approx(V2.baseline, abs=1e-12)


def test_mean_risk_by_histology_is_within_3_points_of_seer():
    """Huang JF 2020 (SEER 2010-2016), bone metastasis at diagnosis: adenocarcinoma 20.28%,
    squamous 8.44%, small cell 23.19%, NSCLC NOS/other 22.50%."""
    non_squamous = V2.mean_reference_risk({"non_squamous": 1.0})
    squamous = V2.mean_reference_risk({"non_squamous": 0.0})
    for seer in (0.2028, 0.2319, 0.2250):
        assert abs(non_squamous - seer) <= 0.03
    assert abs(squamous - 0.0844) <= 0.03


STEPS = [("calcium", 2.15, 2.55, 0.01, "mmol/L"), ("alp", 40.0, 130.0, 1.0, "U/L"),
         ("cea", 0.0, 5.0, 0.1, "ng/mL")]
BACKGROUNDS = [{"histology": "adenocarcinoma", "stage": "IIIA"},
               {"histology": "squamous", "t_category": "T1a", "n_category": "N0"},
               {"histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3",
                "bsp": "positive"}, {}]


@pytest.mark.parametrize(("name", "low", "high", "step", "unit"), STEPS)
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_one_reporting_step_inside_the_reference_interval_moves_risk_at_most_2_points(
        name, low, high, step, unit, background):
    values = np.round(np.arange(low, high + step / 2, step), 6)
    patients = [Patient(**background, **{name: Quantity(float(v), unit)}) for v in values]
    risks = np.array([r.probability for r in riskmodel.score_many(patients, V2)])
    assert np.abs(np.diff(risks)).max() <= 0.02
    assert np.all(np.diff(risks) >= 0)  # higher values never lower the risk


def test_nothing_inside_the_reference_intervals_is_called_high_or_elevated():
    patients = [Patient(histology="adenocarcinoma", calcium=Quantity(float(ca), "mmol/L"),
                        alp=Quantity(float(alp), "U/L"), cea=Quantity(float(cea), "ng/mL"))
                for ca, alp, cea in zip(np.linspace(2.15, 2.55, 41), np.linspace(40, 130, 41),
                                        np.linspace(0, 5, 41), strict=True)]
    for model in (V2,):
        for result in riskmodel.score_many(patients, model):
            for t in result.terms:
                words = f"{t.label} {t.note}".lower()
                assert "high" not in words, t
                assert "elevated" not in words, t
                if t.name in ("alp", "calcium", "cea"):
                    assert t.fired is False


@pytest.mark.parametrize(("calcium", "alerted"), [(2.59, False), (2.60, True)])
def test_hypercalcaemia_alert_starts_exactly_at_2_60(calcium, alerted):
    result = score(calcium=Quantity(calcium, "mmol/L"))
    assert bool(result.alerts) is alerted


def test_continuous_terms_are_clipped_outside_the_reference_interval():
    at_cap = score(alp=Quantity(130.0, "U/L")).probability
    assert score(alp=Quantity(500.0, "U/L")).probability == at_cap
    assert score(calcium=Quantity(1.9, "mmol/L")).probability == score(
        calcium=Quantity(2.15, "mmol/L")).probability


def test_histology_weight_is_knapp_and_others_say_they_have_no_own_estimate():
    result = score(histology="small_cell")
    hist = term(result, "non_squamous")
    assert hist.beta == 0.916
    assert hist.grade == "B"
    assert "No estimate of its own" in hist.note
    assert "No estimate" not in term(score(histology="adenocarcinoma"), "non_squamous").note


def test_a_sparse_patient_has_a_wider_interval_than_a_complete_one():
    sparse = score(histology="adenocarcinoma")
    complete = score(histology="adenocarcinoma", t_category="T2a", n_category="N0", **NORMAL)
    assert (sparse.interval.high - sparse.interval.low
            > complete.interval.high - complete.interval.low)
    assert complete.interval == complete.parameter_interval
    assert sparse.interval.low <= sparse.probability <= sparse.interval.high
    # the headline interval holds the parameter interval and reaches into the missing range
    assert sparse.interval.low < sparse.parameter_interval.low
    assert sparse.interval.high > sparse.parameter_interval.high


def test_research_input_missing_is_not_missing_but_is_used_when_given():
    inputs = {k: v for k, v in NORMAL.items() if k != "bsp"}
    untested = score(histology="adenocarcinoma", t_category="T2a", n_category="N0", **inputs)
    assert untested.missing == ()
    assert untested.missing_range is None
    assert untested.not_tested == ("bsp",)
    positive = score(histology="adenocarcinoma", t_category="T2a", n_category="N0",
                     bsp="positive", **inputs)
    assert positive.probability > untested.probability
    sparse = score(histology="adenocarcinoma")
    assert "bsp" not in [m.name for m in sparse.missing]


def test_identical_inputs_are_bit_identical_whatever_the_batch():
    patients = [Patient(histology=h, t_category=t, n_category=n, stage=s,
                        alp=Quantity(93.0, "U/L") if a else None)
                for h, t, n, s, a in itertools.product(
                    ("adenocarcinoma", None), ("T2a", None), ("N2", None), (None, "III"),
                    (True, False))
                if not (t and n and s)]
    single = [riskmodel.score(p, V2) for p in patients]
    rng = np.random.default_rng(3)
    for size in (2, 7, 300, 20_000):
        picks = rng.integers(len(patients), size=size)
        for i, result in zip(picks, riskmodel.score_many([patients[i] for i in picks], V2),
                             strict=True):
            assert result.to_dict() == single[i].to_dict()


def test_every_t_n_stage_combination_is_scored_or_refused_never_an_error():
    from riskmodel.features import N_CATEGORIES, STAGES, T_CATEGORIES

    accepted = []
    for t, n, stage in itertools.product((*T_CATEGORIES, None), (*N_CATEGORIES, None),
                                         (*STAGES, None)):
        try:
            accepted.append(Patient(histology="squamous", t_category=t, n_category=n,
                                    stage=stage))
        except riskmodel.InvalidInputError:
            continue
    results = riskmodel.score_many(accepted, V2)
    assert len(results) == len(accepted) > 400
    assert all(0 < r.probability < 1 for r in results)

"""Property tests: what must hold for every valid patient, not only the vignettes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import riskmodel
from riskmodel import Patient, Quantity
from riskmodel.features import BY_NAME, HISTOLOGIES, N_CATEGORIES, T_CATEGORIES
from riskmodel.inputs import canonical_table, raw_table
from riskmodel.staging import _LABELS, possible_stages
from riskmodel.units import FACTORS, from_canonical, to_canonical

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def quantities(draw, name):
    feature = BY_NAME[name]
    low, high = feature.plausible
    canonical = draw(st.floats(low, min(high, 4 * feature.usual[1]), allow_nan=False))
    unit = draw(st.sampled_from(feature.units))
    return Quantity(float(from_canonical(name, canonical, unit)), unit)


@st.composite
def patients(draw):
    t = draw(maybe(st.sampled_from(T_CATEGORIES)))
    n = draw(maybe(st.sampled_from(N_CATEGORIES)))
    if t in ("Tis", "T0") and n == "N0":
        n = None
    labels = sorted({label for group in possible_stages(t, n) for label in _LABELS[group]} - {"0"})
    stage = draw(maybe(st.sampled_from(labels))) if labels else None
    return Patient(
        histology=draw(maybe(st.sampled_from(HISTOLOGIES))), t_category=t, n_category=n,
        stage=stage, bsp=draw(maybe(st.sampled_from(BY_NAME["bsp"].categories))),
        calcium=draw(maybe(quantities("calcium"))), albumin=draw(maybe(quantities("albumin"))),
        alp=draw(maybe(quantities("alp"))), cea=draw(maybe(quantities("cea"))))


@SETTINGS
@given(patients())
def test_probability_is_strictly_between_0_and_1_and_inside_its_interval(patient):
    result = riskmodel.score(patient)
    assert 0 < result.interval.low <= result.probability <= result.interval.high < 1


@SETTINGS
@given(patients())
def test_missing_range_contains_the_risk(patient):
    result = riskmodel.score(patient)
    if result.missing_range is None:
        assert result.missing == ()
    else:
        assert result.missing_range.low <= result.probability <= result.missing_range.high


@SETTINGS
@given(st.lists(patients(), min_size=1, max_size=12))
def test_batch_equals_single_row_by_row(model, batch):
    _, scores = model.score_table(canonical_table(raw_table(batch)))
    for i, patient in enumerate(batch):
        single = riskmodel.score(patient, model)
        assert scores.probability[i] == pytest.approx(single.probability, abs=1e-15)
        assert scores.low[i] == pytest.approx(single.interval.low, abs=1e-15)
        assert scores.high[i] == pytest.approx(single.interval.high, abs=1e-15)
        np.testing.assert_allclose(scores.contributions[i],
                                   [t.contribution for t in single.terms], atol=1e-15)


def _switch(patient: Patient, name: str, on: bool) -> Patient:
    """The patient with one risk factor known to be absent (on=False) or present."""
    if name == "histology":
        return dataclasses.replace(patient, histology="adenocarcinoma" if on else "squamous")
    if name == "t4":
        return dataclasses.replace(patient, t_category="T4" if on else "T2a", stage=None)
    if name == "n3":
        t = patient.t_category if patient.t_category not in ("Tis", "T0") else "T1a"
        return dataclasses.replace(patient, t_category=t, n_category="N3" if on else "N1",
                                   stage=None)
    if name == "stage_iii":
        return dataclasses.replace(patient, t_category=None, n_category=None,
                                   stage="IIIA" if on else "IIA")
    if name == "bsp":
        return dataclasses.replace(patient, bsp="positive" if on else "negative")
    if name == "alp":
        return dataclasses.replace(patient, alp=Quantity(150.0 if on else 60.0, "U/L"))
    albumin = patient.albumin.value * FACTORS["albumin"][patient.albumin.unit] \
        if patient.albumin else 40.0
    shift = 0.02 * (40.0 - albumin)  # Payne's correction, so the corrected value lands
    target = 2.5 if on else 2.1
    return dataclasses.replace(patient, calcium=Quantity(target - shift, "mmol/L"))


@SETTINGS
@given(patients(), st.sampled_from(
    ["histology", "t4", "n3", "stage_iii", "bsp", "alp", "calcium"]))
def test_turning_a_risk_factor_on_never_lowers_the_risk(patient, factor):
    off = riskmodel.score(_switch(patient, factor, on=False)).probability
    on = riskmodel.score(_switch(patient, factor, on=True)).probability
    assert on > off


@SETTINGS
@given(patients(), st.floats(0, 100, allow_nan=False), st.floats(0, 100, allow_nan=False))
def test_more_cea_never_lowers_the_risk(patient, a, b):
    low, high = sorted((a, b))
    p_low = riskmodel.score(dataclasses.replace(patient, cea=Quantity(low, "ng/mL")))
    p_high = riskmodel.score(dataclasses.replace(patient, cea=Quantity(high, "ng/mL")))
    assert p_high.probability >= p_low.probability


@SETTINGS
@given(st.sampled_from([(name, unit) for name, units in FACTORS.items() for unit in units]),
       st.floats(0, 1e4, allow_nan=False))
def test_unit_conversions_round_trip(pair, value):
    name, unit = pair
    back = from_canonical(name, to_canonical(name, value, unit), unit)
    assert back == pytest.approx(value, rel=1e-12, abs=1e-12)


@SETTINGS
@given(patients(), st.floats(1.0, 4.0, allow_nan=False))
def test_calcium_scores_the_same_in_either_unit(patient, mmol):
    mg_dl = float(from_canonical("calcium", mmol, "mg/dL"))
    threshold = 2.315
    assume(abs(mmol - threshold) > 1e-9)
    si = riskmodel.score(dataclasses.replace(patient, calcium=Quantity(mmol, "mmol/L"),
                                             albumin=None))
    conventional = riskmodel.score(dataclasses.replace(patient, calcium=Quantity(mg_dl, "mg/dL"),
                                                       albumin=None))
    assert conventional.probability == pytest.approx(si.probability, abs=1e-12)

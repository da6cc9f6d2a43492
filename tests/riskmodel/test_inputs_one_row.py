"""One patient is checked on Python values first (``inputs._surely_valid``); only when that
check is unsure does the table of one row find and word the problems. So it may never pass a
patient the table check would refuse: drawn from every category, out-of-scope and unknown
values, units known and unknown, values possible and not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodel import InvalidInputError, Patient, Quantity
from riskmodel.features import CATEGORICAL, OUT_OF_SCOPE_STAGES, QUANTITIES
from riskmodel.inputs import (
    M_CATEGORIES,
    _surely_valid,
    _type_problems,
    find_problems,
    raw_table,
)

ODD = st.sampled_from(["", "t4", "IV", "M9", "T0", "Tis", "0", "NX", "TX", "N0", "IIIA"])


def category(feature):
    extra = OUT_OF_SCOPE_STAGES if feature.name == "stage" else ()
    return st.one_of(st.none(), st.sampled_from(feature.categories + tuple(extra)), ODD)


def lab(feature):
    low, high = feature.plausible
    values = st.one_of(st.floats(-1.0, 3 * high, allow_nan=False), st.integers(-5, 10_000),
                       st.sampled_from([low, high, 0.0]))
    units = st.one_of(st.sampled_from(feature.units), st.sampled_from(["", "mg", "mmol/l"]))
    return st.one_of(st.none(), st.builds(Quantity, values, units))


patients = st.fixed_dictionaries({
    **{f.name: category(f) for f in CATEGORICAL},
    **{f.name: lab(f) for f in QUANTITIES},
    "m_category": st.one_of(st.none(), st.sampled_from(M_CATEGORIES), ODD),
})


@settings(max_examples=1500, deadline=None)
@given(patients)
def test_a_patient_called_valid_on_python_values_has_no_problem_in_the_table(values):
    patient = Patient.checked(values)
    if _type_problems(patient):
        return
    if _surely_valid(patient):
        assert find_problems(raw_table([patient])) == {}


@settings(max_examples=300, deadline=None)
@given(patients)
def test_building_a_patient_refuses_exactly_what_the_table_refuses(values):
    patient = Patient.checked(values)
    if _type_problems(patient):
        return
    expected = find_problems(raw_table([patient])).get(0)
    if expected is None:
        Patient(**values)
        return
    with pytest.raises(InvalidInputError) as refused:
        Patient(**values)
    assert refused.value.problems == expected


def test_an_ordinary_complete_patient_needs_no_table():
    patient = Patient(histology="adenocarcinoma", t_category="T2a", n_category="N2",
                      stage="IIIA", bsp="negative", calcium=Quantity(2.4, "mmol/L"),
                      albumin=Quantity(38, "g/L"), alp=Quantity(120, "U/L"),
                      cea=Quantity(6.5, "ng/mL"), m_category="M0")
    assert _surely_valid(patient)
    assert not _surely_valid(Patient.checked({**vars(patient), "stage": "IB"}))
    assert not _surely_valid(Patient.checked({**vars(patient), "alp": Quantity(9e6, "U/L")}))


"""The engine's input rules: scope, units, plausibility; every problem named by its path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodel import InvalidInputError, Patient, Quantity
from riskmodel.errors import INPUT_CODES
from riskmodel.features import BY_NAME, CATEGORICAL, QUANTITIES
from riskmodel.inputs import find_problems, raw_table

QUANTITY_NAMES = frozenset(f.name for f in QUANTITIES)

OUT_OF_SCOPE = "out of scope"


def problems(**inputs) -> dict[str, list[str]]:
    with pytest.raises(InvalidInputError) as caught:
        Patient(**inputs)
    return caught.value.problems


@pytest.mark.parametrize("stage", ["IV", "IVA", "IVB"])
def test_stage_iv_is_out_of_scope(stage):
    assert OUT_OF_SCOPE in problems(stage=stage)["stage"][0]
    assert "bone metastasis is itself M1b/M1c" in problems(stage=stage)["stage"][0]


@pytest.mark.parametrize("m", ["M1", "M1a", "M1b", "M1c"])
def test_m1_is_out_of_scope(m):
    assert OUT_OF_SCOPE in problems(m_category=m)["m_category"][0]


def test_m0_is_accepted():
    assert Patient(m_category="M0").m_category == "M0"


@pytest.mark.parametrize("t", ["Tis", "T0"])
def test_no_invasive_primary_is_out_of_scope(t):
    assert "no invasive primary tumour" in problems(t_category=t, n_category="N0")["t_category"][0]


def test_stage_0_is_out_of_scope():
    assert problems(stage="0") == {
        "stage": ["stage 0 means no invasive primary tumour: out of scope for this model"]}


@pytest.mark.parametrize(("name", "unit"), [
    ("calcium", "mEq/L"), ("albumin", "mg/dL"), ("alp", "IU"), ("cea", "ng/dL")])
def test_unknown_unit_is_refused_naming_the_unit_path(name, unit):
    found = problems(**{name: Quantity(1.0, unit)})
    assert list(found) == [f"{name}.unit"]
    assert f"{unit!r} is not a known unit" in found[f"{name}.unit"][0]


@pytest.mark.parametrize("name", ["calcium", "albumin", "alp", "cea"])
def test_negative_value_is_refused(name):
    unit = {"calcium": "mmol/L", "albumin": "g/L", "alp": "U/L", "cea": "ng/mL"}[name]
    assert problems(**{name: Quantity(-1.0, unit)})[f"{name}.value"] == ["must not be negative"]


@pytest.mark.parametrize(("quantity", "name", "shown"), [
    (Quantity(25.0, "mmol/L"), "calcium", "possible: 0.5 to 6 mmol/L"),
    (Quantity(1.0, "mg/dL"), "calcium", "possible: 2 to 24 mg/dL"),
    (Quantity(900.0, "g/L"), "albumin", "possible: 5 to 80 g/L"),
    (Quantity(500.0, "ukat/L"), "alp", "possible: 0.0167 to 333 ukat/L"),
])
def test_implausible_value_is_refused_with_the_possible_span(quantity, name, shown):
    message = problems(**{name: quantity})[f"{name}.value"][0]
    assert shown in message
    assert "check the value and unit" in message


@pytest.mark.parametrize(("value", "message"), [
    (float("nan"), "must be a finite number"), (float("inf"), "must be a finite number"),
    (True, "must be a number"), ("2.4", "must be a number")])
def test_value_that_is_not_a_finite_number_is_refused(value, message):
    assert problems(calcium=Quantity(value, "mmol/L")) == {"calcium.value": [message]}


def test_unknown_category_lists_the_allowed_values():
    message = problems(histology="mesothelioma")["histology"][0]
    assert "'mesothelioma' is not a known value" in message
    assert "squamous" in message


def test_every_problem_is_reported_at_once():
    found = problems(histology="x", stage="IV", m_category="M1b",
                     calcium=Quantity(2.4, "mg/L"), alp=Quantity(-3, "U/L"))
    assert set(found) == {"histology", "stage", "m_category", "calcium.unit", "alp.value"}


def test_problems_of_a_table_are_found_row_by_row():
    rows = [Patient(histology="squamous"), Patient(), Patient(stage="IIIA")]
    table = raw_table(rows)
    table["stage"][0] = "IV"
    table["alp_unit"][2] = "kat"
    table["alp"][2] = 1.0
    assert set(find_problems(table)) == {0, 2}


# -- a table's problems are its rows' problems, whatever the mix of good and bad rows --------
_CATEGORY_VALUES = {
    f.name: [None, *f.categories, "T9", "IV", "0", "bogus"] for f in CATEGORICAL}
_CATEGORY_VALUES["m_category"] = [None, "M0", "M1b", "Mx"]


@st.composite
def raw_rows(draw):
    row = {name: draw(st.sampled_from(values)) for name, values in _CATEGORY_VALUES.items()}
    for feature in QUANTITIES:
        row[feature.name] = draw(st.one_of(
            st.just(math.nan), st.sampled_from([-1.0, 0.0, math.inf, 1e9]),
            st.floats(0, 2 * feature.plausible[1], allow_nan=False)))
        row[f"{feature.name}_unit"] = draw(st.sampled_from([None, *feature.units, "mg"]))
    return row


def _table(rows: list[dict]) -> dict[str, np.ndarray]:
    return {name: np.array([row[name] for row in rows],
                           dtype=float if name in QUANTITY_NAMES else object)
            for name in rows[0]}


@settings(max_examples=150, deadline=None)
@given(st.lists(raw_rows(), min_size=1, max_size=8))
def test_a_table_has_exactly_the_problems_of_its_rows_alone(rows):
    """The column-wide shortcuts (distinct values, one test for the usual case) never hide
    or invent a problem: every row's problems are those it has in a table of its own."""
    alone = {i: found[0] for i, row in enumerate(rows) if (found := find_problems(_table([row])))}
    assert find_problems(_table(rows)) == alone


def test_a_value_that_overflows_in_conversion_is_refused_without_a_numpy_warning():
    # A worker printing numpy's RuntimeWarning to stderr breaks the one-JSON-object-per-line log.
    with pytest.raises(InvalidInputError, match="is not a possible"):
        Patient(alp=Quantity(1e308, "ukat/L"))  # x 60 to U/L: inf


@pytest.mark.parametrize(("inputs", "path", "code"), [
    ({"histology": "bogus"}, "histology", "unknown_value"),
    ({"stage": "IV"}, "stage", "out_of_scope"),
    ({"m_category": "M1b"}, "m_category", "out_of_scope"),
    ({"stage": "0"}, "stage", "no_invasive"),
    ({"t_category": "Tis", "n_category": "N0"}, "t_category", "no_invasive"),
    ({"t_category": "T1a", "n_category": "N0", "stage": "IIIA"}, "stage", "stage_contradiction"),
    ({"calcium": Quantity(2.4, "stone")}, "calcium.unit", "unknown_unit"),
    ({"calcium": Quantity(math.nan, "mmol/L")}, "calcium.value", "not_finite"),
    ({"alp": Quantity(-1.0, "U/L")}, "alp.value", "negative"),
    ({"alp": Quantity(90_000.0, "U/L")}, "alp.value", "implausible"),
    ({"cea": Quantity("7", "ng/mL")}, "cea.value", "wrong_type"),
])
def test_each_input_problem_carries_its_stable_code(inputs, path, code):
    (message,) = problems(**inputs)[path]
    assert (message.code, code in INPUT_CODES) == (code, True)


def test_an_implausible_value_carries_the_bounds_in_its_own_unit():
    (message,) = problems(alp=Quantity(700.0, "ukat/L"))["alp.value"]
    assert message.code == "implausible"
    assert (message.params["value"], message.params["unit"]) == (700.0, "ukat/L")
    assert message.params["high"] == pytest.approx(BY_NAME["alp"].plausible[1] / 60)

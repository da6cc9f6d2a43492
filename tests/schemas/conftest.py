"""Shared inputs for the schema tests: good requests, and bad ones with the paths they must name."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import ValidationError

import riskmodel
from schemas import PatientSchema, flatten_errors

FULL_REQUEST: dict[str, Any] = {
    "patient_ref": "case-0042", "histology": "adenocarcinoma", "t_category": "T4",
    "n_category": "N3", "stage": "IIIC", "bsp": "positive",
    "calcium": {"value": 2.41, "unit": "mmol/L"}, "albumin": {"value": 38, "unit": "g/L"},
    "alp": {"value": 120, "unit": "U/L"}, "cea": {"value": 7.5, "unit": "ng/mL"},
}

GOOD_REQUESTS: list[dict[str, Any]] = [
    FULL_REQUEST,
    {"histology": "squamous"},
    {"cea": {"value": 0, "unit": "ug/L"}},
    {"t_category": "T2", "n_category": "N0", "stage": "IB", "m_category": "M0"},
    {"t_category": "TX", "n_category": "NX", "stage": "III", "bsp": "not_tested"},
    {"histology": "small_cell", "calcium": {"value": 9.3, "unit": "mg/dL"},
     "albumin": {"value": 3.1, "unit": "g/dL"}, "alp": {"value": 2.5, "unit": "ukat/L"},
     "model": "lung-bm-literature", "patient_ref": "x" * 128},
    {"histology": "other", "stage": None, "cea": None, "patient_ref": None},
]

# (id, request, the exact set of paths the errors must name)
BAD_REQUESTS: list[tuple[str, Any, set[str]]] = [
    ("empty body", {}, {"_schema"}),
    ("only patient_ref", {"patient_ref": "x"}, {"_schema"}),
    ("only model", {"model": "lung-bm-literature"}, {"_schema"}),
    ("only nulls", {"histology": None, "calcium": None}, {"_schema"}),
    ("array body", [FULL_REQUEST], {"_schema"}),
    ("string body", "histology=squamous", {"_schema"}),
    ("null body", None, {"_schema"}),
    ("unknown field", {"histology": "squamous", "smoker": True}, {"smoker"}),
    ("field name in wrong case", {"histology": "squamous", "Histology": "x"}, {"Histology"}),
    ("unknown histology", {"histology": "squamos"}, {"histology"}),
    ("histology in wrong case", {"histology": "Squamous"}, {"histology"}),
    ("number as category", {"histology": 3}, {"histology"}),
    ("boolean as category", {"bsp": True}, {"bsp"}),
    ("unknown T", {"t_category": "T5"}, {"t_category"}),
    ("unknown N", {"n_category": "N4"}, {"n_category"}),
    ("stage IV", {"stage": "IV"}, {"stage"}),
    ("stage IVB", {"stage": "IVB"}, {"stage"}),
    ("unknown stage", {"stage": "V"}, {"stage"}),
    ("stage 0", {"stage": "0"}, {"stage"}),
    ("M1b", {"histology": "squamous", "m_category": "M1b"}, {"m_category"}),
    ("M1", {"m_category": "M1"}, {"m_category"}),
    ("unknown M", {"m_category": "MX"}, {"m_category"}),
    ("Tis N0", {"t_category": "Tis", "n_category": "N0"}, {"t_category"}),
    ("T0 N0", {"t_category": "T0", "n_category": "N0"}, {"t_category"}),
    ("stage contradicts T4 N3", {"t_category": "T4", "n_category": "N3", "stage": "IA"},
     {"stage"}),
    ("stage contradicts T1a N0", {"t_category": "T1a", "n_category": "N0", "stage": "IIIA"},
     {"stage"}),
    ("bare number", {"calcium": 2.41}, {"calcium"}),
    ("value and unit in a string", {"calcium": "2.41 mmol/L"}, {"calcium"}),
    ("lab as array", {"calcium": [2.41, "mmol/L"]}, {"calcium"}),
    ("no unit", {"calcium": {"value": 2.41}}, {"calcium.unit"}),
    ("null unit", {"calcium": {"value": 2.41, "unit": None}}, {"calcium.unit"}),
    ("no value", {"calcium": {"unit": "mmol/L"}}, {"calcium.value"}),
    ("unit of another lab", {"calcium": {"value": 9.3, "unit": "g/L"}}, {"calcium.unit"}),
    ("unit of another lab", {"calcium": {"value": 2.41, "unit": "g/L"}}, {"calcium.unit"}),
    ("unit of another lab's scale", {"alp": {"value": 2, "unit": "mkat/L"}}, {"alp.unit"}),
    ("cea unit by mass per mass", {"cea": {"value": 5, "unit": "ng/g"}}, {"cea.unit"}),
    ("string as number", {"calcium": {"value": "2.4", "unit": "mmol/L"}}, {"calcium.value"}),
    ("boolean as number", {"calcium": {"value": True, "unit": "mmol/L"}}, {"calcium.value"}),
    ("NaN", {"cea": {"value": math.nan, "unit": "ng/mL"}}, {"cea.value"}),
    ("infinity", {"cea": {"value": math.inf, "unit": "ng/mL"}}, {"cea.value"}),
    ("minus infinity", {"alp": {"value": -math.inf, "unit": "U/L"}}, {"alp.value"}),
    ("integer beyond float", {"alp": {"value": 10**400, "unit": "U/L"}}, {"alp.value"}),
    ("negative", {"cea": {"value": -1, "unit": "ng/mL"}}, {"cea.value"}),
    ("implausible calcium", {"calcium": {"value": 24, "unit": "mmol/L"}}, {"calcium.value"}),
    ("implausible albumin unit mix-up", {"albumin": {"value": 38, "unit": "g/dL"}},
     {"albumin.value"}),
    ("implausible alp", {"alp": {"value": 0, "unit": "U/L"}}, {"alp.value"}),
    ("implausible cea", {"cea": {"value": 2e6, "unit": "ug/L"}}, {"cea.value"}),
    ("extra key in lab", {"cea": {"value": 5, "unit": "ng/mL", "date": "2024-01-01"}},
     {"cea.date"}),
    ("patient_ref too long", {"histology": "squamous", "patient_ref": "x" * 129},
     {"patient_ref"}),
    ("empty patient_ref", {"histology": "squamous", "patient_ref": ""}, {"patient_ref"}),
    ("number as patient_ref", {"histology": "squamous", "patient_ref": 42}, {"patient_ref"}),
    ("model id with spaces", {"histology": "squamous", "model": "bad id!"}, {"model"}),
    ("model id with newline", {"histology": "squamous", "model": "lung\n"}, {"model"}),
    ("number as model", {"histology": "squamous", "model": 1}, {"model"}),
]

# Every kind of problem in one request: fields, nested parts, unknown names and the engine's
# cross-field rules on the fields that did validate, all reported at once.
MULTI_ERROR_REQUEST: dict[str, Any] = {
    "histology": "squamos", "t_category": "T4", "n_category": "N3", "stage": "IA",
    "m_category": "M1c", "bsp": 1, "calcium": 2.41,
    "albumin": {"value": "38", "unit": "g/mL"}, "alp": {"value": -5, "unit": "U/L"},
    "cea": {"value": math.nan, "unit": "ng/mL", "when": "today"},
    "patient_ref": "", "model": "?", "smoker": "yes",
}
MULTI_ERROR_PATHS = {
    "histology", "stage", "m_category", "bsp", "calcium", "albumin.value", "albumin.unit",
    "alp.value", "cea.value", "cea.when", "patient_ref", "model", "smoker",
}


def _error_paths(data: Any) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        PatientSchema().load(data)
    return {item["path"] for item in flatten_errors(caught.value.messages)}


def _single_outcome(data: Any) -> Any:
    try:
        return PatientSchema().load(data)
    except ValidationError as error:
        return sorted(flatten_errors(error.messages), key=lambda e: (e["path"], e["message"]))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests asking for ``bad_case`` run once per bad request, ``good_request`` per good one."""
    if "bad_case" in metafunc.fixturenames:
        metafunc.parametrize("bad_case", [case[1:] for case in BAD_REQUESTS],
                             ids=[case[0] for case in BAD_REQUESTS])
    if "good_request" in metafunc.fixturenames:
        metafunc.parametrize("good_request", GOOD_REQUESTS, ids=range(len(GOOD_REQUESTS)))


@pytest.fixture
def error_paths() -> Callable[[Any], set[str]]:
    """The paths a single request's errors name; fails the test when the request loads."""
    return _error_paths


@pytest.fixture
def single_outcome() -> Callable[[Any], Any]:
    """What one request loads to: a ScoreRequest, or its errors sorted."""
    return _single_outcome


@pytest.fixture
def bad_requests() -> list[Any]:
    return [case[1] for case in BAD_REQUESTS]


@pytest.fixture
def good_requests() -> list[dict[str, Any]]:
    return GOOD_REQUESTS


@pytest.fixture
def full_request() -> dict[str, Any]:
    return dict(FULL_REQUEST)


@pytest.fixture
def multi_error() -> tuple[dict[str, Any], set[str]]:
    return MULTI_ERROR_REQUEST, MULTI_ERROR_PATHS


@pytest.fixture(scope="session")
def model() -> riskmodel.Model:
    return riskmodel.load_model()

"""Errors flatten to {path, message, code} lists and fit the RFC 9457 problem shape."""

from __future__ import annotations

import doctest

import schemas.errors
from riskmodel.errors import INPUT_CODES, Message
from schemas import ErrorItemSchema, ProblemSchema, flatten_errors, nest_problems
from schemas.fields import REQUEST_CODES


def test_flatten_gives_dotted_paths_with_list_indices_as_numbers():
    messages = {"patients": {3: {"calcium": {"unit": ["bad unit"]}, "stage": ["a", "b"]}},
                "_schema": ["whole"]}
    assert flatten_errors(messages) == [
        {"path": "patients.3.calcium.unit", "message": "bad unit", "code": "invalid"},
        {"path": "patients.3.stage", "message": "a", "code": "invalid"},
        {"path": "patients.3.stage", "message": "b", "code": "invalid"},
        {"path": "_schema", "message": "whole", "code": "invalid"},
    ]


def test_nested_whole_object_error_names_its_parent():
    assert flatten_errors({"cea": {"_schema": ["must be an object"]}}) == [
        {"path": "cea", "message": "must be an object", "code": "invalid"}]


def test_prefix_places_row_errors_in_the_whole_request():
    assert flatten_errors({"_schema": ["empty"]}, prefix="patients.7") == [
        {"path": "patients.7", "message": "empty", "code": "invalid"}]


def test_engine_problems_nest_like_marshmallow_messages():
    nested = nest_problems({"calcium.unit": ["u"], "calcium.value": ["v"], "stage": ["s"]})
    assert nested == {"calcium": {"unit": ["u"], "value": ["v"]}, "stage": ["s"]}


def test_engine_problem_on_a_whole_lab_and_its_part_keeps_both():
    nested = nest_problems({"calcium": ["whole"], "calcium.unit": ["part"]})
    assert flatten_errors(nested) == [
        {"path": "calcium", "message": "whole", "code": "invalid"},
        {"path": "calcium.unit", "message": "part", "code": "invalid"}]


def test_problem_dumps_rfc_9457_members_and_errors():
    problem = {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
               "detail": "The request has invalid fields.", "instance": "/v1/risk",
               "request_id": "abc",
               "errors": [{"path": "stage", "message": "no", "code": "out_of_scope"}]}
    assert ProblemSchema().dump(problem) == problem


def test_problem_type_defaults_to_about_blank():
    assert ProblemSchema().dump({"title": "Not Found", "status": 404})["type"] == "about:blank"


def test_docstring_examples_run():
    assert doctest.testmod(schemas.errors).failed == 0


def test_a_coded_message_keeps_its_code_through_nesting_and_flattening():
    message = Message("'IV' is out of scope", "out_of_scope", value="IV")
    assert flatten_errors(nest_problems({"stage": [message]})) == [
        {"path": "stage", "message": "'IV' is out of scope", "code": "out_of_scope"}]


def test_every_code_a_request_can_carry_is_documented():
    documented = set(ErrorItemSchema().fields["code"].validate.choices)
    assert documented == set(INPUT_CODES) | set(REQUEST_CODES) | {"invalid"}

"""The app's JSON encoding: orjson, with the standard library for what orjson refuses."""

from __future__ import annotations

import json
from datetime import date


def test_integers_beyond_64_bits_are_encoded_exactly(app):
    with app.app_context():
        text = app.json.dumps({"n": -(2**63) - 1, "m": 2**70})
    assert json.loads(text) == {"n": -(2**63) - 1, "m": 2**70}


def test_key_order_is_kept_and_dates_use_flasks_fallback(app):
    with app.app_context():
        text = app.json.dumps({"z": 1, "a": date(2026, 1, 2)})
    assert list(json.loads(text)) == ["z", "a"]
    assert "2026" in text


def test_a_response_body_is_compact_json(app):
    with app.app_context():
        response = app.json.response({"p": 0.25, "terms": [1, 2]})
    assert response.mimetype == "application/json"
    assert response.get_data() == b'{"p":0.25,"terms":[1,2]}'


def test_indent_is_honoured_for_readable_output(app):
    with app.app_context():
        assert app.json.dumps({"a": [1]}, indent=4) == '{\n  "a": [\n    1\n  ]\n}'

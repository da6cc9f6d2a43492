"""The CDS Hooks trust settings: the issuer allow-list and the local JWKS file, both forms."""

from __future__ import annotations

import json

import pytest

from service.cds.auth import load_jwks, parse_issuers


@pytest.mark.parametrize(("text", "expected"), [
    ('{"https://ehr.example/": "https://ehr.example/jwks"}',
     {"https://ehr.example/": ("https://ehr.example/jwks",)}),
    ('{"a": ["j1", "j2"], "b": []}', {"a": ("j1", "j2"), "b": ()}),
    ("a=j1, a=j2, b", {"a": ("j1", "j2"), "b": ()}),
    ("", {}),
])
def test_issuer_allow_list_reads_json_or_pairs(text, expected):
    assert parse_issuers(text) == expected


def test_jwks_file_is_one_shared_set_or_one_set_per_issuer(tmp_path):
    key = {"kty": "EC", "crv": "P-384", "x": "x", "y": "y", "kid": "k1"}
    shared, per_issuer = tmp_path / "shared.json", tmp_path / "per.json"
    shared.write_text(json.dumps({"keys": [key]}))
    per_issuer.write_text(json.dumps({"https://a/": {"keys": [key]}}))
    assert load_jwks(str(shared)) == {None: [key]}
    assert load_jwks(str(per_issuer)) == {"https://a/": [key]}
    assert load_jwks(None) == {}


def test_jwks_file_without_keys_is_refused_at_boot(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text('{"keys": []}')
    with pytest.raises(ValueError, match="non-empty 'keys'"):
        load_jwks(str(empty))

"""Configuration: defaults, then BMRISK_ environment variables, then the mapping given."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from service import blueprint_modules, create_app
from service.config import SETTINGS, ConfigError, Setting, load, markdown_table, settings_of
from service.settings_doc import with_table

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_defaults_apply_without_environment_or_mapping():
    config = load(SETTINGS, environ={})
    assert config["HOST"] == "127.0.0.1"
    assert config["API_KEY_HASHES"] == ()
    assert config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    assert config["MODEL_DIR"] is None


def test_environment_overrides_defaults_and_the_mapping_overrides_both():
    environ = {"BMRISK_MAX_CONTENT_LENGTH": "1_000", "BMRISK_PUBLIC_URL": "https://a.example",
               "BMRISK_LOG_LEVEL": "warning"}
    config = load(SETTINGS, {"PUBLIC_URL": "https://b.example"}, environ)
    assert config["MAX_CONTENT_LENGTH"] == 1000
    assert config["LOG_LEVEL"] == "WARNING"
    assert config["PUBLIC_URL"] == "https://b.example"


def test_variables_without_the_prefix_are_ignored():
    assert load(SETTINGS, environ={"HOST": "0.0.0.0", "MODEL_DIR": "/x"})["HOST"] == "127.0.0.1"


@pytest.mark.parametrize(("name", "value"), [("BMRISK_MAX_CONTENT_LENGTH", "big"),
                                             ("BMRISK_MAX_CONTENT_LENGTH", "-5"),
                                             ("BMRISK_LOG_LEVEL", "loud"),
                                             ("BMRISK_PROXY_HOPS", "-1"),
                                             ("BMRISK_API_KEY_HASHES", "my-secret-key")])
def test_a_bad_value_names_the_variable_and_never_echoes_it(name, value):
    with pytest.raises(ConfigError, match=name) as raised:
        load(SETTINGS, environ={name: value})
    assert value not in str(raised.value)


def test_a_secret_key_is_generated_when_none_is_given():
    first, second = (load(SETTINGS, environ={})["SECRET_KEY"] for _ in range(2))
    assert len(first) == 64
    assert first != second


def test_create_app_reads_the_environment_at_creation_not_import(monkeypatch):
    monkeypatch.setenv("BMRISK_PUBLIC_URL", "https://risk.example.org")
    app = create_app({"TESTING": True})
    assert app.config["PUBLIC_URL"] == "https://risk.example.org"
    assert app.test_client().get("/openapi.json").get_json()["servers"][0]["url"] == \
        "https://risk.example.org"


def test_the_max_content_length_setting_sets_the_413_limit(monkeypatch):
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 100})
    response = app.test_client().post("/v1/risk", json={"histology": "squamous" * 20})
    assert response.status_code == 413


def test_the_operations_guide_lists_every_setting_as_declared():
    text = OPERATIONS.read_text("utf-8")
    assert with_table(text) == text, "docs/operations.md is out of date: run `make docs`"
    documented = set(re.findall(r"`(BMRISK_[A-Z_]+)`", text))
    assert {s.env for s in settings_of(blueprint_modules())} <= documented
    assert {"BMRISK_WORKERS", "BMRISK_THREADS", "BMRISK_TIMEOUT"} <= documented


def test_the_settings_table_escapes_pipes_and_shows_unset_defaults():
    table = markdown_table([Setting("X", None, str, "as 'system|code'"), Setting("Y", (), str, "")])
    assert "| `BMRISK_X` | (none) | as 'system\\|code' |" in table
    assert "| `BMRISK_Y` | (none) |  |" in table


_FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "risk.example.org",
              "X-Forwarded-Prefix": "/bmrisk"}


def _servers_url(app, headers) -> str:
    return app.test_client().get("/openapi.json", headers=headers).get_json()["servers"][0]["url"]


# Behind a proxy the service is on the network: CDS Hooks needs JWT or this explicit opt-out
# (tests/service/cds/test_exposure.py); these tests are about links only.
_OPEN_CDS = {"CDS_ALLOW_UNAUTHENTICATED": True}


def test_forwarded_headers_are_ignored_unless_proxies_are_trusted():
    """A client cannot move the service's links (or the CDS JWT audience) by sending headers."""
    app = create_app({"TESTING": True})
    assert app.config["PROXY_HOPS"] == 0
    assert _servers_url(app, _FORWARDED) == "http://localhost"


def test_a_trusted_proxy_sets_scheme_host_and_path_prefix_of_links():
    app = create_app({"TESTING": True, "PROXY_HOPS": 1, **_OPEN_CDS})
    assert _servers_url(app, _FORWARDED) == "https://risk.example.org/bmrisk"
    assert _servers_url(app, {}) == "http://localhost"  # no proxy headers: as before


def test_only_the_trusted_number_of_proxies_is_believed():
    """With one proxy trusted, a forged first hop in a list is ignored: the proxy's own entry
    (the last one) wins."""
    app = create_app({"TESTING": True, "PROXY_HOPS": 1, **_OPEN_CDS})
    forged = {"X-Forwarded-Proto": "http, https",
              "X-Forwarded-Host": "evil.example, risk.example.org"}
    assert _servers_url(app, forged) == "https://risk.example.org"


def test_a_live_server_behind_a_trusted_proxy_links_to_the_public_address(server_factory):
    server = server_factory({"BMRISK_PROXY_HOPS": "1",
                             "BMRISK_CDS_ALLOW_UNAUTHENTICATED": "true"})
    request = urllib.request.Request(server.url + "/openapi.json", headers=_FORWARDED)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["servers"][0]["url"] == "https://risk.example.org/bmrisk"

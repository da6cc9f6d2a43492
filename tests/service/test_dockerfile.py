"""The Dockerfile, read as text (no Docker engine here): two stages, non-root, the tests' CMD."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text("utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def runtime_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_there_are_two_stages_a_named_builder_and_a_slim_runtime():
    stages = [args for word, args in instructions() if word == "FROM"]
    assert len(stages) == 2
    assert stages[0].endswith("AS builder")
    assert "slim" in stages[1]


def test_cmd_is_exec_form_and_exactly_the_live_server_command(server_command):
    cmds = [args for word, args in runtime_stage() if word == "CMD"]
    assert len(cmds) == 1
    assert tuple(json.loads(cmds[0])) == server_command


def test_the_runtime_user_is_not_root():
    users = [args for word, args in runtime_stage() if word == "USER"]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_the_healthcheck_calls_healthz_with_pythons_urllib():
    checks = [args for word, args in runtime_stage() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "urllib.request" in checks[0]
    assert "/healthz" in checks[0]
    assert "curl" not in checks[0]
    assert "wget" not in checks[0]


def test_model_files_are_made_read_only_and_owned_by_root():
    runs = " ".join(args for word, args in runtime_stage() if word == "RUN")
    assert "chmod -R a-w /models" in runs
    assert "chown -R root:root /models" in runs


@pytest.mark.parametrize("name", ["gunicorn.conf.py"])
def test_the_server_settings_file_is_copied_into_the_image(name):
    copies = [args for word, args in runtime_stage() if word == "COPY"]
    assert any(name in args for args in copies)


def test_the_dockerignore_keeps_the_venv_git_and_tests_out():
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    assert {".venv", ".git", "tests"} <= set(ignored)


def test_the_default_database_lives_in_the_data_volume_and_the_uid_matches_kubernetes():
    env = " ".join(args for word, args in runtime_stage() if word == "ENV")
    assert "BMRISK_DATABASE_URL=sqlite:////data/bmrisk.sqlite3" in env
    assert ("VOLUME", '["/data"]') in runtime_stage()
    deployment = (ROOT / "deploy" / "kubernetes" / "deployment.yaml").read_text("utf-8")
    assert ("USER", "10001:10001") in runtime_stage()
    assert "runAsUser: 10001" in deployment

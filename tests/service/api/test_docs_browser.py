"""The API docs in a real browser: Swagger UI renders the OpenAPI 3.1 document under its CSP.

Headless Chromium is run as a command (its DOM after scripts ran, its console on stderr), so
this test never holds a Playwright session beside the form's browser tests.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def render(url: str) -> tuple[str, list[str]]:
    """The page's DOM once its scripts ran, and every console message (CSP violations too)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run `make test` (target browser-deps)"
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=True)
    return run.stdout, [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def test_swagger_ui_renders_every_operation_without_console_errors(live_server):
    dom, console = render(live_server.url + "/docs")
    assert "Bone metastasis risk in lung cancer" in dom
    paths = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert {"/v1/risk", "/v1/risk/batch", "/v1/models", "/v1/models/{model_id}",
            "/healthz", "/readyz"} <= paths
    assert console == []

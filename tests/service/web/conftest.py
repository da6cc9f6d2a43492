"""Fixtures of the page tests: a form submitter for the test client, and one real Chromium.

The browser is Debian's Chromium (``CHROMIUM_PATH``), started once per session; each test gets a
fresh context (cookies, language) and fails if the page reported a Content-Security-Policy
violation. axe-core is read from ``AXE_PATH`` (installed from npm by ``make test``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
AXE_DEFAULT = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: Any) -> str:
    """The CSRF token of a fresh form page (the client keeps the session cookie)."""
    html = client.get("/").get_data(as_text=True)
    found = _TOKEN.search(html)
    assert found, "the form carries a csrf_token field"
    return found.group(1)


@pytest.fixture
def submit(client: Any) -> Callable[..., Any]:
    """POST the form as a browser does: ``submit({"calcium": "2,41", ...}, headers={...})``."""
    token = csrf_token(client)

    def post(fields: dict[str, str], headers: dict[str, str] | None = None) -> Any:
        return client.post("/", data={**fields, "csrf_token": token}, headers=headers or {})

    return post


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Pages in fresh contexts: ``open_page(locale="zh-CN", javascript=True, bypass_csp=False)``.

    A test fails when any page reports a Content-Security-Policy violation.
    """
    contexts: list[Any] = []
    violations: list[str] = []

    def make(locale: str = "en-GB", javascript: bool = True, bypass_csp: bool = False) -> Any:
        context = browser.new_context(locale=locale, java_script_enabled=javascript,
                                      bypass_csp=bypass_csp, viewport={"width": 1280,
                                                                       "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert violations == [], "the pages must not break their own Content-Security-Policy"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script (a local file from npm; no CDN)."""
    path = Path(os.environ.get("AXE_PATH", AXE_DEFAULT))
    assert path.exists(), f"axe-core not found at {path}: run `make test` (target axe)"
    return path.read_text("utf-8")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

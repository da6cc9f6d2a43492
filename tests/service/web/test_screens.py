"""Every page at a desktop and a phone width, in both languages: no sideways scroll, and a
screenshot of each in test-artifacts/screenshots/ to look at (form, errors, result, print,
model card, error page)."""

from __future__ import annotations

import pytest

from .conftest import screenshot
from .test_browser import FULL, fill, submit

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WIDTHS = (1280, 360)
LOCALES = {"en-GB": "en", "zh-CN": "zh-Hans"}
ERRORS = {"t_category": "T4", "n_category": "N3", "stage": "IA", "calcium": "2,4,1",
          "calcium_unit": "mmol/L", "alp": "99999", "alp_unit": "U/L"}


def overflow(page) -> int:
    """How many pixels the page is wider than its viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_fits_the_screen_and_is_photographed(live_server, open_page, locale, width):
    page = open_page(locale=locale)
    page.set_viewport_size({"width": width, "height": 800})
    tag = f"{LOCALES[locale]}-{width}"
    wide: dict[str, int] = {}

    def shoot(name: str) -> None:
        wide[name] = overflow(page)
        screenshot(page, f"{name}-{tag}")

    page.goto(live_server.url + "/")
    shoot("form")
    fill(page, ERRORS)
    submit(page)
    shoot("errors")
    fill(page, {**FULL, "stage": "", "alp": "130"})
    page.fill("#patient_identifier", "MRN 0001 234")
    submit(page)
    shoot("result")
    page.emulate_media(media="print")
    shoot("print")
    page.emulate_media(media="screen")
    page.goto(live_server.url + "/model-card")
    shoot("model-card")
    page.goto(live_server.url + "/no-such-page")
    shoot("not-found")
    assert wide == dict.fromkeys(wide, 0)

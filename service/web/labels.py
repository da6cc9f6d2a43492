"""Words the pages show for codes: category values, bands, term status, evidence grades.

Codes come from ``riskmodel.features`` and the model spec; a code without an entry here is shown
as itself (T and N categories and stage groups are international codes and need no words).
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import gettext
from .i18n import lazy_gettext as _l

CATEGORY_WORDS = {
    "histology": {
        "adenocarcinoma": _l("Adenocarcinoma"),
        "squamous": _l("Squamous cell carcinoma"),
        "large_cell": _l("Large cell carcinoma"),
        "small_cell": _l("Small cell carcinoma"),
        "nsclc_nos": _l("Non-small cell carcinoma, not otherwise specified"),
        "other": _l("Other"),
    },
    "t_category": {"TX": _l("TX (not known)")},
    "n_category": {"NX": _l("NX (not known)")},
    "bsp": {
        "positive": _l("Positive"),
        "negative": _l("Negative"),
        "not_tested": _l("Not tested"),
    },
}

BAND_WORDS = {"low": _l("low"), "moderate": _l("moderate"), "high": _l("high")}

STATUS_WORDS = {
    "fired": _l("present"),
    "not_fired": _l("absent"),
    "missing": _l("missing: averaged"),
    "not_used": _l("not used"),
}

LAB_STATUS_WORDS = {"fired": _l("elevated"), "not_fired": _l("not elevated")}

GRADE_WORDS = {
    "A": _l("A: pooled estimate of a meta-analysis read in full"),
    "B": _l("B: adjusted estimate from a large cohort for this very outcome"),
    "C": _l("C: adjusted estimate from a small cohort, or a univariable estimate consistent "
            "across several cohorts"),
    "D": _l("D: derived or proxy estimate (another effect measure, another outcome timing, or "
            "computed from sensitivity and specificity)"),
}


def category_word(feature: str, value: str) -> str:
    """The words for one category value of ``feature`` (the code itself when it has none)."""
    word = CATEGORY_WORDS.get(feature, {}).get(value)
    return str(word) if word is not None else value


def band_word(band: str) -> str:
    """The words for a risk band."""
    word = BAND_WORDS.get(band)
    return str(word) if word is not None else band


def status_word(status: str, kind: str = "binary") -> str:
    """The words for a term's status in a score (a lab term is 'elevated' or 'not elevated')."""
    word = (LAB_STATUS_WORDS if kind != "binary" else {}).get(status) or STATUS_WORDS.get(status)
    return str(word) if word is not None else status


@dataclass(frozen=True)
class Text:
    """Words to show, and ``lang="en"`` when they are an English fallback on another page."""

    text: str
    lang: str = ""

    def __str__(self) -> str:
        return self.text


def spec_text(text: str) -> str:
    """A text of the model spec or feature list in the page language, when the catalogue has it.

    Those texts are extracted into the catalogue by ``service.web.extract``; a text added to the
    spec after the last translation shows in English (``spec_words`` marks it).
    """
    return gettext(text) if text else text


def spec_words(text: str) -> Text:
    """``spec_text`` with the language of the words when they are an English fallback."""
    from .i18n import current_language

    said = spec_text(text)
    english = said == text and current_language() != "en" and any(c.isalpha() for c in text)
    return Text(said, "en" if english else "")

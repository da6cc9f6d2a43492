"""The model card as a page: the same dict the API serves, with headings in the page language.

The card's content is data (texts of the spec, citations); texts the catalogue holds are shown
translated, the rest in English and marked ``lang="en"``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from .labels import Text, spec_words

YES, NO = _l("yes"), _l("no")
KEY_WORDS = {
    "card_format": _l("Card format"), "id": _l("Model id"), "version": _l("Version"),
    "sha256": _l("SHA-256"), "title": _l("Title"), "kind": _l("Kind of model"),
    "intended_use": _l("Intended use"), "question": _l("Question"),
    "statement": _l("Intended use"), "users": _l("Intended users"), "not_for": _l("Not for"),
    "population": _l("Population"), "outcome": _l("Outcome"), "baseline": _l("Baseline risk"),
    "predictors": _l("Predictors"), "model": _l("Model specification"),
    "missing_data": _l("Missing data"), "output": _l("Output"), "bands": _l("Risk bands"),
    "alerts": _l("Clinical alerts"), "evidence": _l("Evidence"),
    "performance": _l("Performance"), "limitations": _l("Limitations"),
    "known_gaps": _l("Known gaps"), "points": _l("Points version"),
    "provenance": _l("Provenance"), "terms": _l("Terms"), "citation": _l("Citation"),
    "label": _l("Label"), "beta": _l("Weight (beta)"), "se": _l("Standard error"),
    "grade": _l("Evidence grade"), "rule": _l("Rule"), "reference": _l("Reference population"),
}


def key_words(key: Any) -> Text:
    """A card key as a heading: its translation, else the key in English words."""
    words = KEY_WORDS.get(str(key))
    if words is not None:
        return Text(str(words))
    return Text(str(key).replace("_", " ").capitalize(), "en")


def value_words(value: Any) -> Text:
    """A card value as words (texts translated when the catalogue has them)."""
    if isinstance(value, str):
        return spec_words(value)
    if value is None:
        return Text("—")
    if isinstance(value, bool):
        return Text(str(YES if value else NO))
    return Text(f"{value:g}" if isinstance(value, float) else str(value))


def is_link(value: Any) -> bool:
    """Whether a card value is a web address to show as a link."""
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def kind(value: Any) -> str:
    """How the template draws a value: 'mapping', 'list' or 'text'."""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list | tuple):
        return "list"
    return "text"

"""Babel extractors: the texts the pages show from the feature list and the model spec.

``babel.cfg`` maps ``riskmodel/features.py`` and the spec JSON files to these functions, so
``pybabel extract`` puts those texts into ``messages.pot`` and a changed text shows up as an
untranslated entry (which a test refuses) instead of silently staying in English.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

Extracted = tuple[int, str, str, list[str]]

# The parts of a spec the pages show (the model card page shows the rest in English).
_SPEC_TEXTS = ("title", "question", "intended_use")
_SPEC_LISTS = ("intended_users", "not_for", "limitations")


def spec_texts(spec: dict[str, Any]) -> list[str]:
    """Every text of ``spec`` the result page and the model card page translate."""
    found = [spec[key] for key in _SPEC_TEXTS if spec.get(key)]
    for key in _SPEC_LISTS:
        found += list(spec.get(key, ()))
    found.append(spec.get("bands", {}).get("note", ""))
    for term in spec.get("terms", ()):
        found += [term["label"], term.get("reference", {}).get("basis", "")]
    return [text for text in found if text]


def feature_texts() -> list[str]:
    """The label and description of every feature."""
    from riskmodel.features import FEATURES

    return [text for f in FEATURES for text in (f.label, f.description)]


def _located(texts: list[str], source: str, comment: str) -> Iterator[Extracted]:
    for text in dict.fromkeys(texts):
        position = source.find(json.dumps(text, ensure_ascii=False)[1:-1][:40])
        line = source.count("\n", 0, position) + 1 if position >= 0 else 1
        yield line, "gettext", text, [comment]


def extract_spec(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                 options: Any) -> Iterator[Extracted]:
    """Yield the translatable texts of one model spec file."""
    source = fileobj.read().decode("utf-8")
    yield from _located(spec_texts(json.loads(source)), source, "from the model spec")


def extract_features(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                     options: Any) -> Iterator[Extracted]:
    """Yield the label and description of every feature (from the importable feature list)."""
    source = fileobj.read().decode("utf-8")
    yield from _located(feature_texts(), source, "from riskmodel.features")

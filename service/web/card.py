"""The model card as a page a clinician reads in two minutes, built from the card's JSON.

Intended use and limits, the terms (weight as an odds ratio with its interval, grade, source),
validation status, and the version with what changed; the whole card as the API serves it is
folded below. A field the card does not have shows nothing (a later model version adds terms,
its changes and a plausibility table, and the page shows them as they come).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .labels import GRADE_WORDS, Text, spec_words

UNKNOWN = "unknown"  # riskmodel.card writes what the spec does not give this way
# Figures of a validation the page names; others stay in the technical detail.
METRIC_WORDS = {"auc": _l("AUC (c statistic)"), "oe": _l("Observed / expected events"),
                "calibration_intercept": _l("Calibration intercept"),
                "calibration_slope": _l("Calibration slope")}


@dataclass(frozen=True)
class TermRow:
    """One term of the model as the card's table shows it."""

    label: Text
    odds_ratio: str
    interval: str
    per: str
    grade: str
    grade_words: str
    contradicted: bool
    source: dict[str, str]


@dataclass(frozen=True)
class CardView:
    """What the model card page shows, in the page language where the catalogue allows."""

    title: Text
    ref: dict[str, str]
    intended_use: Text
    users: tuple[Text, ...]
    not_for: tuple[Text, ...]
    limitations: tuple[Text, ...]
    baseline: str
    terms: tuple[TermRow, ...]
    validated: tuple[tuple[str, str], ...]
    bands_note: Text
    changes: Any
    plausibility: tuple[dict[str, Any], ...]
    full_json: str


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.3g}" if abs(value) < 1000 else (
        f"{value:,.0f}")


def _authors(authors: Any) -> str:
    """'Guo X et al.' for three or more authors, else the names as given ('Ye H, Zhang Q')."""
    names = [n.strip() for n in str(authors or "").rstrip(".").split(",") if n.strip()]
    if not names or "not read" in names[0]:
        return ""
    if len(names) > 2 or "et al" in names[-1:]:
        return f"{names[0]} et al."
    return ", ".join(names)


def source_of(citation: Any) -> dict[str, str]:
    """A citation's words ('Guo X et al. 2021') and the address of its source, if it has one."""
    if not isinstance(citation, dict):
        return {"text": str(citation or ""), "url": ""}
    who = _authors(citation.get("authors")) or str(citation.get("journal") or "")
    text = " ".join(p for p in (who, str(citation.get("year") or "")) if p and p != UNKNOWN)
    if citation.get("doi") not in (None, UNKNOWN):
        return {"text": text, "url": f"https://doi.org/{citation['doi']}"}
    if citation.get("pmid") not in (None, UNKNOWN):
        return {"text": text, "url": f"https://pubmed.ncbi.nlm.nih.gov/{citation['pmid']}/"}
    url = citation.get("url")
    return {"text": text, "url": url if isinstance(url, str) and url.startswith("http") else ""}


def _term_row(term: dict[str, Any]) -> TermRow:
    low, high = term["odds_ratio_95ci"]
    return TermRow(
        label=spec_words(term["label"]), odds_ratio=_number(term["odds_ratio"]),
        interval=_("%(low)s to %(high)s", low=_number(low), high=_number(high)),
        per=_("per %(unit)s", unit=term["per"]) if term.get("per") else "",
        grade=term["grade"], grade_words=str(GRADE_WORDS.get(term["grade"], "")),
        contradicted=bool(term.get("contradicted")), source=source_of(term.get("citation")))


def _baseline(card: dict[str, Any]) -> str:
    chosen = card.get("baseline", {}).get("chosen")
    if not isinstance(chosen, dict) or not isinstance(chosen.get("probability"), float | int):
        return ""
    percent, source = f"{100 * chosen['probability']:.1f}%", source_of(chosen.get("citation"))
    if isinstance(chosen.get("events"), int):
        return _("%(percent)s of newly diagnosed lung cancers have bone metastasis at diagnosis "
                 "(%(events)s of %(n)s patients, %(source)s).", percent=percent,
                 events=f"{chosen['events']:,}", n=f"{chosen['n']:,}", source=source["text"])
    return _("%(percent)s of newly diagnosed lung cancers have bone metastasis at diagnosis "
             "(%(n)s patients, %(source)s).", percent=percent, n=f"{chosen['n']:,}",
             source=source["text"])


def _estimate(entry: Any) -> str:
    if not isinstance(entry, dict):
        return ""
    value = next((entry[k] for k in ("estimate", "ratio") if isinstance(entry.get(k), float)),
                 None)
    if value is None:
        return ""
    if isinstance(entry.get("low"), float) and isinstance(entry.get("high"), float):
        return _("%(value)s (%(low)s to %(high)s)", value=f"{value:.2f}",
                 low=f"{entry['low']:.2f}", high=f"{entry['high']:.2f}")
    return f"{value:.2f}"


def validation_rows(performance: Any) -> tuple[tuple[str, str], ...]:
    """The validation figures the card gives (a recalibrated model's own, when nested)."""
    if not isinstance(performance, dict):
        return ()
    figures = performance.get("recalibrated", performance)
    if not isinstance(figures, dict):
        return ()
    rows = ((str(words), _estimate(figures.get(key))) for key, words in METRIC_WORDS.items())
    return tuple((words, text) for words, text in rows if text)


def _changes(card: dict[str, Any]) -> Any:
    """What changed from an earlier version, when the card says (a key starting 'changes')."""
    return next((value for key, value in card.items() if key.startswith("changes") and value
                 and value != UNKNOWN), None)


def _plausibility(card: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    rows = card.get("plausibility")
    if isinstance(rows, dict):
        rows = rows.get("rows")
    if not isinstance(rows, list):
        return ()
    return tuple(r for r in rows if isinstance(r, dict))


def _texts(values: Any) -> tuple[Text, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(spec_words(v) for v in values if isinstance(v, str) and v != UNKNOWN)


def card_view(card: dict[str, Any]) -> CardView:
    """The model card page's content from the card's JSON."""
    use = card.get("intended_use", {})
    return CardView(
        title=spec_words(card["title"]),
        ref={"id": card["id"], "version": card["version"], "sha256": card["sha256"]},
        intended_use=spec_words(use.get("statement", "")), users=_texts(use.get("users")),
        not_for=_texts(use.get("not_for")), limitations=_texts(card.get("limitations")),
        baseline=_baseline(card),
        terms=tuple(_term_row(t) for t in card.get("model", {}).get("terms", ())),
        validated=validation_rows(card.get("performance")),
        bands_note=spec_words(card.get("bands", {}).get("note", "")),
        changes=_changes(card), plausibility=_plausibility(card),
        full_json=json.dumps(card, indent=2, ensure_ascii=False))


def cell(value: Any) -> Text:
    """A cell of a table the card brings (plausibility): numbers shortened, words as given."""
    if isinstance(value, bool):
        return Text(_("yes") if value else _("no"))
    if isinstance(value, float):  # risks and their differences, as percents
        return Text(f"{100 * value:.1f}%" if abs(value) <= 1 else _number(value))
    if isinstance(value, dict):
        return Text(source_of(value)["text"], "en")
    return spec_words(str(value)) if isinstance(value, str) else Text(str(value))


def heading(key: str) -> Text:
    """A column heading of a table the card brings, in English words when it has no entry."""
    return spec_words(key.replace("_", " ").capitalize())

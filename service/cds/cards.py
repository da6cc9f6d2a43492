"""CDS Hooks cards: a scored result, or a plain 'the model does not apply', as the spec shapes them.

Indicator: ``critical`` when an alert fires (hypercalcaemia), ``warning`` for a moderate or high
band, ``info`` for a low band and for 'does not apply'. Optional fields are left out, never null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from riskmodel import Model, Quantity, Result
from service.fhir import output as fhir_output
from service.fhir.reading import Reading
from service.summary import Summary, intended_use, label_of, model_line

OVERRIDE_SYSTEM = "urn:bmrisk:override-reason"
OVERRIDE_REASONS = (
    ("data-wrong", "The data shown are wrong or out of date"),
    ("imaging-done", "Bone imaging is already done or planned"),
    ("not-applicable", "The model does not apply to this patient"),
    ("clinical-judgement", "Clinical judgement differs"),
)
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|])")


@dataclass(frozen=True)
class Links:
    """Where the card points: the model card, the clinician form, whether BSP is mapped."""

    model_card: str
    form: str
    bsp_mapped: bool


def indicator(result: Result) -> str:
    """critical (an alert), warning (moderate or high band) or info (low band)."""
    if result.alerts:
        return "critical"
    return "info" if result.band == "low" else "warning"


def risk_card(result: Result, model: Model, summary: Summary, reading: Reading, *,
              card_id: str, suggestion_id: str, resource: dict[str, Any],
              links: Links) -> dict[str, Any]:
    """The card of a scored result, in the words of its ``summary``, with a suggestion to file
    the RiskAssessment."""
    prefilled = prefill_url(links.form, reading)
    return {
        "uuid": card_id,
        "summary": summary.line,
        "detail": _detail(summary, reading, links, prefilled),
        "indicator": indicator(result),
        "source": source(model, links),
        "suggestions": [{
            "label": "File this bone-metastasis risk assessment in the record",
            "uuid": suggestion_id,
            "actions": [{"type": "create", "resource": resource, "description": (
                f"Create a RiskAssessment: bone-metastasis risk {summary.risk}"
                f" ({summary.band}), model {model.ref.id} {model.ref.version}")}],
        }],
        "selectionBehavior": "at-most-one",
        "overrideReasons": [{"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                            for code, display in OVERRIDE_REASONS],
        "links": [{"label": "Open the risk calculator with these values",
                   "url": prefilled, "type": "absolute"}],
    }


def not_applicable_card(problems: Mapping[str, Sequence[str]], model: Model, reading: Reading,
                        *, card_id: str, links: Links) -> dict[str, Any]:
    """An info card saying why the model does not apply (out of scope or contradictory data)."""
    reasons = [f"{label_of(path.split('.')[0])}: {message}" for path, messages in
               problems.items() for message in messages]
    detail = ["**The bone-metastasis risk was not estimated.** " + _md(intended_use(model)),
              "**Why**", *[f"- {_md(r)}" for r in reasons], *_read_table(reading),
              *_notes(n.message for n in reading.notes), f"Model {_md(model_line(model))}."]
    return {"uuid": card_id, "summary": "Bone-metastasis risk not estimated: the model does not "
            "apply to these data (see details)", "detail": "\n\n".join(detail),
            "indicator": "info", "source": source(model, links)}


def source(model: Model, links: Links) -> dict[str, Any]:
    """The card's source: the model, linking its model card, with the assessment as topic."""
    return {"label": f"Bone metastasis risk model {model.ref.id} {model.ref.version}",
            "url": links.model_card, "topic": dict(fhir_output.ASSESSMENT)}


def prefill_url(form: str, reading: Reading) -> str:
    """The clinician form prefilled: feature names as parameters, labs with '<name>_unit'."""
    params: list[tuple[str, str]] = []
    for name, used in reading.used.items():
        if name == "m_category":
            continue
        if isinstance(used.value, Quantity):
            params += [(name, f"{used.value.value:g}"), (f"{name}_unit", used.value.unit)]
        else:
            params.append((name, str(used.value)))
    return f"{form}?{_urlencode(params)}" if params else form


_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")


def _urlencode(params: list[tuple[str, str]]) -> str:
    """``urllib.parse.urlencode`` of pairs of strings, quoting only what needs it: most names
    and values are plain (quote_plus leaves them as they are), the rest are mostly units."""
    return "&".join(f"{k if _PLAIN.fullmatch(k) else _quote_plus(k)}="
                    f"{v if _PLAIN.fullmatch(v) else _quote_plus(v)}" for k, v in params)


_quote_plus = lru_cache(maxsize=256)(quote_plus)  # what is not plain: units, mostly


def _detail(summary: Summary, reading: Reading, links: Links, prefilled: str) -> str:
    """Written for the clinician: the risk and what raised it, what is missing and what knowing
    it would change, the factors, the links; the technical detail stays behind the model card."""
    parts = [_headline(summary), _missing_line(summary)]
    parts += [f"> **Alert:** {_md(a)}" for a in summary.alerts]
    parts += _factor_table(summary)
    parts.append(f"[Check or complete the values in the calculator]"
                 f"({prefilled}) · "
                 f"[Model card: sources, weights and limits]({links.model_card})")
    parts += _read_table(reading) + _notes(summary.notes) + _warnings(summary)
    parts.append(f"*Decision support, not a diagnosis. Bands are a display choice, not validated. "
                 f"Model {_md(summary.model.split(' (')[0])}.*")
    return "\n\n".join(parts)


def _headline(summary: Summary) -> str:
    head = (f"**Bone-metastasis risk {summary.in_100} ({summary.risk}, {summary.band}).** "
            f"{summary.interval_text}.")
    if summary.drivers:
        head += f" Raised most by: {_md(', '.join(summary.drivers))}."
    return head


def _missing_line(summary: Summary) -> str:
    if not summary.missing:
        return "Every routine input the model uses is known."  # research inputs (BSP) aside
    names = ", ".join(m.short for m in summary.missing)
    line = f"Not known: {_md(names)}."
    if summary.missing_range is not None:
        low, high = summary.missing_range
        line += (f" Depending on {'them' if len(summary.missing) > 1 else 'it'} the risk could "
                 f"be {low} to {high}; {_md(summary.missing[0].short)} would narrow it most.")
    return line


def _factor_table(summary: Summary) -> list[str]:
    rows = ["| Factor | Value used | Effect (log-odds) | Evidence |", "|---|---|---|---|"]
    for row in summary.factors:
        cite = f"[{_md(row.citation)}]({row.url})" if row.url else _md(row.citation)
        rows.append(f"| {_md(row.label)} | {_md(row.value)} | {row.contribution} | "
                    f"grade {row.grade}: {cite} |")
    return ["\n".join(rows)]


def _read_table(reading: Reading) -> list[str]:
    if not reading.used:
        return ["Nothing usable was found in the record."]
    rows = ["**Read from the record**", "| Input | Value | Date |", "|---|---|---|"]
    for used in reading.used.values():
        when = used.when.date().isoformat() if used.when else "undated"
        rows.append(f"| {_md(label_of(used.name))} | {_md(used.text)} | {when} |")
    return [rows[0], "\n".join(rows[1:])]


def _notes(notes: Iterable[str]) -> list[str]:
    lines = [f"- {_md(n)}" for n in notes]
    return ["**About the data**", "\n".join(lines)] if lines else []


def _warnings(summary: Summary) -> list[str]:
    if not summary.warnings:
        return []
    return ["**Warnings**", "\n".join(f"- {_md(w)}" for w in summary.warnings)]


def _md(value: str) -> str:
    """Escape Markdown so text from the record shows as written."""
    return _MARKDOWN.sub(r"\\\1", value)

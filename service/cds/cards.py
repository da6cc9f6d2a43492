"""CDS Hooks cards: a scored result, or a plain 'the model does not apply', as the spec shapes them.

Indicator: ``critical`` when an alert fires (hypercalcaemia), ``warning`` for a moderate or high
band, ``info`` for a low band and for 'does not apply'. Optional fields are left out, never null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

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
    return {
        "uuid": card_id,
        "summary": summary.line,
        "detail": _detail(summary, reading, links),
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
                   "url": prefill_url(links.form, reading), "type": "absolute"}],
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
    return f"{form}?{urlencode(params)}" if params else form


def _detail(summary: Summary, reading: Reading, links: Links) -> str:
    parts = [f"**Risk of bone metastasis at initial staging: {summary.in_100} "
             f"({summary.risk}), band {summary.band}.** Bands are a display "
             "choice of this project and are not validated.",
             f"{summary.interval_text} (given what is known: uncertainty of the published "
             "weights and of the missing inputs)."]
    if summary.missing_text:
        parts.append(_md(summary.missing_text) + ".")
    parts += [f"> **Alert:** {_md(a)}" for a in summary.alerts]
    parts += _factor_table(summary) + _read_table(reading) + _missing(summary, links)
    parts += _notes(summary.notes) + _warnings(summary)
    parts.append(f"**Model** {_md(summary.model)}. [Model card]({links.model_card})")
    parts.append(f"*{_md(summary.intended_use)}*")
    return "\n\n".join(parts)


def _factor_table(summary: Summary) -> list[str]:
    rows = ["| Factor | Value used | Contribution (log-odds) | Grade | Source |",
            "|---|---|---|---|---|"]
    for row in summary.factors:
        cite = f"[{_md(row.citation)}]({row.url})" if row.url else _md(row.citation)
        rows.append(f"| {_md(row.label)} | {_md(row.value)} | {row.contribution} | "
                    f"{row.grade} | {cite} |")
    return ["\n".join(rows)]


def _read_table(reading: Reading) -> list[str]:
    if not reading.used:
        return ["Nothing usable was found in the record."]
    rows = ["**Read from the record**", "| Input | Value | Date | Resource |", "|---|---|---|---|"]
    for used in reading.used.values():
        when = used.when.date().isoformat() if used.when else "undated"
        rows.append(f"| {_md(label_of(used.name))} | {_md(used.text)} | {when} | "
                    f"{_md(used.reference)} |")
    return [rows[0], "\n".join(rows[1:])]


def _missing(summary: Summary, links: Links) -> list[str]:
    lines = [f"- {_md(m.label)}: {_md(m.handling)}; knowing it would narrow the range "
             f"by {m.narrowing_points} points" for m in summary.missing]
    if not links.bsp_mapped:
        lines.append("- BSP has no standard code: the site must map its local code "
                     "(BMRISK_BSP_CODE) before BSP can be read from the record")
    return ["**Missing inputs**", "\n".join(lines)] if lines else []


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

"""The human-readable narrative (XHTML) of a RiskAssessment: risk as 'X in 100', band, factors."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from riskmodel import Model, Result
from service import risk_text as text

from .reading import Note

XHTML = "http://www.w3.org/1999/xhtml"


def narrative(result: Result, model: Model, notes: Sequence[Note] = ()) -> dict[str, Any]:
    """The generated narrative: headline, interval, missing inputs, factor table, model."""
    parts = [
        f"<p><b>Bone-metastasis risk: {escape(text.in_100(result))} "
        f"({escape(text.percent(result.probability))}), band {escape(result.band)}</b> "
        f"(bands are a display choice, not validated). The RiskAssessment states it as "
        f"probabilityDecimal {result.probability:.4f}: {escape(text.SCALE)}.</p>",
        f"<p>{escape(text.interval_text(result))}.</p>",
    ]
    if text.missing_text(result):
        parts.append(f"<p>{escape(text.missing_text(result))}.</p>")
    parts += [f"<p>Alert: {escape(a.message)}</p>" for a in result.alerts]
    parts.append(_table(result))
    parts += [f"<p>Note: {escape(n.message)}</p>" for n in notes]
    parts.append(f"<p>Model {escape(text.model_line(model))}.</p>")
    parts.append(f"<p>{escape(text.intended_use(model))}</p>")
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{"".join(parts)}</div>'}


def _table(result: Result) -> str:
    head = ("<tr><th>Factor</th><th>Value used</th><th>Contribution (log-odds)</th>"
            "<th>Evidence grade</th><th>Source</th></tr>")
    rows = "".join(
        f"<tr><td>{escape(r.label)}</td><td>{escape(r.value)}</td>"
        f"<td>{escape(r.contribution)}</td><td>{escape(r.grade)}</td>"
        f"<td>{_cite(r.citation, r.url)}</td></tr>" for r in text.factor_rows(result))
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _cite(citation: str, url: str | None) -> str:
    if not url:
        return escape(citation)
    return f'<a href="{escape(url, quote=True)}">{escape(citation)}</a>'

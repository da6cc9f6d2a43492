"""The human-readable narrative (XHTML) of a RiskAssessment, laid out from the result's summary."""

from __future__ import annotations

from html import escape
from typing import Any

from service.summary import SCALE, Summary

XHTML = "http://www.w3.org/1999/xhtml"


def narrative(summary: Summary, probability: float) -> dict[str, Any]:
    """The generated narrative: headline, interval, missing inputs, factor table, model."""
    parts = [
        f"<p><b>Bone-metastasis risk: {escape(summary.in_100)} ({escape(summary.risk)}), band "
        f"{escape(summary.band)}</b> (bands are a display choice, not validated). The "
        f"RiskAssessment states it as probabilityDecimal {probability:.4f}: {escape(SCALE)}.</p>",
        f"<p>{escape(summary.interval_text)}.</p>",
    ]
    if summary.missing_text:
        parts.append(f"<p>{escape(summary.missing_text)}.</p>")
    parts += [f"<p>Alert: {escape(a)}</p>" for a in summary.alerts]
    parts.append(_table(summary))
    parts += [f"<p>Note: {escape(n)}</p>" for n in summary.notes]
    parts.append(f"<p>Model {escape(summary.model)}.</p>")
    parts.append(f"<p>{escape(summary.intended_use)}</p>")
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{"".join(parts)}</div>'}


def _table(summary: Summary) -> str:
    head = ("<tr><th>Factor</th><th>Value used</th><th>Contribution (log-odds)</th>"
            "<th>Evidence grade</th><th>Source</th></tr>")
    rows = "".join(
        f"<tr><td>{escape(r.label)}</td><td>{escape(r.value)}</td>"
        f"<td>{escape(r.contribution)}</td><td>{escape(r.grade)}</td>"
        f"<td>{_cite(r.citation, r.url)}</td></tr>" for r in summary.factors)
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _cite(citation: str, url: str | None) -> str:
    if not url:
        return escape(citation)
    return f'<a href="{escape(url, quote=True)}">{escape(citation)}</a>'

"""A result in words, shared by the CDS card, the RiskAssessment and its narrative.

One place for how a probability, a factor, a missing input and the model are written, so the
card and the FHIR resource cannot say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskmodel import Model, Result, TermResult
from riskmodel.features import BY_NAME

SUMMARY_LIMIT = 139  # the CDS Hooks summary must be under 140 characters
SCALE = "probabilityDecimal is on a 0-1 scale (0.23 means 23 in 100)"


@dataclass(frozen=True)
class FactorRow:
    """One term as shown to a clinician."""

    label: str
    value: str
    contribution: str
    grade: str
    citation: str
    url: str | None


def short_name(name: str) -> str:
    """An input's name in running text ('ALP'); M category is not a feature of the model."""
    return BY_NAME[name].short_name if name in BY_NAME else "M category"


def percent(probability: float) -> str:
    """A probability as people read it, the same on every page, card and narrative: whole
    percents ('23%'), one decimal below 1% ('0.4%'), '<0.1%' below 0.05%. A decimal more would
    claim a precision the evidence does not have; the API keeps full precision.

    >>> [percent(p) for p in (0.2345, 0.0996, 0.004, 0.0001)]
    ['23%', '10%', '0.4%', '<0.1%']
    """
    value = 100 * probability
    if value < 0.05:
        return "<0.1%"
    return f"{value:.1f}%" if value < 0.95 else f"{value:.0f}%"


def in_100(result: Result) -> str:
    """'23 in 100' (at least 1 in 100 when rounded to zero)."""
    return f"{max(result.per_100, 1) if result.probability > 0 else 0} in 100"


def interval_text(result: Result) -> str:
    """'95% interval 15%-34%'."""
    iv = result.interval
    return f"{iv.level:.0%} interval {percent(iv.low)}-{percent(iv.high)}"


def missing_names(result: Result) -> list[str]:
    """Short names of the missing inputs, most informative first."""
    return [short_name(m.name) for m in result.missing]


def missing_text(result: Result) -> str:
    """'BSP missing: the risk could be 20%-31% depending on it', or ''."""
    names = missing_names(result)
    if not names or result.missing_range is None:
        return ""
    span = f"{percent(result.missing_range.low)}-{percent(result.missing_range.high)}"
    them = "them" if len(names) > 1 else "it"
    return f"{', '.join(names)} missing: depending on {them} the risk could be {span}"


def summary(result: Result, extra: list[str] | None = None) -> str:
    """'Bone-metastasis risk 23% (moderate); ALP missing' in fewer than 140 characters."""
    head = f"Bone-metastasis risk {percent(result.probability)} ({result.band})"
    parts = [a.code.replace("_", " ") for a in result.alerts] + list(extra or [])
    names = missing_names(result)
    if names:
        parts.append(f"{', '.join(names)} missing")
    text = "; ".join([head, *parts])
    if len(text) > SUMMARY_LIMIT and names:
        text = "; ".join([head, *parts[:-1], f"{len(names)} inputs missing"])
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "\u2026"


def factor_rows(result: Result) -> list[FactorRow]:
    """Every term: label, value used, contribution to the log-odds, grade and citation."""
    return [FactorRow(t.label, _value(t), _contribution(t), t.grade,
                      t.citation.get("text") or "", t.citation.get("url"))
            for t in result.terms]


def _value(term: TermResult) -> str:
    if term.status == "missing":
        return "missing"
    if term.status == "not_used":
        return f"{term.value} (not used)" if term.value is not None else "not used"
    if isinstance(term.value, float):
        return f"{term.value:.3g} {term.unit or ''}".strip()
    return str(term.value).replace("_", " ")


def _contribution(term: TermResult) -> str:
    sign = f"{term.contribution:+.2f}"
    return f"{sign} (expected)" if term.status == "missing" else sign


def rationale(result: Result, top: int = 3) -> str:
    """The main factors by contribution, then the missing inputs."""
    fired = sorted((t for t in result.terms if t.status == "fired"),
                   key=lambda t: -abs(t.contribution))[:top]
    text = "Main factors: " + (", ".join(f"{t.label} ({t.contribution:+.2f} log-odds)"
                                         for t in fired) or "none present") + "."
    names = missing_names(result)
    return text + (f" Missing: {', '.join(names)}." if names else " No input missing.")


def model_line(model: Model) -> str:
    """'lung-bm-literature 1.0.0 (sha256 7ffe...)'."""
    return f"{model.ref.id} {model.ref.version} (sha256 {model.ref.sha256})"


def intended_use(model: Model) -> str:
    """The model's intended use and its limits, as one paragraph."""
    spec = model.spec
    not_for = "; ".join(spec.get("not_for", ()))
    bands = spec.get("bands", {}).get("note", "")
    return (f"Intended use: {spec.get('intended_use', '')} Not for: {not_for}. {bands} "
            "The model has not been validated in any cohort.").strip()

"""One result document, built once per score: what the CDS card, the FHIR RiskAssessment with
its narrative, and the form say about a result.

``summarise`` writes the result in words once; the renderers only lay it out (Markdown for the
card, XHTML for the narrative, the form's translated HTML from the same parts), so no two of
them can say different things. English only: the form translates from the parts, not the
sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from riskmodel import Model, Result, TermResult
from riskmodel.features import BY_NAME

SUMMARY_LIMIT = 139  # the CDS Hooks summary must be under 140 characters
SCALE = "probabilityDecimal is on a 0-1 scale (0.23 means 23 in 100)"


@dataclass(frozen=True)
class Factor:
    """One term as shown to a clinician."""

    label: str
    value: str
    contribution: str
    grade: str
    citation: str
    url: str | None


@dataclass(frozen=True)
class MissingInput:
    """One missing input: its name, how the model handled it, how much knowing it narrows."""

    name: str
    label: str
    short: str
    handling: str
    narrowing_points: str


@dataclass(frozen=True)
class Summary:
    """A result in words: every part a renderer shows, computed once."""

    risk: str  # '23%'
    in_100: str  # '23 in 100'
    band: str
    interval: tuple[str, str, str]  # ('95%', '15%', '34%')
    interval_text: str  # '95% interval 15%-34%'
    missing_range: tuple[str, str] | None
    missing_text: str  # 'ALP missing: depending on it the risk could be 20%-31%', or ''
    missing: tuple[MissingInput, ...]
    line: str  # the CDS card's summary, under 140 characters
    drivers: tuple[str, ...]  # the terms that raise the risk most, largest first
    alerts: tuple[str, ...]
    warnings: tuple[str, ...]
    factors: tuple[Factor, ...]
    rationale: str
    notes: tuple[str, ...]  # about the data read (FHIR), in reading order
    model: str  # 'lung-bm-literature 1.0.0 (sha256 7ffe...)'
    intended_use: str


def summarise(result: Result, model: Model, notes: Sequence[str] = (),
              line_notes: Sequence[str] = ()) -> Summary:
    """The one summary of ``result`` scored with ``model``: ``notes`` about the data read, and
    ``line_notes`` short enough for the card's summary line ('calcium 212 days old')."""
    iv, names = result.interval, tuple(short_name(m.name) for m in result.missing)
    span = None if result.missing_range is None else (
        percent(result.missing_range.low), percent(result.missing_range.high))
    interval = (f"{iv.level:.0%}", percent(iv.low), percent(iv.high))
    return Summary(
        risk=percent(result.probability), in_100=_in_100(result), band=result.band,
        interval=interval, interval_text=f"{interval[0]} interval {interval[1]}-{interval[2]}",
        missing_range=span, missing_text=_missing_text(names, span),
        missing=tuple(MissingInput(m.name, label_of(m.name), short_name(m.name), m.handling,
                                   f"{100 * m.narrowing:.0f}") for m in result.missing),
        line=_line(result, names, line_notes), drivers=_drivers(result),
        alerts=tuple(a.message for a in result.alerts),
        warnings=tuple(w.message for w in result.warnings),
        factors=tuple(_factor(t) for t in result.terms), rationale=_rationale(result, names),
        notes=tuple(notes), model=model_line(model), intended_use=intended_use(model))


def short_name(name: str) -> str:
    """An input's name in running text ('ALP'); M category is not a feature of the model."""
    return BY_NAME[name].short_name if name in BY_NAME else "M category"


def label_of(name: str) -> str:
    """The plain label of an input ('Serum CEA')."""
    return BY_NAME[name].label if name in BY_NAME else "M category (AJCC 8th)"


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


def _in_100(result: Result) -> str:
    """'23 in 100' (at least 1 in 100 when rounded to zero)."""
    return f"{max(result.per_100, 1) if result.probability > 0 else 0} in 100"


def _missing_text(names: tuple[str, ...], span: tuple[str, str] | None) -> str:
    if not names or span is None:
        return ""
    them = "them" if len(names) > 1 else "it"
    return f"{', '.join(names)} missing: depending on {them} the risk could be {span[0]}-{span[1]}"


def _line(result: Result, names: tuple[str, ...], notes: Sequence[str]) -> str:
    """'Bone-metastasis risk 23% (moderate); ALP missing' in fewer than 140 characters."""
    head = f"Bone-metastasis risk {percent(result.probability)} ({result.band})"
    parts = [a.code.replace("_", " ") for a in result.alerts] + list(notes)
    if names:
        parts.append(f"{', '.join(names)} missing")
    text = "; ".join([head, *parts])
    if len(text) > SUMMARY_LIMIT and names:
        text = "; ".join([head, *parts[:-1], f"{len(names)} inputs missing"])
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "\u2026"


def _drivers(result: Result, top: int = 3) -> tuple[str, ...]:
    """The labels of the terms that raise the risk most (positive contributions only)."""
    raising = sorted((t for t in result.terms if t.status == "fired" and t.contribution > 0),
                     key=lambda t: -t.contribution)
    return tuple(t.label for t in raising[:top])


def _factor(term: TermResult) -> Factor:
    return Factor(term.label, _value(term), _contribution(term), term.grade,
                  term.citation.get("text") or "", term.citation.get("url"))


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


def _rationale(result: Result, names: tuple[str, ...], top: int = 3) -> str:
    """The main factors by contribution, then the missing inputs."""
    fired = sorted((t for t in result.terms if t.status == "fired"),
                   key=lambda t: -abs(t.contribution))[:top]
    text = "Main factors: " + (", ".join(f"{t.label} ({t.contribution:+.2f} log-odds)"
                                         for t in fired) or "none present") + "."
    return text + (f" Missing: {', '.join(names)}." if names else " No input missing.")

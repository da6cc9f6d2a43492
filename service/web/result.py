"""The result as the page shows it: every number in words of the page language.

Built from ``riskmodel.Result`` and the model that made it; nothing here computes risk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from riskmodel import Model, Result, TermResult
from riskmodel.features import BY_NAME, FEATURES
from riskmodel.staging import derive_stage
from riskmodel.terms import Term
from riskmodel.units import shown_unit
from service.summary import percent, summarise

from .form import UNIT, FormInput
from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .i18n import translations
from .labels import GRADE_WORDS, Text, band_word, category_word, spec_words, status_word
from .messages import Said, alert_text, either, label, warning_text
from .svg import Bar, bars


@dataclass(frozen=True)
class TermRow:
    """One term of the score, as a row of the contribution chart."""

    name: str
    label: Text
    value: str
    state: str  # the engine's status code: fired, not_fired, missing, not_used
    status: str
    weight: str
    contribution: float
    contribution_text: str
    risk_without: str
    grade: str
    grade_words: str
    citation: dict[str, Any]
    notes: tuple[str, ...]
    bar: Bar


@dataclass(frozen=True)
class MissingRow:
    """A missing input: what it is, how it was handled, how much knowing it would help."""

    name: str
    label: str
    narrowing: str
    handling: str
    basis: Text


@dataclass(frozen=True)
class ResultView:
    """Everything the result page shows."""

    percent: str
    per_100: int
    band: str
    interval: tuple[str, str, str]
    missing_range: tuple[str, str] | None
    terms: tuple[TermRow, ...]
    missing: tuple[MissingRow, ...]
    warnings: tuple[Said, ...]
    alerts: tuple[Said, ...]
    inputs: tuple[tuple[str, str], ...]
    grades: tuple[tuple[str, str], ...]
    stage_derived: str
    model: Model


@dataclass(frozen=True)
class Record:
    """What the printed record adds to the result: when it was scored, and its id."""

    scored_at: datetime
    score_id: str

    @property
    def when(self) -> str:
        """The time of scoring with its time zone: '2026-11-29 21:20 UTC'."""
        return self.scored_at.strftime("%Y-%m-%d %H:%M:%S %Z")


def _value_text(row: TermResult, term: Term, derived: str | None) -> str:
    if row.value is None and term.input == "stage" and derived and row.status != "missing":
        return _("%(stage)s (from T and N)", stage=derived)
    if row.value is None:
        return _("not given")
    if isinstance(row.value, str):
        return category_word(term.input, row.value)
    return f"{row.value:.3g} {shown_unit(row.unit or '')}".strip()


# The engine's term-note codes (riskmodel.result.NOTE_CODES) the page says in its language.
_NOTE_WORDS = {
    "averaged_tn": _l("Not known exactly: averaged over the stages that the known T, N and "
                      "stage allow."),
    "albumin_corrected": _l("Calcium corrected for albumin (Payne)."),
    "contradicted": _l("Contradictory evidence: see the model card."),
}


def _notes(row: TermResult, term: Term, form: FormInput) -> tuple[str, ...]:
    """The term's note in the page language, from the codes the engine gave it."""
    codes = getattr(row.note, "codes", ())
    notes = [_not_used(term, form, code) for code in codes if code.startswith("not_used")]
    return (*notes, *(str(_NOTE_WORDS[code]) for code in codes if code in _NOTE_WORDS))


def _short(name: str) -> str:
    """A feature's label without its parenthesis: 'T category (AJCC 8th)' -> 'T category'."""
    return re.split(r"\s*[(\uff08]", label(name), maxsplit=1)[0]


def _not_used(term: Term, form: FormInput, code: str) -> str:
    """The one reason the engine set the term aside (``code``): the inputs that carry the same
    information are known, or its own input is unknown (1.0.0's stage III rule)."""
    unknown = [name for name in term.used_only_when_missing
               if form.get(name) in ("", *BY_NAME[name].missing_codes)]
    if code == "not_used_known" or not unknown:
        return _("Not used: %(others)s are known, and they already carry the anatomic extent.",
                 others=_(" and ").join(_short(n) for n in term.used_only_when_missing))
    return _("Not used: %(input)s is not given (unknown %(others)s: averaged over the reference "
             "population instead).", input=_short(term.input),
             others=_(" and ").join(_short(n) for n in unknown))


def _term_rows(result: Result, model: Model, form: FormInput) -> tuple[TermRow, ...]:
    by_name = {t.name: t for t in model.terms}
    drawn = bars([row.contribution for row in result.terms])
    catalogue = translations()
    rows = []
    for row, bar in zip(result.terms, drawn, strict=True):
        term = by_name[row.name]
        label, status, grade_words = _term_words(catalogue, row.label, row.status, term.kind,
                                                 row.grade)
        rows.append(TermRow(
            name=row.name, label=label, value=_value_text(row, term, result.stage_derived),
            state=row.status, status=status, weight=f"{row.beta:.3g} ± {row.se:.2g}",
            contribution=row.contribution, contribution_text=f"{row.contribution:+.2f}",
            risk_without=percent(row.risk_without), grade=row.grade, grade_words=grade_words,
            citation=row.citation, notes=_notes(row, term, form), bar=bar))
    return tuple(rows)


@lru_cache(maxsize=512)
def _term_words(catalogue: Any, label: str, status: str, kind: str,
                grade: str) -> tuple[Text, str, str]:
    """A term's label, status and grade in words, in the language of ``catalogue`` (the
    page's): the same for every page of that language."""
    return (spec_words(label), status_word(status, kind),
            str(GRADE_WORDS.get(grade, grade)))


def _handling(term: Term) -> str:
    reference = term.reference
    if "prevalence" in reference:
        return _("averaged over a reference population in which %(share)s have this factor",
                 share=percent(float(reference["prevalence"])))
    values = ", ".join(f"{d['value']:g}" for d in reference.get("distribution", ()))
    return _("averaged over a reference value of %(values)s %(unit)s", values=values,
             unit=shown_unit(term.unit))


def _missing_rows(result: Result, model: Model) -> tuple[MissingRow, ...]:
    by_name = {t.name: t for t in model.terms}
    return tuple(MissingRow(m.name, label(m.name), f"{100 * m.narrowing:.1f}",
                            _handling(by_name[m.terms[0]]),
                            spec_words(by_name[m.terms[0]].reference.get("basis", "")))
                 for m in result.missing)


def _alerts(result: Result, model: Model) -> tuple[Said, ...]:
    found = []
    for notice in result.alerts:
        spec = next((a for a in model.spec.get("alerts", ()) if a["code"] == notice.code), {})
        threshold = f"{spec.get('at_or_above', 0):.2f} {spec.get('unit', '')}".strip()
        row = next((r for r, t in zip(result.terms, model.terms, strict=True)
                    if t.input == notice.field and isinstance(r.value, float)), None)
        used = f"{row.value:.2f} {shown_unit(row.unit or '')}" if row is not None else ""
        found.append(alert_text(notice, threshold, used))
    return tuple(found)


def inputs(form: FormInput) -> tuple[tuple[str, str], ...]:
    """What was entered, field by field, in words ('not given' for empty fields)."""
    shown = []
    for feature in FEATURES:
        text = form.get(feature.name)
        if feature.kind == "quantity" and text:
            text = f"{text} {shown_unit(form.get(feature.name + UNIT))}"
        elif text:
            text = category_word(feature.name, text)
        shown.append((label(feature.name), text or _("not given")))
    return tuple(shown)


def result_view(result: Result, model: Model, form: FormInput) -> ResultView:
    """The result page's content: the numbers from the one summary, the words translated."""
    summary = summarise(result, model)
    return ResultView(
        percent=summary.risk, per_100=result.per_100, band=band_word(result.band),
        interval=summary.interval, missing_range=summary.missing_range,
        terms=_term_rows(result, model, form),
        missing=_missing_rows(result, model),
        warnings=tuple(warning_text(w, form) for w in result.warnings),
        alerts=_alerts(result, model), inputs=inputs(form),
        grades=tuple((g, str(GRADE_WORDS[g])) for g in sorted({t.grade for t in result.terms})
                     if g in GRADE_WORDS),
        stage_derived=either(derive_stage(form.get("t_category") or None,
                                          form.get("n_category") or None)), model=model)


def feature_label(name: str) -> str:
    """The label of a feature in the page language (for templates)."""
    return label(name) if name in BY_NAME else name

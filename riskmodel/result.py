"""What a score returns: the risk, its terms, its uncertainty, and what was missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from .model import ModelRef


class Interval(NamedTuple):
    """An interval of the risk: given what is known (headline), or from the parameters only."""

    level: float
    low: float
    high: float


class Range(NamedTuple):
    """Range of risk over the possible values of the missing inputs."""

    low: float
    high: float


class TermNote(str):
    """A term's note in plain words that also carries the stable codes of its parts, so a page
    in another language translates the codes instead of re-deriving the note.

    >>> note = TermNote([("albumin_corrected", "calcium corrected for albumin (Payne)")])
    >>> (note, note.codes)
    ('calcium corrected for albumin (Payne)', ('albumin_corrected',))
    """

    codes: tuple[str, ...]

    def __new__(cls, parts: list[tuple[str, str]]) -> TermNote:
        kept = [(code, text) for code, text in parts if text]
        note = super().__new__(cls, " ".join(text for _, text in kept))
        note.codes = tuple(code for code, _ in kept)
        return note

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt_note, (str(self), self.codes))


def _rebuilt_note(text: str, codes: tuple[str, ...]) -> TermNote:
    note = str.__new__(TermNote, text)
    note.codes = codes
    return note


# The codes of a term note's parts (TermNote.codes).
NOTE_CODES: dict[str, str] = {
    "not_used_known": "set aside: the inputs that carry the same information are known",
    "not_used_unknown": "set aside: its own input is unknown, the others are averaged instead",
    "averaged_tn": "T and N not known exactly: averaged over the consistent (T, N) cells",
    "marginalised": "missing: averaged over the reference distribution",
    "research_missing": "a research test not given: averaged, not counted as missing",
    "albumin_corrected": "calcium corrected for albumin (Payne)",
    "value_note": "the spec's note on this value (e.g. a histology without its own estimate)",
    "contradicted": "the evidence for this term is contradictory: see the model card",
}


class TermResult(NamedTuple):
    """One term's part in a score.

    ``status`` is present (fired), absent (did not fire), missing (marginalised) or not_used
    (a rule set the term aside). ``value`` is the value used, after unit conversion.
    """

    name: str
    label: str
    status: str
    fired: bool | None
    value: float | str | None
    unit: str | None
    beta: float
    se: float
    contribution: float
    risk_without: float
    grade: str
    citation: dict[str, Any]
    note: str = ""


class MissingInput(NamedTuple):
    """A missing input, how it was handled, and how much knowing it would narrow the range.

    ``narrowing`` is the width (in risk) by which the missing range shrinks at least once the
    input is known, whatever its value turns out to be; results rank missing inputs by it.
    """

    name: str
    terms: tuple[str, ...]
    handling: str
    narrowing: float


class Notice(NamedTuple):
    """A warning or alert: a stable code (for translation), the field, and plain words."""

    code: str
    field: str | None
    message: str


@dataclass(frozen=True)
class Result:
    """The full, transparent result of scoring one patient."""

    probability: float
    logit: float
    percent: float
    per_100: int
    band: str
    interval: Interval
    missing_range: Range | None
    terms: tuple[TermResult, ...]
    missing: tuple[MissingInput, ...]
    warnings: tuple[Notice, ...]
    alerts: tuple[Notice, ...]
    model: ModelRef
    stage_derived: str | None = None
    parameter_interval: Interval | None = None  # parameter uncertainty only
    not_tested: tuple[str, ...] = ()  # research inputs not given (not counted as missing)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON-ready); citations are shared, not copied."""
        return {
            "probability": self.probability, "logit": self.logit, "percent": self.percent,
            "per_100": self.per_100, "band": self.band,
            "interval": self.interval._asdict(),
            "parameter_interval": (None if self.parameter_interval is None
                                   else self.parameter_interval._asdict()),
            "not_tested": list(self.not_tested),
            "missing_range": None if self.missing_range is None else self.missing_range._asdict(),
            "terms": [t._asdict() for t in self.terms],
            "missing": [{**m._asdict(), "terms": list(m.terms)} for m in self.missing],
            "warnings": [w._asdict() for w in self.warnings],
            "alerts": [a._asdict() for a in self.alerts],
            "model": {"id": self.model.id, "version": self.model.version,
                      "sha256": self.model.sha256},
            "stage_derived": self.stage_derived,
        }

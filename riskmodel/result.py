"""What a score returns: the risk, its terms, its uncertainty, and what was missing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .model import ModelRef


@dataclass(frozen=True)
class Interval:
    """Parameter-uncertainty interval of the risk."""

    level: float
    low: float
    high: float


@dataclass(frozen=True)
class Range:
    """Range of risk over the possible values of the missing inputs."""

    low: float
    high: float


@dataclass(frozen=True)
class TermResult:
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


@dataclass(frozen=True)
class MissingInput:
    """A missing input, how it was handled, and how much knowing it would narrow the range."""

    name: str
    terms: tuple[str, ...]
    handling: str
    narrowing: float


@dataclass(frozen=True)
class Notice:
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

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON-ready)."""
        return asdict(self)

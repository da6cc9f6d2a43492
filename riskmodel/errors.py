"""The error hierarchy of riskmodel: one base, each also the closest built-in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Message(str):
    """A problem's plain words that also carry a stable ``code`` and its ``params``, so that
    callers can translate or branch on the code instead of matching English text.

    >>> m = Message("'X' is not a known value", "unknown_value", value="X")
    >>> (m, m.code, m.params["value"])
    ("'X' is not a known value", 'unknown_value', 'X')
    """

    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, **params: Any) -> Message:
        message = super().__new__(cls, text)
        message.code, message.params = code, params
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_message, (str(self), self.code, self.params))


def _message(text: str, code: str, params: dict[str, Any]) -> Message:
    return Message(text, code, **params)


class RiskModelError(Exception):
    """Base of every error riskmodel raises."""


class InvalidInputError(RiskModelError, ValueError):
    """One or more inputs are invalid; ``problems`` maps each field path to its messages.

    Paths use dots (``calcium.unit``); a whole-record problem uses the path ``_schema``. Each
    message is a ``Message``: plain words with a stable ``code`` (see ``INPUT_CODES``).
    """

    def __init__(self, problems: Mapping[str, list[str]]):
        self.problems = {path: list(msgs) for path, msgs in problems.items()}
        super().__init__(
            "; ".join(f"{path}: {msg}" for path, msgs in self.problems.items() for msg in msgs)
        )


# The stable codes of input problems, with what each means (the API documents this list).
INPUT_CODES: dict[str, str] = {
    "unknown_value": "a category that is not one of the listed values",
    "out_of_scope": "stage IV or M1: the model is for M0 disease",
    "no_invasive": "Tis/T0 with N0, or stage 0: no invasive primary tumour",
    "stage_contradiction": "the stage group contradicts T and N (AJCC 8th)",
    "unknown_unit": "a lab unit that is not one of the listed units",
    "unit_required": "a lab value without its unit",
    "number_required": "a lab unit without its value",
    "not_finite": "NaN or an infinite number",
    "negative": "a negative lab value",
    "implausible": "a lab value outside what is possible in a living patient",
    "wrong_type": "a value of the wrong type (a number where text belongs, or the reverse)",
}


class ArgumentError(RiskModelError, ValueError):
    """A caller's argument (not a patient input) is invalid: a count, a fraction, an option."""


class SpecError(RiskModelError, ValueError):
    """A model spec is malformed, or its hash does not match its manifest."""


class ArtifactError(RiskModelError, ValueError):
    """A model artifact is malformed, or its hash does not match its manifest."""

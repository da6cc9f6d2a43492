"""The error hierarchy of riskmodel: one base, each also the closest built-in."""

from __future__ import annotations

from collections.abc import Mapping


class RiskModelError(Exception):
    """Base of every error riskmodel raises."""


class InvalidInputError(RiskModelError, ValueError):
    """One or more inputs are invalid; ``problems`` maps each field path to its messages.

    Paths use dots (``calcium.unit``); a whole-record problem uses the path ``_schema``.
    """

    def __init__(self, problems: Mapping[str, list[str]]):
        self.problems = {path: list(msgs) for path, msgs in problems.items()}
        super().__init__(
            "; ".join(f"{path}: {msg}" for path, msgs in self.problems.items() for msg in msgs)
        )


class SpecError(RiskModelError, ValueError):
    """A model spec is malformed, or its hash does not match its manifest."""


class ArtifactError(RiskModelError, ValueError):
    """A model artifact is malformed, or its hash does not match its manifest."""

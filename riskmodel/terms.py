"""Model terms built from a spec: how each input becomes x, and the values x can take."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .features import BY_NAME


@dataclass(frozen=True)
class Term:
    """One term of the logistic model, as the spec states it."""

    name: str
    label: str
    input: str
    kind: str
    beta: float
    se: float
    grade: str
    citation: dict[str, Any]
    reference: dict[str, Any]
    fires_when: tuple[str, ...] = ()
    threshold: float | None = None
    cap: float | None = None
    elevated_above: float | None = None
    used_only_when_missing: tuple[str, ...] = ()
    unit: str = ""
    caveat: str = ""
    rule: str = ""
    floor: float | None = None  # continuous: values below count as the floor
    centre: float = 0.0  # continuous: x = clip(value, floor, cap) - centre
    contradicted: bool = False
    value_notes: tuple[tuple[str, str], ...] = ()  # binary: a note per input value

    @classmethod
    def from_spec(cls, entry: dict[str, Any]) -> Term:
        """Build a Term from one spec entry (already structure-checked)."""
        fires = entry.get("fires_when", {}).get(entry["input"], ())
        return cls(
            name=entry["name"], label=entry["label"], input=entry["input"],
            kind=entry["kind"], beta=float(entry["beta"]), se=float(entry["se"]),
            grade=entry["grade"], citation=dict(entry["citation"]),
            reference=dict(entry["reference"]), fires_when=tuple(fires),
            threshold=entry.get("threshold", {}).get("above"), cap=entry.get("cap"),
            elevated_above=entry.get("elevated_above"),
            used_only_when_missing=tuple(entry.get("used_only_when_missing", ())),
            unit=entry.get("unit") or BY_NAME[entry["input"]].canonical_unit,
            caveat=entry.get("caveat", ""), rule=entry.get("rule", ""),
            floor=entry.get("floor"), centre=float(entry.get("centre", 0.0)),
            contradicted=bool(entry.get("contradicted", False)),
            value_notes=tuple(sorted(entry.get("value_notes", {}).items())),
        )

    def fires_on_cell(self, cell: tuple[str, str, str]) -> float:
        """x of a staging term in a (T, N, stage group) cell of the AJCC table."""
        t, n, group = cell
        value = {"t_category": t, "n_category": n, "stage": group}[self.input]
        return float(value in self.fires_when)

    def value_note(self, value: object) -> str:
        """The spec's note on one value of the input (e.g. a histology with no own estimate)."""
        return dict(self.value_notes).get(value, "") if isinstance(value, str) else ""

    @cached_property
    def citation_brief(self) -> dict[str, Any]:
        """The citation a result carries: one line, DOI/PMID and a link (the card has the rest)."""
        c = self.citation
        journal = _plain(c.get("journal"))
        year = c.get("year")
        parts = [_plain(c.get("authors")), f"{journal} ({year})" if year else journal]
        doi, pmid = c.get("doi"), c.get("pmid")
        url = (f"https://doi.org/{doi}" if doi else
               f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else c.get("url"))
        return {"text": " ".join(p for p in parts if p).strip(), "doi": doi, "pmid": pmid,
                "url": url, "evidence_ref": evidence_anchor(c.get("evidence_ref"))}

    @cached_property
    def reference_text(self) -> str:
        """The reference a missing value is marginalised over, in words."""
        ref = self.reference
        if "prevalence" in ref:
            return f"prevalence {ref['prevalence']:g}, {_plain(ref['basis'])}"
        values = ", ".join(f"{d['value']:g}" for d in ref["distribution"])
        return f"value {values} {self.unit}, {_plain(ref['basis'])}"

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Values x can take in the reference population, with their probabilities.

        The arrays are computed once and read-only (every missing value asks for them).
        """
        return self._support

    @cached_property
    def _support(self) -> tuple[np.ndarray, np.ndarray]:
        ref = self.reference
        if "prevalence" in ref:
            p = float(ref["prevalence"])
            values, weights = np.array([0.0, 1.0]), np.array([1.0 - p, p])
        else:
            values = np.array([float(d["value"]) for d in ref["distribution"]])
            weights = np.array([float(d["weight"]) for d in ref["distribution"]])
            values = self.clip(values)
            weights = weights / weights.sum()
        values.flags.writeable = weights.flags.writeable = False
        return values, weights

    def span(self) -> tuple[float, float]:
        """Lowest and highest value x can take (not weighted)."""
        if self.kind == "linear":
            return 0.0, float(self.cap if self.cap is not None else np.nan)
        if self.kind == "continuous":
            return float(self.floor) - self.centre, float(self.cap) - self.centre
        return 0.0, 1.0

    def clip(self, values: np.ndarray) -> np.ndarray:
        """x of a quantity: capped (linear), clipped and centred (continuous)."""
        if self.kind == "continuous":
            return np.clip(values, self.floor, self.cap) - self.centre
        return values if self.cap is None else np.minimum(values, self.cap)

    def mean(self) -> float:
        """Expected x over the reference population."""
        values, weights = self.support()
        return float(values @ weights)

    @cached_property
    def _x_of_category(self) -> dict[str, float]:
        """x of each known category of a binary term (unknown codes are absent: NaN)."""
        feature = BY_NAME[self.input]
        return {c: float(c in self.fires_when) for c in feature.categories
                if c not in feature.missing_codes}

    def encode(self, column: np.ndarray) -> np.ndarray:
        """x for each row: 0/1 (binary, threshold), capped value (linear), NaN when missing.

        ``column`` holds category strings (None when missing) or canonical numbers (NaN).
        """
        if self.kind == "staging":  # from the (T, N) cell: see riskmodel.completions
            return np.full(len(column), np.nan)
        if self.kind == "binary":
            mapping = self._x_of_category
            return np.fromiter((mapping.get(v, np.nan) if isinstance(v, str) else np.nan
                                for v in column), dtype=float, count=len(column))
        values = np.asarray(column, dtype=float)
        if self.kind == "threshold":
            return np.where(np.isnan(values), np.nan, (values > self.threshold).astype(float))
        return self.clip(values)


def _plain(text: object) -> str:
    """A citation field without placeholder words: a field that only says it was not read is
    left out, and a parenthesis saying what was not read is dropped."""
    if not isinstance(text, str):
        return ""
    if any(text.strip().lower().startswith(w) for w in ("authors not read", "unknown")):
        return ""
    return re.sub(r"\s*\([^()]*(?:not read|unknown|evidence\.md)[^()]*\)", "", text).strip()


def evidence_anchor(ref: object) -> str | None:
    """The docs/evidence.md anchor a citation points at.

    Specs of format 2 cite ``docs/evidence.md#anchor`` directly; version 1.0.0 (kept byte for
    byte) cites "evidence.md section 1.2 and 3.1", whose first section docs/evidence.md keeps
    as the anchor ``#section-1-2``.
    """
    if not isinstance(ref, str):
        return None
    if ref.startswith("docs/evidence.md#"):
        return ref
    found = re.search(r"section (\d+(?:\.\d+)*)", ref)
    return f"docs/evidence.md#section-{found.group(1).replace('.', '-')}" if found else None

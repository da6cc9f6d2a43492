"""The codes the FHIR mapping reads: LOINC, SNOMED CT, AJCC and ICD-O-3, each listed once.

Only codes checked against a public source are mapped (sources in the README section "EHR
integration"); anything else is read from its text, or not at all. Matching is always by system
and code together: "2039-6" is CEA only in LOINC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from riskmodel.features import N_CATEGORIES, OUT_OF_SCOPE_STAGES, STAGES, T_CATEGORIES
from riskmodel.inputs import M_CATEGORIES
from riskmodel.units import ucum_code

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
AJCC = "http://cancerstaging.org"
ICDO3 = ("http://terminology.hl7.org/CodeSystem/icd-o-3", "urn:oid:2.16.840.1.113883.6.43.1")
ICD10 = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")
HISTOLOGY_EXTENSION = ("http://hl7.org/fhir/us/mcode/StructureDefinition/"
                       "mcode-histology-morphology-behavior")
OUTCOME = {"system": SNOMED, "code": "94222008", "display": "Secondary malignant neoplasm of bone"}

Code = tuple[str, str]  # (system, code)

# What an Observation is about, by its code. Calcium 29265-6 is already albumin-corrected.
LAB_CODES: dict[str, tuple[Code, ...]] = {
    "calcium": ((LOINC, "17861-6"), (LOINC, "2000-8"), (LOINC, "29265-6")),
    "albumin": ((LOINC, "1751-7"),),
    "alp": ((LOINC, "6768-6"),),
    "cea": ((LOINC, "2039-6"),),
}
CORRECTED_CALCIUM: Code = (LOINC, "29265-6")
STAGING_CODES: dict[str, tuple[Code, ...]] = {
    "t_category": ((SNOMED, "399504009"), (SNOMED, "384625004"),
                   (LOINC, "21905-5"), (LOINC, "21899-0")),
    "n_category": ((SNOMED, "399534004"), (SNOMED, "371494008"),
                   (LOINC, "21906-3"), (LOINC, "21900-6")),
    "stage": ((SNOMED, "399537006"), (SNOMED, "399588009"),
              (LOINC, "21908-9"), (LOINC, "21902-2")),
    "m_category": ((SNOMED, "399387003"), (LOINC, "21907-1"), (LOINC, "21901-4")),
}

# AJCC 8th values as SNOMED CT qualifier values (clinical c and pathological p prefixes).
_SNOMED_VALUES: dict[str, dict[str, str]] = {
    "t_category": {
        "1222604002": "TX", "1228882005": "T0", "1228884006": "Tis", "1228889001": "T1",
        "1228891009": "T1mi", "1228892002": "T1a", "1228895000": "T1b", "1228899006": "T1c",
        "1228929004": "T2", "1228931008": "T2a", "1228934000": "T2b", "1228938002": "T3",
        "1228944003": "T4",
        "1228950008": "TX", "1228951007": "T0", "1228953005": "Tis", "1228957006": "T1",
        "1228958001": "T1mi", "1228959009": "T1a", "1228962007": "T1b", "1229846008": "T1c",
        "1229852009": "T2", "1229853004": "T2a", "1229856007": "T2b", "1229859000": "T3",
        "1229864001": "T4",
    },
    "n_category": {
        "1229966003": "NX", "1229967007": "N0", "1229973008": "N1", "1229978004": "N2",
        "1229981009": "N2", "1229982002": "N2", "1229984001": "N3",
        "1229945006": "NX", "1229947003": "N0", "1229951001": "N1", "1229957002": "N2",
        "1229959004": "N2", "1229960009": "N2", "1229962001": "N3",
    },
    "stage": {
        "1222605001": "0", "1222723001": "I", "1222724007": "IA", "1222725008": "IA1",
        "1222726009": "IA2", "1222727000": "IA3", "1222728005": "IB", "1222765007": "II",
        "1222766008": "IIA", "1222769001": "IIB", "1222801008": "III", "1222802001": "IIIA",
        "1222805004": "IIIB", "1222806003": "IIIC", "1222837003": "IV", "1222838008": "IVA",
        "1222841004": "IVB",
    },
    "m_category": {
        "1229901006": "M0", "1229903009": "M1", "1229904003": "M1a", "1229907005": "M1b",
        "1229910003": "M1c",
    },
}

# Histology: lung-cancer disorders (Condition.code) and morphologies (mCODE extension).
LUNG_DISORDERS: dict[str, str | None] = {
    "254626006": "adenocarcinoma", "254634000": "squamous", "254632001": "small_cell",
    "254633006": "small_cell", "254629004": "large_cell", "254637007": "nsclc_nos",
    "363358000": None, "93880001": None,  # malignant tumour of lung; primary, of lung
}
LUNG_STRUCTURE = "39607008"
_MORPHOLOGY_SNOMED = {
    "1187332001": "adenocarcinoma", "35917007": "adenocarcinoma", "1162767002": "squamous",
    "74364000": "small_cell", "128628002": "other",  # large cell neuroendocrine: not LCC
}
_MORPHOLOGY_ICDO3 = {
    "8140/3": "adenocarcinoma", "8070/3": "squamous", "8041/3": "small_cell",
    "8012/3": "large_cell", "8046/3": "nsclc_nos",
}

# BSP immunohistochemistry result values.
_POSITIVE = {(SNOMED, "10828004"), ("http://terminology.hl7.org/CodeSystem/"
                                    "v3-ObservationInterpretation", "POS")}
_NEGATIVE = {(SNOMED, "260385009"), ("http://terminology.hl7.org/CodeSystem/"
                                    "v3-ObservationInterpretation", "NEG")}

_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}
_T_TEXT = {c.lower(): c for c in T_CATEGORIES}
_N_TEXT = {c.lower(): c for c in N_CATEGORIES} | {"n2a": "N2", "n2b": "N2"}
_M_TEXT = {c.lower(): c for c in M_CATEGORIES}
_STAGE_TEXT = {s.lower(): s for s in STAGES + OUT_OF_SCOPE_STAGES}
_NOISE = re.compile(r"american joint committee on cancer|\(qualifier value\)|ajcc|"
                    r"\b(?:clinical|pathologic(?:al)?)\b|[\s:]", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:y?[cpra])?(?=[tnm]|$)", re.IGNORECASE)
_STAGE = re.compile(r"^(?:stage)?(?:y?[cp])?(0|iv|i{1,3}|[1-4])([abc])?([1-3])?$", re.IGNORECASE)


def items(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array (anything that is not a list, or not an object, skipped)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def codings(concept: Any) -> list[dict[str, str | None]]:
    """The Codings of a CodeableConcept as {system, code, display} strings (or None)."""
    found = items(concept.get("coding")) if isinstance(concept, dict) else []
    return [{k: v if isinstance(v, str) else None
             for k, v in ((k, c.get(k)) for k in ("system", "code", "display"))} for c in found]


def concept_text(concept: Any) -> str | None:
    """The text of a CodeableConcept, when it is a string."""
    text = concept.get("text") if isinstance(concept, dict) else None
    return text if isinstance(text, str) else None


def matches(coding: dict, codes: tuple[Code, ...]) -> bool:
    """Whether a FHIR Coding is one of ``codes`` (system and code both equal)."""
    return (coding.get("system"), coding.get("code")) in codes


def concept_matches(concept: Any, codes: tuple[Code, ...]) -> bool:
    """Whether any coding of a CodeableConcept is one of ``codes``."""
    # As any(matches(c, codes) for c in codings(concept)), without building every Coding's
    # dict: every Observation of a hook call is tested against each lab's codes.
    found = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(found, list):
        return False
    return any(_pair(c) in codes for c in found if isinstance(c, dict))


class Coded:
    """Observations with the (system, code) pairs of their code, found once: each lab, staging
    input and BSP looks through the same Observations for its own codes."""

    def __init__(self, observations: Iterable[dict[str, Any]]):
        self._coded = [(o, _pairs(o.get("code"))) for o in observations]

    def having(self, wanted: tuple[Code, ...]) -> list[dict[str, Any]]:
        """The Observations, in order, whose code has a coding in ``wanted``: as
        ``[o for o in observations if concept_matches(o.get("code"), wanted)]``."""
        return [o for o, pairs in self._coded if not pairs.isdisjoint(wanted)]


def _pairs(concept: Any) -> frozenset[tuple[str | None, str | None]]:
    found = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(found, list):
        return frozenset()
    return frozenset(_pair(c) for c in found if isinstance(c, dict))


def _pair(coding: dict[str, Any]) -> tuple[str | None, str | None]:
    system, code = coding.get("system"), coding.get("code")
    return (system if isinstance(system, str) else None, code if isinstance(code, str) else None)


def coded_value(kind: str, system: str | None, code: str | None) -> str | None:
    """The category meant by a coded staging value (SNOMED CT or AJCC), else None."""
    if system == SNOMED:
        return _SNOMED_VALUES[kind].get(code or "")
    if system == AJCC:
        return text_value(kind, code)
    return None


def text_value(kind: str, text: str | None) -> str | None:
    """The category written in ``text``: 'cT4', 'pN3', '3C', 'Stage IIIC'; None if unclear."""
    if not isinstance(text, str):
        return None
    cleaned = _NOISE.sub("", text)
    if kind == "stage":
        found = _STAGE.fullmatch(cleaned)
        if found is None:
            return None
        group, letter, number = found.groups()
        label = _ROMAN.get(group, group.upper()) + (letter or "").upper() + (number or "")
        return _STAGE_TEXT.get(label.lower())
    table = {"t_category": _T_TEXT, "n_category": _N_TEXT, "m_category": _M_TEXT}[kind]
    return table.get(_PREFIX.sub("", cleaned).lower())


def morphology(system: str | None, code: str | None) -> str | None:
    """The histology of a morphology code (SNOMED CT or ICD-O-3), else None."""
    if system == SNOMED:
        return _MORPHOLOGY_SNOMED.get(code or "")
    if system in ICDO3:
        return _MORPHOLOGY_ICDO3.get(code or "")
    return None


def is_lung_code(coding: dict) -> bool:
    """Whether a Condition coding names a lung cancer (SNOMED disorder or ICD-10 C34)."""
    system, code = coding.get("system"), str(coding.get("code") or "")
    if system == SNOMED:
        return code in LUNG_DISORDERS
    return system in ICD10 and code.upper().startswith("C34")


def bsp_result(system: str | None, code: str | None, text: str | None = None) -> str | None:
    """'positive' or 'negative' from a coded or written BSP result, else None."""
    if (system, code) in _POSITIVE:
        return "positive"
    if (system, code) in _NEGATIVE:
        return "negative"
    lowered = (text or "").strip().lower()
    return lowered if lowered in ("positive", "negative") else None


def parse_code(value: str) -> Code:
    """Parse 'system|code' (the form of FHIR token search) into (system, code)."""
    system, bar, code = value.strip().partition("|")
    if not bar or not system.strip() or not code.strip():
        raise ValueError("must be 'system|code', e.g. http://example.org/local|bsp-ihc")
    return system.strip(), code.strip()


def unit_text(quantity: dict) -> str | None:
    """The unit a FHIR Quantity states, as written: its UCUM code first, then its unit text."""
    system, code = quantity.get("system"), quantity.get("code")
    raw = code if code and system in (None, UCUM) else quantity.get("unit")
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def ucum_unit(name: str, quantity: dict) -> str | None:
    """The UCUM code among lab ``name``'s units that a FHIR Quantity states, or None.

    Spellings ('[IU]/L', 'µg/L', 'mg/dl') are read by ``riskmodel.units.ucum_code``, the one
    reader of units for every channel; an unknown unit stays unknown, never guessed.
    """
    return ucum_code(name, unit_text(quantity))

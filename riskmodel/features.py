"""The ordered feature list: the single source of truth for every input.

Schemas, the form, the FHIR mapping, CSV columns and the docs all derive from ``FEATURES``.
The plausibility limits below are *input sanity limits*, not model parameters: values outside
them cannot be a living patient's serum result and are rejected. The usual ranges produce a
warning (check value and unit). Neither changes any score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HISTOLOGIES = ("adenocarcinoma", "squamous", "large_cell", "small_cell", "nsclc_nos", "other")
T_CATEGORIES = (
    "TX", "T0", "Tis", "T1mi", "T1a", "T1b", "T1c", "T1", "T2a", "T2b", "T2", "T3", "T4",
)
N_CATEGORIES = ("NX", "N0", "N1", "N2", "N3")
STAGES = ("0", "I", "IA", "IA1", "IA2", "IA3", "IB", "II", "IIA", "IIB",
          "III", "IIIA", "IIIB", "IIIC")
BSP_RESULTS = ("positive", "negative", "not_tested")

# Stage and M values that are named so they can be refused with a reason, never scored.
OUT_OF_SCOPE_STAGES = ("IV", "IVA", "IVB")


@dataclass(frozen=True)
class Feature:
    """One input: a category with allowed values, or a lab quantity with units."""

    name: str
    label: str
    kind: str  # "category" or "quantity"
    description: str
    categories: tuple[str, ...] = ()
    units: tuple[str, ...] = ()  # UCUM codes; the first is canonical
    plausible: tuple[float, float] | None = None  # canonical unit, inclusive
    usual: tuple[float, float] | None = None  # canonical unit; outside -> warning
    usual_basis: str = ""
    group: str = ""
    missing_codes: tuple[str, ...] = field(default=())  # category values meaning "unknown"
    short: str = ""  # the name in running text ('ALP', 'T category'); the label when empty

    @property
    def short_name(self) -> str:
        """The name in running text: 'ALP' for 'Serum alkaline phosphatase'."""
        return self.short or self.label

    @property
    def canonical_unit(self) -> str:
        return self.units[0] if self.units else ""


FEATURES: tuple[Feature, ...] = (
    Feature("histology", "Histology", "category",
            "Histological type of the primary lung cancer.",
            categories=HISTOLOGIES, group="tumour", short="histology"),
    Feature("t_category", "T category (AJCC 8th)", "category",
            "Primary tumour category, AJCC 8th edition. TX means unknown.",
            categories=T_CATEGORIES, group="tumour", missing_codes=("TX",), short="T category"),
    Feature("n_category", "N category (AJCC 8th)", "category",
            "Regional lymph node category, AJCC 8th edition. NX means unknown.",
            categories=N_CATEGORIES, group="tumour", missing_codes=("NX",), short="N category"),
    Feature("stage", "Stage group (AJCC 8th, M0)", "category",
            "Stage group for M0 disease; the coarse group (I, II, III) is accepted. "
            "Stage IV is out of scope.",
            categories=STAGES, group="tumour", short="stage group"),
    Feature("bsp", "Bone sialoprotein (IHC)", "category",
            "Bone sialoprotein by immunohistochemistry of the primary tumour.",
            categories=BSP_RESULTS, group="pathology", missing_codes=("not_tested",), short="BSP"),
    Feature("calcium", "Serum total calcium", "quantity",
            "Serum or plasma total calcium (not ionised).",
            units=("mmol/L", "mg/dL"), plausible=(0.5, 6.0), usual=(1.5, 3.5),
            usual_basis="adult total calcium is 2.12-2.65 mmol/L (docs/evidence.md#units); "
                        "below 1.5 may be an ionised calcium, above 3.5 a unit mix-up",
            short="calcium", group="laboratory"),
    Feature("albumin", "Serum albumin", "quantity",
            "Serum albumin, used only to correct calcium.",
            units=("g/L", "g/dL"), plausible=(5.0, 80.0), usual=(20.0, 55.0),
            usual_basis="albumin correction is unreliable at the extremes "
                        "(Payne 1973; docs/evidence.md#units)",
            short="albumin", group="laboratory"),
    Feature("alp", "Serum alkaline phosphatase", "quantity",
            "Serum total alkaline phosphatase activity.",
            units=("U/L", "ukat/L"), plausible=(1.0, 20000.0), usual=(20.0, 2000.0),
            usual_basis="values outside this span are rare; check the value and unit",
            short="ALP", group="laboratory"),
    Feature("cea", "Serum CEA", "quantity",
            "Serum carcinoembryonic antigen.",
            units=("ng/mL", "ug/L"), plausible=(0.0, 100000.0), usual=(0.0, 1000.0),
            usual_basis="values outside this span are rare; check the value and unit",
            short="CEA", group="laboratory"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
CATEGORICAL = tuple(f for f in FEATURES if f.kind == "category")
QUANTITIES = tuple(f for f in FEATURES if f.kind == "quantity")


def feature(name: str) -> Feature:
    """Return the feature called ``name``."""
    return BY_NAME[name]

"""The structure a model spec must have; the first breach is a SpecError naming its path.

Checked before any number is used, so a malformed spec (hand-edited, or written by a refit)
is refused at load time with a clear message instead of failing later inside a score.
"""

from __future__ import annotations

import math
import re
from typing import Any, NoReturn

from .errors import SpecError
from .features import BY_NAME, Feature
from .inputs import is_number

SPEC_FORMAT = "bmrisk-spec/1"
# Format 2 adds continuous and staging terms, the (T, N) reference and input availability.
SPEC_FORMATS = (SPEC_FORMAT, "bmrisk-spec/2")
REQUIRED_TOP = ("format", "id", "version", "title", "question", "intended_use", "outcome",
                "baseline", "intercept", "terms", "bands", "interval", "limitations")
REQUIRED_TERM = ("name", "label", "input", "kind", "rule", "beta", "se", "grade", "citation",
                 "reference")
INTERCEPT_METHODS = ("exact_mean_risk", "explicit")
# The kind of input each kind of term reads.
TERM_KINDS = {"binary": "category", "threshold": "quantity", "linear": "quantity",
              "continuous": "quantity", "staging": "category"}
FORMAT_2_KINDS = ("continuous", "staging")
STAGING_INPUTS = ("t_category", "n_category", "stage")
AVAILABILITY = ("routine", "research")
_SEMVER = re.compile(r"\d+\.\d+\.\d+")


def fail(where: str, why: str) -> NoReturn:
    """Raise the SpecError for one breach."""
    raise SpecError(f"model spec is malformed: {where}: {why}")


def _need(condition: bool, where: str, why: str) -> None:
    if not condition:
        fail(where, why)


def _number(value: Any, where: str, low: float = -math.inf, high: float = math.inf) -> None:
    _need(is_number(value), where, "must be a finite number")
    _need(low <= value <= high, where, f"must be between {low:g} and {high:g}")


def _one_of(value: Any, allowed: Any) -> bool:
    return isinstance(value, str) and value in allowed


def _text(value: Any, where: str) -> None:
    _need(isinstance(value, str) and value.strip() != "", where, "must be a non-empty string")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    _need(isinstance(value, dict), where, "must be an object")
    return value


def _texts(value: Any, where: str) -> None:
    _need(isinstance(value, list), where, "must be a list of strings")
    for i, item in enumerate(value):
        _text(item, f"{where}[{i}]")


def validate_spec(spec: Any) -> dict[str, Any]:
    """Check a spec's structure and return it; raise SpecError naming the first breach."""
    _mapping(spec, "spec")
    for key in REQUIRED_TOP:
        _need(key in spec, "spec", f"missing {key!r}")
    _need(spec["format"] in SPEC_FORMATS, "format", f"expected one of {', '.join(SPEC_FORMATS)}")
    for key in ("id", "title", "question", "intended_use"):
        _text(spec[key], key)
    _need(isinstance(spec["version"], str) and bool(_SEMVER.fullmatch(spec["version"])),
          "version", "must be a semantic version such as 1.0.0")
    _check_baseline(_mapping(spec["baseline"], "baseline"))
    _check_terms(spec["terms"])
    _check_format_2(spec)
    _check_intercept(_mapping(spec["intercept"], "intercept"))
    _check_bands(_mapping(spec["bands"], "bands"))
    _check_interval(_mapping(spec["interval"], "interval"), len(spec["terms"]))
    _texts(spec["limitations"], "limitations")
    _check_optional(spec)
    return spec


def _check_baseline(baseline: dict[str, Any]) -> None:
    _number(baseline.get("probability"), "baseline.probability", 0, 1)
    _need(0 < baseline["probability"] < 1, "baseline.probability", "must be strictly in (0, 1)")
    if baseline.get("n") is not None:
        n = baseline["n"]
        _need(isinstance(n, int) and not isinstance(n, bool) and n > 0, "baseline.n",
              "must be a positive whole number")


def _check_terms(terms: Any) -> None:
    _need(isinstance(terms, list) and len(terms) > 0, "terms", "must be a non-empty list")
    for index, term in enumerate(terms):
        _check_term(f"terms[{index}]", _mapping(term, f"terms[{index}]"))
    names = [t["name"] for t in terms]
    _need(len(set(names)) == len(names), "terms", "term names must be unique")


def _check_term(where: str, term: dict[str, Any]) -> None:
    for key in REQUIRED_TERM:
        _need(key in term, where, f"missing {key!r}")
    for key in ("name", "label", "rule", "grade"):
        _text(term[key], f"{where}.{key}")
    _need(_one_of(term["input"], BY_NAME), f"{where}.input",
          f"{term['input']!r} is not a known feature")
    _need(_one_of(term["kind"], TERM_KINDS), f"{where}.kind",
          f"must be one of {', '.join(TERM_KINDS)}")
    feature = BY_NAME[term["input"]]
    _need(feature.kind == TERM_KINDS[term["kind"]], f"{where}.kind",
          f"a {term['kind']} term needs a {TERM_KINDS[term['kind']]} input; "
          f"{feature.name} is a {feature.kind}")
    _number(term["beta"], f"{where}.beta")
    _number(term["se"], f"{where}.se", 0)
    _mapping(term["citation"], f"{where}.citation")
    _RULES[term["kind"]](where, term, feature)
    _check_reference(f"{where}.reference", _mapping(term["reference"], f"{where}.reference"),
                     term["kind"])
    needs = term.get("used_only_when_missing", [])
    _need(isinstance(needs, list) and all(_one_of(n, BY_NAME) for n in needs),
          f"{where}.used_only_when_missing", "must be a list of feature names")


def _binary_rule(where: str, term: dict[str, Any], feature: Feature) -> None:
    fires = _mapping(term.get("fires_when"), f"{where}.fires_when").get(feature.name)
    _need(isinstance(fires, list) and len(fires) > 0, f"{where}.fires_when",
          f"needs a non-empty list of {feature.name} values")
    usable = set(feature.categories) - set(feature.missing_codes)
    for value in fires:
        _need(value in usable, f"{where}.fires_when",
              f"{value!r} is not a known {feature.name} value")


def _threshold_rule(where: str, term: dict[str, Any], feature: Feature) -> None:
    threshold = _mapping(term.get("threshold"), f"{where}.threshold")
    _number(threshold.get("above"), f"{where}.threshold.above")
    _canonical_unit(threshold.get("unit"), f"{where}.threshold.unit", feature)


def _staging_rule(where: str, term: dict[str, Any], feature: Feature) -> None:
    _need(feature.name in STAGING_INPUTS, f"{where}.input",
          f"a staging term reads one of {', '.join(STAGING_INPUTS)}")
    _binary_rule(where, term, feature)


def _continuous_rule(where: str, term: dict[str, Any], feature: Feature) -> None:
    for key in ("floor", "cap", "centre"):
        _number(term.get(key), f"{where}.{key}")
    _need(term["floor"] <= term["centre"] <= term["cap"] and term["floor"] < term["cap"],
          f"{where}", "needs floor <= centre <= cap and floor < cap")
    if "elevated_above" in term:
        _number(term["elevated_above"], f"{where}.elevated_above", term["cap"])
    _canonical_unit(term.get("unit"), f"{where}.unit", feature)


def _linear_rule(where: str, term: dict[str, Any], feature: Feature) -> None:
    _number(term.get("cap"), f"{where}.cap", 0)
    if "elevated_above" in term:
        _number(term["elevated_above"], f"{where}.elevated_above")
    _canonical_unit(term.get("unit"), f"{where}.unit", feature)


_RULES = {"binary": _binary_rule, "threshold": _threshold_rule, "linear": _linear_rule,
          "continuous": _continuous_rule, "staging": _staging_rule}


def _canonical_unit(unit: Any, where: str, feature: Feature) -> None:
    _need(unit in (None, feature.canonical_unit), where,
          f"must be {feature.canonical_unit!r}, the canonical unit of {feature.name}")


def _check_reference(where: str, ref: dict[str, Any], kind: str) -> None:
    _text(ref.get("basis"), f"{where}.basis")
    if kind == "staging":  # from the spec's tn_reference
        return
    if kind not in ("linear", "continuous"):
        _number(ref.get("prevalence"), f"{where}.prevalence", 0, 1)
        return
    points = ref.get("distribution")
    _need(isinstance(points, list) and len(points) > 0, f"{where}.distribution",
          "a linear term needs a non-empty list of {value, weight}")
    for i, point in enumerate(points):
        _number(_mapping(point, f"{where}.distribution[{i}]").get("value"),
                f"{where}.distribution[{i}].value", 0)
        _number(point.get("weight"), f"{where}.distribution[{i}].weight", 0)
    _need(sum(p["weight"] for p in points) > 0, f"{where}.distribution", "weights sum to 0")


def _check_format_2(spec: dict[str, Any]) -> None:
    """Kinds, the (T, N) reference and availability that only format 2 has."""
    kinds = {t["kind"] for t in spec["terms"]}
    if spec["format"] == SPEC_FORMAT:
        _need(not kinds & set(FORMAT_2_KINDS), "terms",
              f"{', '.join(FORMAT_2_KINDS)} terms need format bmrisk-spec/2")
        return
    for name, entry in _mapping(spec.get("inputs", {}), "inputs").items():
        _need(name in BY_NAME, f"inputs.{name}", "is not a known feature")
        _need(_one_of(_mapping(entry, f"inputs.{name}").get("availability"), AVAILABILITY),
              f"inputs.{name}.availability", f"must be one of {', '.join(AVAILABILITY)}")
    if "staging" not in kinds:
        return
    ref = _mapping(spec.get("tn_reference"), "tn_reference")
    for key in ("basis", "assumption", "evidence_ref"):
        _text(ref.get(key), f"tn_reference.{key}")
    shares = _mapping(ref.get("stage_shares"), "tn_reference.stage_shares")
    _need(set(shares) == {"I", "II", "III"}, "tn_reference.stage_shares",
          "needs the shares of stage I, II and III")
    for group, share in shares.items():
        _number(share, f"tn_reference.stage_shares.{group}", 0)
    _need(sum(shares.values()) > 0, "tn_reference.stage_shares", "shares sum to 0")
    for t, row in _mapping(ref.get("t_equivalent", {}), "tn_reference.t_equivalent").items():
        _need(t in BY_NAME["t_category"].categories and row in BY_NAME["t_category"].categories,
              f"tn_reference.t_equivalent.{t}", "must map a T category to a T category")


def _check_intercept(intercept: dict[str, Any]) -> None:
    _need(_one_of(intercept.get("method"), INTERCEPT_METHODS), "intercept.method",
          f"must be one of {', '.join(INTERCEPT_METHODS)}")
    if intercept["method"] == "explicit":
        _number(intercept.get("value"), "intercept.value")
        if "se" in intercept:
            _number(intercept["se"], "intercept.se", 0)


def _check_bands(bands: dict[str, Any]) -> None:
    cutoffs = bands.get("cutoffs")
    _need(isinstance(cutoffs, list) and len(cutoffs) > 0, "bands.cutoffs",
          "must be a non-empty list")
    previous = 0.0
    for i, cut in enumerate(cutoffs):
        where = f"bands.cutoffs[{i}]"
        _text(_mapping(cut, where).get("name"), f"{where}.name")
        last = i == len(cutoffs) - 1
        if last:
            _need(cut.get("below") is None, f"{where}.below", "the last band must be open (null)")
            continue
        _number(cut.get("below"), f"{where}.below", 0, 1)
        _need(cut["below"] > previous, f"{where}.below", "cut-offs must increase")
        previous = cut["below"]


def _check_interval(interval: dict[str, Any], k: int) -> None:
    if "level" in interval:
        _number(interval["level"], "interval.level", 0, 1)
        _need(0 < interval["level"] < 1, "interval.level", "must be strictly in (0, 1)")
    cov = interval.get("covariance")
    if cov is None:
        return
    _need(isinstance(cov, list) and len(cov) == k + 1
          and all(isinstance(row, list) and len(row) == k + 1 for row in cov),
          "interval.covariance", f"must be a {k + 1} x {k + 1} matrix (intercept, then terms)")
    for i, row in enumerate(cov):
        for j, value in enumerate(row):
            _number(value, f"interval.covariance[{i}][{j}]")
            _need(math.isclose(value, cov[j][i], rel_tol=1e-9, abs_tol=1e-15),
                  "interval.covariance", "must be symmetric")
        _need(row[i] >= 0, f"interval.covariance[{i}][{i}]", "a variance must not be negative")


def _check_optional(spec: dict[str, Any]) -> None:
    if "calcium_correction" in spec:
        correction = _mapping(spec["calcium_correction"], "calcium_correction")
        for key in ("slope_mmol_per_g", "reference_albumin_g_per_l"):
            _number(correction.get(key), f"calcium_correction.{key}")
    for i, alert in enumerate(spec.get("alerts", [])):
        where = f"alerts[{i}]"
        for key in ("code", "message"):
            _text(_mapping(alert, where).get(key), f"{where}.{key}")
        _need(_one_of(alert.get("input"), BY_NAME) and BY_NAME[alert["input"]].kind == "quantity",
              f"{where}.input", "must name a laboratory input")
        feature = BY_NAME[alert["input"]]
        _number(alert.get("at_or_above"), f"{where}.at_or_above")
        _canonical_unit(alert.get("unit"), f"{where}.unit", feature)
    if "points" in spec:
        _check_points(_mapping(spec["points"], "points"), spec["terms"])
    if "known_gaps" in spec:
        _texts(spec["known_gaps"], "known_gaps")


def _check_points(points: dict[str, Any], terms: list[dict[str, Any]]) -> None:
    base = _mapping(points.get("base_unit"), "points.base_unit")
    by_name = {t["name"]: t for t in terms}
    _need(_one_of(base.get("term"), by_name), "points.base_unit.term",
          "must name a term of the spec")
    _number(base.get("increment"), "points.base_unit.increment", 0)
    _need(by_name[base["term"]]["beta"] * base["increment"] != 0, "points.base_unit",
          "the base unit (beta x increment) must not be 0")

"""Render a model card (the dict of :func:`riskmodel.card.model_card`) as Markdown."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def render(card: dict[str, Any]) -> str:
    """Markdown for a model card dict, section by section."""
    parts = [_head(card), _changes(card), _use(card), _population(card), _outcome(card),
             _plausibility(card), _predictors(card), _specification(card), _tn(card),
             _missing(card), _output(card), _evidence(card),
             _bullets("Performance", _as_list(card["performance"])),
             _bullets("Limitations", card["limitations"]),
             _bullets("Known gaps", card["known_gaps"]), _points(card), _provenance(card)]
    return "\n\n".join(p for p in parts if p) + "\n"


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _bullets(title: str, items: Iterable[Any]) -> str:
    return f"## {title}\n\n" + "\n".join(f"- {_cell(item)}" for item in items)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [f"{key}: {_cell(item)}" for key, item in value.items()]
    return [value]


def _count(base: dict[str, Any]) -> str:
    events = base.get("events")
    if isinstance(events, int):
        return f"{events} of {base['n']}; "
    return f"n = {base['n']}; " if isinstance(base.get("n"), int) else ""


def _cite(c: dict[str, Any]) -> str:
    """One citation line, leaving out what the sources did not say (no placeholder words)."""
    if c.get("doi"):
        where = f"doi:{c['doi']}"
    elif c.get("pmid"):
        where = f"PMID {c['pmid']}"
    else:
        where = c.get("url") or ""
    authors, year, journal = (c.get(k) if c.get(k) not in (None, "", "unknown") else None
                              for k in ("authors", "year", "journal"))
    head = " ".join(p for p in (authors, f"({year})." if year else None) if p)
    return " ".join(p for p in (head, f"{journal}." if journal else None, where) if p)


def _pct(p: float) -> str:
    return f"{100 * p:.2f}%"


def _head(card: dict[str, Any]) -> str:
    return (f"# Model card: {card['title']}\n\n"
            f"Model `{card['id']}` version {card['version']} ({card['kind']}); SHA-256 of the "
            f"canonical spec `{card['sha256']}`. Entries the spec does not give read 'unknown'.")


def _use(card: dict[str, Any]) -> str:
    use = card["intended_use"]
    return (f"## Intended use\n\n**Question.** {use['question']}\n\n{use['statement']}\n\n"
            f"**Users:** {', '.join(_as_list(use['users']))}\n\n**Not for:**\n"
            + "\n".join(f"- {item}" for item in _as_list(use["not_for"])))


def _population(card: dict[str, Any]) -> str:
    pop = card["population"]
    rows = [(s["term"], s["study"]) for s in pop["study_populations"]]
    return (f"## Population\n\n{pop['target']}\n\nStaging: {pop['staging_edition']}\n\n"
            f"Weights: {pop['weights_from']}.\n\n" + _table(("Term", "Study population"), rows))


def _outcome(card: dict[str, Any]) -> str:
    out, base = card["outcome"], card["baseline"]["chosen"]
    alternatives = [f"{_pct(b['probability'])} ({_cite(b['citation'])})"
                    for b in card["baseline"]["alternatives"]]
    return (f"## Outcome and timing\n\n{out['name']}: {out['timing']}. Code: "
            f"{_cell(out.get('code'))}\n\n**Baseline risk** {_pct(base['probability'])} "
            f"({_count(base)}{_cite(base['citation'])}; "
            f"{base['citation'].get('derivation')}).\n\nAlternatives: "
            + ("; ".join(alternatives) or "none"))


def _predictors(card: dict[str, Any]) -> str:
    rows = [(p["label"], p["measured_as"], ", ".join(p["units"] or p["categories"] or []),
             "; ".join(f"{t['rule']}" for t in p["terms"]), ", ".join(p["counts_as_missing"]))
            for p in card["predictors"]]
    return "## Predictors and how they are measured\n\n" + _table(
        ("Input", "Measured as", "Units (first = canonical) or categories", "Rule",
         "Counts as missing"), rows)


def _specification(card: dict[str, Any]) -> str:
    spec, icpt = card["model"], card["model"]["intercept"]
    text = [f"## Model specification\n\n{spec['type']}",
            f"**Intercept** beta0 = {icpt['value']:.6f} ({icpt['method']}): {icpt['how']} "
            f"Mean risk over the reference population: {icpt['mean_reference_risk']:.10f}. "
            f"SE of beta0 from the baseline alone: {_cell(icpt['se_from_baseline'])}."]
    approx = icpt.get("first_order_approximation")
    if approx:
        text.append(f"The first-order form {approx['formula']} gives {approx['value']:.6f}, "
                    f"whose mean risk is {approx['mean_reference_risk']:.6f} ({approx['note']}).")
    rows = [(t["name"], t["rule"], f"{t['beta']:.4g}", f"{t['se']:.4g}",
             f"{t['odds_ratio']:.3g} ({t['odds_ratio_95ci'][0]:.3g}-{t['odds_ratio_95ci'][1]:.3g})"
             + (f" per {t['per']}" if t["per"] else ""), t["grade"]) for t in spec["terms"]]
    text.append(_table(("Term", "Rule", "beta", "SE", "OR (95% CI)", "Grade"), rows))
    text.append("\n".join(
        f"- **{t['name']}**: {_cite(t['citation'])}; {_sentence(t['citation'].get('locator'))} "
        f"Derivation: {_sentence(t['derivation'])}"
        + (f" Caveat: {t['caveat']}" if t["caveat"] else "") for t in spec["terms"]))
    text.append(f"Parameter covariance: {_cell(spec['parameter_covariance'])}")
    return "\n\n".join(text)


def _sentence(text: Any) -> str:
    text = str(text).strip()
    return text if text.endswith(".") else text + "."


def _missing(card: dict[str, Any]) -> str:
    rows = [(r["term"], r.get("prevalence", r.get("distribution")), r["basis"],
             r.get("citation", "unknown"), "yes" if r["in_intercept"] else "no")
            for r in card["missing_data"]["reference"]]
    return (f"## Missing data\n\n{card['missing_data']['handling']}\n\n"
            + _table(("Term", "Reference prevalence or values", "Basis", "Source",
                      "In the intercept's reference"), rows))


def _output(card: dict[str, Any]) -> str:
    out, bands, interval = card["output"], card["bands"], card["output"]["parameter_interval"]
    cut_rows = [(c["name"], "no upper limit" if c["below"] in (None, "unknown")
                 else f"below {_pct(c['below'])}") for c in bands["cutoffs"]]
    validated = "validated" if bands.get("validated") is True else "NOT validated"
    alerts = [f"- {a['code']}: {a['message']} ({a['citation']})" for a in card["alerts"]]
    return "\n\n".join([
        f"## How the output is produced\n\n{out['risk']}. Explanation: {out['explanation']}.",
        f"Parameter interval ({100 * interval['level']:g}%): {interval['method']}",
        f"Calcium correction: {_cell(out['calcium_correction'])}",
        f"**Bands ({validated})**: {bands.get('note')}", _table(("Band", "Risk"), cut_rows),
        "Alerts:\n" + ("\n".join(alerts) or "- none")])


def _evidence(card: dict[str, Any]) -> str:
    ev = card["evidence"]
    lines = [f"- Grade {grade}: {', '.join(names)}"
             for grade, names in sorted(ev["grades"].items())]
    scale = [f"- {grade}: {text}" for grade, text in ev["scale"].items()]
    return ("## Evidence grades\n\n" + "\n".join(lines) + "\n\nScale:\n" + "\n".join(scale)
            + f"\n\nContradicted evidence: {', '.join(ev['contradicted']) or 'none'}")


def _points(card: dict[str, Any]) -> str:
    pts = card["points"]
    if not pts["available"]:
        return f"## Points version\n\nNot available: {pts['reason']}."
    err = pts["rounding_error"]
    rows = [(r["condition"], r["points"]) for r in pts["rows"]]
    totals = [(t["total"], _pct(t["risk"])) for t in pts["risk_by_total"]]
    return (f"## Points version\n\n{pts['method']}. One point = {pts['base_unit']['is']} "
            f"(B = {pts['base_unit']['value']:.4g} on the log-odds scale); risk = "
            f"sigmoid(beta0 + B x total).\n\n" + _table(("Condition", "Points"), rows) + "\n\n"
            + _table(("Total points", "Risk"), totals) + "\n\n"
            f"**Measured rounding error** (absolute difference in risk from the exact model) "
            f"over the {err['combinations']} combinations of the reference distribution: "
            f"largest {_pp(err['max_abs'])}, mean {_pp(err['mean_abs'])}, mean weighted by "
            f"the reference probabilities {_pp(err['weighted_mean_abs'])}. Worst case over "
            f"every combination of rule terms on or off and linear terms at the ends of their "
            f"point ranges ({err['worst_case_combinations']} combinations): "
            f"{_pp(err['worst_case_max_abs'])}.")


def _pp(difference: float) -> str:
    return f"{100 * difference:.2f} percentage points"


def _provenance(card: dict[str, Any]) -> str:
    if card["provenance"] in (None, "unknown"):
        return ""
    return "## Provenance\n\n" + "\n".join(f"- **{k}**: {_cell(v)}"
                                          for k, v in _as_dict(card["provenance"]).items())


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"provenance": value}


def _changes(card: dict[str, Any]) -> str:
    found = card.get("changes_from_previous")
    if not found:
        return ""
    rows = [(c["what"], c["why"], c["evidence_ref"]) for c in found["changes"]]
    return (f"## Changes from version {found['version']}\n\n"
            + _table(("What changed", "Why", "Evidence"), rows))


def _plausibility(card: dict[str, Any]) -> str:
    found = card.get("plausibility")
    if not found:
        return ""
    rows = [(r["histology"], _pct(r["model_mean_risk"]), _pct(r["seer_prevalence"]),
             f"{100 * r['difference']:+.2f}", "yes" if r["within_tolerance"] else "NO")
            for r in found["rows"]]
    return (f"## Plausibility against the population\n\n{found['how']}\n\n"
            + _table(("Histology", "Model mean risk", "SEER prevalence", "Difference (points)",
                      f"Within {100 * found['tolerance']:g} points"), rows))


def _tn(card: dict[str, Any]) -> str:
    found = card.get("tn_reference")
    if not found:
        return ""
    rows = [(c["t"], c["n"], c["stage_group"], f"{c['weight']:.4f}") for c in found["cells"]]
    return (f"## Reference T x N distribution (an assumption)\n\n{found['assumption']} "
            f"{found['citation']} ({found['evidence_ref']}). Reference shares: T4 "
            f"{_pct(found['t4_share'])}, N3 {_pct(found['n3_share'])}, stage III "
            f"{_pct(found['stage_iii_share'])}.\n\n"
            + _table(("T", "N", "Stage group", "Weight"), rows))

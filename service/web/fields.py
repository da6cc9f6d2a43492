"""The form as the template draws it: fieldsets by group, each field with its words and state.

Everything comes from ``riskmodel.features``: names, groups, choices, units, labels, hints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import riskmodel
from riskmodel import Model, Patient
from riskmodel.features import FEATURES, Feature
from riskmodel.features import feature as feature_named
from riskmodel.staging import derive_stage
from riskmodel.units import shown_unit, ucum_code

from .form import FIELD_NAMES, FORM_LEVEL, UNIT, Checked, FieldError, FormInput, check
from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .labels import Text, category_word, spec_words
from .messages import Said, either, error_text, label, unit_list

GROUP_WORDS = {"tumour": _l("Tumour"), "pathology": _l("Pathology"),
               "laboratory": _l("Laboratory")}
RADIO_FEATURES = ("bsp",)  # few choices, all visible at once


@dataclass(frozen=True)
class ShownError:
    """One error as shown: the field it belongs to, its label and its words."""

    field: str
    label: str
    said: Said


@dataclass(frozen=True)
class Field:
    """One input of the form, ready to draw."""

    name: str
    kind: str  # select, radio or quantity
    label: str
    hint: Text
    options: tuple[tuple[str, str], ...]
    value: str
    unit: str
    units: tuple[tuple[str, str], ...]  # (UCUM code sent, as shown: µ for micro)
    errors: tuple[ShownError, ...]
    unit_errors: tuple[ShownError, ...]


@dataclass(frozen=True)
class Group:
    name: str
    legend: str
    fields: tuple[Field, ...]


def field_label(feature: Feature) -> str:
    """The label of a feature's input; a lab's label names its units."""
    if feature.kind == "quantity":
        return _("%(label)s (%(units)s)", label=label(feature.name), units=unit_list(feature))
    return label(feature.name)


def problems(errors: Iterable[FieldError], form: FormInput) -> tuple[ShownError, ...]:
    """The errors as shown, each with its field's label (the form's own when it has none)."""
    order = {name: i for i, name in enumerate(FIELD_NAMES)}
    ranked = sorted(errors, key=lambda e: order.get(e.field, -1))
    return tuple(ShownError(e.field or FORM_LEVEL, label(e.field) if e.field else _("The form"),
                         error_text(e, form)) for e in ranked)


def _field(feature: Feature, form: FormInput, shown: tuple[ShownError, ...]) -> Field:
    kind = ("quantity" if feature.kind == "quantity"
            else "radio" if feature.name in RADIO_FEATURES else "select")
    options = _kept(tuple((c, category_word(feature.name, c)) for c in feature.categories),
                    form.get(feature.name) if feature.kind == "category" else "")
    typed = form.get(feature.name + UNIT)
    unit = ucum_code(feature.name, typed) or typed  # a link's 'mg/dl' selects mg/dL
    return Field(
        name=feature.name, kind=kind, label=field_label(feature),
        hint=spec_words(feature.description), options=options, value=form.get(feature.name),
        unit=unit,
        units=_kept(tuple((u, shown_unit(u)) for u in feature.units), unit),
        errors=tuple(p for p in shown if p.field == feature.name),
        unit_errors=tuple(p for p in shown if p.field == feature.name + UNIT))


def _kept(options: tuple[tuple[str, str], ...], value: str) -> tuple[tuple[str, str], ...]:
    """The options, plus a value a link prefilled that is not among them (shown as given, so it
    is never silently dropped: sending it gets the API's error for it)."""
    if value and value not in {code for code, _ in options}:
        return (*options, (value, value))
    return options


def groups(form: FormInput, shown: tuple[ShownError, ...]) -> tuple[Group, ...]:
    """The fieldsets in the order of the feature list's groups."""
    order = list(dict.fromkeys(f.group for f in FEATURES))
    return tuple(Group(g, str(GROUP_WORDS.get(g, g)),
                       tuple(_field(f, form, shown) for f in FEATURES if f.group == g))
                 for g in order)


def stage_table() -> dict[str, str]:
    """Derived stage for every T and N pair that gives one ('T4 N3' -> 'IIIC'), for the script."""
    t_values = feature_named("t_category").categories
    n_values = feature_named("n_category").categories
    return {f"{t} {n}": either(derive_stage(t, n)) for t in t_values for n in n_values
            if derive_stage(t, n)}


def derived_stage(form: FormInput) -> str:
    """The stage group T and N give (M0), in words; '' when they give none."""
    return either(derive_stage(form.get("t_category") or None, form.get("n_category") or None))


def ranked_empty(form: FormInput, model: Model, checked: Checked | None = None) -> tuple[str, ...]:
    """The empty fields that would narrow the estimate most, most useful first.

    From a score of what is filled when that is valid, else from the reference ranking (a score
    with nothing known).
    """
    checked = checked if checked is not None else check(form) if form.filled() else None
    if checked is not None and checked.request is not None:
        return tuple(m.name for m in riskmodel.score(checked.request.patient, model).missing)
    return tuple(m.name for m in riskmodel.score(Patient(), model).missing
                 if not form.get(m.name))

"""Errors, warnings and alerts in the page language, built from their codes.

The API and the engine give each problem a stable code and English words. The page says each
code in its own words (a catalogue entry per code, with numbers filled in from the feature list
and the form); a problem of an unknown kind gets a general sentence plus the English detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskmodel import Notice
from riskmodel.features import BY_NAME, Feature
from riskmodel.staging import derive_stage
from riskmodel.units import from_canonical, shown_unit, ucum_code
from schemas.openapi import PATIENT_EXAMPLE

from .form import UNIT, FieldError, FormInput, parse_number
from .i18n import current_language
from .i18n import gettext as _
from .labels import spec_text


@dataclass(frozen=True)
class Said:
    """A message in the page language, and the English detail to show beside it (or '')."""

    text: str
    detail: str = ""


def label(name: str) -> str:
    """The label of a feature (or of a lab's unit field) in the page language."""
    if name.endswith(UNIT):
        return _("%(label)s: unit", label=spec_text(BY_NAME[name[:-len(UNIT)]].label))
    return spec_text(BY_NAME[name].label) if name in BY_NAME else _("The form")


def unit_list(feature: Feature) -> str:
    """A lab's units as people read them: 'U/L or µkat/L'."""
    return _(" or ").join(shown_unit(u) for u in feature.units)


def used_unit(form: FormInput, feature: Feature) -> str:
    """The UCUM code of the unit chosen for ``feature`` (its canonical unit when none is)."""
    return ucum_code(feature.name, form.get(feature.name + UNIT)) or feature.canonical_unit


def either(codes: tuple[str, ...]) -> str:
    """Stage groups joined in words: 'IB or IIA'."""
    return _(" or ").join(codes)


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"


def _implausible(form: FormInput, feature: Feature) -> str:
    unit = used_unit(form, feature)
    low, high = (float(from_canonical(feature.name, b, unit)) for b in feature.plausible)
    return _("%(value)s %(unit)s is not a possible value of %(label)s (possible: %(low)s to "
             "%(high)s %(unit)s). Check the value and the unit.",
             value=form.get(feature.name), unit=shown_unit(unit),
             label=in_sentence(spec_text(feature.label)), low=_number(low), high=_number(high))


def _contradiction(form: FormInput) -> str:
    t, n = form.get("t_category"), form.get("n_category")
    return _("Stage %(stage)s contradicts %(t)s and %(n)s: the AJCC 8th edition gives "
             "%(derived)s. Correct the stage, T or N.", stage=form.get("stage"), t=t, n=n,
             derived=either(derive_stage(t, n)))


def in_sentence(text: str) -> str:
    """A label inside an English sentence: 'Serum total calcium' -> 'serum total calcium'
    (acronyms such as 'CEA' and 'T category' keep their capitals; other languages as is)."""
    if current_language() == "en" and text[:1].isupper() and text[1:2].islower():
        return text[:1].lower() + text[1:]
    return text


def example(feature: Feature, form: FormInput) -> str:
    """A plausible value of a lab in the unit chosen, as an example: '2.41 or 2,41', '120'."""
    value = PATIENT_EXAMPLE.get(feature.name)
    if not isinstance(value, dict):
        return ""
    shown = _number(float(from_canonical(feature.name, value["value"], used_unit(form, feature))))
    return _("%(point)s or %(comma)s", point=shown, comma=shown.replace(".", ",")) if (
        "." in shown) else shown


def _field_texts(feature: Feature | None, form: FormInput) -> dict[str, str]:
    """The words of the errors of one field, each a whole sentence naming the field."""
    name = in_sentence(spec_text(feature.label)) if feature is not None else ""
    units = unit_list(feature) if feature is not None and feature.units else ""
    texts = {
        "unknown_value": _("Choose one of the listed options for %(label)s.", label=name),
        "out_of_scope": _("Stage IV (M1) is out of scope: the model estimates bone metastasis at "
                          "the staging of M0 disease, and a bone metastasis is itself M1b or "
                          "M1c."),
        "no_invasive": _("Tis or T0 with N0, and stage 0, mean no invasive primary tumour: out "
                         "of scope for this model."),
        "empty_form": _("Fill in at least one field to estimate a risk."),
        "form_expired": _("The form had expired, or was not sent from this site. Nothing was "
                          "estimated: check the values below and send the form again."),
    }
    if feature is None or not feature.units:
        return texts
    shown = example(feature, form)
    return texts | {
        "not_a_number": _("Enter %(label)s as a number, such as %(example)s.", label=name,
                          example=shown) if shown else _("Enter %(label)s as a number.",
                                                         label=name),
        "two_separators": _("Write %(label)s with one decimal separator (a point or a comma) "
                            "and no thousands separator.", label=name),
        "unit_required": _("Choose the unit of %(label)s that the laboratory reported "
                           "(%(units)s).", label=name, units=units),
        "unknown_unit": _("Choose a unit of %(label)s from the list (%(units)s).", label=name,
                          units=units),
        "number_required": _("Enter the value of %(label)s, or clear its unit.", label=name),
        "negative": _("Enter %(label)s as zero or more.", label=name),
    }


def error_text(error: FieldError, form: FormInput) -> Said:
    """The words of one form error, in the page language: one plain sentence."""
    feature = BY_NAME.get(error.field.removesuffix(UNIT))
    texts = _field_texts(feature, form)
    if error.code in texts:
        return Said(texts[error.code])
    if (error.code == "implausible" and feature is not None
            and parse_number(form.get(feature.name)) is not None):
        return Said(_implausible(form, feature))
    if error.code == "stage_contradiction" and derive_stage(form.get("t_category"),
                                                            form.get("n_category")):
        return Said(_contradiction(form))
    if feature is not None:
        return Said(_("Check %(label)s.", label=in_sentence(spec_text(feature.label))),
                    error.detail)
    return Said(_("Check the values entered."), error.detail)


def warning_text(notice: Notice, form: FormInput) -> Said:
    """The words of one warning of a result, in the page language."""
    feature = BY_NAME.get(notice.field or "")
    if notice.code == "outside_usual_range" and feature is not None and feature.usual:
        unit = used_unit(form, feature)
        low, high = (float(from_canonical(feature.name, b, unit)) for b in feature.usual)
        return Said(_("%(label)s %(value)s %(unit)s is outside the usual range (%(low)s to "
                      "%(high)s %(unit)s). Check the value and the unit.",
                      label=spec_text(feature.label), value=form.get(feature.name),
                      unit=shown_unit(unit), low=_number(low), high=_number(high)))
    texts = {
        "calcium_uncorrected": _("Albumin is missing: calcium was used without albumin "
                                 "correction."),
        "albumin_unused": _("Albumin is used only to correct calcium, and calcium is missing."),
        "value_capped": _("%(label)s above the model's cap counts as the cap (the model gives "
                          "no extra weight above it).", label=label(notice.field or "")),
    }
    if notice.code in texts:
        return Said(texts[notice.code])
    return Said(_("Check this input."), notice.message)


def alert_text(notice: Notice, threshold: str, used: str) -> Said:
    """The words of one alert (its threshold and the value used given as text)."""
    if notice.code == "hypercalcaemia":
        return Said(_("Corrected calcium is %(threshold)s or more: hypercalcaemia is a clinical "
                      "alert in its own right, whatever the model says (calcium used: "
                      "%(used)s).", threshold=threshold, used=used))
    return Said(_("Clinical alert."), notice.message)

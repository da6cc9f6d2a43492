"""riskmodel: the cited literature model of bone-metastasis risk in lung cancer.

Examples
--------
>>> import riskmodel
>>> result = riskmodel.score(riskmodel.Patient(histology="squamous"))
>>> result.model.id, round(result.probability, 4)
('lung-bm-literature', 0.1019)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from .errors import ArtifactError, InvalidInputError, RiskModelError, SpecError
from .explain import assess, assess_many
from .features import FEATURE_NAMES, FEATURES
from .inputs import Patient, Quantity
from .model import Model, ModelRef
from .result import Interval, MissingInput, Notice, Range, Result, TermResult
from .spec import DEFAULT_MODEL, load_builtin_specs

__all__ = [
    "DEFAULT_MODEL", "FEATURES", "FEATURE_NAMES", "ArtifactError", "Interval", "InvalidInputError",
    "MissingInput", "Model", "ModelRef", "Notice", "Patient", "Quantity", "Range", "Result",
    "RiskModelError", "SpecError", "TermResult", "load_model", "score", "score_many",
]
try:  # the one source of the package version: pyproject.toml, through the installed metadata
    __version__ = version("bmrisk")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"


@cache
def load_model(model_id: str = DEFAULT_MODEL, version: str | None = None) -> Model:
    """Load a built-in model by id (newest version unless ``version`` is given), verified."""
    specs = [s for s in load_builtin_specs() if s["id"] == model_id
             and (version is None or s["version"] == version)]
    if not specs:
        wanted = model_id + (f" version {version}" if version else "")
        raise SpecError(f"no built-in model {wanted!r}")
    newest = max(specs, key=lambda s: tuple(int(p) for p in s["version"].split(".")))
    return Model(newest)


def score(patient: Patient, model: Model | None = None) -> Result:
    """Score one patient with ``model`` (the literature model by default) and explain it."""
    return assess(model or load_model(), patient)


def score_many(patients: Iterable[Patient], model: Model | None = None) -> list[Result]:
    """Score several patients, each fully explained."""
    return assess_many(model or load_model(), list(patients))

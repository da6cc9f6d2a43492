"""The models the service offers: built-in specs and verified artifacts, loaded once at boot.

Built in ``create_app`` (before gunicorn forks its workers), so a bad spec or artifact stops the
boot with a message naming the file. Models are addressed by id (newest version) or ``id@version``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import current_app

from riskmodel import DEFAULT_MODEL, ArtifactError, Model, SpecError
from riskmodel.card import model_card
from riskmodel.persistence import load_artifact_dir
from riskmodel.spec import load_builtin_specs

from .errors import field_problem

EXTENSION = "bmrisk.registry"


class BootError(RuntimeError):
    """A model could not be loaded and verified; gunicorn prints the message and exits."""


def _version_key(model: Model) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in model.ref.version.split("."))


class Registry:
    """Models by id and by ``id@version``, with the manifest each came with."""

    def __init__(self, entries: Iterable[tuple[Model, dict[str, Any]]],
                 default_id: str = DEFAULT_MODEL):
        self._exact: dict[str, tuple[Model, dict[str, Any]]] = {}
        for model, manifest in entries:
            key = f"{model.ref.id}@{model.ref.version}"
            if key in self._exact:
                raise BootError(f"model {key} is offered twice ({manifest.get('source')} and "
                                f"{self._exact[key][1].get('source')}); remove one")
            self._exact[key] = (model, manifest)
        self._newest: dict[str, Model] = {}
        for model, _ in sorted(self._exact.values(), key=lambda e: _version_key(e[0])):
            self._newest[model.ref.id] = model
        self._cards: dict[str, dict[str, Any]] = {}
        if default_id not in self._newest:
            raise BootError(f"the default model {default_id!r} is not among the loaded models")
        self.default = self._newest[default_id]

    def get(self, model_id: str | None) -> Model:
        """The model called ``model_id`` (None: the default); unknown ids are a 422 on ``model``."""
        model = self.find(model_id)
        if model is None:
            error = self.unknown(model_id)
            raise field_problem(error["path"], error["message"], error["code"])
        return model

    def find(self, model_id: str | None) -> Model | None:
        """The model called ``model_id`` (None: the default), or None when there is none."""
        if model_id is None:
            return self.default
        if model_id in self._newest:
            return self._newest[model_id]
        entry = self._exact.get(model_id)
        return entry[0] if entry else None

    def unknown(self, model_id: str | None) -> dict[str, str]:
        """The field error for an unknown model id."""
        return {"path": "model", "message": f"no model {model_id!r}; known ids: "
                                            + ", ".join(sorted(self._newest))
                                            + " (GET /v1/models lists them)",
                "code": "unknown_model"}

    def all(self) -> list[Model]:
        """Every model offered (each version), default first, then by id and version."""
        rest = sorted((m for m, _ in self._exact.values() if m is not self.default),
                      key=lambda m: (m.ref.id, _version_key(m)))
        return [self.default, *rest]

    def card(self, model: Model) -> dict[str, Any]:
        """The model card of ``model``, computed once (it takes about half a second)."""
        key = f"{model.ref.id}@{model.ref.version}"
        if key not in self._cards:  # a race computes it twice, with the same result
            self._cards[key] = model_card(model)
        return self._cards[key]

    def manifest(self, model_id: str) -> dict[str, Any]:
        """Where the model came from: its source file and verification facts."""
        model = self.get(model_id)
        return self._exact[f"{model.ref.id}@{model.ref.version}"][1]

    @classmethod
    def load(cls, model_dir: str | None = None) -> Registry:
        """Built-in specs plus the artifacts in ``model_dir``, each verified by SHA-256."""
        try:
            entries = [(Model(spec), _builtin_manifest(spec)) for spec in load_builtin_specs()]
        except SpecError as exc:
            raise BootError(f"cannot start: built-in model spec refused: {exc}") from None
        if model_dir:
            entries += _artifacts(Path(model_dir))
        return cls(entries)


def _builtin_manifest(spec: dict[str, Any]) -> dict[str, Any]:
    return {"source": f"builtin:{spec['id']}@{spec['version']}", "kind": "builtin-spec"}


def _artifacts(directory: Path) -> list[tuple[Model, dict[str, Any]]]:
    try:
        loaded = load_artifact_dir(directory)
    except ArtifactError as exc:
        raise BootError(f"cannot start: model artifact refused: {exc}") from None
    return [(model, {**manifest, "source": f"artifact:{manifest.get('file')}",
                     "kind": "artifact"}) for model, manifest in loaded]


def current() -> Registry:
    """The registry of the current app."""
    registry: Registry = current_app.extensions[EXTENSION]
    return registry

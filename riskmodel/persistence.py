"""Model artifacts: a joblib file plus a JSON manifest carrying its SHA-256, checked before loading.

A joblib (pickle) file can run code when loaded, so the bytes are hashed and compared with the
manifest *before* they are unpickled; a mismatch is refused. Load only artifacts you trust.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from .errors import ArtifactError, SpecError
from .model import Model
from .spec import spec_sha256, validate_spec

ARTIFACT_FORMAT = "bmrisk-artifact/1"
MANIFEST_SUFFIX = ".manifest.json"


def manifest_path(path: str | Path) -> Path:
    """The manifest beside an artifact: ``model.joblib`` -> ``model.joblib.manifest.json``."""
    path = Path(path)
    return path.with_name(path.name + MANIFEST_SUFFIX)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_artifact(spec: dict[str, Any], path: str | Path, extra: dict[str, Any] | None = None,
                  manifest_extra: dict[str, Any] | None = None) -> Path:
    """Save a model spec (and optional extra objects) as a joblib artifact with a manifest.

    Returns the manifest path. The manifest holds the artifact's SHA-256, the spec's id,
    version and hash, library versions, and whatever ``manifest_extra`` adds (provenance).
    """
    validate_spec(spec)
    path = Path(path)
    joblib.dump({"format": ARTIFACT_FORMAT, "spec": spec, "extra": extra or {}}, path)
    manifest = {
        "format": ARTIFACT_FORMAT,
        "file": path.name,
        "sha256": file_sha256(path),
        "model": {"id": spec["id"], "version": spec["version"], "spec_sha256": spec_sha256(spec)},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": _library_versions(),
        **(manifest_extra or {}),
    }
    target = manifest_path(path)
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
    return target


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check the manifest of an artifact."""
    target = manifest_path(path)
    try:
        manifest = json.loads(Path(target).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"artifact manifest {target} is missing or not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARTIFACT_FORMAT \
            or not isinstance(manifest.get("sha256"), str):
        raise ArtifactError(f"artifact manifest {target} is malformed")
    return manifest


def load_artifact(path: str | Path) -> tuple[Model, dict[str, Any]]:
    """Verify an artifact against its manifest, then load it; return (model, manifest).

    Raises ArtifactError, before unpickling, when the file's SHA-256 differs from the manifest.
    """
    path = Path(path)
    manifest = read_manifest(path)
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise ArtifactError(f"cannot read artifact {path}: {exc}") from None
    if actual != manifest["sha256"]:
        raise ArtifactError(f"artifact {path.name} does not match its manifest (sha256 {actual} "
                            f"!= {manifest['sha256']}); refusing to load it")
    try:
        payload = joblib.load(path)
        model = Model(payload["spec"])
    except SpecError as exc:
        raise ArtifactError(f"artifact {path.name} holds a bad spec: {exc}") from None
    except Exception as exc:  # a verified but unreadable file: say so, do not crash the caller
        raise ArtifactError(f"artifact {path.name} cannot be loaded: {exc}") from None
    if model.ref.sha256 != manifest.get("model", {}).get("spec_sha256"):
        raise ArtifactError(f"artifact {path.name}: spec hash differs from its manifest")
    return model, manifest


def load_artifact_dir(directory: str | Path) -> list[tuple[Model, dict[str, Any]]]:
    """Load every ``*.joblib`` artifact in a folder, each verified; any bad one raises."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"model artifact folder {directory} does not exist")
    return [load_artifact(p) for p in sorted(directory.glob("*.joblib"))]


def open_model(ref: str) -> Model:
    """A model by built-in id (``id`` or ``id@version``) or by artifact path (``*.joblib``).

    An artifact is verified against its manifest before it is loaded.

    Examples
    --------
    >>> open_model("lung-bm-literature@1.0.0").ref.version
    '1.0.0'
    """
    from . import load_model

    if ref.endswith(".joblib") or Path(ref).is_file():
        return load_artifact(ref)[0]
    model_id, _, version = ref.partition("@")
    return load_model(model_id, version or None)


def _library_versions() -> dict[str, str]:
    """Versions of the libraries an artifact was made with (read, not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {"riskmodel": __version__, **{name: installed(name) for name in (
        "numpy", "scipy", "scikit-learn", "joblib")}}

"""Model specs as data: load, hash canonically, verify against a manifest.

The structure a spec must have is in :mod:`riskmodel.spec_rules`.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SpecError
from .spec_rules import SPEC_FORMAT, validate_spec

__all__ = ["DEFAULT_MODEL", "SPEC_FORMAT", "builtin_spec_dir", "canonical_bytes",
           "load_builtin_specs", "load_spec_file", "parse_spec", "spec_sha256", "validate_spec"]

DEFAULT_MODEL = "lung-bm-literature"


def canonical_bytes(spec: dict[str, Any]) -> bytes:
    """The canonical form the hash is taken of: sorted keys, no spaces, UTF-8."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def spec_sha256(spec: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical spec."""
    return hashlib.sha256(canonical_bytes(spec)).hexdigest()


def parse_spec(text: str | bytes, expected_sha256: str | None = None) -> dict[str, Any]:
    """Parse spec JSON, validate it, and check its hash when one is expected."""
    try:
        spec = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError(f"model spec is not valid JSON: {exc}") from None
    validate_spec(spec)
    if expected_sha256 is not None and spec_sha256(spec) != expected_sha256:
        raise SpecError(
            f"model spec {spec['id']}@{spec['version']} does not match its manifest: "
            f"sha256 {spec_sha256(spec)} != {expected_sha256}; refusing to load it"
        )
    return spec


def _manifest(directory: Path) -> dict[str, str]:
    path = directory / "manifest.json"
    try:
        return dict(json.loads(path.read_text("utf-8"))["specs"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpecError(f"spec manifest {path} is missing or malformed: {exc}") from None


def load_spec_file(path: str | Path, manifest_dir: str | Path | None = None) -> dict[str, Any]:
    """Load one spec file, verified against ``manifest.json`` in ``manifest_dir``.

    ``manifest_dir`` defaults to the file's own folder.
    """
    path = Path(path)
    manifest = _manifest(Path(manifest_dir) if manifest_dir else path.parent)
    if path.name not in manifest:
        raise SpecError(f"model spec {path.name} is not listed in its manifest; refusing it")
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read model spec {path}: {exc}") from None
    return parse_spec(text, manifest[path.name])


def builtin_spec_dir() -> Path:
    """The folder of the specs shipped inside the package."""
    return Path(str(resources.files("riskmodel") / "specs"))


def load_builtin_specs() -> list[dict[str, Any]]:
    """Every spec shipped in the package, each verified against the manifest."""
    directory = builtin_spec_dir()
    return [load_spec_file(directory / name) for name in sorted(_manifest(directory))]

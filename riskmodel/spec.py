"""Model specs as data: load, check structure, hash canonically, verify against a manifest."""

from __future__ import annotations

import hashlib
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SpecError
from .features import BY_NAME

SPEC_FORMAT = "bmrisk-spec/1"
DEFAULT_MODEL = "lung-bm-literature"
_KINDS = {"binary", "threshold", "linear"}
_REQUIRED_TOP = ("format", "id", "version", "title", "question", "intended_use", "outcome",
                 "baseline", "intercept", "terms", "bands", "interval", "limitations")
_REQUIRED_TERM = ("name", "label", "input", "kind", "rule", "beta", "se", "grade", "citation",
                  "reference")


def canonical_bytes(spec: dict[str, Any]) -> bytes:
    """The canonical form the hash is taken of: sorted keys, no spaces, UTF-8."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def spec_sha256(spec: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical spec."""
    return hashlib.sha256(canonical_bytes(spec)).hexdigest()


def _fail(where: str, why: str) -> None:
    raise SpecError(f"model spec is malformed: {where}: {why}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_term(index: int, term: Any) -> None:
    where = f"terms[{index}]"
    if not isinstance(term, dict):
        _fail(where, "must be an object")
    for key in _REQUIRED_TERM:
        if key not in term:
            _fail(where, f"missing {key!r}")
    if term["kind"] not in _KINDS:
        _fail(f"{where}.kind", f"must be one of {sorted(_KINDS)}")
    if term["input"] not in BY_NAME:
        _fail(f"{where}.input", f"{term['input']!r} is not a known feature")
    for key in ("beta", "se"):
        if not _is_number(term[key]):
            _fail(f"{where}.{key}", "must be a finite number")
    if term["se"] < 0:
        _fail(f"{where}.se", "must not be negative")
    if term["kind"] == "binary" and not isinstance(term.get("fires_when"), dict):
        _fail(where, "a binary term needs 'fires_when'")
    if term["kind"] == "threshold" and not _is_number(term.get("threshold", {}).get("above")):
        _fail(where, "a threshold term needs 'threshold.above'")
    if term["kind"] == "linear" and not _is_number(term.get("cap")):
        _fail(where, "a linear term needs 'cap'")
    ref = term["reference"]
    if "prevalence" in ref:
        if not _is_number(ref["prevalence"]) or not 0 <= ref["prevalence"] <= 1:
            _fail(f"{where}.reference.prevalence", "must be a number in [0, 1]")
    elif not ref.get("distribution"):
        _fail(f"{where}.reference", "needs 'prevalence' or 'distribution'")
    if not ref.get("basis"):
        _fail(f"{where}.reference.basis", "say whether the value is cited or an assumption")


def validate_spec(spec: Any) -> dict[str, Any]:
    """Check a spec's structure and return it; raise SpecError naming the first problem."""
    if not isinstance(spec, dict):
        _fail("spec", "must be a JSON object")
    for key in _REQUIRED_TOP:
        if key not in spec:
            _fail("spec", f"missing {key!r}")
    if spec["format"] != SPEC_FORMAT:
        _fail("format", f"expected {SPEC_FORMAT!r}")
    baseline = spec["baseline"].get("probability")
    if not _is_number(baseline) or not 0 < baseline < 1:
        _fail("baseline.probability", "must be a number strictly between 0 and 1")
    if not isinstance(spec["terms"], list) or not spec["terms"]:
        _fail("terms", "must be a non-empty list")
    for index, term in enumerate(spec["terms"]):
        _check_term(index, term)
    names = [t["name"] for t in spec["terms"]]
    if len(set(names)) != len(names):
        _fail("terms", "term names must be unique")
    intercept = spec["intercept"]
    if intercept.get("method") == "explicit" and not _is_number(intercept.get("value")):
        _fail("intercept.value", "an explicit intercept needs a finite value")
    return spec


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

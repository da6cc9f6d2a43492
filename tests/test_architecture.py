"""The layout's promises: the engine imports only numpy and scipy, imports run one way
between the service's packages, and the service runs without the researcher's libraries."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Who may import whom (prefixes of dotted module names). The app factory, service/__init__.py,
# is the composition root: it names the blueprints as strings and imports nothing of them.
FORBIDDEN = {
    "riskmodel": ("riskmodel.research", "schemas", "service"),
    "riskmodel.research": ("schemas", "service"),
    "schemas": ("service",),
    "service": ("service.api", "service.web", "service.fhir", "service.cds"),
    "service.api": ("service.web", "service.fhir", "service.cds"),
    "service.web": ("service.api", "service.fhir", "service.cds"),
    "service.fhir": ("service.api", "service.web", "service.cds"),
    "service.cds": ("service.api", "service.web"),
}
PACKAGES = sorted(FORBIDDEN, key=len, reverse=True)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, at any depth of the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = (f"{base}.{node.module}" if node.module else base) if node.level \
                else node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def owner(module: str) -> str:
    return next(p for p in PACKAGES if module == p or module.startswith(p + "."))


def sources() -> list[Path]:
    tops = ("riskmodel", "schemas", "service")
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py"))


# The app factory (service/__init__.py) is left out: it is the composition root.
@pytest.mark.parametrize("path", [p for p in sources() if p != ROOT / "service" / "__init__.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path):
    banned = FORBIDDEN[owner(module_name(path))]
    wrong = sorted(m for m in imports_of(path) if m.startswith(banned)
                   and any(m == b or m.startswith(b + ".") for b in banned))
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"


def test_the_rule_catches_a_wrong_import(tmp_path):
    # The check itself is live: a cds module importing the web package is reported.
    assert any(m.startswith("service.web") for m in imports_of_text(
        "service/cds/x.py", "from ..web import labels\nimport service.web.form\n"))


def imports_of_text(relative: str, text: str) -> set[str]:
    path = ROOT / relative
    original = path.read_text("utf-8") if path.exists() else None
    try:
        path.write_text(text, "utf-8")
        return imports_of(path)
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_text(original, "utf-8")


def loaded_after(code: str) -> set[str]:
    """Public top-level packages ``code`` loads in a fresh interpreter: less the standard
    library, what the bare interpreter already loads (site hooks), and private extension
    modules (``_cython_3_2_4``, ``_csparsetools``: parts of the packages that load them)."""
    def top_level(setup: str) -> set[str]:
        probe = (f"import sys\n{setup}\nimport json\n"
                 "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        return set(json.loads(out.splitlines()[-1]))

    found = top_level(code) - top_level("") - set(sys.stdlib_module_names)
    return {m for m in found if not m.startswith("_") and m != "cython_runtime"}


def test_importing_the_engine_loads_numpy_and_scipy_and_nothing_else():
    engine = loaded_after("import riskmodel\nriskmodel.score(riskmodel.Patient("
                          "histology='squamous'))")
    # What numpy and scipy pull in themselves (numpy.f2py may load charset_normalizer).
    scientific = loaded_after("import numpy, scipy.special, scipy.optimize")
    assert {"numpy", "scipy"} <= scientific
    assert engine - scientific == {"riskmodel"}


def test_the_engine_source_imports_only_numpy_scipy_and_joblib():
    allowed = {"numpy", "scipy", "joblib", "riskmodel", *sys.stdlib_module_names}
    for path in (ROOT / "riskmodel").glob("*.py"):
        outside = {m.split(".")[0] for m in imports_of(path)} - allowed
        assert not outside, f"{path.name} imports {outside}"


def test_the_service_runs_without_pandas_statsmodels_or_matplotlib():
    loaded = loaded_after("from service import create_app\napp = create_app()\n"
                          "app.test_client().post('/v1/risk', json={'histology': 'squamous'})")
    assert not loaded & {"pandas", "statsmodels", "matplotlib", "sklearn", "pyarrow"}

"""Packaging checks: the library stays light and the console script is installed."""

import subprocess
import sys
from pathlib import Path


def test_riskmodel_imports_without_web_stack():
    code = (
        "import riskmodel, sys; "
        "assert 'flask' not in sys.modules and 'marshmallow' not in sys.modules, "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'marshmallow'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


def test_bmrisk_console_script_installed():
    script = Path(sys.executable).parent / "bmrisk"
    assert script.exists(), f"{script} missing: run `make venv`"

"""What each worker would otherwise build at its first request is built once at boot, in the
process that creates the app (gunicorn's master, which forks the workers with it): the pages'
templates (some 60 ms at a worker's first page) and the CDS request's URL pattern (some 40 ms
at its first hook call). Checked in a fresh interpreter: a test session has long built both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Creates the app, then records every template and every long pattern compiled while
# it answers its first form page, form POST and CDS Hooks call.
SCRIPT = """
import json, re, sys
from service import create_app

app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1]})
templates, patterns = [], []
compile_template = app.jinja_env.compile
def recording_compile(source, name=None, *args, **kwargs):
    templates.append(name)
    return compile_template(source, name, *args, **kwargs)
app.jinja_env.compile = recording_compile
compile_pattern = re.compile
def recording_pattern(pattern, flags=0):
    if len(str(pattern)) > 200:  # the URL pattern is ~300 characters; small ones are cheap
        patterns.append(len(str(pattern)))
    return compile_pattern(pattern, flags)
re.compile = recording_pattern
client = app.test_client()
PATIENT = {"histology": "adenocarcinoma", "t_category": "T2a", "n_category": "N1",
           "bsp": "negative", "calcium": "2.4", "calcium_unit": "mmol/L", "albumin": "40",
           "albumin_unit": "g/L", "alp": "90", "alp_unit": "U/L", "cea": "3", "cea_unit": "ng/mL"}
page = client.get("/")
token = re.search('name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
statuses = [page.status_code, client.post("/", data={**PATIENT, "csrf_token": token}).status_code,
            client.post("/cds-services/lung-bone-mets-risk", data=open(sys.argv[2]).read(),
                        content_type="application/json").status_code]
print(json.dumps({"statuses": statuses, "templates": templates, "patterns": patterns}))
"""


def test_first_requests_compile_no_template_and_no_url_pattern(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BMRISK_")}
    request = json.loads((ROOT / "tests/fixtures/cds-request-complete.json").read_text("utf-8"))
    (tmp_path / "cds.json").write_text(json.dumps(request["request"]), "utf-8")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'bmrisk.sqlite3'}",
         str(tmp_path / "cds.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200, 200, 200]
    assert found["templates"] == []
    assert found["patterns"] == []

"""The Kubernetes base: rendered, every manifest valid against the Kubernetes API schemas
(offline, kubernetes-validate's bundled schemas), and holding the promises operations rely on."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from service import blueprint_modules
from service.config import settings_of

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "kubernetes"
KUBERNETES = "1.31.0"  # the oldest minor version a site is expected to run; schemas are strict
SECRETS = {"database-url", "api-key-hashes", "cds-jwt-issuers", "audit-key", "secret-key"}


def _renderer() -> Any:
    spec = importlib.util.spec_from_file_location("render", BASE / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _renderer().render


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    return {f"{m['kind']}/{m['metadata']['name']}": m for m in render(BASE)}


def pod_of(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = manifest["spec"]
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


WORKLOADS = ["Deployment/bmrisk", "Job/bmrisk-migrate", "CronJob/bmrisk-audit-purge"]


def test_the_base_has_every_part_a_deployment_needs(manifests):
    assert set(manifests) == {
        "ServiceAccount/bmrisk", "ConfigMap/bmrisk-config", "Deployment/bmrisk",
        "Service/bmrisk", "HorizontalPodAutoscaler/bmrisk", "PodDisruptionBudget/bmrisk",
        "NetworkPolicy/bmrisk", "Job/bmrisk-migrate", "CronJob/bmrisk-audit-purge"}


@pytest.mark.parametrize("name", [
    "ServiceAccount/bmrisk", "ConfigMap/bmrisk-config", "Deployment/bmrisk", "Service/bmrisk",
    "HorizontalPodAutoscaler/bmrisk", "PodDisruptionBudget/bmrisk", "NetworkPolicy/bmrisk",
    "Job/bmrisk-migrate", "CronJob/bmrisk-audit-purge"])
def test_each_manifest_is_valid_against_the_kubernetes_api_schema(manifests, name):
    kubernetes_validate.validate(manifests[name], KUBERNETES, strict=True)


def test_the_validation_catches_a_misspelt_field(manifests):
    broken = yaml.safe_load(yaml.safe_dump(manifests["Deployment/bmrisk"]))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_renderer_refuses_kustomize_features_it_does_not_apply(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\npatches: []\n")
    with pytest.raises(ValueError, match="patches"):
        render(tmp_path)


def test_the_deployment_probes_ready_and_alive_on_the_service_s_paths(manifests):
    [container] = pod_of(manifests["Deployment/bmrisk"])["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])


@pytest.mark.parametrize("name", WORKLOADS)
def test_every_pod_runs_non_root_read_only_and_without_a_token(manifests, name):
    pod = pod_of(manifests[name])
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert container["image"] == "bmrisk:1.0.0"


def test_the_image_runs_its_own_command_and_the_jobs_run_bmrisk_admin(manifests):
    [server] = pod_of(manifests["Deployment/bmrisk"])["containers"]
    assert "command" not in server
    assert "args" not in server
    [migrate] = pod_of(manifests["Job/bmrisk-migrate"])["containers"]
    assert migrate["command"] == ["bmrisk-admin", "db", "upgrade"]
    [purge] = pod_of(manifests["CronJob/bmrisk-audit-purge"])["containers"]
    assert purge["command"] == ["bmrisk-admin", "audit", "purge"]
    assert "bmrisk-admin = \"service.admin:main\"" in (ROOT / "pyproject.toml").read_text()


def test_secrets_come_from_secret_references_never_from_the_manifests(manifests):
    [container] = pod_of(manifests["Deployment/bmrisk"])["containers"]
    referenced = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]
                  if "valueFrom" in e}
    assert referenced == SECRETS
    assert not any(m["kind"] == "Secret" for m in manifests.values())


def test_every_setting_in_the_manifests_is_one_the_service_reads(manifests):

    known = {s.env for s in settings_of(blueprint_modules())}
    known |= {"BMRISK_WORKERS", "BMRISK_THREADS", "BMRISK_TIMEOUT", "BMRISK_MAX_REQUESTS"}
    text = "\n".join(p.read_text("utf-8") for p in BASE.glob("*.yaml"))
    assert set(re.findall(r"\bBMRISK_[A-Z_]+", text)) <= known


def test_service_pdb_and_hpa_select_the_deployment_s_pods(manifests):
    pods = manifests["Deployment/bmrisk"]["spec"]["template"]["metadata"]["labels"]
    for selector in (manifests["Service/bmrisk"]["spec"]["selector"],
                     manifests["PodDisruptionBudget/bmrisk"]["spec"]["selector"]["matchLabels"],
                     manifests["NetworkPolicy/bmrisk"]["spec"]["podSelector"]["matchLabels"]):
        assert selector.items() <= pods.items()
    target = manifests["HorizontalPodAutoscaler/bmrisk"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "bmrisk")
    assert manifests["HorizontalPodAutoscaler/bmrisk"]["spec"]["minReplicas"] >= 2

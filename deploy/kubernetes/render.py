"""Render this kustomize base as `kubectl kustomize` would, for the subset it uses.

Neither kustomize nor helm is packaged for Debian or PyPI, so the tests render the base with
this step and validate every manifest offline. It supports `resources` (files), `namespace`,
`labels` (metadata only, not selectors) and `images` (newName/newTag), and refuses anything
else, so the base cannot drift into features this step would silently ignore.

    python deploy/kubernetes/render.py [folder] > bmrisk.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "labels", "images", "resources"}
CLUSTER_WIDE = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def render(folder: Path) -> list[dict[str, Any]]:
    """The base's manifests, with the kustomization's namespace, labels and images applied."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise ValueError(f"kustomization fields this renderer does not apply: {sorted(unknown)}")
    manifests = [doc for name in kustomization["resources"]
                 for doc in yaml.safe_load_all((folder / name).read_text("utf-8")) if doc]
    labels = {k: v for entry in kustomization.get("labels", [])
              for k, v in entry["pairs"].items()}
    for manifest in manifests:
        metadata = manifest.setdefault("metadata", {})
        if manifest["kind"] not in CLUSTER_WIDE and "namespace" in kustomization:
            metadata["namespace"] = kustomization["namespace"]
        metadata["labels"] = {**metadata.get("labels", {}), **labels}
        for container in _containers(manifest):
            container["image"] = _image(container["image"], kustomization.get("images", []))
    return manifests


def _containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    spec = manifest.get("spec", {})
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec.get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _image(image: str, images: list[dict[str, str]]) -> str:
    name, _, tag = image.partition(":")
    for entry in images:
        if entry["name"] == name:
            return f"{entry.get('newName', name)}:{entry.get('newTag', tag or 'latest')}"
    return image


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path(__file__).parent
    yaml.safe_dump_all(render(folder), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Both versions of the literature model are listed and scorable by ``id@version``."""

from __future__ import annotations


def test_both_versions_are_listed_with_2_0_0_the_default(client):
    listed = client.get("/v1/models").get_json()["models"]
    assert [(m["id"], m["version"], m["default"]) for m in listed] == [
        ("lung-bm-literature", "2.0.0", True), ("lung-bm-literature", "1.0.0", False)]


def test_each_version_scores_when_asked_by_id_and_version(client):
    found = {}
    for model in ("lung-bm-literature@1.0.0", "lung-bm-literature@2.0.0", None):
        body = {"histology": "adenocarcinoma", "stage": "IA"}
        if model:
            body["model"] = model
        scored = client.post("/v1/risk", json=body).get_json()
        found[model] = (scored["model"]["version"], scored["probability"])
    assert found["lung-bm-literature@1.0.0"][0] == "1.0.0"
    assert found["lung-bm-literature@2.0.0"] == found[None]
    assert found[None][0] == "2.0.0"
    assert found[None][1] < found["lung-bm-literature@1.0.0"][1]  # IA rules out T4 and N3

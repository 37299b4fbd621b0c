"""Lab 05's rolling update to the broken 2.5.0: it stalls with the old pods still serving,
is reported after the progress deadline, and `rollout undo` recovers."""

from __future__ import annotations

import json

from scenario_kubectl import Lab

SOLUTION = "labs/05-rolling-updates/solution/deployment.yaml"
SERVICE = "manifests/inference/service.yaml"
VERSION = "/api/v1/namespaces/lab/services/inference-service:8080/proxy/version"
DEADLINE = 60  # progressDeadlineSeconds in the lab's solution manifest


def _progressing(lab: Lab) -> dict:
    deploy = lab.get_json("deployment", "inference-service")
    conditions = {c["type"]: c for c in deploy["status"].get("conditions", [])}
    return conditions.get("Progressing", {})


def _images(rows: list[dict]) -> set[str]:
    return {c["image"] for p in rows for c in p["spec"]["containers"]}


def test_a_bad_release_stalls_the_rollout_and_undo_recovers(lab: Lab) -> None:
    lab.apply(SOLUTION, SERVICE)
    lab.kubectl(
        "rollout", "status", "deployment/inference-service", f"--timeout={lab.wall(60):.0f}s"
    )
    old = {r["NAME"] for r in lab.ready_running(3)}
    assert len(old) == 3

    lab.kubectl(
        "set", "image", "deployment/inference-service", "model-server=kubelab/inference:2.5.0"
    )

    # the surge pod runs but never becomes ready; maxUnavailable 0 keeps all three old ones
    def stalled() -> list[dict[str, str]]:
        rows = lab.pod_rows()
        new = [r for r in rows if r["NAME"] not in old]
        return rows if len(rows) == 4 and len(new) == 1 and new[0]["STATUS"] == "Running" else []

    rows = lab.wait_for(stalled, timeout=lab.wall(30), what="a 4th pod Running beside the 3 old")
    new = next(r for r in rows if r["NAME"] not in old)
    assert new["READY"] == "0/1"
    assert all(r["READY"] == "1/1" for r in rows if r["NAME"] in old)
    version = json.loads(lab.kubectl("get", "--raw", VERSION).stdout)
    assert version["version"] == "2.4.0", "the old pods keep serving through the Service"

    status = lab.kubectl(
        "rollout",
        "status",
        "deployment/inference-service",
        f"--timeout={lab.wall(DEADLINE * 3):.0f}s",
        check=False,
    )
    assert status.returncode != 0
    assert 'error: deployment "inference-service" exceeded its progress deadline' in status.stderr
    progressing = _progressing(lab)
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert json.loads(lab.kubectl("get", "--raw", VERSION).stdout)["version"] == "2.4.0"
    assert len([r for r in lab.pod_rows() if r["READY"] == "1/1"]) == 3

    undo = lab.kubectl("rollout", "undo", "deployment/inference-service")
    assert "deployment.apps/inference-service rolled back" in undo.stdout
    done = lab.kubectl(
        "rollout", "status", "deployment/inference-service", f"--timeout={lab.wall(120):.0f}s"
    )
    assert 'deployment "inference-service" successfully rolled out' in done.stdout
    # the 2.5.0 pod is scaled away (and gone once its grace period ends)
    rows = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="only the 3 old pods left"
    )
    assert {r["NAME"] for r in rows} == old, "undo scales the old ReplicaSet's pods back in"
    assert _images(lab.live_pods()) == {"kubelab/inference:2.4.0"}
    assert json.loads(lab.kubectl("get", "--raw", VERSION).stdout)["version"] == "2.4.0"

"""ReplicationControllers are served as kube-controller-manager serves them: the replication
controller (the ReplicaSet controller over a map selector) creates, scales and reports."""

from __future__ import annotations

import json

from scenario_kubectl import Lab

RC = {
    "apiVersion": "v1",
    "kind": "ReplicationController",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 3,
        "selector": {"app": "web"},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [
                    {"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}
                ],
            },
        },
    },
}


def test_a_replication_controller_runs_scales_and_reports_its_pods(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=json.dumps(RC))
    try:
        lab.wait_for(
            lambda: lab.ready_running(3, "app=web"), timeout=lab.wall(60), what="3 web pods"
        )
        row = lab.wait_for(
            lambda: (r := lab.table("rc", "web")[0])["READY"] == "3" and r,
            timeout=lab.wall(30),
            what="the RC's READY column at 3",
        )
        assert (row["DESIRED"], row["CURRENT"]) == ("3", "3")
        pod = lab.live_pods("app=web")[0]
        owner = pod["metadata"]["ownerReferences"][0]
        assert (owner["apiVersion"], owner["kind"], owner["name"], owner["controller"]) == (
            "v1",
            "ReplicationController",
            "web",
            True,
        )
        events = lab.get_json("events", "--field-selector", "involvedObject.name=web")["items"]
        created = [e for e in events if e["reason"] == "SuccessfulCreate"]
        assert len(created) == 3
        assert created[0]["source"]["component"] == "replication-controller"
        assert created[0]["message"].startswith("Created pod: web-")

        lab.kubectl("scale", "rc", "web", "--replicas=1")
        lab.wait_for(
            lambda: len(lab.live_pods("app=web")) == 1,
            timeout=lab.wall(60),
            what="one pod left after scaling to 1",
        )
        status = lab.wait_for(
            lambda: (st := lab.get_json("rc", "web")["status"])["replicas"] == 1 and st,
            timeout=lab.wall(30),
            what="status.replicas to follow",
        )
        assert status["observedGeneration"] == 2
    finally:
        lab.kubectl("delete", "rc", "web", "--ignore-not-found", "--wait=false")
    lab.wait_for(
        lambda: not lab.live_pods("app=web"),
        timeout=lab.wall(60),
        what="the RC's pods to go with it",
    )

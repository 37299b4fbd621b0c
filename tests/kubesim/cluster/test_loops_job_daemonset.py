"""The job and daemonset controllers running live over an in-process Api, with the
scheduler. No kubelet runs: the tests write pod phases and readiness by hand."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from _loops_helpers import NODES, WORKERS, Lab, running_lab, settle

from kubesim.apiserver.api import WriteOptions

Obj = dict[str, Any]
CONTROLLERS = ("job", "daemonset", "garbagecollector")


def job(name: str = "loadgen", **spec: Any) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            **spec,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "loadgen",
                            "image": "kubelab/inference:2.4.0",
                            "command": ["python3", "-m", "inference.loadgen"],
                        }
                    ],
                }
            },
        },
    }


def daemonset(name: str, *, tolerate_all: bool) -> Obj:
    spec: Obj = {
        "hostNetwork": True,
        "containers": [{"name": name, "image": "registry.k8s.io/kube-proxy:v1.37.0"}],
    }
    if tolerate_all:
        spec["tolerations"] = [{"operator": "Exists"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": name}},
            "template": {"metadata": {"labels": {"k8s-app": name}}, "spec": spec},
        },
    }


def finish_pod(lab: Lab, pod: Obj, *, phase: str) -> None:
    """What a kubelet writes when the container exits (0: Succeeded, else Failed)."""
    now = lab.api.clock.rfc3339()
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    body = copy.deepcopy(lab.api.get(lab.res("pods"), ns, name))
    code = 0 if phase == "Succeeded" else 1
    body["status"].update(
        phase=phase,
        conditions=[
            {"type": t, "status": "False", "lastProbeTime": None, "lastTransitionTime": now}
            for t in ("Ready", "ContainersReady")
        ],
        containerStatuses=[
            {
                "name": "loadgen",
                "image": "kubelab/inference:2.4.0",
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": {
                    "terminated": {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": now,
                        "finishedAt": now,
                    }
                },
            }
        ],
    )
    lab.api.update(
        lab.res("pods"), ns, name, body, subresource="status", options=WriteOptions("kubelet")
    )


def job_pods(lab: Lab, name: str = "loadgen") -> list[Obj]:
    return [
        p
        for p in lab.list("pods")
        if any(r.get("name") == name for r in p["metadata"].get("ownerReferences") or [])
    ]


def conditions(obj: Obj | None) -> dict[str, Obj]:
    return {c["type"]: c for c in ((obj or {}).get("status") or {}).get("conditions") or []}


async def test_job_of_two_completions_completes_once_both_pods_succeed(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS) as lab:
        lab.create("jobs", job(completions=2, parallelism=2), group="batch")
        pods = await settle(lambda: job_pods(lab) if len(job_pods(lab)) == 2 else [])
        for p in pods:
            md = p["metadata"]
            assert md["name"].startswith("loadgen-")
            assert md["labels"]["batch.kubernetes.io/job-name"] == "loadgen"
            assert md["labels"]["job-name"] == "loadgen"
            assert md["finalizers"] == ["batch.kubernetes.io/job-tracking"]
            assert md["ownerReferences"][0]["kind"] == "Job"
            assert md["ownerReferences"][0]["controller"] is True
        running = await settle(lambda: (lab.get("jobs", "loadgen", "batch") or {}).get("status"))
        assert running["startTime"]
        for p in pods:
            finish_pod(lab, p, phase="Succeeded")

        def complete() -> Obj | None:
            j = lab.get("jobs", "loadgen", "batch")
            return j if "Complete" in conditions(j) else None

        done = await settle(complete)
        conds = conditions(done)
        assert (conds["SuccessCriteriaMet"]["reason"], conds["Complete"]["reason"]) == (
            "CompletionsReached",
            "CompletionsReached",
        )
        assert conds["Complete"]["message"] == "Reached expected number of succeeded pods"
        st = done["status"]
        assert st["succeeded"] == 2 and "active" not in st and st["ready"] == 0
        assert st["completionTime"] and st["uncountedTerminatedPods"] == {}
        completed = await settle(lambda: lab.events("Completed"))
        assert completed[0]["message"] == "Job completed"
        created = lab.events("SuccessfulCreate")
        assert sorted(e["message"] for e in created) == sorted(
            f"Created pod: {p['metadata']['name']}" for p in pods
        )
        left = job_pods(lab)  # finished Jobs keep their pods, no longer tracked
        assert len(left) == 2 and not any(p["metadata"].get("finalizers") for p in left)


async def test_failing_job_reaches_backoff_limit_exceeded(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS, scale=200.0) as lab:
        lab.create("jobs", job(backoffLimit=1), group="batch")
        first = await settle(lambda: job_pods(lab))
        finish_pod(lab, first[0], phase="Failed")
        # the replacement comes after the 10 s back-off (cluster time)
        second = await settle(
            lambda: [p for p in job_pods(lab) if p["status"].get("phase") != "Failed"]
        )
        finish_pod(lab, second[0], phase="Failed")

        def failed() -> Obj | None:
            j = lab.get("jobs", "loadgen", "batch")
            return j if "Failed" in conditions(j) else None

        done = await settle(failed)
        conds = conditions(done)
        assert conds["FailureTarget"]["reason"] == "BackoffLimitExceeded"
        assert (conds["Failed"]["reason"], conds["Failed"]["message"]) == (
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        )
        assert done["status"]["failed"] == 2 and "completionTime" not in done["status"]
        warning = await settle(lambda: lab.events("BackoffLimitExceeded"))
        assert warning[0]["type"] == "Warning"
        assert len(job_pods(lab)) == 2  # no third attempt


async def test_job_past_its_deadline_fails_and_its_running_pod_is_deleted(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS, scale=200.0) as lab:
        # 200 simulated seconds are 1 s of real time: long enough that the pod exists before
        # the deadline on a loaded machine (a job already past its deadline at its first
        # sync fails without ever creating a pod, and this test would see no pod to delete)
        lab.create("jobs", job(activeDeadlineSeconds=200), group="batch")
        await settle(lambda: job_pods(lab))

        def failed() -> Obj | None:
            j = lab.get("jobs", "loadgen", "batch")
            return j if "Failed" in conditions(j) else None

        done = await settle(failed)
        assert conditions(done)["Failed"]["reason"] == "DeadlineExceeded"
        assert conditions(done)["Failed"]["message"] == (
            "Job was active longer than specified deadline"
        )
        assert done["status"]["failed"] == 1
        deleted = await settle(lambda: lab.events("SuccessfulDelete"))
        assert deleted[0]["message"].startswith("Deleted pod: loadgen-")
        await settle(lambda: not job_pods(lab))  # finalizer released, pod gone


async def test_finished_job_with_ttl_is_deleted_with_its_pods(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS, scale=200.0) as lab:
        lab.create("jobs", job(ttlSecondsAfterFinished=5), group="batch")
        pods = await settle(lambda: job_pods(lab))
        finish_pod(lab, pods[0], phase="Succeeded")
        await settle(lambda: lab.get("jobs", "loadgen", "batch") is None)
        await settle(lambda: not job_pods(lab))


async def test_daemonset_tolerating_everything_gets_one_bound_pod_per_node(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS) as lab:
        lab.create(
            "daemonsets", daemonset("kube-proxy", tolerate_all=True), group="apps", ns="kube-system"
        )

        def bound() -> list[Obj]:
            pods = [p for p in lab.list("pods", ns="kube-system") if p["spec"].get("nodeName")]
            return pods if len(pods) == 3 else []

        pods = await settle(bound)
        assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(NODES)
        for p in pods:
            pinned = p["spec"]["affinity"]["nodeAffinity"][
                "requiredDuringSchedulingIgnoredDuringExecution"
            ]["nodeSelectorTerms"]
            assert pinned == [
                {
                    "matchFields": [
                        {
                            "key": "metadata.name",
                            "operator": "In",
                            "values": [p["spec"]["nodeName"]],
                        }
                    ]
                }
            ]
            assert p["metadata"]["labels"]["pod-template-generation"] == "1"
            assert p["metadata"]["labels"]["controller-revision-hash"]
        revisions = lab.list("controllerrevisions", "apps", ns="kube-system")
        assert len(revisions) == 1 and revisions[0]["revision"] == 1
        hash_ = pods[0]["metadata"]["labels"]["controller-revision-hash"]
        assert revisions[0]["metadata"]["name"] == f"kube-proxy-{hash_}"
        for i, p in enumerate(pods):
            lab.set_pod_ready(p, f"172.18.0.{i + 2}")

        def all_ready() -> Obj | None:
            ds = lab.get("daemonsets", "kube-proxy", "apps", ns="kube-system") or {}
            return ds if (ds.get("status") or {}).get("numberReady") == 3 else None

        ds = await settle(all_ready)
        st = ds["status"]
        assert (st["desiredNumberScheduled"], st["currentNumberScheduled"]) == (3, 3)
        assert (st["updatedNumberScheduled"], st["numberAvailable"]) == (3, 3)
        assert st["numberMisscheduled"] == 0 and "numberUnavailable" not in st
        assert st["observedGeneration"] == 1
        assert len(lab.events("SuccessfulCreate", ns="kube-system")) == 3


async def test_daemonset_without_tolerations_skips_the_control_plane(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS) as lab:
        lab.create(
            "daemonsets", daemonset("agent", tolerate_all=False), group="apps", ns="kube-system"
        )

        def placed() -> Obj | None:
            ds = lab.get("daemonsets", "agent", "apps", ns="kube-system") or {}
            return ds if (ds.get("status") or {}).get("currentNumberScheduled") == 2 else None

        ds = await settle(placed)
        assert ds["status"]["desiredNumberScheduled"] == 2
        pods = await settle(
            lambda: (
                [p for p in lab.list("pods", ns="kube-system") if p["spec"].get("nodeName")]
                if len([p for p in lab.list("pods", ns="kube-system") if p["spec"].get("nodeName")])
                == 2
                else []
            )
        )
        assert {p["spec"]["nodeName"] for p in pods} == WORKERS

"""Lab 11's `pressure` exercise graded against the cluster states a learner can leave.

A memory hog left on longer than the kubelet's 5 min transition period makes a second
round: the condition clears, batch-report's replacement comes back onto the node, memory
runs short again, and the kubelet evicts again, this time perhaps the cache (a new pod has
no stats yet, so it is not ranked as over its request). CI's notebook run met it once,
under load, on the virtual clock; a learner who reads slowly meets it on kind. Those later
evictions are not the learner's ranking: what the exercise grades is the first round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from checker_fakeapi import FakeApi

from checker import load_lab, run_exercise

LAB = load_lab(Path(__file__).resolve().parents[2] / "labs" / "11-node-pressure" / "lab.yaml")
NS = LAB.namespace
LOW = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. "


def pod(name: str, app: str, *, priority: int, started: str, evicted: bool, qos: str) -> dict:
    state: dict[str, Any] = (
        {"terminated": {"exitCode": 137, "startedAt": started, "finishedAt": started}}
        if evicted
        else {"running": {"startedAt": started}}
    )
    status: dict[str, Any] = {
        "phase": "Failed" if evicted else "Running",
        "qosClass": qos,
        "containerStatuses": [{"name": "cache" if app == "model-cache" else app, "state": state}],
    }
    if evicted:
        status |= {"reason": "Evicted", "message": LOW + "Container ... was using more."}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": app}},
        "spec": {"nodeName": "kubelab-worker", "priority": priority, "containers": []},
        "status": status,
    }


def cache(name: str, started: str, *, evicted: bool, priority: int = 100000) -> dict:
    """A model-cache pod (Burstable: 32Mi requested, about 160Mi used) on kubelab-worker."""
    return pod(
        name, "model-cache", priority=priority, started=started, evicted=evicted, qos="Burstable"
    )


def event(name: str, pod_name: str, reason: str, at: str, component: str, message: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NS},
        "type": "Warning",
        "reason": reason,
        "message": message,
        "source": {"component": component, "host": "kubelab-worker"},
        "involvedObject": {"kind": "Pod", "name": pod_name, "namespace": NS},
        "firstTimestamp": at,
        "lastTimestamp": at,
    }


def evicted(pod_name: str, at: str) -> dict:
    return event(f"{pod_name}.evicted", pod_name, "Evicted", at, "kubelet", LOW)


FIRST_ROUND = [
    cache("model-cache-a", "2026-12-06T04:05:00Z", evicted=False),
    pod(
        "batch-report-a",
        "batch-report",
        priority=0,
        started="2026-12-06T04:01:00Z",
        evicted=True,
        qos="BestEffort",
    ),
    evicted("batch-report-a", "2026-12-06T04:10:36Z"),
    event(
        "batch-report-b.failed",
        "batch-report-b",
        "FailedScheduling",
        "2026-12-06T04:10:37Z",
        "default-scheduler",
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node.kubernetes.io/memory-pressure: }.",
    ),
]


def grade(fake_api: FakeApi, client, objects: list[dict]) -> dict[str, str]:
    fake_api.objects.extend(objects)
    result = run_exercise(client, LAB, "pressure", wait=False)
    return {c.name: c.status for c in result.checks}


def test_the_first_round_as_the_notebook_shows_it_grades_in_full(fake_api: FakeApi, client):
    assert set(grade(fake_api, client, FIRST_ROUND).values()) == {"passed"}


def test_a_second_round_after_the_transition_period_costs_the_learner_nothing(
    fake_api: FakeApi, client
):
    """The cache started at 04:05 and evicted at 04:16, after the report (04:10:36); its
    replacement evicted too: the round the hog made when it outlived the condition."""
    first_cache = cache("model-cache-a", "2026-12-06T04:05:00Z", evicted=True)
    later = [
        first_cache,
        *FIRST_ROUND[1:],
        evicted("model-cache-a", "2026-12-06T04:15:55Z"),
        cache("model-cache-b", "2026-12-06T04:15:57Z", evicted=True),
        evicted("model-cache-b", "2026-12-06T04:16:19Z"),
        cache("model-cache-c", "2026-12-06T04:21:30Z", evicted=False),
    ]
    assert set(grade(fake_api, client, later).values()) == {"passed"}


@pytest.mark.parametrize("cache_priority", [0, 100000])
def test_a_cache_evicted_before_the_report_fails_the_guard(
    fake_api: FakeApi, client, cache_priority: int
):
    """Without the class the kubelet picks the cache first (further over its request);
    whatever its priority, a cache evicted first is not the ranking the exercise teaches."""
    first = cache("model-cache-a", "2026-12-06T04:05:00Z", evicted=True, priority=cache_priority)
    states = [first, *FIRST_ROUND[1:], evicted("model-cache-a", "2026-12-06T04:10:26Z")]
    graded = grade(fake_api, client, states)
    assert graded["cache-not-evicted"] == "failed"


def test_a_cache_evicted_while_the_report_never_was_fails_the_guard(fake_api: FakeApi, client):
    first = cache("model-cache-a", "2026-12-06T04:05:00Z", evicted=True, priority=0)
    graded = grade(fake_api, client, [first, evicted("model-cache-a", "2026-12-06T04:10:26Z")])
    assert graded["cache-not-evicted"] == "failed"
    assert graded["batch-report-evicted"] == "failed"


def test_nothing_broken_yet_fails_the_exercise_but_not_its_guards(fake_api: FakeApi, client):
    graded = grade(fake_api, client, [FIRST_ROUND[0]])
    assert graded["cache-not-evicted"] == "passed"
    assert graded["priority-spared-the-cache"] == "failed"
    assert graded["batch-report-evicted"] == "failed"

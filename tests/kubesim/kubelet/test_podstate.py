"""Pod status derived from container records follows the kubelet's rules."""

from __future__ import annotations

import pytest

from kubesim.apiserver.meta import qos_class
from kubesim.kubelet._podstate import (
    ContainerRecord,
    conditions,
    crashloop_message,
    initialized_prefix,
    phase,
    pod_initialized,
    restart_delay,
    should_restart,
    stopped_state,
)

POD = {"metadata": {"name": "web-1", "namespace": "lab", "uid": "u-1"}, "spec": {"containers": []}}


def _pod(policy: str = "Always") -> dict:
    return {**POD, "spec": {"restartPolicy": policy, "containers": []}}


def _rec(state: dict, last: dict | None = None, ready: bool = False) -> ContainerRecord:
    return ContainerRecord(name="c", image="i", state=state, last_state=last or {}, ready=ready)


RUNNING = {"running": {"startedAt": "t"}}
WAITING = {"waiting": {"reason": "ContainerCreating"}}
CRASHLOOP = {"waiting": {"reason": "CrashLoopBackOff"}}
TERM = {"terminated": {"exitCode": 1, "reason": "Error"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}


@pytest.mark.parametrize(
    "policy, states, want",
    [
        pytest.param("Always", [(WAITING, None)], "Pending", id="creating-is-pending"),
        pytest.param("Always", [(RUNNING, None)], "Running", id="running"),
        pytest.param("Always", [(CRASHLOOP, TERM)], "Running", id="crashloop-is-still-running"),
        pytest.param("Never", [(TERM, None)], "Failed", id="never-failed"),
        pytest.param("Never", [(DONE, None)], "Succeeded", id="never-succeeded"),
        pytest.param("OnFailure", [(DONE, None)], "Succeeded", id="onfailure-succeeded"),
        pytest.param("Always", [(RUNNING, None), (WAITING, None)], "Pending", id="one-waiting"),
    ],
)
def test_phase_follows_get_phase(policy, states, want):
    assert (
        phase(_pod(policy), [_rec(s, {"terminated": last} if last else None) for s, last in states])
        == want
    )


KILLED = {"terminated": {"exitCode": 137, "reason": "Error"}}
UNKNOWN = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown"}}


@pytest.mark.parametrize(
    "policy, states, running, stopped",
    [
        pytest.param("Always", [DONE], "Running", "Succeeded", id="exited-0-on-sigterm"),
        pytest.param("Always", [KILLED], "Running", "Failed", id="killed-at-grace-end"),
        pytest.param("Always", [DONE, KILLED], "Running", "Failed", id="one-failure-fails-it"),
        pytest.param("OnFailure", [TERM], "Running", "Failed", id="a-failure-not-retried"),
        pytest.param("Always", [WAITING], "Pending", "Failed", id="never-started"),
        pytest.param("Never", [DONE], "Succeeded", "Succeeded", id="already-succeeded"),
    ],
)
def test_a_deleted_pod_that_stopped_ends_in_a_terminal_phase(policy, states, running, stopped):
    """Since 1.27 (getPhase's podIsTerminal, TerminatePod): never Running or Pending."""
    records = [_rec(s) for s in states]
    assert phase(_pod(policy), records) == running
    assert phase(_pod(policy), records, terminal=True) == stopped


def test_a_static_pods_mirror_keeps_its_phase_when_stopped():
    mirror = {
        **_pod(),
        "metadata": {**POD["metadata"], "annotations": {"kubernetes.io/config.mirror": "abc"}},
    }
    assert phase(mirror, [_rec(KILLED)], terminal=True) == "Running"


@pytest.mark.parametrize(
    "state, last, exit_code, want",
    [
        pytest.param(RUNNING, {}, 143, {"exitCode": 143, "reason": "Error"}, id="its-kill"),
        pytest.param(RUNNING, {}, 0, {"exitCode": 0, "reason": "Completed"}, id="clean-exit"),
        pytest.param(CRASHLOOP, TERM, None, TERM["terminated"], id="backing-off-its-last-exit"),
        pytest.param(WAITING, {}, None, UNKNOWN["terminated"], id="never-ran-unknown"),
        pytest.param(RUNNING, {}, None, UNKNOWN["terminated"], id="no-exit-seen-unknown"),
        pytest.param(TERM, {}, 0, TERM["terminated"], id="already-ended-kept"),
    ],
)
def test_stopped_state_is_how_each_container_ended(state, last, exit_code, want):
    got = stopped_state(state, last, exit_code=exit_code, reason=None, now="t2", container_id="x")
    ended = got["terminated"]
    assert {k: ended[k] for k in want} == want
    if state is RUNNING and exit_code is not None:
        assert (ended["startedAt"], ended["finishedAt"], ended["containerID"]) == ("t", "t2", "x")


def test_a_stopped_deleted_pod_is_not_ready_and_its_sandbox_is_gone():
    got = {
        c["type"]: c
        for c in conditions(_pod(), [_rec(KILLED)], now="t", sandbox_ready=False, terminal=True)
    }
    assert got["Ready"]["status"] == got["ContainersReady"]["status"] == "False"
    assert got["Ready"]["reason"] == got["ContainersReady"]["reason"] == "PodFailed"
    assert got["PodReadyToStartContainers"]["status"] == "False"
    clean = conditions(_pod(), [_rec(DONE)], now="t", sandbox_ready=False, terminal=True)
    assert {c["type"]: c.get("reason") for c in clean}["Ready"] == "PodCompleted"


def test_restart_back_off_doubles_to_five_minutes_then_resets():
    delays, backoff = [], 0.0
    for _ in range(8):
        delay, backoff = restart_delay(backoff, ran_for=1)
        delays.append(delay)
    assert delays == [0, 10, 20, 40, 80, 160, 300, 300]
    assert restart_delay(300, ran_for=601) == (0, 10)


@pytest.mark.parametrize(
    "policy, code, want",
    [
        ("Always", 0, True),
        ("Always", 1, True),
        ("OnFailure", 0, False),
        ("OnFailure", 2, True),
        ("Never", 1, False),
    ],
)
def test_restart_policy(policy, code, want):
    assert should_restart(policy, code) is want


def test_crashloop_message_names_container_and_pod():
    assert crashloop_message(20, "model-server", POD) == (
        "back-off 20s restarting failed container=model-server pod=web-1_lab(u-1)"
    )
    assert crashloop_message(300, "c", POD).startswith("back-off 5m0s ")


def test_unready_container_makes_ready_false_with_the_kubelet_message():
    conds = {
        c["type"]: c for c in conditions(_pod(), [_rec(RUNNING)], now="T1", sandbox_ready=True)
    }
    assert conds["Ready"]["status"] == "False"
    assert conds["Ready"]["reason"] == "ContainersNotReady"
    assert conds["Ready"]["message"] == "containers with unready status: [c]"
    assert conds["PodReadyToStartContainers"]["status"] == "True"


def test_transition_time_moves_only_when_status_changes():
    pod = _pod()
    pod["status"] = {"conditions": conditions(pod, [_rec(RUNNING)], now="T1", sandbox_ready=True)}
    same = {c["type"]: c for c in conditions(pod, [_rec(RUNNING)], now="T2", sandbox_ready=True)}
    assert same["Ready"]["lastTransitionTime"] == "T1"
    flipped = {
        c["type"]: c
        for c in conditions(pod, [_rec(RUNNING, ready=True)], now="T3", sandbox_ready=True)
    }
    assert flipped["Ready"]["lastTransitionTime"] == "T3" and flipped["Ready"]["status"] == "True"


@pytest.mark.parametrize(
    "resources, want",
    [
        ({}, "BestEffort"),
        (
            {
                "requests": {"cpu": "100m", "memory": "64Mi"},
                "limits": {"cpu": "100m", "memory": "64Mi"},
            },
            "Guaranteed",
        ),
        ({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
        ({"requests": {"cpu": "100m"}, "limits": {"cpu": "500m", "memory": "256Mi"}}, "Burstable"),
    ],
)
def test_qos_class(resources, want):
    pod = {"spec": {"containers": [{"name": "c", "resources": resources}]}}
    assert qos_class(pod) == want


INITIALIZING = {"waiting": {"reason": "PodInitializing"}}
FAILED = {"terminated": {"exitCode": 1, "reason": "Error"}}
COMPLETED = {"terminated": {"exitCode": 0, "reason": "Completed"}}


@pytest.mark.parametrize(
    "policy, init_state, init_last, want",
    [
        pytest.param("Always", RUNNING, None, "Pending", id="init-running-is-pending"),
        pytest.param("Never", FAILED, None, "Failed", id="init-failed-under-never-fails-pod"),
        pytest.param("OnFailure", FAILED, None, "Pending", id="init-failed-is-retried"),
        pytest.param(
            "Always", CRASHLOOP, {"terminated": {"exitCode": 1}}, "Pending", id="init-backoff"
        ),
        pytest.param("Always", COMPLETED, None, "Pending", id="init-done-containers-waiting"),
    ],
)
def test_phase_with_init_containers_follows_get_phase(policy, init_state, init_last, want):
    init = ContainerRecord(name="init", image="i", state=init_state, last_state=init_last or {})
    assert phase(_pod(policy), [_rec(INITIALIZING)], [init]) == want


def test_initialized_condition_names_the_incomplete_init_containers():
    done = ContainerRecord(name="fetch", image="i", state=COMPLETED, ready=True)
    running = ContainerRecord(name="migrate", image="i", state=RUNNING)
    got = conditions(
        _pod(), [_rec(INITIALIZING)], now="t", sandbox_ready=True, init_records=[done, running]
    )
    initialized = next(c for c in got if c["type"] == "Initialized")
    assert (initialized["status"], initialized["reason"], initialized["message"]) == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [migrate]",
    )


def test_a_pod_deleted_before_it_initialized_keeps_what_never_started_waiting() -> None:
    """TerminatePod: regular containers only once the pod initialized; init containers up to
    the last one that started (at least the first)."""
    init = [
        ContainerRecord(name="a", image="i", state=DONE),
        ContainerRecord(name="b", image="i", state=RUNNING),
        ContainerRecord(name="c", image="i", state=WAITING),
    ]
    assert not pod_initialized([_rec(WAITING)], init)
    assert initialized_prefix(init) == 2
    assert initialized_prefix([ContainerRecord(name="a", image="i", state=WAITING)]) == 1
    assert pod_initialized([_rec(WAITING)], [ContainerRecord(name="a", image="i", state=DONE)])
    assert pod_initialized([_rec(RUNNING)], init)
    assert pod_initialized([_rec(WAITING)], [])

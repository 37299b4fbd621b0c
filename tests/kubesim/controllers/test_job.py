"""Job decisions: pod creation, counting through the tracking finalizer, completion,
backoff limit, deadline, back-off delay, suspend, Indexed jobs and the TTL."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import kubesim_builders as builders
import pytest
from kubesim_builders import owner

from kubesim.controllers import (
    Create,
    Delete,
    Emit,
    Update,
    UpdateStatus,
    backoff_delay,
    reconcile_job,
    ttl_remaining,
)
from kubesim.controllers._job import (
    TRACKING_FINALIZER,
    format_indexes,
    parse_indexes,
    remaining_backoff,
)
from kubesim.core.objects import fmt_time

from .world import T0

Obj = dict[str, Any]


def job(status: Obj | None = None, **spec: Any) -> Obj:
    base = {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "job-uid"}},
        "template": {
            "metadata": {
                "labels": {
                    "batch.kubernetes.io/controller-uid": "job-uid",
                    "batch.kubernetes.io/job-name": "loadgen",
                    "controller-uid": "job-uid",
                    "job-name": "loadgen",
                }
            },
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "loadgen", "image": "kubelab/inference:2.4.0"}],
            },
        },
    }
    base.update(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "loadgen", "namespace": "lab", "uid": "job-uid", "generation": 1},
        "spec": base,
        "status": status if status is not None else {},
    }


def pod(
    name: str, phase: str = "Running", *, tracked: bool = True, finished: Any = None, **meta: Any
) -> Obj:
    p = builders.pod(
        name,
        labels={"batch.kubernetes.io/controller-uid": "job-uid"},
        created=T0 - timedelta(minutes=5),
        owned_by=owner("Job", "loadgen", "job-uid"),
        node="kubelab-worker",
        phase=phase,
    )
    p["metadata"].update(meta)
    if tracked:
        p["metadata"]["finalizers"] = [TRACKING_FINALIZER]
    if finished is not None:
        p["status"]["containerStatuses"] = [
            {"name": "loadgen", "state": {"terminated": {"finishedAt": fmt_time(finished)}}}
        ]
    return p


def of(actions: list[Any], kind: type) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def status_of(decision: Any) -> Obj:
    (update,) = of(decision.actions, UpdateStatus)
    return update.obj["status"]


def conditions(st: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in st.get("conditions") or []}


def events(decision: Any) -> list[tuple[str, str, str]]:
    return [(e.event.type, e.event.reason, e.event.message) for e in of(decision.actions, Emit)]


def released(p: Obj) -> Obj:
    out = copy.deepcopy(p)
    out["metadata"]["finalizers"] = []
    return out


# --- creation -----------------------------------------------------------------------------


def test_new_job_creates_parallelism_pods_with_labels_finalizer_and_owner() -> None:
    decision = reconcile_job(job(completions=4, parallelism=2), [], now=T0)
    creates = of(decision.actions, Create)
    assert len(creates) == 2
    md = creates[0].obj["metadata"]
    assert md["generateName"] == "loadgen-"
    assert md["finalizers"] == [TRACKING_FINALIZER]
    assert md["labels"]["job-name"] == "loadgen"
    assert md["labels"]["batch.kubernetes.io/controller-uid"] == "job-uid"
    assert md["ownerReferences"][0]["uid"] == "job-uid" and md["ownerReferences"][0]["controller"]
    event = creates[0].events[0]
    assert (event.reason, event.message.format(name="loadgen-x7k2p")) == (
        "SuccessfulCreate",
        "Created pod: loadgen-x7k2p",
    )
    st = status_of(decision)
    assert st == {
        "startTime": fmt_time(T0),
        "active": 2,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
    }


@pytest.mark.parametrize(
    "completions, parallelism, succeeded, active, want_created",
    [
        pytest.param(1, 1, 0, 0, 1, id="one-shot"),
        pytest.param(5, 2, 0, 1, 1, id="fill-up-to-parallelism"),
        pytest.param(5, 3, 4, 0, 1, id="never-more-than-remaining-completions"),
        pytest.param(None, 2, 0, 0, 2, id="work-queue-starts-parallelism"),
        pytest.param(None, 2, 1, 1, 0, id="work-queue-after-a-success-adds-nothing"),
    ],
)
def test_pods_created_follow_completions_and_parallelism(
    completions: int | None, parallelism: int, succeeded: int, active: int, want_created: int
) -> None:
    j = job({"succeeded": succeeded, "startTime": fmt_time(T0)}, parallelism=parallelism)
    j["spec"]["completions"] = completions
    running = [pod(f"p{i}") for i in range(active)]
    assert len(of(reconcile_job(j, running, now=T0).actions, Create)) == want_created


# --- completion ---------------------------------------------------------------------------


def test_succeeded_pods_are_counted_in_two_passes_then_the_job_completes() -> None:
    j = job({"startTime": fmt_time(T0)}, completions=2, parallelism=2)
    pods = [pod("a", "Succeeded", finished=T0), pod("b", "Succeeded", finished=T0)]
    first = reconcile_job(j, pods, now=T0)
    st = status_of(first)
    assert st["uncountedTerminatedPods"] == {"succeeded": ["uid-a", "uid-b"]}
    assert conditions(st)["SuccessCriteriaMet"]["reason"] == "CompletionsReached"
    assert "Complete" not in conditions(st)
    removals = of(first.actions, Update)
    assert [u.obj["metadata"]["finalizers"] for u in removals] == [[], []]

    j2 = {**j, "status": st}
    second = reconcile_job(j2, [released(p) for p in pods], now=T0 + timedelta(seconds=1))
    st2 = status_of(second)
    assert st2["succeeded"] == 2 and st2["uncountedTerminatedPods"] == {}
    complete = conditions(st2)["Complete"]
    assert (complete["status"], complete["reason"], complete["message"]) == (
        "True",
        "CompletionsReached",
        "Reached expected number of succeeded pods",
    )
    assert st2["completionTime"] == fmt_time(T0 + timedelta(seconds=1))
    assert events(second) == [("Normal", "Completed", "Job completed")]


def test_finished_job_keeps_its_pods_and_does_nothing_more() -> None:
    st = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    decision = reconcile_job(job(st), [pod("a", "Succeeded", tracked=False)], now=T0)
    assert decision.actions == [] and decision.requeue_after is None


# --- failure ------------------------------------------------------------------------------


def test_failures_past_the_backoff_limit_fail_the_job_with_the_real_reason() -> None:
    j = job({"failed": 1, "startTime": fmt_time(T0)}, backoffLimit=1)
    pods = [pod("a", "Failed", tracked=False, finished=T0), pod("b", "Failed", finished=T0)]
    first = reconcile_job(j, pods, now=T0 + timedelta(seconds=30))
    st = status_of(first)
    target = conditions(st)["FailureTarget"]
    assert (target["reason"], target["message"]) == (
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert "Failed" not in conditions(st) and not of(first.actions, Create)
    second = reconcile_job({**j, "status": st}, [pods[0], released(pods[1])], now=T0)
    st2 = status_of(second)
    assert st2["failed"] == 2
    assert conditions(st2)["Failed"]["reason"] == "BackoffLimitExceeded"
    assert "completionTime" not in st2
    assert events(second) == [
        ("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    ]


@pytest.mark.parametrize(
    "failures, delay",
    [
        pytest.param(0, 0, id="none"),
        pytest.param(1, 10, id="first"),
        pytest.param(2, 20, id="second"),
        pytest.param(3, 40, id="third"),
        pytest.param(6, 320, id="sixth"),
        pytest.param(7, 360, id="capped-at-six-minutes"),
        pytest.param(20, 360, id="stays-capped"),
    ],
)
def test_backoff_delay_doubles_from_ten_seconds_up_to_six_minutes(
    failures: int, delay: float
) -> None:
    assert backoff_delay(failures) == delay


def test_replacement_of_a_failed_pod_waits_for_the_backoff() -> None:
    j = job({"failed": 1, "startTime": fmt_time(T0)})
    failed = [pod("a", "Failed", tracked=False, finished=T0)]
    early = reconcile_job(j, failed, now=T0 + timedelta(seconds=4))
    assert not of(early.actions, Create) and early.requeue_after == pytest.approx(6.0)
    late = reconcile_job(j, failed, now=T0 + timedelta(seconds=11))
    assert len(of(late.actions, Create)) == 1


def test_a_success_resets_the_consecutive_failure_count() -> None:
    j = job()
    pods = [
        pod("a", "Failed", finished=T0),
        pod("b", "Succeeded", finished=T0 + timedelta(seconds=1)),
        pod("c", "Failed", finished=T0 + timedelta(seconds=2)),
    ]
    assert remaining_backoff(j, pods, now=T0 + timedelta(seconds=2)) == 10.0


def test_job_past_its_active_deadline_deletes_its_pods_and_fails() -> None:
    start = T0 - timedelta(seconds=100)
    j = job({"startTime": fmt_time(start), "active": 1}, activeDeadlineSeconds=60)
    running = pod("a")
    decision = reconcile_job(j, [running], now=T0)
    (delete,) = of(decision.actions, Delete)
    assert delete.name == "a" and delete.events[0].message == "Deleted pod: a"
    st = status_of(decision)
    assert conditions(st)["FailureTarget"]["reason"] == "DeadlineExceeded"
    assert conditions(st)["FailureTarget"]["message"] == (
        "Job was active longer than specified deadline"
    )
    assert st["uncountedTerminatedPods"] == {"failed": ["uid-a"]}
    assert "active" not in st and st["terminating"] == 1


def test_job_before_its_deadline_asks_to_be_looked_at_when_it_expires() -> None:
    j = job({"startTime": fmt_time(T0 - timedelta(seconds=20)), "active": 1})
    j["spec"]["activeDeadlineSeconds"] = 60
    assert reconcile_job(j, [pod("a")], now=T0).requeue_after == pytest.approx(40.0)


# --- suspend ------------------------------------------------------------------------------


def test_suspended_job_deletes_its_active_pods_and_says_so() -> None:
    j = job({"startTime": fmt_time(T0), "active": 1}, suspend=True)
    decision = reconcile_job(j, [pod("a")], now=T0)
    assert [d.name for d in of(decision.actions, Delete)] == ["a"]
    suspended = conditions(status_of(decision))["Suspended"]
    assert (suspended["status"], suspended["reason"], suspended["message"]) == (
        "True",
        "JobSuspended",
        "Job suspended",
    )
    assert ("Normal", "Suspended", "Job suspended") in events(decision)


# --- indexed ------------------------------------------------------------------------------


def test_indexed_job_pods_carry_their_completion_index() -> None:
    j = job(completions=3, parallelism=2, completionMode="Indexed")
    creates = of(reconcile_job(j, [], now=T0).actions, Create)
    got = [
        (
            c.obj["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"],
            c.obj["metadata"]["generateName"],
            c.obj["spec"]["hostname"],
        )
        for c in creates
    ]
    assert got == [("0", "loadgen-0-", "loadgen-0"), ("1", "loadgen-1-", "loadgen-1")]
    env = creates[0].obj["spec"]["containers"][0]["env"]
    assert env[0]["name"] == "JOB_COMPLETION_INDEX"


@pytest.mark.parametrize(
    "indexes, text",
    [
        pytest.param(set(), "", id="none"),
        pytest.param({3}, "3", id="one"),
        pytest.param({0, 1, 2, 5}, "0-2,5", id="range-and-single"),
        # the API reference: "Three or more consecutive numbers are compressed"
        pytest.param({1, 3, 4, 7, 8, 9}, "1,3,4,7-9", id="two-in-a-row-are-not-a-range"),
    ],
)
def test_completed_indexes_round_trip_as_ranges(indexes: set[int], text: str) -> None:
    assert format_indexes(indexes) == text
    assert parse_indexes(text) == indexes


# --- ttl ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ttl, finished_ago, left",
    [
        pytest.param(None, 10, None, id="no-ttl"),
        pytest.param(100, 10, 90.0, id="waiting"),
        pytest.param(0, 10, -10.0, id="zero-deletes-at-once"),
    ],
)
def test_ttl_after_finished_counts_from_completion(
    ttl: int | None, finished_ago: int, left: float | None
) -> None:
    done = fmt_time(T0 - timedelta(seconds=finished_ago))
    st = {"completionTime": done, "conditions": [{"type": "Complete", "status": "True"}]}
    j = job(st, ttlSecondsAfterFinished=ttl)
    assert ttl_remaining(j, now=T0) == left


def test_expired_finished_job_is_deleted_in_the_background() -> None:
    st = {
        "completionTime": fmt_time(T0 - timedelta(seconds=60)),
        "conditions": [{"type": "Complete", "status": "True"}],
    }
    decision = reconcile_job(job(st, ttlSecondsAfterFinished=30), [], now=T0)
    (delete,) = of(decision.actions, Delete)
    assert (delete.kind, delete.name, delete.propagation) == ("Job", "loadgen", "Background")


# --- podFailurePolicy ---------------------------------------------------------------------

# the policy of the Kubernetes docs' task "Handling retriable and non-retriable pod failures
# with Pod failure policy": exit code 42 is a bug (fail the Job), a disruption is not the
# program's fault (do not count it)
POLICY = {
    "rules": [
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "loadgen", "operator": "In", "values": [42]},
        },
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
    ]
}


def exited(p: Obj, code: int) -> Obj:
    p["status"]["containerStatuses"] = [
        {"name": "loadgen", "state": {"terminated": {"exitCode": code, "finishedAt": fmt_time(T0)}}}
    ]
    return p


def disrupted(p: Obj) -> Obj:
    p["status"]["conditions"] = [{"type": "DisruptionTarget", "status": "True"}]
    return exited(p, 137)


def test_a_fail_job_exit_code_fails_the_job_at_once_with_the_rules_message() -> None:
    j = job({"startTime": fmt_time(T0)}, backoffLimit=6, podFailurePolicy=POLICY)
    st = status_of(reconcile_job(j, [exited(pod("a", "Failed"), 42)], now=T0))
    target = conditions(st)["FailureTarget"]
    assert (target["reason"], target["message"]) == (
        "PodFailurePolicy",
        "Container loadgen for pod lab/a failed with exit code 42 matching FailJob rule at index 0",
    )
    assert st["uncountedTerminatedPods"] == {"failed": ["uid-a"]}


def test_a_failure_the_policy_ignores_is_not_counted_and_is_replaced() -> None:
    j = job({"startTime": fmt_time(T0)}, backoffLimit=0, podFailurePolicy=POLICY)
    decision = reconcile_job(j, [disrupted(pod("a", "Failed"))], now=T0)
    st = status_of(decision)
    assert "FailureTarget" not in conditions(st), "backoffLimit 0, yet the Job goes on"
    assert st["uncountedTerminatedPods"] == {} and not st.get("failed")
    assert [u.obj["metadata"]["finalizers"] for u in of(decision.actions, Update)] == [[]]


@pytest.mark.parametrize("code", [1, 0], ids=["another-exit-code", "exit-0-matches-no-rule"])
def test_a_failure_no_rule_matches_counts_as_without_a_policy(code: int) -> None:
    j = job({"startTime": fmt_time(T0)}, backoffLimit=0, podFailurePolicy=POLICY)
    st = status_of(reconcile_job(j, [exited(pod("a", "Failed"), code)], now=T0))
    assert conditions(st)["FailureTarget"]["reason"] == "BackoffLimitExceeded"
    assert st["uncountedTerminatedPods"] == {"failed": ["uid-a"]}


def test_not_in_and_a_condition_fail_job_rule_name_what_matched() -> None:
    policy = {
        "rules": [
            {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}},
            {"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue"}]},
        ]
    }
    j = job({"startTime": fmt_time(T0)}, podFailurePolicy=policy)
    held = pod("a", "Failed")
    held["status"]["conditions"] = [{"type": "ConfigIssue", "status": "True"}]
    st = status_of(reconcile_job(j, [exited(held, 1)], now=T0))
    assert conditions(st)["FailureTarget"]["message"] == (
        "Pod lab/a has condition ConfigIssue matching FailJob rule at index 1"
    )
    counted = status_of(reconcile_job(j, [exited(pod("b", "Failed"), 3)], now=T0))
    assert "FailureTarget" not in conditions(counted)  # NotIn [1, 2] matched 3: Count
    assert counted["uncountedTerminatedPods"] == {"failed": ["uid-b"]}


def test_indexes_past_completions_are_clipped_before_they_are_expanded():
    """parseIndexesFromString: a rule naming 0-2000000000 of a 3-completion Job costs three
    indexes, not two billion (a sync that expanded it would hold the API server's loop)."""
    assert parse_indexes("0-2000000000", 3) == {0, 1, 2}
    assert parse_indexes("1,5-9", 6) == {1, 5}


def test_a_job_another_controller_manages_is_left_to_it():
    """managedByExternalController: no pods, no status, until it has finished (then its TTL,
    the ttl-after-finished controller's, still applies)."""
    external = job(managedBy="kueue.x-k8s.io/multikueue")
    assert reconcile_job(external, [], now=T0).actions == []
    ours = job(managedBy="kubernetes.io/job-controller")
    assert reconcile_job(ours, [], now=T0).actions  # its pods are created as without the field


def test_an_external_controllers_job_keeps_its_pods_finalizers():
    """syncJob returns before anything else for such a Job: a finished or deleted one's pods
    keep their tracking finalizer for the controller that manages it."""
    external = job(managedBy="kueue.x-k8s.io/multikueue")
    external["metadata"]["deletionTimestamp"] = fmt_time(T0)
    meta = external["metadata"]
    tracked = builders.pod(
        "shards-0", phase="Succeeded", owned_by=owner("Job", meta["name"], meta["uid"])
    )
    tracked["metadata"]["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    assert reconcile_job(external, [tracked], now=T0).actions == []
    assert reconcile_job(
        {**external, "spec": {**external["spec"], "managedBy": None}}, [tracked], now=T0
    ).actions  # ours: the finalizer is released

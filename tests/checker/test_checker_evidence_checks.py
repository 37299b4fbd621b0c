"""The checks that look for evidence of the work (issue 17): `log`, `order` and guards; and
feedback that aims: a missing object found elsewhere, each finding said once, short output."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from checker_fakeapi import FakeApi

from checker import Lab, LabDataError, load_lab, plain_text, run_exercise, run_lab, to_junit
from checker._report import MAX_EXERCISE_LINES
from checker._run import grade


def lab(*exercises: dict[str, Any], namespace: str = "lab") -> Lab:
    return Lab.model_validate(
        {
            "apiVersion": "kubelab.dev/v1",
            "kind": "Lab",
            "id": "01-x",
            "title": "X",
            "minutes": 5,
            "namespace": namespace,
            "exercises": exercises,
        }
    )


def exercise(*checks: dict[str, Any], points: int = 10, id: str = "ex") -> dict[str, Any]:
    return {"id": id, "title": "Ex", "task": "-", "points": points, "checks": list(checks)}


def pod(name: str, *, labels: dict[str, str], namespace: str = "lab", container: str = "c"):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": container}]},
        "status": {"phase": "Succeeded"},
    }


def replicaset(name: str, *, image: str, created: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "lab", "creationTimestamp": created},
        "spec": {"template": {"spec": {"containers": [{"name": "m", "image": image}]}}},
    }


def event(name: str, *, reason: str, message: str, at: str, component: str | None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "lab"},
        "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "lab"},
        "reason": reason,
        "message": message,
        "firstTimestamp": at,
        "lastTimestamp": at,
        **({"source": {"component": component}} if component else {}),
    }


DNS_LOG = {
    "name": "dns-answered",
    "message": "The dns-check Job's log shows the answer.",
    "within": 0,
    "log": {"selector": {"job-name": "dns-check"}, "pattern": r"svc:8080/version 200 .*2\.4\.0"},
}


# -- log -----------------------------------------------------------------------------------


def test_log_check_passes_on_the_line_the_work_prints(fake_api: FakeApi, client):
    fake_api.objects.append(pod("dns-check-x", labels={"job-name": "dns-check"}))
    fake_api.logs[("dns-check-x", "c", False)] = (
        'http://svc:8080/version 200 {"version": "2.4.0"}\n'
    )
    result = run_exercise(client, lab(exercise(DNS_LOG)), "ex", wait=False)
    assert result.passed
    assert any("/pods/dns-check-x/log" in r.path for r in fake_api.requests)


def test_log_check_fails_on_a_job_that_printed_nothing_naming_its_pod(fake_api: FakeApi, client):
    """`kubectl create job dns-check -- true`: it succeeded, and its log is empty."""
    fake_api.objects.append(pod("dns-check-x", labels={"job-name": "dns-check"}))
    fake_api.logs[("dns-check-x", "c", False)] = ""
    check = run_exercise(client, lab(exercise(DNS_LOG)), "ex", wait=False).checks[0]
    assert check.status == "failed" and check.kind == "log"
    assert check.target == "v1/Pod/lab/dns-check-x (container c)"
    assert check.field_errors[0].startswith("log: a line matching ")
    assert "found 0 (`kubectl logs dns-check-x -c c -n lab`)" in check.field_errors[0]


def test_log_check_without_pods_says_which_labels_it_looked_for(fake_api: FakeApi, client):
    check = run_exercise(client, lab(exercise(DNS_LOG)), "ex", wait=False).checks[0]
    assert check.field_errors == ("no pod in lab has the labels job-name=dns-check",)


# -- order ---------------------------------------------------------------------------------

ROLLED_BACK = {
    "name": "during-stall",
    "message": "The probe ran while 2.5.0 was stalled.",
    "within": 0,
    "order": [
        {
            "id": "release",
            "what": "the 2.5.0 ReplicaSet was created",
            "object": {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "spec": {"template": {"spec": {"containers": [{"image": "app:2.5.0"}]}}},
            },
            "time": "metadata.creationTimestamp",
        },
        {
            "id": "probe",
            "what": "the probe ran",
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"}},
            "time": "status.startTime",
        },
        {
            "id": "rolled-back",
            "what": "2.5.0 was scaled down",
            "pending": True,
            "object": {
                "apiVersion": "v1",
                "kind": "Event",
                "reason": "ScalingReplicaSet",
                "source": {"component": "deployment-controller"},
                "(contains(message, 'Scaled down replica set ${release} '))": True,
            },
            "time": "firstTimestamp",
        },
    ],
}


def _probe(started: str) -> dict[str, Any]:
    obj = pod("probe", labels={})
    obj["status"]["startTime"] = started
    return obj


@pytest.mark.parametrize(
    "probe_at, events, passes",
    [
        pytest.param("2026-01-01T10:05:00Z", [], True, id="during-the-stall-no-rollback-yet"),
        pytest.param(
            "2026-01-01T10:05:00Z",
            [("Scaled down replica set web-250 to 0 from 1", "2026-01-01T10:09:00Z")],
            True,
            id="during-the-stall-rolled-back-later",
        ),
        pytest.param("2026-01-01T09:59:00Z", [], False, id="before-the-release"),
        pytest.param(
            "2026-01-01T10:10:00Z",
            [("Scaled down replica set web-250 to 0 from 1", "2026-01-01T10:09:00Z")],
            False,
            id="after-the-rollback",
        ),
        pytest.param(
            "2026-01-01T10:10:00Z",
            [("Scaled down replica set web-240 to 0 from 3", "2026-01-01T10:01:00Z")],
            True,
            id="another-replicasets-scale-down-does-not-count",
        ),
    ],
)
def test_order_check_places_the_work_between_the_moments(
    fake_api: FakeApi, client, probe_at, events, passes
):
    fake_api.objects += [
        replicaset("web-240", image="app:2.4.0", created="2026-01-01T09:00:00Z"),
        replicaset("web-250", image="app:2.5.0", created="2026-01-01T10:00:00Z"),
        _probe(probe_at),
    ]
    fake_api.objects += [
        event(
            f"e{i}", reason="ScalingReplicaSet", message=m, at=at, component="deployment-controller"
        )
        for i, (m, at) in enumerate(events)
    ]
    check = run_exercise(client, lab(exercise(ROLLED_BACK)), "ex", wait=False).checks[0]
    assert check.passed is passes, check.field_errors
    if not passes:
        assert check.field_errors[0].startswith("order: ")


def test_order_check_needs_every_moment_that_is_not_pending(fake_api: FakeApi, client):
    fake_api.objects.append(_probe("2026-01-01T10:05:00Z"))
    check = run_exercise(client, lab(exercise(ROLLED_BACK)), "ex", wait=False).checks[0]
    assert check.field_errors[0].startswith("release: the 2.5.0 ReplicaSet was created: not found")


READY_BEFORE_CUTOVER = {
    "name": "ready-first",
    "message": "The new pod was ready before the old one went.",
    "within": 0,
    "order": [
        {
            "id": "ready",
            "what": "the new pod became Ready",
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "new"}},
            "time": "(status.conditions[?type=='Ready' && status=='True'].lastTransitionTime | [0])",
        },
        {
            "id": "cutover",
            "what": "the old pod was stopped",
            "object": {"apiVersion": "v1", "kind": "Event", "reason": "Killing"},
            "time": "firstTimestamp",
        },
    ],
}


@pytest.mark.parametrize(
    "ready_at, passes",
    [
        pytest.param("2026-01-01T10:00:00Z", True, id="ready-before-the-kill"),
        pytest.param("2026-01-01T10:10:00Z", False, id="ready-after-the-kill"),
        pytest.param(None, False, id="never-ready"),
    ],
)
def test_order_time_may_be_a_jmespath_expression_into_a_list(
    fake_api: FakeApi, client, ready_at, passes
):
    """A condition's lastTransitionTime sits in a list: a dotted path cannot reach it."""
    new = pod("new", labels={})
    new["status"]["conditions"] = [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T09:00:00Z"}
    ] + ([{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}] if ready_at else [])
    fake_api.objects += [
        new,
        event(
            "k",
            reason="Killing",
            message="Stopping",
            at="2026-01-01T10:05:00Z",
            component="kubelet",
        ),
    ]
    check = run_exercise(client, lab(exercise(READY_BEFORE_CUTOVER)), "ex", wait=False).checks[0]
    assert check.passed is passes, check.field_errors


def test_a_time_expression_that_is_not_jmespath_is_refused():
    bad = {**READY_BEFORE_CUTOVER, "order": [dict(m) for m in READY_BEFORE_CUTOVER["order"]]}
    bad["order"][0]["time"] = "(status.conditions[?type==)"
    with pytest.raises(Exception, match="not a valid JMESPath expression"):
        lab(exercise(bad))


def test_order_refers_only_to_earlier_moments(tmp_path):
    bad = dict(ROLLED_BACK)
    bad["order"] = [ROLLED_BACK["order"][2], *ROLLED_BACK["order"][:2]]
    folder = tmp_path / "01-x"
    folder.mkdir()
    import yaml

    data = lab(exercise(DNS_LOG)).model_dump(mode="json", by_alias=True, exclude={"folder"})
    data["exercises"][0]["checks"] = [bad]
    (folder / "lab.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(LabDataError, match=r"refers to \$\{release\}"):
        load_lab(folder / "lab.yaml")


def test_an_event_without_the_reporting_component_does_not_count(fake_api: FakeApi, client):
    scaled = {
        "name": "scaled",
        "message": "The deployment controller scaled web to 5.",
        "within": 0,
        "expect": {
            "apiVersion": "v1",
            "kind": "Event",
            "reason": "ScalingReplicaSet",
            "source": {"component": "deployment-controller"},
        },
    }
    fake_api.objects.append(
        event(
            "forged",
            reason="ScalingReplicaSet",
            message="to 5",
            at="2026-01-01T10:00:00Z",
            component=None,
        )
    )
    assert not run_exercise(client, lab(exercise(scaled)), "ex", wait=False).passed
    fake_api.objects.append(
        event(
            "real",
            reason="ScalingReplicaSet",
            message="to 5",
            at="2026-01-01T10:00:00Z",
            component="deployment-controller",
        )
    )
    assert run_exercise(client, lab(exercise(scaled)), "ex", wait=False).passed


# -- guards --------------------------------------------------------------------------------

GUARD = {
    "name": "fault-applied",
    "guard": True,
    "message": "The fault's ReplicaSet exists.",
    "within": 0,
    "expect": {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-bad"}},
}
FIXED = {
    "name": "fixed",
    "message": "The good ReplicaSet exists.",
    "within": 0,
    "expect": {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-240"}},
}


def test_a_failing_guard_costs_the_points_and_a_passing_one_earns_none(fake_api: FakeApi, client):
    fake_api.objects.append(
        replicaset("web-240", image="app:2.4.0", created="2026-01-01T09:00:00Z")
    )
    the_lab = lab(exercise(GUARD, FIXED))
    unbroken = run_lab(client, the_lab, wait=False)
    assert unbroken.points == 0
    assert "[FAIL] guard fault-applied:" in plain_text(unbroken)

    fake_api.objects.append(replicaset("web-bad", image="app:2.40", created="2026-01-01T10:00:00Z"))
    report = grade(client, [the_lab], wait=False)
    assert report.points == 10
    suite = ET.fromstring(to_junit(report)).find("testsuite")
    assert suite is not None
    shares = {
        case.get("name"): case.find("properties/property[@name='maxPoints']").get("value")  # type: ignore[union-attr]
        for case in suite.findall("testcase")
    }
    assert shares == {"fault-applied": "0", "fixed": "10"}


def test_an_exercise_of_guards_only_is_refused():
    with pytest.raises(ValueError, match="every check of this exercise is a guard"):
        lab(exercise(GUARD))


# -- feedback that aims --------------------------------------------------------------------

DEPLOYMENT = {
    "name": "deployed",
    "message": "The Deployment web exists.",
    "within": 0,
    "expect": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
}


def deployment(name: str, namespace: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {}}


def test_a_deployment_in_another_namespace_is_named_in_one_line(fake_api: FakeApi, client):
    fake_api.objects.append(deployment("web", "default"))
    check = run_exercise(client, lab(exercise(DEPLOYMENT)), "ex", wait=False).checks[0]
    assert check.field_errors == (
        "not found in namespace lab, but Deployment web exists in namespace default: create it "
        "in lab (`-n lab`, or `kubectl config set-context --current --namespace lab`)",
    )


def test_a_near_name_is_named_in_one_line(fake_api: FakeApi, client):
    fake_api.objects.append(deployment("webb", "lab"))
    fake_api.objects.append(deployment("unrelated", "lab"))
    check = run_exercise(client, lab(exercise(DEPLOYMENT)), "ex", wait=False).checks[0]
    assert check.field_errors == (
        "no Deployment named web in lab, but there is Deployment webb: names must match exactly",
    )


def test_compact_text_says_a_finding_once_and_stays_short(fake_api: FakeApi, client):
    checks = [dict(DEPLOYMENT, name=f"deployed-{i}") for i in range(8)]
    result = run_exercise(client, lab(exercise(*checks)), "ex", wait=False)
    compact = plain_text(result, verbose=False).splitlines()
    assert len(compact) <= MAX_EXERCISE_LINES
    assert sum("actual resource not found" in line for line in compact) == 1
    assert sum("as for deployed-0 above" in line for line in compact) == 7
    full = plain_text(result, verbose=True)
    assert full.count("actual resource not found") == 1  # once per exercise, verbose or not


# -- within stops early when nothing moves -----------------------------------------------------


class _Ticking:
    """A clock that moves only when slept on (virtual time), counting the time waited."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_a_missing_object_nobody_creates_stops_the_wait_early(fake_api: FakeApi, client):
    from checker._run import QUIET_SECONDS

    clock = _Ticking()
    long_wait = dict(DEPLOYMENT, within=120)
    check = run_exercise(client, lab(exercise(long_wait)), "ex", clock=clock).checks[0]
    assert check.status == "failed"
    assert QUIET_SECONDS <= clock.t < QUIET_SECONDS + 2  # not the 120 s of its `within`
    assert check.detail and check.detail.startswith("Stopped waiting after ")


def test_a_deployment_mid_rollout_is_waited_for(fake_api: FakeApi, client):
    clock = _Ticking()
    rolling = deployment("web", "lab")
    rolling["metadata"].update(generation=2, resourceVersion="7")
    rolling["status"] = {
        "observedGeneration": 2,
        "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}],
    }
    fake_api.objects.append(rolling)
    available = dict(
        DEPLOYMENT,
        within=30,
        expect={**DEPLOYMENT["expect"], "status": {"availableReplicas": 3}},
    )
    check = run_exercise(client, lab(exercise(available)), "ex", clock=clock).checks[0]
    assert check.status == "failed" and clock.t >= 30
    assert not (check.detail or "").startswith("Stopped waiting")


def test_a_log_check_reads_the_log_again_while_it_waits(fake_api: FakeApi, client):
    """The load generator prints its summary at the end: a retry must see the new line."""
    running = pod("dns-check-x", labels={"job-name": "dns-check"})
    running["status"]["phase"] = "Running"
    fake_api.objects.append(running)
    fake_api.logs[("dns-check-x", "c", False)] = "starting\n"

    class PrintsLater(_Ticking):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if self.t > 2:
                fake_api.logs[("dns-check-x", "c", False)] = (
                    'starting\nhttp://svc:8080/version 200 {"version": "2.4.0"}\n'
                )

    waiting = dict(DNS_LOG, within=10)
    result = run_exercise(client, lab(exercise(waiting)), "ex", clock=PrintsLater())
    assert result.passed


def test_a_log_check_stops_early_when_no_pod_has_the_labels(fake_api: FakeApi, client):
    """Check clicked before the Job was made: nothing will print, so no 2-minute wait."""
    from checker._run import QUIET_SECONDS

    clock = _Ticking()
    check = run_exercise(client, lab(exercise(dict(DNS_LOG, within=120))), "ex", clock=clock)
    assert check.checks[0].status == "failed"
    assert QUIET_SECONDS <= clock.t < QUIET_SECONDS + 2
    assert (check.checks[0].detail or "").startswith("Stopped waiting after ")


def test_a_log_check_stops_early_on_a_finished_pod_but_waits_on_a_running_one(
    fake_api: FakeApi, client
):
    from checker._run import QUIET_SECONDS

    done = pod("dns-check-x", labels={"job-name": "dns-check"})  # Succeeded, log final
    fake_api.objects.append(done)
    fake_api.logs[("dns-check-x", "c", False)] = "nothing useful\n"
    clock = _Ticking()
    run_exercise(client, lab(exercise(dict(DNS_LOG, within=120))), "ex", clock=clock)
    assert QUIET_SECONDS <= clock.t < QUIET_SECONDS + 2
    done["status"]["phase"] = "Running"
    clock = _Ticking()
    run_exercise(client, lab(exercise(dict(DNS_LOG, within=30))), "ex", clock=clock)
    assert clock.t >= 30, "a running pod may still print the line"

"""Whole labs against the recording fake API server: verdicts, evidence, speed, read-only."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import pytest
from checker_fakeapi import TOKEN, FakeClock, write_kubeconfig

from checker import (
    ClusterAuthError,
    ClusterUnreachable,
    ReadOnlyClient,
    ReadOnlyViolation,
    UnknownIdError,
    discover_labs,
    grade,
    run_exercise,
    run_lab,
)
from checker._client import allowed


def assert_read_only(api) -> None:
    for r in api.requests:
        assert r.method == "GET", (r.method, r.path)


def test_a_healthy_cluster_passes_every_check_with_reads_only(healthy, client, labs, clock):
    result = run_lab(client, labs["01-deploy"], clock=clock)
    assert [(c.name, c.status) for e in result.exercises for c in e.checks] == [
        ("deployment-available", "passed"),
        ("no-crashloop", "passed"),
        ("service-endpoints", "passed"),
        ("healthz", "passed"),
        ("version", "passed"),
    ]
    assert (result.points, result.max_points, clock.sleeps) == (15, 15, [])
    assert_read_only(healthy)
    assert {r.method for r in healthy.requests} == {"GET"}
    assert all(r.authorization == f"Bearer {TOKEN}" for r in healthy.requests)


def test_a_broken_cluster_fails_with_field_errors_diff_and_evidence(broken, client, labs, clock):
    result = run_lab(client, labs["01-deploy"], clock=clock)
    checks = {c.name: c for e in result.exercises for c in e.checks}
    dep = checks["deployment-available"]
    assert dep.status == "failed"
    assert dep.target == "apps/v1/Deployment/lab/inference-service"
    assert dep.field_errors == (
        "spec.replicas: Invalid value: 2: Expected replicas > 2",
        "spec.replicas: Invalid value: 2: Expected value: 3",
        "spec.template.spec.containers[name=inference].resources.limits.memory: "
        'Invalid value: "2Gi": '
        'Expected value: "4Gi"',
        'status.conditions[1].status: Invalid value: "False": Expected value: "True"',
    )
    assert dep.diff and {"-  replicas: 3", "+  replicas: 2"} <= set(dep.diff.splitlines())
    events = [e for e in dep.evidence if e.kind == "events"]
    assert [e.command for e in events] == [
        "kubectl describe replicaset inference-service-7f6b -n lab",
        "kubectl describe pod inference-service-7f6b-x -n lab",
    ]
    assert "BackOff" in events[1].lines[0] and "not about our objects" not in str(events)
    logs = {e.command: e.lines for e in dep.evidence if e.kind == "logs"}
    assert logs == {
        "kubectl logs inference-service-7f6b-x -c inference -n lab": (
            "loading model",
            "ERROR: MODEL_PATH /models/x not found",
        ),
        "kubectl logs inference-service-7f6b-x -c inference -n lab --previous": (
            "loading model",
            "Traceback (most recent call last)",
            "FileNotFoundError: /models/x",
        ),
    }
    crash = checks["no-crashloop"]
    assert crash.status == "failed" and crash.target == "v1/Pod/lab/inference-service-7f6b-x"
    assert crash.detail == "v1/Pod/lab/inference-service-7f6b-x matches what should be absent."
    assert checks["service-endpoints"].field_errors == (
        "subsets: Required value: field not found; Expected the number of subsets[0].addresses = 3",
    )
    assert checks["healthz"].field_errors == (
        'body: Invalid value: "no endpoints available for service": Expected to contain "ok"',
        "status: Invalid value: 503: Expected value: 200",
    )
    assert checks["healthz"].target == "GET lab/inference:8080/healthz"
    assert result.points == 0
    assert_read_only(broken)
    # four failing checks look around the same objects: one LIST of events, each log once
    events_reads = [r for r in broken.requests if r.path.endswith("/events")]
    assert [(r.path, r.query.get("fieldSelector")) for r in events_reads] == [
        ("/api/v1/namespaces/lab/events", None)
    ]
    log_reads = Counter(
        (r.path, r.query.get("previous")) for r in broken.requests if r.path.endswith("/log")
    )
    assert log_reads and set(log_reads.values()) == {1}


def test_checks_share_one_list_per_kind_and_namespace(healthy, client, labs, clock):
    grade(client, labs, clock=clock)
    lists = Counter(r.path for r in healthy.requests if r.method == "GET")
    assert lists["/apis/apps/v1/namespaces/lab/deployments"] == 1  # read by both labs
    assert lists["/api/v1/namespaces/lab/pods"] == 1
    assert lists["/api/v1/namespaces"] == 1  # cluster-scoped: no namespace in the path
    assert lists["/api/v1"] == 1 and lists["/apis/apps/v1"] == 1  # discovery once per client


def test_within_backs_off_then_reports_the_last_mismatch(broken, client, labs, clock):
    result = run_exercise(client, labs["01-deploy"], "deploy", clock=clock)
    assert clock.sleeps == [0.1, 0.2, 0.4, 0.8, 0.5]  # 2s deadline; no-crashloop has within 0
    dep, crash = result.checks
    assert (dep.attempts, crash.attempts) == (6, 1)
    assert "spec.replicas: Invalid value: 2: Expected value: 3" in dep.field_errors
    deployment_lists = [r for r in broken.requests if r.path.endswith("/deployments")]
    assert len(deployment_lists) == 6  # refreshed on every retry...
    pod_lists = [r for r in broken.requests if r.path.endswith("/pods")]
    assert len(pod_lists) == 1  # ...but what no pending check reads is not


def test_within_passes_as_soon_as_the_cluster_catches_up(broken, client, labs):
    healthy_objects = __import__("yaml").safe_load(
        (Path(__file__).parent / "data" / "healthy.yaml").read_text()
    )

    class RolloutClock(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if len(self.sleeps) == 2:  # the rollout finishes during the second back-off
                broken.objects = healthy_objects

    clock = RolloutClock()
    result = run_exercise(client, labs["01-deploy"], "deploy", clock=clock)
    dep, crash = result.checks
    assert (dep.status, dep.attempts) == ("passed", 3)
    assert (crash.status, crash.attempts) == ("failed", 1)  # within 0: judged on first sight
    assert clock.sleeps == [0.1, 0.2]


def test_unknown_exercise_lists_the_valid_ones(healthy, client, labs):
    with pytest.raises(UnknownIdError, match="its exercises are: deploy, expose"):
        run_exercise(client, labs["01-deploy"], "nope")


def test_paged_lists_are_followed_to_the_end(healthy, client, labs, clock):
    healthy.page_size = 1
    healthy.objects += [
        {**healthy.objects[1], "metadata": {"name": f"zz-{i}", "namespace": "lab"}}
        for i in range(3)
    ]
    result = run_exercise(client, labs["02-scale"], "scale", clock=clock)
    assert result.checks[0].field_errors == ("spec.replicas: Invalid value: 3: Expected value: 5",)
    continues = [
        r.query.get("continue") for r in healthy.requests if r.path.endswith("deployments")
    ]
    assert continues == [None, "1", "2", "3"]


def test_an_unserved_kind_fails_the_check_with_a_reason(healthy, client, labs, clock):
    lab = labs["02-scale"]
    check = (
        lab.exercises[0]
        .checks[1]
        .model_copy(
            update={
                "expect": {
                    "apiVersion": "example.com/v1",
                    "kind": "Model",
                    "metadata": {"name": "m"},
                }
            }
        )
    )
    exercise = lab.exercises[0].model_copy(update={"checks": [check]})
    lab = lab.model_copy(update={"exercises": [exercise]})
    result = run_lab(client, lab, clock=clock)
    assert result.exercises[0].checks[0].detail == (
        "The cluster does not serve Model in example.com/v1: is that API installed?"
    )


def test_a_cluster_that_does_not_answer_is_one_clear_paragraph(tmp_path, labs, clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")
    with (
        ReadOnlyClient.from_kubeconfig(config, timeout=2) as client,
        pytest.raises(ClusterUnreachable) as err,
    ):
        run_lab(client, labs["02-scale"], clock=clock)
    assert str(err.value) == (
        f"The lab cluster at http://127.0.0.1:{port} is not answering (connection refused). "
        "Run `kubelab up` to start it (or `kubelab status` to see its state), then check again."
    )


def test_refused_credentials_say_the_kubeconfig_is_stale(fake_api, client, labs, clock):
    fake_api.refuse = 401
    with pytest.raises(ClusterAuthError, match="refused the checker's credentials"):
        run_lab(client, labs["02-scale"], clock=clock)


@pytest.mark.parametrize(
    "method, ok",
    [("GET", True), ("POST", False), ("PUT", False), ("PATCH", False), ("DELETE", False)],
)
def test_write_policy_allows_only_get(method, ok):
    assert allowed(method) is ok


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "/api/v1/namespaces/lab/pods/p"),
        ("POST", "/api/v1/namespaces/lab/services/inference:8080/proxy/predict"),
        ("POST", "/api/v1/namespaces/lab/pods/p/eviction"),
    ],
)
def test_the_client_refuses_to_send_anything_but_get(healthy, client, method, path):
    with pytest.raises(ReadOnlyViolation, match=f"refused to send {method}"):
        client._request(method, path)
    assert healthy.requests == []


def test_an_http_check_with_a_method_is_a_lab_file_error(tmp_path):
    from checker import LabDataError, load_lab

    lab = tmp_path / "lab.yaml"
    lab.write_text(
        "apiVersion: kubelab.dev/v1\nkind: Lab\n"
        "id: 09-x\ntitle: X\nminutes: 1\nobjectives: [o]\nexercises:\n"
        "  - id: e\n    title: E\n    task: t\n    points: 1\n    checks:\n"
        "      - name: p\n        message: m\n        http:\n"
        "          service: s\n          port: 80\n          method: POST\n"
    )
    with pytest.raises(LabDataError, match="method"):
        load_lab(lab)


def test_a_passing_lab_grades_in_well_under_a_second(healthy, client, labs):
    import time

    started = time.perf_counter()
    result = run_lab(client, labs["01-deploy"])  # the real clock: nothing to wait for
    assert result.passed
    assert time.perf_counter() - started < 1.0
    assert len(client.requests) == 7  # 2 discovery, 3 LISTs, 2 service-proxy requests


def test_a_context_check_reads_the_lab_kubeconfig_namespace(healthy, kubeconfig, labs, clock):
    import yaml

    from checker import Check

    lab = labs["02-scale"]
    check = Check.model_validate(
        {
            "name": "ns",
            "message": "Use the lab namespace.",
            "within": 0,
            "context": {"namespace": "lab"},
        }
    )
    lab = lab.model_copy(
        update={"exercises": [lab.exercises[0].model_copy(update={"checks": [check]})]}
    )
    with ReadOnlyClient.from_kubeconfig(kubeconfig) as client:
        before = run_lab(client, lab, clock=clock).exercises[0].checks[0]
        config = yaml.safe_load(kubeconfig.read_text())
        config["contexts"][0]["context"]["namespace"] = "lab"  # kubectl config set-context
        kubeconfig.write_text(yaml.safe_dump(config))
        after = run_lab(client, lab, clock=clock).exercises[0].checks[0]
    assert before.field_errors == ('context.namespace: Invalid value: null: Expected value: "lab"',)
    assert after.passed
    assert healthy.requests == []  # the kubeconfig is read, the cluster is not asked


def test_a_context_check_may_accept_several_namespaces(healthy, kubeconfig, labs, clock):
    """Lab 00 asks for `lab`; later labs' resets select their own, and the end-of-course
    grade still credits lab 00."""
    import yaml

    from checker import Check

    check = Check.model_validate(
        {
            "name": "ns",
            "message": "Use a course namespace.",
            "within": 0,
            "context": {"namespace": ["lab", "lab-01"]},
        }
    )
    lab = labs["02-scale"]
    lab = lab.model_copy(
        update={"exercises": [lab.exercises[0].model_copy(update={"checks": [check]})]}
    )
    results = {}
    with ReadOnlyClient.from_kubeconfig(kubeconfig) as client:
        for namespace in (None, "kube-system", "lab-01"):
            config = yaml.safe_load(kubeconfig.read_text())
            config["contexts"][0]["context"]["namespace"] = namespace
            kubeconfig.write_text(yaml.safe_dump(config))
            results[namespace] = run_lab(client, lab, clock=clock).exercises[0].checks[0]
    assert results[None].field_errors == (
        'context.namespace: Invalid value: null: Expected one of: "lab", "lab-01"',
    )
    assert not results["kube-system"].passed
    assert results["lab-01"].passed


def test_grading_many_labs_waits_for_the_slowest_check_not_the_sum(broken, client, labs, clock):
    first = labs["01-deploy"]
    second = first.model_copy(update={"id": "03-again"})  # the same 2 s `within` again
    report = grade(client, [first, second], clock=clock)
    assert not report.passed
    assert abs(sum(clock.sleeps) - 2.0) < 1e-9  # one shared deadline, not 2 s + 2 s


def test_grading_without_waiting_never_sleeps(broken, client, labs, clock):
    report = grade(client, labs, clock=clock, wait=False)
    assert clock.sleeps == []
    assert not report.passed


def test_a_wait_is_announced_once_with_what_is_pending(broken, client, labs, clock):
    told: list[tuple[int, float]] = []
    run_exercise(
        client, labs["01-deploy"], "deploy", clock=clock, on_wait=lambda *a: told.append(a)
    )
    assert told == [(1, 2.0)]  # the deployment check, 2 s left; no-crashloop (within 0) is done


def test_a_passing_run_announces_nothing(healthy, client, labs, clock):
    told: list[tuple[int, float]] = []
    result = run_exercise(
        client, labs["01-deploy"], "deploy", clock=clock, on_wait=lambda *a: told.append(a)
    )
    assert result.passed and told == [] and clock.sleeps == []


def test_a_run_that_does_not_wait_announces_nothing(broken, client, labs, clock):
    told: list[tuple[int, float]] = []
    grade(client, labs, clock=clock, wait=False, on_wait=lambda *a: told.append(a))
    assert told == []


COURSE_LABS = discover_labs(Path(__file__).resolve().parents[2] / "labs")


@pytest.mark.parametrize("lab_id", list(COURSE_LABS))
def test_every_course_lab_sends_only_gets(healthy, client, clock, lab_id):
    """The course's own labs, every check kind they use, against the recording server:
    whatever the verdicts on this fake cluster, nothing but GET goes out."""
    result = run_lab(client, COURSE_LABS[lab_id], clock=clock)
    assert [c for e in result.exercises for c in e.checks]
    assert healthy.requests
    assert_read_only(healthy)


def test_a_server_error_on_one_kind_is_an_error_for_its_checks_only(healthy, client, labs, clock):
    """A 500 on the Deployments LIST makes the check that reads them `error` (with the server's
    words), while the other checks of the grade are still judged and the reports written."""
    healthy.faults["/apis/apps/v1/namespaces/lab/deployments"] = 500
    result = run_lab(client, labs["01-deploy"], clock=clock)
    statuses = {c.name: c.status for e in result.exercises for c in e.checks}
    assert statuses == {
        "deployment-available": "error",
        "no-crashloop": "passed",
        "service-endpoints": "passed",
        "healthz": "passed",
        "version": "passed",
    }
    dep = next(c for e in result.exercises for c in e.checks if c.name == "deployment-available")
    assert dep.target == "apps/v1/Deployment/lab/inference-service"
    assert dep.detail.startswith(
        "The lab cluster answered HTTP 500 to GET /apis/apps/v1/namespaces/lab/deployments"
    )
    assert "etcdserver: leader changed" in dep.detail and "could not be judged" in dep.detail
    assert dep.attempts > 1 and dep.seconds >= 2  # retried while its `within` lasted
    assert not result.passed


def test_a_transient_server_error_heals_on_retry(healthy, client, labs, clock):
    healthy.faults["/apis/apps/v1/namespaces/lab/deployments"] = 500
    healthy.fault_count = 1
    result = run_lab(client, labs["01-deploy"], clock=clock)
    assert result.passed


def test_each_check_reports_its_own_seconds(broken, client, labs, clock):
    result = run_lab(client, labs["01-deploy"], clock=clock)
    seconds = {c.name: c.seconds for e in result.exercises for c in e.checks}
    within = {c.name: c.within for e in labs["01-deploy"].exercises for c in e.checks}
    assert len(set(seconds.values())) > 1, seconds
    for name, spent in seconds.items():
        assert within[name] <= spent < within[name] + 1.5, (name, spent)

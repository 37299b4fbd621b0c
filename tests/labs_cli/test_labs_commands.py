"""`kubelab break`, `reset` and `solve` end to end on the fake machine and the fixture labs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from _cli_fakes import FakeHost, fail, ok, write_kubeconfig

import checker
from kubelab._cmd_labs import (
    backup_kinds,
    find_fault,
    nodes_to_start,
    nodes_to_uncordon,
)
from kubelab._errors import UsageError
from kubelab.cli import main

LABS = Path(__file__).resolve().parent / "data" / "labs"
FIXTURE = LABS / "01-fixture"
API_RESOURCES = "kubectl api-resources --verbs=list --namespaced -o name"
SERVED = "configmaps\nevents\nsecrets\npods\ndeployments.apps\nevents.events.k8s.io\njobs.batch\n"
KINDS = "configmaps,secrets,pods,deployments.apps,jobs.batch"
BACKUP = f"kubectl get {KINDS} -n lab -o yaml --ignore-not-found"
DELETE = "kubectl delete namespace lab --ignore-not-found --wait=true --timeout=180s"
NAMESPACE = "kubectl get namespace lab --ignore-not-found -o name"

LISTING = yaml.safe_dump(
    {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}},
        ],
    }
)


def node(name: str, *, ready: bool = True, unschedulable: bool = False) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}]},
    }


def nodes(*items: dict) -> str:
    return json.dumps({"items": list(items)})


# --- the guard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["break", "crashloop"], id="break"),
        pytest.param(["reset", "01-fixture", "--yes"], id="reset"),
        pytest.param(["solve", "01-fixture"], id="solve"),
    ],
)
def test_foreign_context_is_refused_before_any_process_runs(
    host: FakeHost, lab_home: Path, capsys, argv: list[str]
):
    write_kubeconfig(lab_home / "kubeconfig", "prod-cluster", "https://10.0.0.1:6443")

    assert main(argv) == 3

    err = " ".join(capsys.readouterr().err.split())
    assert "Refusing to act" in err
    assert "'prod-cluster'" in err
    assert host.calls == []


def test_no_lab_cluster_yet_says_run_kubelab_up(host: FakeHost, capsys):
    assert main(["solve", "01-fixture"]) == 5
    assert "kubelab up" in capsys.readouterr().err
    assert host.calls == []


# --- lab and fault ids ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["reset", "solve"])
def test_unknown_lab_lists_the_valid_ones(host: FakeHost, kind_cluster, capsys, command):
    assert main([command, "99-nope", "--yes"] if command == "reset" else [command, "99-nope"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "There is no lab '99-nope'. The labs are: 01-fixture, 02-other." in err
    assert host.calls == []


def test_unknown_fault_lists_every_fault_with_its_description(host: FakeHost, kind_cluster, capsys):
    assert main(["break", "oom"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "There is no fault 'oom'." in err
    assert "crashloop (01-fixture): The web container starts with a command that exits" in err
    assert "lost-config (01-fixture):" in err
    assert "no-endpoints (02-other): The Service selects a label no pod has" in err
    assert host.calls == []


def test_labs_dir_option_overrides_the_environment(host: FakeHost, kind_cluster, tmp_path, capsys):
    empty = tmp_path / "nolabs"
    empty.mkdir()
    assert main(["break", "crashloop", "--labs-dir", str(empty)]) == 2
    assert "(none: no lab defines one)" in capsys.readouterr().err


def test_a_fault_name_two_labs_share_needs_lab():
    lab = checker.load_lab(FIXTURE / "lab.yaml")
    twin = lab.model_copy(update={"id": "02-twin"})
    labs = {lab.id: lab, twin.id: twin}
    with pytest.raises(UsageError, match="Several labs define a fault 'crashloop'"):
        find_fault(labs, "crashloop")
    assert find_fault(labs, "crashloop", lab_id="02-twin")[0].id == "02-twin"


# --- break ----------------------------------------------------------------------------


def test_break_applies_the_fault_and_says_how_to_see_it(host: FakeHost, kind_cluster, capsys):
    assert main(["break", "crashloop"]) == 0

    assert host.lines() == [f"kubectl apply -f {FIXTURE / 'faults' / 'crashloop.yaml'} -n lab"]
    out = capsys.readouterr().out
    assert "Breaking lab 01-fixture with fault crashloop:" in out
    assert "[fault crashloop 1/1] kubectl apply -f faults/crashloop.yaml" in out
    assert "its pod crash-loops" in out
    assert "kubectl get pods -n lab" in out
    assert "kubectl describe pod <pod-name> -n lab" in out
    assert "kubelab reset 01-fixture" in out


def test_break_of_a_fault_in_another_lab(host: FakeHost, kind_cluster):
    assert main(["break", "no-endpoints"]) == 0
    assert host.lines() == [
        'kubectl patch service web -p {"spec":{"selector":{"app":"nobody"}}} -n lab'
    ]


def test_break_step_failure_exits_5_naming_lab_step_and_kubectl_words(
    host: FakeHost, kind_cluster, capsys
):
    host.rules["kubectl apply"] = fail(
        'error: the server doesn\'t have a resource type "deployments"'
    )
    assert main(["break", "crashloop"]) == 5
    err = " ".join(capsys.readouterr().err.split())
    assert "Lab 01-fixture: step 1 of 1 of the fault crashloop" in err
    assert "the server doesn't have a resource type" in err


# --- solve ----------------------------------------------------------------------------


@pytest.fixture
def reset_before(host: FakeHost) -> FakeHost:
    """The lab's namespace exists: it was reset (or solved) before."""
    host.rules[NAMESPACE] = ok("namespace/lab\n")
    return host


def test_solve_runs_every_exercise_setup_then_solution_in_order(
    reset_before: FakeHost, kind_cluster, no_waits, capsys
):
    host = reset_before
    assert main(["solve", "01"]) == 0

    assert host.lines() == [
        NAMESPACE,
        f"kubectl apply -f {FIXTURE / 'solution' / 'web.yaml'} -n lab",
        "kubectl annotate deployment/web course=scale --overwrite -n lab",
        "kubectl scale deployment/web --replicas=3 -n lab",
        "kubectl delete horizontalpodautoscaler.autoscaling web -n lab --ignore-not-found --wait=true",
    ]
    assert no_waits == ["scaled"]
    out = capsys.readouterr().out
    assert "Solving 01-fixture / deploy: Run the web Deployment" in out
    assert "[solution of scale 1/3] kubectl scale deployment/web --replicas=3" in out
    assert "kubelab check 01-fixture" in out


def test_solve_one_exercise_runs_only_that_one(reset_before: FakeHost, kind_cluster, no_waits):
    assert main(["solve", "01-fixture", "deploy"]) == 0
    assert reset_before.lines() == [
        NAMESPACE,
        f"kubectl apply -f {FIXTURE / 'solution' / 'web.yaml'} -n lab",
    ]
    assert no_waits == []


def test_solve_on_a_lab_never_reset_runs_its_setup_first(
    host: FakeHost, kind_cluster, no_waits, capsys
):
    """On a fresh cluster the lab's namespace does not exist: `solve` sets the lab up first
    instead of failing with `namespaces "lab" not found`."""
    assert main(["solve", "01-fixture", "deploy"]) == 0
    assert host.lines() == [
        NAMESPACE,
        f"kubectl apply -f {FIXTURE / 'manifests' / 'web.yaml'} -n lab",
        "kubectl rollout status deployment/web --timeout 60s -n lab",
        f"kubectl apply -f {FIXTURE / 'solution' / 'web.yaml'} -n lab",
    ]
    assert "Namespace lab does not exist yet" in capsys.readouterr().out


def test_solve_says_so_when_the_namespace_cannot_be_looked_up(host: FakeHost, kind_cluster, capsys):
    host.rules[NAMESPACE] = fail("Unable to connect to the server: connection refused")
    assert main(["solve", "01-fixture"]) == 5
    err = " ".join(capsys.readouterr().err.split())
    assert "could not look up namespace lab" in err and "connection refused" in err
    assert host.lines() == [NAMESPACE]


def test_solve_unknown_exercise_lists_the_exercises(host: FakeHost, kind_cluster, capsys):
    assert main(["solve", "01-fixture", "nope"]) == 2
    assert "Its exercises are: deploy, scale." in " ".join(capsys.readouterr().err.split())
    assert host.calls == []


# --- reset ----------------------------------------------------------------------------


@pytest.fixture
def cluster_state(host: FakeHost) -> FakeHost:
    """What the cluster answers reset with: objects in lab, a cordoned and a stopped node."""
    host.rules[API_RESOURCES] = ok(SERVED)
    host.rules[BACKUP] = ok(LISTING)
    host.rules["kubectl get nodes -o json"] = ok(
        nodes(
            node("kubelab-control-plane"),
            node("kubelab-worker", unschedulable=True),
            node("kubelab-worker2", ready=False),
        )
    )
    return host


def test_reset_backs_up_restores_nodes_empties_the_namespace_and_runs_setup(
    cluster_state: FakeHost, kind_cluster, lab_home: Path, capsys
):
    host = cluster_state
    assert main(["reset", "01-fixture", "--yes"]) == 0

    # nodes come back before the delete: pods on a stopped node stay Terminating otherwise
    assert host.lines() == [
        API_RESOURCES,
        BACKUP,
        "kubectl get nodes -o json",
        "kubectl uncordon kubelab-worker -n lab",
        "docker start kubelab-worker2",
        "kubectl annotate node kubelab-worker2 kubelab.dev/started-by=kubelab reset 01-fixture "
        "--overwrite",
        "kubectl wait --for=condition=Ready node/kubelab-worker2 --timeout=120s -n lab",
        DELETE,
        "kubectl get pv -o json",  # volumes its claims released go with the namespace
        f"kubectl apply -f {FIXTURE / 'manifests' / 'web.yaml'} -n lab",
        "kubectl rollout status deployment/web --timeout 60s -n lab",
    ]
    backups = list((lab_home / "backups").glob("*-01-fixture.yaml"))
    assert len(backups) == 1
    assert backups[0].read_text() == LISTING
    out = " ".join(capsys.readouterr().out.split())
    assert f"Saved what is in namespace lab to {backups[0]}" in out
    assert "back at its start" in out


def test_reset_deletes_only_the_labs_own_namespace(cluster_state: FakeHost, kind_cluster):
    """The namespace goes with everything in it (Secrets, ConfigMaps, Jobs, Events), and
    nothing else is deleted."""
    assert main(["reset", "01-fixture", "--yes"]) == 0
    deletes = [line for line in cluster_state.lines() if line.startswith("kubectl delete")]
    assert deletes == [DELETE]


TERMINATING = (
    'Error from server (Conflict): Operation cannot be fulfilled on namespaces "lab": The '
    "system is ensuring all content is removed from this namespace.  Upon completion, this "
    "namespace will automatically be purged by the system."
)
DELETING = "kubectl get namespace lab --ignore-not-found -o jsonpath={.metadata.deletionTimestamp}"
WAIT_DELETED = "kubectl wait --for=delete namespace/lab --timeout=180s"
EXISTS = "kubectl get namespace lab --ignore-not-found -o name"


def test_reset_waits_for_a_namespace_already_being_deleted(
    cluster_state: FakeHost, kind_cluster, capsys
):
    """`kubectl delete namespace lab` by hand, then `kubelab reset` while it still empties:
    the API server refuses the second delete with a Conflict, and reset waits for the first."""
    host = cluster_state
    host.rules[DELETE] = fail(TERMINATING)
    host.rules[DELETING] = ok("2026-12-07T08:01:10Z")
    assert main(["reset", "01-fixture", "--yes"]) == 0
    lines = host.lines()
    assert lines[lines.index(DELETE) + 1 : lines.index(DELETE) + 3] == [DELETING, WAIT_DELETED]
    assert "back at its start" in capsys.readouterr().out


def test_reset_goes_on_when_the_deletion_it_was_refused_for_ends_before_it_looks(
    cluster_state: FakeHost, kind_cluster, capsys
):
    """The 409 says the namespace is being deleted; by the next look it is gone (a walk's
    `kubectl delete namespace --wait=false` just before, seen in CI): nothing left to wait for."""
    host = cluster_state
    host.rules[DELETE] = fail(TERMINATING)
    host.rules[DELETING] = ok("")
    host.rules[EXISTS] = ok("")
    assert main(["reset", "01-fixture", "--yes"]) == 0
    lines = host.lines()
    assert lines[lines.index(DELETE) + 1 : lines.index(DELETE) + 4] == [
        DELETING,
        EXISTS,
        WAIT_DELETED,
    ]
    assert "back at its start" in capsys.readouterr().out


def test_reset_still_stops_when_the_delete_fails_for_another_reason(
    cluster_state: FakeHost, kind_cluster, capsys
):
    host = cluster_state
    host.rules[DELETE] = fail("Error from server (Forbidden): namespaces is forbidden")
    host.rules[DELETING] = ok("")
    host.rules[EXISTS] = ok("namespace/lab")
    assert main(["reset", "01-fixture", "--yes"]) != 0
    assert WAIT_DELETED not in host.lines()
    err = " ".join(capsys.readouterr().err.split())
    assert "reset failed while deleting namespace lab" in err and "Forbidden" in err


def test_reset_refuses_a_lab_whose_namespace_belongs_to_the_cluster(
    host: FakeHost, kind_cluster, tmp_path, capsys
):
    lab = tmp_path / "labs" / "01-fixture"
    lab.mkdir(parents=True)
    text = (FIXTURE / "lab.yaml").read_text().replace("namespace: lab\n", "namespace: default\n")
    (lab / "lab.yaml").write_text(text)
    assert main(["reset", "01-fixture", "--yes", "--labs-dir", str(lab.parent)]) == 2
    assert "belongs to the cluster" in " ".join(capsys.readouterr().err.split())
    assert host.calls == []


def test_reset_starts_nodes_a_fault_stopped_even_while_they_still_look_ready(
    host: FakeHost, kind_cluster, lab_home: Path
):
    (lab_home / "stopped-nodes").write_text("kubelab-worker2\n")
    host.rules[API_RESOURCES] = ok(SERVED)
    host.rules["kubectl get nodes -o json"] = ok(nodes(node("kubelab-worker2")))

    assert main(["reset", "02-other", "--yes"]) == 0

    assert "docker start kubelab-worker2" in host.lines()
    assert (lab_home / "stopped-nodes").read_text() == ""


def test_reset_asks_first_and_a_no_changes_nothing(
    host: FakeHost, kind_cluster, monkeypatch, capsys
):
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["reset", "01-fixture"]) == 1
    out = capsys.readouterr().out
    assert "Reset lab 01-fixture? This deletes namespace lab with everything in it" in out
    assert "Nothing was changed." in out
    assert host.calls == []


def test_reset_asks_first_and_a_yes_resets(cluster_state: FakeHost, kind_cluster, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["reset", "01-fixture"]) == 0
    lines = cluster_state.lines()
    assert lines[:2] == [API_RESOURCES, BACKUP]
    assert DELETE in lines


def test_reset_deletes_nothing_when_the_backup_cannot_be_taken(
    host: FakeHost, kind_cluster, lab_home: Path, capsys
):
    host.rules[API_RESOURCES] = ok(SERVED)
    host.rules[BACKUP] = fail("Unable to connect to the server: connection refused")
    assert main(["reset", "01-fixture", "--yes"]) == 5
    assert host.lines() == [API_RESOURCES, BACKUP]
    err = " ".join(capsys.readouterr().err.split())
    assert "could not save what is in namespace lab" in err
    assert "deleted nothing" in err
    assert not (lab_home / "backups").exists()


def test_each_reset_keeps_its_own_backup(cluster_state: FakeHost, kind_cluster, lab_home: Path):
    assert main(["reset", "01-fixture", "--yes"]) == 0
    assert main(["reset", "01-fixture", "--yes"]) == 0
    assert len(list((lab_home / "backups").iterdir())) == 2


# --- reset's pure decisions -----------------------------------------------------------


def test_backup_covers_every_namespaced_kind_but_events():
    assert backup_kinds(SERVED) == KINDS.split(",")
    assert backup_kinds("") == []


def test_reset_deletes_nothing_when_discovery_fails(host: FakeHost, kind_cluster, capsys):
    host.rules[API_RESOURCES] = fail("Unable to connect to the server: connection refused")
    assert main(["reset", "01-fixture", "--yes"]) == 5
    assert host.lines() == [API_RESOURCES]
    assert "deleted nothing" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    "listed, remembered, uncordon, start",
    [
        pytest.param(nodes(node("a"), node("b")), [], [], [], id="all-well"),
        pytest.param(nodes(node("a", unschedulable=True)), [], ["a"], [], id="cordoned"),
        pytest.param(nodes(node("a", ready=False)), [], [], ["a"], id="not-ready"),
        pytest.param(nodes(node("a")), ["a"], [], ["a"], id="remembered-stop"),
        pytest.param(nodes(node("a", ready=False)), ["a"], [], ["a"], id="both-once"),
        pytest.param("not json", ["b"], [], ["b"], id="unreadable-listing"),
    ],
)
def test_nodes_reset_puts_back(listed, remembered, uncordon, start):
    assert nodes_to_uncordon(listed) == uncordon
    assert nodes_to_start(listed, remembered) == start


def test_fixture_labs_load():
    assert sorted(checker.discover_labs(LABS)) == ["01-fixture", "02-other"]


def test_break_a_node_fault_on_kind_stops_the_node_container_and_points_at_nodes(
    host: FakeHost, kind_cluster, lab_home: Path, capsys
):
    assert main(["break", "worker-down"]) == 0

    assert host.lines() == [
        "docker stop kubelab-worker2",
        "kubectl annotate node kubelab-worker2 kubelab.dev/started-by- --overwrite",
    ]
    assert (lab_home / "stopped-nodes").read_text() == "kubelab-worker2\n"
    out = capsys.readouterr().out
    assert "[fault worker-down 1/1] node kubelab-worker2: stop" in out
    assert "  kubectl get nodes\n" in out

"""What each lab.yaml Step means as an action: pure decisions, no process, no cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

import checker
from kubelab._steps import (
    KubectlAction,
    NodeAction,
    StepContext,
    StepProblem,
    WaitAction,
    after_node_action,
    names_namespace,
    plan,
    resource_name,
    with_namespace,
)

CTX = StepContext(
    lab_id="01-fixture",
    folder=Path("/labs/01-fixture"),
    namespace="lab",
    scratch=Path("/home/.kubelab/applied/01-fixture"),
)


def lab_steps() -> dict:
    """The fixture lab's steps as the checker's models parse them."""
    lab = checker.load_lab(Path(__file__).parent / "data" / "labs" / "01-fixture" / "lab.yaml")
    scale = lab.exercise("scale")
    assert scale is not None
    return {
        "apply": lab.setup[0],
        "kubectl": lab.setup[1],
        "delete-core": lab.faults["lost-config"].steps[0],
        "manifest": lab.faults["lost-config"].steps[1],
        "kubectl-scale": scale.solution[0],
        "delete-group": scale.solution[1],
        "wait": scale.solution[2],
    }


@pytest.mark.parametrize(
    "key, args",
    [
        pytest.param(
            "apply", ("apply", "-f", "/labs/01-fixture/manifests/web.yaml", "-n", "lab"), id="apply"
        ),
        pytest.param(
            "kubectl",
            ("rollout", "status", "deployment/web", "--timeout", "60s", "-n", "lab"),
            id="kubectl",
        ),
        pytest.param(
            "delete-core",
            ("delete", "configmap", "web-config", "-n", "lab", "--ignore-not-found", "--wait=true"),
            id="delete-core-kind",
        ),
        pytest.param(
            "delete-group",
            (
                "delete",
                "horizontalpodautoscaler.autoscaling",
                "web",
                "-n",
                "lab",
                "--ignore-not-found",
                "--wait=true",
            ),
            id="delete-grouped-kind",
        ),  # fmt: skip
        pytest.param(
            "kubectl-scale", ("scale", "deployment/web", "--replicas=3", "-n", "lab"), id="scale"
        ),
    ],
)
def test_model_steps_become_the_exact_kubectl_args(key: str, args: tuple[str, ...]):
    action = plan(lab_steps()[key], CTX)
    assert isinstance(action, KubectlAction)
    assert action.args == args
    assert action.file is None


def test_inline_manifest_is_written_to_the_lab_home_and_applied_from_there():
    action = plan(lab_steps()["manifest"], CTX)
    assert isinstance(action, KubectlAction)
    file = CTX.scratch / "configmap-web-config-wrong.yaml"
    assert action.args == ("apply", "-f", str(file), "-n", "lab")
    assert action.file == file
    assert "name: web-config-wrong" in (action.content or "")
    assert "colour: red" in (action.content or "")


def test_inline_manifest_with_its_own_namespace_is_applied_there():
    step = {
        "manifest": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "lab2"},
        }
    }
    action = plan(step, CTX)
    assert isinstance(action, KubectlAction)
    assert action.args[-2:] == ("-n", "lab2")


def test_wait_step_carries_the_check_with_its_deadline():
    action = plan(lab_steps()["wait"], CTX)
    assert isinstance(action, WaitAction)
    assert action.check.name == "scaled"
    assert action.check.within == 30.0
    assert "up to 30s" in action.title


def test_apply_path_may_leave_the_lab_folder_like_the_courses_shared_manifests():
    action = plan({"apply": "../../manifests/inference/deployment.yaml"}, CTX)
    assert isinstance(action, KubectlAction)
    assert action.args[2] == "/manifests/inference/deployment.yaml"


@pytest.mark.parametrize(
    "line, args",
    [
        pytest.param("get pods", ("get", "pods", "-n", "lab"), id="adds-namespace"),
        pytest.param("kubectl get pods", ("get", "pods", "-n", "lab"), id="drops-leading-kubectl"),
        pytest.param("get pods -n other", ("get", "pods", "-n", "other"), id="short-flag"),
        pytest.param("get pods --namespace=x", ("get", "pods", "--namespace=x"), id="long-equals"),
        pytest.param("get pods --namespace x", ("get", "pods", "--namespace", "x"), id="long"),
        pytest.param("get pods -A", ("get", "pods", "-A"), id="all-namespaces"),
        pytest.param(
            "exec web-0 -- ls -n",
            ("exec", "web-0", "-n", "lab", "--", "ls", "-n"),
            id="before-dashdash",
        ),
        pytest.param(
            "annotate deploy/web note='two words'",
            ("annotate", "deploy/web", "note=two words", "-n", "lab"),
            id="shell-quoting",
        ),
    ],
)
def test_kubectl_step_gets_the_lab_namespace_unless_it_names_one(line: str, args: tuple):
    action = plan({"kubectl": line}, CTX)
    assert isinstance(action, KubectlAction)
    assert action.args == args


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(["get", "pods"], False, id="none"),
        pytest.param(["get", "pods", "-nlab"], True, id="glued-short"),
        pytest.param(["get", "pods", "--all-namespaces"], True, id="all"),
        pytest.param(["exec", "p", "--", "cmd", "-n", "x"], False, id="after-dashdash-is-not-ours"),
    ],
)
def test_names_namespace(args: list[str], expected: bool):
    assert names_namespace(args) is expected


def test_with_namespace_leaves_args_that_name_one_alone():
    assert with_namespace(["get", "pods", "-A"], "lab") == ("get", "pods", "-A")


@pytest.mark.parametrize(
    "api_version, kind, name",
    [
        pytest.param("v1", "Pod", "pod", id="core"),
        pytest.param("apps/v1", "Deployment", "deployment.apps", id="apps"),
        pytest.param("policy/v1", "PodDisruptionBudget", "poddisruptionbudget.policy", id="policy"),
    ],
)
def test_resource_name_is_kind_dot_group(api_version: str, kind: str, name: str):
    assert resource_name(api_version, kind) == name


def test_node_step_as_plain_dict_becomes_a_node_action():
    action = plan({"node": {"name": "kubelab-worker2", "action": "stop"}}, CTX)
    assert action == NodeAction("kubelab-worker2", "stop", title="node kubelab-worker2: stop")


@pytest.mark.parametrize(
    "step, says",
    [
        pytest.param(
            {"node": {"name": "prod-db", "action": "stop"}},
            "lab cluster's nodes",
            id="foreign-node",
        ),
        pytest.param(
            {"node": {"name": "kubelab-worker", "action": "reboot"}},
            "stop, start, fill-memory or free-memory",
            id="bad-action",
        ),
        pytest.param({"apply": "a.yaml", "kubectl": "get pods"}, "exactly one of", id="two-kinds"),
        pytest.param({"kubectl": "get 'pods"}, "does not split", id="bad-quoting"),
        pytest.param({"kubectl": "kubectl"}, "needs arguments", id="empty"),
    ],
)
def test_steps_that_cannot_be_carried_out_say_why(step: dict, says: str):
    with pytest.raises(StepProblem, match=says):
        plan(step, CTX)


@pytest.mark.parametrize(
    "before, name, action, after",
    [
        pytest.param([], "kubelab-worker2", "stop", ["kubelab-worker2"], id="stop-remembers"),
        pytest.param(
            ["kubelab-worker2"],
            "kubelab-worker2",
            "stop",
            ["kubelab-worker2"],
            id="stop-twice-once",
        ),
        pytest.param(
            ["kubelab-worker", "kubelab-worker2"],
            "kubelab-worker",
            "start",
            ["kubelab-worker2"],
            id="start-forgets",
        ),
        pytest.param([], "kubelab-worker", "start", [], id="start-unknown"),
    ],
)
def test_stopped_nodes_are_remembered_until_started(before, name, action, after):
    assert after_node_action(before, name, action) == after


def test_node_step_from_lab_yaml_becomes_a_node_action():
    lab = checker.load_lab(Path(__file__).parent / "data" / "labs" / "01-fixture" / "lab.yaml")
    action = plan(lab.faults["worker-down"].steps[0], CTX)
    assert action == NodeAction("kubelab-worker2", "stop", title="node kubelab-worker2: stop")


def test_filling_a_nodes_memory_neither_stops_nor_starts_it():
    """node-memory-pressure's steps leave the list of nodes a fault stopped alone."""
    assert after_node_action(["kubelab-worker2"], "kubelab-worker2", "fill-memory") == [
        "kubelab-worker2"
    ]
    assert after_node_action([], "kubelab-worker", "free-memory") == []

"""PriorityClass with the real kubectl on kubesim: `create priorityclass`, `get pc`,
`describe pc`, the two built-in classes, and the Priority admission plugin's verdicts on
pods, worded as kube-apiserver words them. Classes are cluster-scoped and the session's
kubesim is shared, so each test names its own classes and deletes what it made."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.kubesim
_counter = itertools.count()


@pytest.fixture
def tag() -> str:
    return f"{next(_counter)}-{int(time.time() * 1000) % 100000}"


@pytest.fixture
def cleanup(kubectl) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for name in made:
        kubectl("delete", "priorityclass", name, "--ignore-not-found", check=False)


def test_the_built_in_classes_list_as_on_kind(kubectl) -> None:
    out = kubectl("get", "pc", "system-cluster-critical", "system-node-critical").stdout
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    assert [row[:3] + row[4:] for row in lines[1:]] == [
        ["system-cluster-critical", "2000000000", "false", "PreemptLowerPriority"],
        ["system-node-critical", "2000001000", "false", "PreemptLowerPriority"],
    ]


def test_create_get_and_describe_a_class(kubectl, tag, cleanup) -> None:
    name = f"high-{tag}"
    cleanup.append(name)
    out = kubectl(
        "create", "priorityclass", name, "--value=1000", "--description=for the model server"
    )
    assert out.stdout.strip() == f"priorityclass.scheduling.k8s.io/{name} created"
    row = kubectl("get", "pc", name, "--no-headers").stdout.split()
    assert row[:3] + row[4:] == [name, "1000", "false", "PreemptLowerPriority"]
    described = kubectl("describe", "pc", name).stdout
    assert f"Name:              {name}" in described
    assert "Value:             1000" in described
    assert "GlobalDefault:     false" in described
    assert "PreemptionPolicy:  PreemptLowerPriority" in described
    assert "Description:       for the model server" in described


def test_a_pod_gets_its_class_priority(kubectl, tag, cleanup) -> None:
    name = f"quiet-{tag}"
    cleanup.append(name)
    kubectl("create", "priorityclass", name, "--value=500", "--preemption-policy=Never")
    pod = f"p-{tag}"
    kubectl(
        "run",
        pod,
        "--image=nginx:1.27",
        "--restart=Never",
        f'--overrides={{"spec":{{"priorityClassName":"{name}"}}}}',
    )
    try:
        spec = json.loads(kubectl("get", "pod", pod, "-o", "json").stdout)["spec"]
        assert (spec["priority"], spec["preemptionPolicy"]) == (500, "Never")
        assert "Priority:             500" in kubectl("describe", "pod", pod).stdout
    finally:
        kubectl("delete", "pod", pod, "--wait=false", check=False)


def test_a_pod_naming_no_class_gets_zero(kubectl, tag) -> None:
    pod = f"plain-{tag}"
    kubectl("run", pod, "--image=nginx:1.27", "--restart=Never")
    try:
        spec = json.loads(kubectl("get", "pod", pod, "-o", "json").stdout)["spec"]
        assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
        assert "priorityClassName" not in spec
    finally:
        kubectl("delete", "pod", pod, "--wait=false", check=False)


def test_an_unknown_class_is_refused(kubectl, tag) -> None:
    pod = f"lost-{tag}"
    out = kubectl(
        "run",
        pod,
        "--image=nginx:1.27",
        "--restart=Never",
        '--overrides={"spec":{"priorityClassName":"no-such-class"}}',
        check=False,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f'Error from server (Forbidden): pods "{pod}" is forbidden: '
        "no PriorityClass with name no-such-class was found"
    )


def test_refusals_read_as_on_a_real_cluster(kubectl, tag, cleanup) -> None:
    first, second = f"first-{tag}", f"second-{tag}"
    cleanup.extend([first, second])
    kubectl("create", "priorityclass", first, "--value=10", "--global-default")
    out = kubectl("create", "priorityclass", second, "--value=20", "--global-default", check=False)
    assert out.stderr.strip() == (
        "error: failed to create priorityclass: priorityclasses.scheduling.k8s.io "
        f'"{second}" is forbidden: PriorityClass {first} is already marked as default. '
        "Only one default can exist"
    )
    out = kubectl("create", "priorityclass", f"system-{tag}", "--value=1", check=False)
    assert (
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved "
        f"for system use only. error: system-{tag} is not a known system priority class"
    ) in out.stderr
    out = kubectl("create", "priorityclass", f"big-{tag}", "--value=2000000000", check=False)
    assert "value: Forbidden: maximum allowed value of a user defined priority is 1000000000" in (
        out.stderr
    )
    out = kubectl("patch", "pc", first, "--type=merge", "-p", '{"value": 11}', check=False)
    assert "value: Forbidden: may not be changed in an update." in out.stderr


def test_a_global_default_names_itself_in_new_pods(kubectl, tag, cleanup) -> None:
    name = f"everyone-{tag}"
    cleanup.append(name)
    kubectl("create", "priorityclass", name, "--value=7", "--global-default")
    pod = f"d-{tag}"
    try:
        kubectl("run", pod, "--image=nginx:1.27", "--restart=Never")
        spec = json.loads(kubectl("get", "pod", pod, "-o", "json").stdout)["spec"]
        assert (spec["priorityClassName"], spec["priority"]) == (name, 7)
    finally:
        kubectl("delete", "priorityclass", name, check=False)
        kubectl("delete", "pod", pod, "--wait=false", check=False)

"""PriorityClass validation and the Priority admission plugin, as pure tables: the rules
and the words of pkg/apis/scheduling/validation and plugin/pkg/admission/priority."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kubesim.apiserver.admission import default, validate
from kubesim.apiserver.printers.resources import priority_class
from kubesim.apiserver.printers.table import columns_for
from kubesim.apiserver.priority import (
    SYSTEM_PRIORITY_CLASSES,
    admit_pod_priority,
    admit_priority_class,
    keep_pod_priority,
)
from kubesim.apiserver.validation.kinds import validate_values

GVK = ("scheduling.k8s.io", "v1", "PriorityClass")


def pc(name: str, value: int, **fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "value": value, **fields}


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}], **spec}}


@pytest.mark.parametrize(
    "obj, want",
    [
        pytest.param(pc("high", 1000), [], id="user-class"),
        pytest.param(pc("low", -5), [], id="negative-value-is-fine"),
        pytest.param(pc("top", 1_000_000_000), [], id="highest-user-value"),
        pytest.param(
            pc("huge", 1_000_000_001),
            ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"],
            id="above-user-range",
        ),
        pytest.param(
            pc("system-mine", 10),
            [
                "metadata.name: Forbidden: priority class names with 'system-' prefix are "
                "reserved for system use only. error: system-mine is not a known system "
                "priority class"
            ],
            id="system-prefix-reserved",
        ),
        pytest.param(
            pc("system-node-critical", 5),
            [
                "metadata.name: Forbidden: priority class names with 'system-' prefix are "
                "reserved for system use only. error: value of system-node-critical "
                "PriorityClass must be 2000001000"
            ],
            id="built-in-with-wrong-value",
        ),
        pytest.param(pc("system-cluster-critical", 2_000_000_000), [], id="built-in-as-is"),
        pytest.param(
            pc("p", 1, preemptionPolicy="Sometimes"),
            [
                'preemptionPolicy: Unsupported value: "Sometimes": supported values: '
                '"PreemptLowerPriority", "Never"'
            ],
            id="unknown-policy",
        ),
    ],
)
def test_priority_class_validation_on_create(obj: dict[str, Any], want: list[str]) -> None:
    errors = validate_values(GVK, obj, None, namespaced=False)
    assert [str(e) for e in errors] == want


@pytest.mark.parametrize(
    "new, want",
    [
        pytest.param(pc("high", 1000, description="new words"), [], id="description-may-change"),
        pytest.param(
            pc("high", 2000), ["value: Forbidden: may not be changed in an update."], id="value"
        ),
        pytest.param(
            pc("high", 1000, preemptionPolicy="Never"),
            ['preemptionPolicy: Invalid value: "Never": field is immutable'],
            id="preemption-policy",
        ),
    ],
)
def test_value_and_policy_are_immutable(new: dict[str, Any], want: list[str]) -> None:
    old = pc("high", 1000, preemptionPolicy="PreemptLowerPriority")
    new.setdefault("preemptionPolicy", "PreemptLowerPriority")
    assert [str(e) for e in validate_values(GVK, new, old, namespaced=False)] == want


def test_only_one_class_may_be_the_global_default() -> None:
    stored = [pc("a", 10, globalDefault=True), pc("b", 20)]
    why = admit_priority_class(pc("c", 5, globalDefault=True), stored, update=False)
    assert why == "PriorityClass a is already marked as default. Only one default can exist"
    assert admit_priority_class(pc("a", 10, globalDefault=True), stored, update=True) is None
    assert admit_priority_class(pc("b", 20, globalDefault=True), stored, update=True) == why
    assert admit_priority_class(pc("c", 5), stored, update=False) is None


HIGH = pc("high", 1000, preemptionPolicy="PreemptLowerPriority")
QUIET = pc("quiet", 500, preemptionPolicy="Never")
DEFAULT = pc("everyone", 7, globalDefault=True, preemptionPolicy="Never")


@pytest.mark.parametrize(
    "spec, classes, want",
    [
        pytest.param(
            {},
            [HIGH],
            {"priority": 0, "preemptionPolicy": "PreemptLowerPriority"},
            id="no-class-no-default",
        ),
        pytest.param(
            {"priorityClassName": "high"},
            [HIGH],
            {
                "priorityClassName": "high",
                "priority": 1000,
                "preemptionPolicy": "PreemptLowerPriority",
            },
            id="named-class",
        ),
        pytest.param(
            {"priorityClassName": "quiet"},
            [HIGH, QUIET],
            {"priorityClassName": "quiet", "priority": 500, "preemptionPolicy": "Never"},
            id="never-preempt-class",
        ),
        pytest.param(
            {},
            [HIGH, DEFAULT],
            {"priorityClassName": "everyone", "priority": 7, "preemptionPolicy": "Never"},
            id="global-default-named-in-pod",
        ),
        pytest.param(
            {"priorityClassName": "high", "priority": 1000},
            [HIGH],
            {
                "priorityClassName": "high",
                "priority": 1000,
                "preemptionPolicy": "PreemptLowerPriority",
            },
            id="same-priority-given",
        ),
    ],
)
def test_pod_priority_resolves_from_its_class(
    spec: dict[str, Any], classes: list[dict[str, Any]], want: dict[str, Any]
) -> None:
    obj = pod(**spec)
    assert admit_pod_priority(obj, classes) is None
    got = {
        k: obj["spec"][k]
        for k in ("priorityClassName", "priority", "preemptionPolicy")
        if k in obj["spec"]
    }
    assert got == want


@pytest.mark.parametrize(
    "spec, want",
    [
        pytest.param(
            {"priorityClassName": "nope"}, "no PriorityClass with name nope was found", id="unknown"
        ),
        pytest.param(
            {"priorityClassName": "high", "priority": 5},
            "the integer value of priority (5) must not be provided in pod spec; priority "
            "admission controller computed 1000 from the given PriorityClass name",
            id="priority-differs",
        ),
        pytest.param(
            {"priorityClassName": "quiet", "preemptionPolicy": "PreemptLowerPriority"},
            "the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided "
            "in pod spec; priority admission controller computed Never from the given "
            "PriorityClass name",
            id="policy-differs",
        ),
    ],
)
def test_pod_priority_refusals(spec: dict[str, Any], want: str) -> None:
    assert admit_pod_priority(pod(**spec), [HIGH, QUIET]) == want


def test_an_update_without_priority_keeps_the_stored_one() -> None:
    new = pod()
    keep_pod_priority(new, pod(priority=1000))
    assert new["spec"]["priority"] == 1000


def test_system_classes_are_the_two_kind_has() -> None:
    got = {c["metadata"]["name"]: c["value"] for c in SYSTEM_PRIORITY_CLASSES}
    assert got == {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
    for spc in SYSTEM_PRIORITY_CLASSES:
        assert validate_values(GVK, spc, None, namespaced=False) == []


def test_kubectl_get_pc_columns_and_row() -> None:
    names = [c["name"] for c in columns_for(GVK)]
    assert names == ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
    now = datetime(2026, 12, 5, 12, 0, 30, tzinfo=UTC)
    obj = pc("high", 1000, preemptionPolicy="PreemptLowerPriority")
    obj["metadata"]["creationTimestamp"] = "2026-12-05T12:00:00Z"
    assert priority_class(obj, now) == ["high", 1000, False, "30s", "PreemptLowerPriority"]


def test_a_value_beyond_int32_does_not_decode() -> None:
    obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "x"}}
    problems = validate(GVK, {**obj, "value": 3_000_000_000}, old=None, field_validation="Strict")
    assert problems.decode_error == (
        'PriorityClass in version "v1" cannot be handled as a PriorityClass: json: cannot '
        "unmarshal number 3000000000 into Go struct field PriorityClass.value of type int32"
    )


def test_a_class_without_value_stores_zero_and_the_default_policy() -> None:
    stored = default(GVK, {"metadata": {"name": "x"}, "globalDefault": False})
    assert (stored["value"], stored["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert "globalDefault" not in stored  # a Go bool with omitempty

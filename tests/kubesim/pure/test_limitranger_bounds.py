"""The LimitRanger plugin's validating half and ValidateLimitRange, as pure functions: the
refusals the docs' LimitRange tasks show, in plugin/pkg/admission/limitranger's words."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.apiserver.validation.limitrange import validate_limitrange
from kubesim.core.limitranger import claim_denial, mutate_pod, pod_denial

Obj = dict[str, Any]


def _lr(*items: Obj, name: str = "bounds") -> Obj:
    return {"kind": "LimitRange", "metadata": {"name": name}, "spec": {"limits": list(items)}}


def _container(name: str = "app", **resources: Obj) -> Obj:
    return {"name": name, "image": "nginx", "resources": resources}


def _pod(*containers: Obj, init: list[Obj] | None = None, resources: Obj | None = None) -> Obj:
    spec: Obj = {"containers": list(containers)}
    if init:
        spec["initContainers"] = init
    if resources:
        spec["resources"] = resources
    return {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


MEMORY = {"type": "Container", "min": {"memory": "500Mi"}, "max": {"memory": "1Gi"}}


def test_a_container_inside_the_bounds_passes() -> None:
    pod = _pod(_container(requests={"memory": "600Mi"}, limits={"memory": "800Mi"}))
    assert pod_denial(pod, [_lr(MEMORY)]) is None


@pytest.mark.parametrize(
    ("resources", "why"),
    [
        (
            {"requests": {"memory": "800Mi"}, "limits": {"memory": "1536Mi"}},
            "maximum memory usage per Container is 1Gi, but limit is 1536Mi",
        ),
        (
            {"requests": {"memory": "100Mi"}, "limits": {"memory": "800Mi"}},
            "minimum memory usage per Container is 500Mi, but request is 100Mi",
        ),
        (
            {"requests": {"memory": "600Mi"}},
            "maximum memory usage per Container is 1Gi.  No limit is specified",
        ),
        (
            {"limits": {"memory": "800Mi"}},
            "minimum memory usage per Container is 500Mi.  No request is specified",
        ),
    ],
)
def test_the_memory_constraints_page_refusals(resources: Obj, why: str) -> None:
    assert pod_denial(_pod(_container(**resources)), [_lr(MEMORY)]) == why


def test_cpu_bounds_print_canonical_quantities() -> None:
    cpu = {"type": "Container", "min": {"cpu": "200m"}, "max": {"cpu": "800m"}}
    over = _pod(_container(requests={"cpu": "500m"}, limits={"cpu": "1.5"}))
    assert (
        pod_denial(over, [_lr(cpu)])
        == "maximum cpu usage per Container is 800m, but limit is 1500m"
    )
    under = _pod(_container(requests={"cpu": "100m"}, limits={"cpu": "800m"}))
    assert (
        pod_denial(under, [_lr(cpu)])
        == "minimum cpu usage per Container is 200m, but request is 100m"
    )


def test_several_refusals_of_one_limitrange_are_joined_in_brackets_once_each() -> None:
    both = {
        "type": "Container",
        "min": {"cpu": "200m", "memory": "500Mi"},
    }
    pod = _pod(
        _container("a", requests={"cpu": "100m", "memory": "100Mi"}),
        _container("b", requests={"cpu": "100m", "memory": "600Mi"}),
    )
    assert pod_denial(pod, [_lr(both)]) == (
        "[minimum cpu usage per Container is 200m, but request is 100m, "
        "minimum memory usage per Container is 500Mi, but request is 100Mi]"
    )


def test_the_ratio_is_shown_to_six_decimals() -> None:
    ratio = {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}}
    pod = _pod(_container(requests={"cpu": "200m"}, limits={"cpu": "500m"}))
    assert pod_denial(pod, [_lr(ratio)]) == (
        "cpu max limit to request ratio per Container is 2, but provided ratio is 2.500000"
    )
    exact = _pod(_container(requests={"cpu": "250m"}, limits={"cpu": "500m"}))
    assert pod_denial(exact, [_lr(ratio)]) is None
    no_limit = _pod(_container(requests={"cpu": "250m"}))
    assert pod_denial(no_limit, [_lr(ratio)]) == (
        "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0"
    )


def test_init_containers_are_held_to_container_bounds_too() -> None:
    pod = _pod(
        _container(requests={"memory": "600Mi"}, limits={"memory": "800Mi"}),
        init=[_container("setup", requests={"memory": "600Mi"}, limits={"memory": "2Gi"})],
    )
    assert (
        pod_denial(pod, [_lr(MEMORY)])
        == "maximum memory usage per Container is 1Gi, but limit is 2Gi"
    )


def test_pod_bounds_count_the_pod_as_the_scheduler_does() -> None:
    per_pod = {"type": "Pod", "max": {"memory": "1Gi"}}
    two = _pod(
        _container("a", requests={"memory": "300Mi"}, limits={"memory": "600Mi"}),
        _container("b", requests={"memory": "300Mi"}, limits={"memory": "600Mi"}),
    )
    assert (
        pod_denial(two, [_lr(per_pod)])
        == "maximum memory usage per Pod is 1Gi, but limit is 1200Mi"
    )
    # a pod's own limit stands for its containers' (PodLevelResources)
    capped = _pod(*two["spec"]["containers"], resources={"limits": {"memory": "1Gi"}})
    assert pod_denial(capped, [_lr(per_pod)]) is None
    # a sidecar is summed; a plain init container counts when it alone is larger
    sidecar = _container("log", requests={"memory": "100Mi"}, limits={"memory": "500Mi"})
    sidecar["restartPolicy"] = "Always"
    with_sidecar = _pod(
        _container("a", requests={"memory": "300Mi"}, limits={"memory": "600Mi"}), init=[sidecar]
    )
    assert pod_denial(with_sidecar, [_lr(per_pod)]) == (
        "maximum memory usage per Pod is 1Gi, but limit is 1100Mi"
    )


def test_the_first_limitrange_by_name_that_refuses_is_the_answer() -> None:
    strict = _lr({"type": "Container", "max": {"memory": "256Mi"}}, name="a-strict")
    loose = _lr({"type": "Container", "max": {"memory": "128Mi"}}, name="b-loose")
    pod = _pod(_container(requests={"memory": "200Mi"}, limits={"memory": "512Mi"}))
    assert pod_denial(pod, [loose, strict]) == (
        "maximum memory usage per Container is 256Mi, but limit is 512Mi"
    )


def test_a_resize_is_checked_only_for_what_it_changes() -> None:
    """A LimitRange tightened after the pod was made does not block a resize of another
    resource; a value the resize moves is checked as on create."""
    bounds = _lr({"type": "Container", "max": {"cpu": "1", "memory": "256Mi"}})
    old = _pod(
        _container(
            requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "512Mi"}
        )
    )
    cpu_down = _pod(
        _container(
            requests={"cpu": "250m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "512Mi"}
        )
    )
    assert pod_denial(cpu_down, [bounds], old) is None
    assert pod_denial(cpu_down, [bounds]) == (
        "maximum memory usage per Container is 256Mi, but limit is 512Mi"
    )
    cpu_up = _pod(
        _container(
            requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "2", "memory": "512Mi"}
        )
    )
    assert (
        pod_denial(cpu_up, [bounds], old) == "maximum cpu usage per Container is 1, but limit is 2"
    )


def _claim(storage: str | None) -> Obj:
    resources = {"requests": {"storage": storage}} if storage else {}
    return {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c"},
        "spec": {"resources": resources},
    }


STORAGE = {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "2Gi"}}


def test_the_limit_storage_consumption_page_refusals() -> None:
    assert claim_denial(_claim("1500Mi"), [_lr(STORAGE)]) is None
    assert claim_denial(_claim("5Gi"), [_lr(STORAGE)]) == (
        "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi"
    )
    assert claim_denial(_claim("500Mi"), [_lr(STORAGE)]) == (
        "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"
    )
    # a claim's update that leaves its request alone is not checked again
    assert claim_denial(_claim("5Gi"), [_lr(STORAGE)], old=_claim("5Gi")) is None
    assert claim_denial(_claim("6Gi"), [_lr(STORAGE)], old=_claim("5Gi")) is not None
    # container bounds do not apply to claims, nor claim bounds to pods
    assert claim_denial(_claim("5Gi"), [_lr(MEMORY)]) is None
    assert pod_denial(_pod(_container()), [_lr(STORAGE)]) is None


def test_init_containers_are_named_as_such_in_the_annotation() -> None:
    defaults = _lr(
        {"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}
    )
    out = mutate_pod(_pod(_container(), init=[_container("setup")]), [defaults])
    assert out["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu request for container app; cpu limit for container app; "
        "cpu request for init container setup; cpu limit for init container setup"
    )


# --- ValidateLimitRange ---------------------------------------------------------------------


def _messages(lr: Obj) -> list[str]:
    return [f"{e.field}: {e.message}" for e in validate_limitrange(lr, None)]


def test_a_limitrange_whose_min_passes_its_max_is_invalid() -> None:
    lr = _lr(
        {
            "type": "Container",
            "min": {"memory": "2Gi"},
            "max": {"memory": "1Gi"},
            "default": {"memory": "1Gi"},
            "defaultRequest": {"memory": "1Gi"},
        }
    )
    assert _messages(lr) == [
        "spec.limits[0].min[memory]: Invalid value: resource.Quantity{i:resource.int64Amount"
        "{value:2147483648, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, "
        's:"2Gi", Format:"BinarySI"}: min value 2Gi is greater than max value 1Gi',
        "spec.limits[0].defaultRequest[memory]: Invalid value: resource.Quantity{i:resource."
        "int64Amount{value:1073741824, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, "
        's:"1Gi", Format:"BinarySI"}: min value 2Gi is greater than default request value 1Gi',
        "spec.limits[0].default[memory]: Invalid value: resource.Quantity{i:resource."
        "int64Amount{value:2147483648, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, "
        's:"2Gi", Format:"BinarySI"}: min value 2Gi is greater than default value 1Gi',
    ]


def test_a_limitrange_is_checked_for_its_shape() -> None:
    lr = _lr(
        {"type": "Pod", "max": {"cpu": "2"}, "default": {"cpu": "1"}},
        {"type": "Pod", "max": {"cpu": "2"}},
        {"type": "PersistentVolumeClaim", "max": {"memory": "1Gi"}},
        {"type": "Containers", "max": {"cpus": "1"}},
        {"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}},
    )
    messages = _messages(lr)
    assert (
        "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'" in messages
    )
    assert 'spec.limits[1].type: Duplicate value: "Pod"' in messages
    assert (
        "spec.limits[2].limits: Required value: either minimum or maximum storage value is "
        "required, but neither was provided"
    ) in messages
    assert (
        'spec.limits[3].type: Invalid value: "Containers": must be a standard limit type or '
        "fully qualified"
    ) in messages
    assert any(m.endswith(": ratio 500m is less than 1") for m in messages)
    assert len(messages) == 5
    # cpus is not a container resource, but only Pod and Container types name them
    assert not any("cpus" in m for m in messages)


def test_the_docs_limitranges_are_valid() -> None:
    assert (
        _messages(
            _lr(
                {
                    "type": "Container",
                    "max": {"cpu": "800m"},
                    "min": {"cpu": "200m"},
                    "default": {"cpu": "800m"},
                    "defaultRequest": {"cpu": "800m"},
                }
            )
        )
        == []
    )
    assert _messages(_lr(STORAGE)) == []
    ratio = {
        "type": "Container",
        "min": {"cpu": "100m"},
        "max": {"cpu": "1"},
        "maxLimitRequestRatio": {"cpu": "20"},
    }
    assert _messages(_lr(ratio)) == [
        "spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: resource.Quantity{i:resource."
        "int64Amount{value:20, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, "
        's:"20", Format:"DecimalSI"}: ratio 20 is greater than max/min = 10.000000'
    ]

"""API-layer behaviour found missing by the controller and course work: apply conflict
wording, Job selectors on create, duplicate JSON keys, status writes carrying metadata,
pods/binding, controller-driven namespace termination, and LimitRange / ResourceQuota
admission. All through the in-process `Api` (no HTTP, no processes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesim.apiserver.api import Api, WriteOptions
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.core.clock import FrozenClock
from kubesim.core.errors import ApiError, BadRequest, Conflict, Forbidden
from kubesim.store.sqlite import Store

REPO = Path(__file__).resolve().parents[3]
APPLY = "application/apply-patch+yaml"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=FrozenClock())
    bootstrap(a)
    yield a
    store.close()


def res(api: Api, plural: str, group: str = "", version: str = "v1"):
    return api.resource(group, version, plural)


def deployment(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


def pod(name: str, *, memory: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
    if memory:
        container["resources"] = {
            "requests": {"memory": memory, "cpu": "100m"},
            "limits": {"memory": memory, "cpu": "100m"},
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container]},
    }


def namespace(api: Api, name: str) -> None:
    api.create(
        res(api, "namespaces"),
        None,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )


# -- 1. apply conflicts -----------------------------------------------------------------------


def test_apply_conflict_names_an_update_manager_with_its_api_version(api: Api) -> None:
    deps = res(api, "deployments", "apps")
    api.create(
        deps,
        "default",
        deployment(),
        options=WriteOptions(field_manager="kubectl-client-side-apply"),
    )
    with pytest.raises(Conflict) as exc:
        api.patch(
            deps,
            "default",
            "web",
            json.dumps(deployment(replicas=5)),
            content_type=APPLY,
            options=WriteOptions(field_manager="gitops"),
        )
    status = exc.value.status
    assert status["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using '
        "apps/v1: .spec.replicas"
    )
    assert status["reason"] == "Conflict" and status["code"] == 409
    assert status["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
            "field": ".spec.replicas",
        }
    ]


def test_apply_conflicts_with_an_apply_manager_print_without_using(api: Api) -> None:
    deps = res(api, "deployments", "apps")
    first = deployment(replicas=2)
    first["spec"]["minReadySeconds"] = 5
    api.patch(
        deps,
        "default",
        "web",
        json.dumps(first),
        content_type=APPLY,
        options=WriteOptions(field_manager="gitops"),
    )
    second = deployment(replicas=3)
    second["spec"]["minReadySeconds"] = 9
    with pytest.raises(Conflict) as exc:
        api.patch(
            deps,
            "default",
            "web",
            json.dumps(second),
            content_type=APPLY,
            options=WriteOptions(field_manager="other"),
        )
    assert exc.value.status["message"] == (
        'Apply failed with 2 conflicts: conflicts with "gitops":\n'
        "- .spec.minReadySeconds\n- .spec.replicas"
    )


# -- 2. Job defaults need the uid ---------------------------------------------------------------


def test_created_job_selects_its_pods_by_its_own_uid(api: Api) -> None:
    manifest = yaml.safe_load((REPO / "manifests/inference/loadgen-job.yaml").read_text())
    job = api.create(res(api, "jobs", "batch"), "default", manifest)
    uid = job["metadata"]["uid"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/controller-uid"] == uid
    assert labels["controller-uid"] == uid
    assert labels["batch.kubernetes.io/job-name"] == "inference-loadgen"
    assert labels["job-name"] == "inference-loadgen"
    assert labels["app"] == "inference-loadgen"
    assert job["spec"]["selector"]["matchLabels"] == {"batch.kubernetes.io/controller-uid": uid}


def test_applied_job_gets_the_generated_selector_too(api: Api) -> None:
    manifest = yaml.safe_load((REPO / "manifests/inference/loadgen-job.yaml").read_text())
    job = api.patch(
        res(api, "jobs", "batch"),
        "default",
        "inference-loadgen",
        json.dumps(manifest),
        content_type=APPLY,
        options=WriteOptions(field_manager="kubectl"),
    )
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"]["matchLabels"] == {"batch.kubernetes.io/controller-uid": uid}
    assert job["spec"]["template"]["metadata"]["labels"]["controller-uid"] == uid


def test_a_uid_sent_on_create_is_replaced_by_the_servers(api: Api) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "uid": "mine"}}
    made = api.create(res(api, "configmaps"), "default", body)
    assert made["metadata"]["uid"] != "mine" and len(made["metadata"]["uid"]) == 36


# -- 3. duplicate fields ---------------------------------------------------------------------------

DUPLICATED = (
    b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}'
)


def test_duplicate_json_keys_are_an_error_under_strict(api: Api) -> None:
    opts = WriteOptions(field_validation="Strict", raw=DUPLICATED)
    with pytest.raises(BadRequest) as exc:
        api.create(res(api, "configmaps"), "default", json.loads(DUPLICATED), options=opts)
    assert 'duplicate field "data.a"' in exc.value.status["message"]


def test_duplicate_json_keys_are_a_warning_by_default(api: Api) -> None:
    opts = WriteOptions(raw=DUPLICATED)
    made = api.create(res(api, "configmaps"), "default", json.loads(DUPLICATED), options=opts)
    assert made["data"] == {"a": "2"}
    assert 'duplicate field "data.a"' in opts.warnings


def test_duplicate_json_keys_are_reported_on_update(api: Api) -> None:
    cms = res(api, "configmaps")
    api.create(cms, "default", json.loads(DUPLICATED))
    opts = WriteOptions(field_validation="Strict", raw=DUPLICATED)
    with pytest.raises(BadRequest):
        api.update(cms, "default", "dup", json.loads(DUPLICATED), options=opts)


# -- 4. status writes carry metadata -----------------------------------------------------------------


def test_deployment_status_write_keeps_the_requests_annotations_not_its_labels(api: Api) -> None:
    deps = res(api, "deployments", "apps")
    made = api.create(deps, "default", deployment())
    body = json.loads(json.dumps(made))
    body["status"] = {"observedGeneration": 1, "replicas": 2}
    body["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    body["metadata"]["labels"] = {"app": "changed"}
    body["metadata"]["generation"] = 7
    body["spec"]["replicas"] = 9
    after = api.update(deps, "default", "web", body, subresource="status")
    assert after["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert after["metadata"]["labels"] == {"app": "web"}  # the Deployment strategy resets them
    assert after["metadata"]["generation"] == 1
    assert after["spec"]["replicas"] == 2
    assert after["status"]["replicas"] == 2
    assert after["metadata"]["uid"] == made["metadata"]["uid"]


def test_pod_status_write_keeps_owner_references_but_takes_labels(api: Api) -> None:
    pods = res(api, "pods")
    made = api.create(pods, "default", pod("p"))
    body = json.loads(json.dumps(made))
    body["status"] = {"phase": "Running"}
    body["metadata"]["labels"] = {"ready": "yes"}
    body["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "u"}
    ]
    after = api.update(pods, "default", "p", body, subresource="status")
    assert after["status"]["phase"] == "Running"
    assert after["metadata"]["labels"] == {"ready": "yes"}
    assert "ownerReferences" not in after["metadata"]


# -- 5. pods/binding -------------------------------------------------------------------------------


def binding(node: str, **meta: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "p", **meta},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    }


def test_binding_sets_the_node_and_the_pod_scheduled_condition(api: Api) -> None:
    pods = res(api, "pods")
    api.create(pods, "default", pod("p"))
    bound = api.bind("default", "p", binding("kind-worker"))
    assert bound["spec"]["nodeName"] == "kind-worker"
    scheduled = [c for c in bound["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert scheduled == [
        {
            "type": "PodScheduled",
            "observedGeneration": 1,  # the generation it was decided on (GA in 1.35)
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": "2026-11-24T16:00:00Z",
        }
    ]
    stored = api.get(pods, "default", "p")
    assert stored["spec"]["nodeName"] == "kind-worker"
    assert stored["metadata"]["generation"] == 1  # binding is not a change of spec


def test_binding_an_assigned_pod_is_a_conflict_on_pods_binding(api: Api) -> None:
    api.create(res(api, "pods"), "default", pod("p"))
    api.bind("default", "p", binding("kind-worker"))
    with pytest.raises(Conflict) as exc:
        api.bind("default", "p", binding("kind-worker2"))
    assert exc.value.status["message"] == (
        'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to '
        'node "kind-worker"'
    )


def test_binding_with_a_stale_uid_is_refused(api: Api) -> None:
    api.create(res(api, "pods"), "default", pod("p"))
    with pytest.raises(Conflict) as exc:
        api.bind("default", "p", binding("kind-worker", uid="other"))
    assert "Precondition failed: UID in precondition: other" in exc.value.status["message"]


def test_binding_needs_a_target_node(api: Api) -> None:
    api.create(res(api, "pods"), "default", pod("p"))
    with pytest.raises(ApiError) as exc:
        api.bind("default", "p", {"metadata": {"name": "p"}, "target": {}})
    assert exc.value.code == 422
    assert exc.value.status["details"]["causes"][0]["field"] == "target.name"


# -- 6. namespace termination -------------------------------------------------------------------------


def test_with_a_controller_delete_only_marks_the_namespace_terminating(api: Api) -> None:
    api.hooks.garbage_collector_running = True
    nss, cms = res(api, "namespaces"), res(api, "configmaps")
    namespace(api, "lab")
    api.create(cms, "lab", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    marked = api.delete(nss, None, "lab")
    assert marked["status"]["phase"] == "Terminating"
    assert marked["metadata"]["deletionTimestamp"] == "2026-11-24T16:00:00Z"
    assert marked["spec"]["finalizers"] == ["kubernetes"]
    assert api.get(cms, "lab", "c")["metadata"]["name"] == "c"  # the controller's job
    with pytest.raises(Forbidden):
        api.create(cms, "lab", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}})


def test_deleting_a_terminating_namespace_again_is_the_real_conflict(api: Api) -> None:
    api.hooks.garbage_collector_running = True
    nss = res(api, "namespaces")
    namespace(api, "lab")
    api.delete(nss, None, "lab")
    with pytest.raises(Conflict) as exc:
        api.delete(nss, None, "lab")
    assert exc.value.status["message"] == (
        'Operation cannot be fulfilled on namespaces "lab": The system is ensuring all '
        "content is removed from this namespace.  Upon completion, this namespace will "
        "automatically be purged by the system."
    )


def test_finalize_removing_the_last_spec_finalizer_removes_the_namespace(api: Api) -> None:
    api.hooks.garbage_collector_running = True
    nss = res(api, "namespaces")
    namespace(api, "lab")
    marked = api.delete(nss, None, "lab")
    marked["spec"]["finalizers"] = []
    api.update(nss, None, "lab", marked, subresource="finalize")
    assert api.store.get("/core/namespaces/lab") is None


def test_namespace_waits_for_metadata_finalizers_after_spec_finalizers(api: Api) -> None:
    api.hooks.garbage_collector_running = True
    nss = res(api, "namespaces")
    namespace(api, "lab")
    ns = api.get(nss, None, "lab")
    ns["metadata"]["finalizers"] = ["example.com/hold"]
    api.update(nss, None, "lab", ns)
    marked = api.delete(nss, None, "lab")
    marked["spec"]["finalizers"] = []
    left = api.update(nss, None, "lab", marked, subresource="finalize")
    assert left["metadata"]["finalizers"] == ["example.com/hold"]
    left["metadata"]["finalizers"] = []
    api.update(nss, None, "lab", left)
    assert api.store.get("/core/namespaces/lab") is None


def test_a_metadata_update_keeps_a_namespace_with_spec_finalizers(api: Api) -> None:
    api.hooks.garbage_collector_running = True
    nss = res(api, "namespaces")
    namespace(api, "lab")
    marked = api.delete(nss, None, "lab")
    marked["metadata"]["labels"]["touched"] = "yes"
    after = api.update(nss, None, "lab", marked)
    assert after["metadata"]["labels"]["touched"] == "yes"
    assert api.store.get("/core/namespaces/lab") is not None


def test_without_a_controller_the_namespace_goes_at_once_with_its_contents(api: Api) -> None:
    nss, cms = res(api, "namespaces"), res(api, "configmaps")
    namespace(api, "lab")
    api.create(cms, "lab", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    api.delete(nss, None, "lab")
    assert api.store.get("/core/namespaces/lab") is None
    assert api.store.get("/core/configmaps/lab/c") is None


# -- 7. LimitRange and ResourceQuota admission --------------------------------------------------------


def quota(hard: dict[str, str], name: str = "compute-quota") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name},
        "spec": {"hard": hard},
    }


def test_quota_denial_is_forbidden_with_the_real_text(api: Api) -> None:
    pods, quotas = res(api, "pods"), res(api, "resourcequotas")
    api.create(quotas, "default", quota({"requests.memory": "2Gi"}))
    api.create(pods, "default", pod("one", memory="1Gi"))
    with pytest.raises(Forbidden) as exc:
        api.create(pods, "default", pod("two", memory="2Gi"))
    status = exc.value.status
    assert status["message"] == (
        'pods "two" is forbidden: exceeded quota: compute-quota, requested: '
        "requests.memory=2Gi, used: requests.memory=1Gi, limited: requests.memory=2Gi"
    )
    assert status["reason"] == "Forbidden" and status["code"] == 403
    assert status["details"] == {"name": "two", "group": "", "kind": "pods"}


def test_quota_usage_is_charged_on_create_so_two_pods_cannot_share_the_room(api: Api) -> None:
    pods, quotas = res(api, "pods"), res(api, "resourcequotas")
    api.create(quotas, "default", quota({"requests.memory": "2Gi", "pods": "5"}))
    api.create(pods, "default", pod("one", memory="1536Mi"))
    used = api.get(quotas, "default", "compute-quota")["status"]["used"]
    assert used == {"requests.memory": "1536Mi", "pods": "1"}
    with pytest.raises(Forbidden):
        api.create(pods, "default", pod("two", memory="1Gi"))
    api.create(pods, "default", pod("three", memory="512Mi"))
    used = api.get(quotas, "default", "compute-quota")["status"]["used"]
    assert used == {"requests.memory": "2Gi", "pods": "2"}


def test_dry_run_create_does_not_charge_the_quota(api: Api) -> None:
    pods, quotas = res(api, "pods"), res(api, "resourcequotas")
    api.create(quotas, "default", quota({"pods": "1"}))
    api.create(pods, "default", pod("one"), options=WriteOptions(dry_run=True))
    api.create(pods, "default", pod("one"))  # the dry run took no room
    assert api.get(quotas, "default", "compute-quota")["status"]["used"] == {"pods": "1"}


def test_quota_on_memory_requires_containers_to_state_it(api: Api) -> None:
    api.create(res(api, "resourcequotas"), "default", quota({"limits.memory": "1Gi"}))
    with pytest.raises(Forbidden) as exc:
        api.create(res(api, "pods"), "default", pod("bare"))
    assert exc.value.status["message"] == (
        'pods "bare" is forbidden: failed quota: compute-quota: must specify limits.memory for: app'
    )


def test_object_count_quota_covers_other_kinds(api: Api) -> None:
    cms = res(api, "configmaps")
    api.create(res(api, "resourcequotas"), "default", quota({"count/configmaps": "2"}))
    # kube-root-ca.crt is not made by bootstrap without a CA: the namespace has none yet
    api.create(cms, "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    api.create(cms, "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}})
    with pytest.raises(Forbidden) as exc:
        api.create(
            cms, "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
        )
    assert exc.value.status["message"].startswith(
        'configmaps "c" is forbidden: exceeded quota: compute-quota, requested: '
        "count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2"
    )


def test_limit_range_defaults_fill_a_pods_containers_before_quota(api: Api) -> None:
    api.create(
        res(api, "limitranges"),
        "default",
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "defaults"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"memory": "256Mi", "cpu": "500m"},
                        "defaultRequest": {"memory": "128Mi", "cpu": "250m"},
                    }
                ]
            },
        },
    )
    api.create(res(api, "resourcequotas"), "default", quota({"requests.memory": "1Gi"}))
    made = api.create(res(api, "pods"), "default", pod("bare"))
    resources = made["spec"]["containers"][0]["resources"]
    assert resources == {
        "limits": {"memory": "256Mi", "cpu": "500m"},
        "requests": {"memory": "128Mi", "cpu": "250m"},
    }
    assert made["status"]["qosClass"] == "Burstable"
    used = api.get(res(api, "resourcequotas"), "default", "compute-quota")["status"]["used"]
    assert used == {"requests.memory": "128Mi"}


def test_namespaces_without_quota_or_limits_are_untouched(api: Api) -> None:
    made = api.create(res(api, "pods"), "default", pod("bare"))
    assert made["spec"]["containers"][0].get("resources") in (None, {})
    assert made["status"]["qosClass"] == "BestEffort"


def test_an_update_without_spec_keeps_the_namespace_finalizer(api: Api) -> None:
    nss = res(api, "namespaces")
    namespace(api, "lab")
    ns = api.get(nss, None, "lab")
    del ns["spec"]
    ns["metadata"]["labels"]["team"] = "a"
    after = api.update(nss, None, "lab", ns)
    assert after["spec"]["finalizers"] == ["kubernetes"]
    assert after["metadata"]["labels"]["team"] == "a"

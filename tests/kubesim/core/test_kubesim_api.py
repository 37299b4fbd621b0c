"""API semantics through the in-process `Api`: metadata, concurrency, Status bodies,
finalizers, subresources and watches, as kube-apiserver has them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.apiserver import subresources as _subresources
from kubesim.apiserver.api import Api, DeleteOptions, WriteOptions
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.hooks import LogRequest
from kubesim.apiserver.meta import NAME_ALPHABET
from kubesim.core.clock import FrozenClock
from kubesim.core.errors import ApiError
from kubesim.store.sqlite import Store


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=FrozenClock())
    bootstrap(a)
    yield a
    store.close()


def must(value: Any) -> Any:
    assert value is not None
    return value


def res(api: Api, plural: str, group: str = "", version: str = "v1"):
    return api.resource(group, version, plural)


def deployment(name: str = "web", replicas: int = 2) -> dict:
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


def configmap(name: str = "cfg", **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def status_of(exc: pytest.ExceptionInfo[ApiError]) -> dict:
    return exc.value.status


def test_create_stamps_uid_revision_time_and_generation(api: Api) -> None:
    obj = api.create(res(api, "deployments", "apps"), "default", deployment())
    meta = obj["metadata"]
    assert meta["creationTimestamp"] == "2026-11-24T16:00:00Z"
    assert len(meta["uid"]) == 36
    assert int(meta["resourceVersion"]) == api.store.revision
    assert meta["generation"] == 1
    assert meta["namespace"] == "default"


def test_generate_name_appends_five_characters_from_the_real_alphabet(api: Api) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "cfg-"}}
    name = api.create(res(api, "configmaps"), "default", body)["metadata"]["name"]
    assert name.startswith("cfg-") and len(name) == 9
    assert set(name[4:]) <= set(NAME_ALPHABET)


def test_missing_name_is_invalid_with_the_real_cause(api: Api) -> None:
    with pytest.raises(ApiError) as caught:
        api.create(res(api, "configmaps"), "default", {"apiVersion": "v1", "kind": "ConfigMap"})
    body = status_of(caught)
    assert body["code"] == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'
    )


def test_create_in_a_missing_namespace_is_not_found(api: Api) -> None:
    with pytest.raises(ApiError) as caught:
        api.create(res(api, "configmaps"), "nope", configmap())
    assert status_of(caught) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'namespaces "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "kind": "namespaces"},
        "code": 404,
    }


def test_second_create_is_already_exists(api: Api) -> None:
    cms = res(api, "configmaps")
    api.create(cms, "default", configmap())
    with pytest.raises(ApiError) as caught:
        api.create(cms, "default", configmap())
    body = status_of(caught)
    assert (body["code"], body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'configmaps "cfg" already exists'


def test_get_missing_object_is_not_found_with_group_qualified_name(api: Api) -> None:
    with pytest.raises(ApiError) as caught:
        api.get(res(api, "deployments", "apps"), "default", "ghost")
    assert status_of(caught)["message"] == 'deployments.apps "ghost" not found'
    assert status_of(caught)["details"] == {"name": "ghost", "group": "apps", "kind": "deployments"}


def test_update_from_a_stale_resource_version_is_a_conflict(api: Api) -> None:
    cms = res(api, "configmaps")
    stale = api.create(cms, "default", configmap(a="1"))
    fresh = dict(stale, data={"a": "2"})
    api.update(cms, "default", "cfg", fresh)
    with pytest.raises(ApiError) as caught:
        api.update(cms, "default", "cfg", dict(stale, data={"a": "3"}))
    body = status_of(caught)
    assert body["code"] == 409 and body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert api.get(cms, "default", "cfg")["data"] == {"a": "2"}


def test_generation_bumps_on_spec_changes_only(api: Api) -> None:
    deps = res(api, "deployments", "apps")
    obj = api.create(deps, "default", deployment())
    obj["metadata"]["labels"]["extra"] = "yes"
    obj = api.update(deps, "default", "web", obj)
    assert obj["metadata"]["generation"] == 1
    obj["spec"]["replicas"] = 5
    obj = api.update(deps, "default", "web", obj)
    assert obj["metadata"]["generation"] == 2


def test_noop_update_keeps_the_resource_version(api: Api) -> None:
    cms = res(api, "configmaps")
    obj = api.create(cms, "default", configmap(a="1"))
    again = api.update(cms, "default", "cfg", obj)
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_status_and_main_resource_writes_are_separate(api: Api) -> None:
    deps = res(api, "deployments", "apps")
    obj = api.create(deps, "default", deployment())
    obj["status"] = {"replicas": 2}
    obj["spec"]["replicas"] = 9
    after = api.update(deps, "default", "web", obj, subresource="status")
    assert after["status"] == {"replicas": 2} and after["spec"]["replicas"] == 2
    after["status"] = {"replicas": 7}
    after["spec"]["replicas"] = 3
    main = api.update(deps, "default", "web", after)
    assert main["status"] == {"replicas": 2} and main["spec"]["replicas"] == 3


def test_finalizers_hold_deletion_until_the_last_one_is_removed(api: Api) -> None:
    cms = res(api, "configmaps")
    body = configmap()
    body["metadata"]["finalizers"] = ["example.com/hold"]
    api.create(cms, "default", body)
    marked = api.delete(cms, "default", "cfg")
    assert marked["metadata"]["deletionTimestamp"] == "2026-11-24T16:00:00Z"
    assert api.get(cms, "default", "cfg")["metadata"]["finalizers"] == ["example.com/hold"]
    marked["metadata"]["finalizers"] = []
    api.update(cms, "default", "cfg", marked)
    with pytest.raises(ApiError) as caught:
        api.get(cms, "default", "cfg")
    assert caught.value.code == 404


def test_a_pod_held_by_a_finalizer_goes_once_the_kubelet_is_done_and_it_is_released(
    api: Api,
) -> None:
    """rest.BeforeDelete: deleting an object already being deleted changes it only with a
    shorter grace period, moving deletionTimestamp earlier by the difference. The kubelet's
    last delete (grace 0) is one: a pod with a finalizer stays, at grace 0, and the update
    that removes the finalizer deletes it (ShouldDeleteDuringUpdate). kubesim kept the
    first grace period, and such a pod then stayed for ever."""
    api.hooks.kubelet_running = True
    pods = res(api, "pods")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
        "spec": {
            "nodeName": "kubelab-worker",
            "terminationGracePeriodSeconds": 5,
            "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}],
        },
    }
    api.create(pods, "default", pod)
    first = api.delete(pods, "default", "held")["metadata"]
    assert (first["deletionTimestamp"], first["deletionGracePeriodSeconds"]) == (
        "2026-11-24T16:00:05Z",
        5,
    )
    again = api.delete(pods, "default", "held", options=DeleteOptions(grace_period_seconds=10))
    assert again["metadata"]["deletionGracePeriodSeconds"] == 5  # only shorter counts
    last = api.delete(pods, "default", "held", options=DeleteOptions(grace_period_seconds=0))
    assert (
        last["metadata"]["deletionTimestamp"],
        last["metadata"]["deletionGracePeriodSeconds"],
    ) == (
        "2026-11-24T16:00:00Z",
        0,
    )
    held = api.get(pods, "default", "held")
    held["metadata"]["finalizers"] = []
    api.update(pods, "default", "held", held)
    with pytest.raises(ApiError) as caught:
        api.get(pods, "default", "held")
    assert caught.value.code == 404


def test_delete_preconditions_are_checked(api: Api) -> None:
    cms = res(api, "configmaps")
    api.create(cms, "default", configmap())
    with pytest.raises(ApiError) as caught:
        api.delete(cms, "default", "cfg", options=DeleteOptions(preconditions={"uid": "nope"}))
    assert caught.value.code == 409
    assert "Precondition failed: UID in precondition: nope" in caught.value.message


def test_new_namespace_gets_its_default_service_account(api: Api) -> None:
    api.create(
        res(api, "namespaces"),
        None,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}},
    )
    sa = api.get(res(api, "serviceaccounts"), "lab", "default")
    assert sa["metadata"]["namespace"] == "lab"
    ns = api.get(res(api, "namespaces"), None, "lab")
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "lab"


def test_deleting_a_namespace_removes_what_it_holds(api: Api) -> None:
    api.create(
        res(api, "namespaces"),
        None,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}},
    )
    api.create(res(api, "configmaps"), "lab", configmap())
    api.delete(res(api, "namespaces"), None, "lab")
    assert api.list(res(api, "configmaps"), "lab").items == []
    with pytest.raises(ApiError):
        api.get(res(api, "namespaces"), None, "lab")


def test_bootstrap_objects_exist(api: Api) -> None:
    names = [r.obj["metadata"]["name"] for r in api.list(res(api, "namespaces")).items]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    svc = api.get(res(api, "services"), "default", "kubernetes")
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    sc = api.get(res(api, "storageclasses", "storage.k8s.io"), None, "standard")
    assert sc["provisioner"] == "rancher.io/local-path"


def test_list_pages_with_limit_and_continue(api: Api) -> None:
    cms = res(api, "configmaps")
    for i in range(5):
        api.create(cms, "default", configmap(f"c{i}"))
    first = api.list(cms, "default", limit=2)
    assert [r.obj["metadata"]["name"] for r in first.items] == ["c0", "c1"]
    assert first.remaining == 3 and first.continue_token
    second = api.list(cms, "default", limit=2, continue_token=first.continue_token)
    assert [r.obj["metadata"]["name"] for r in second.items] == ["c2", "c3"]
    last = api.list(cms, "default", limit=2, continue_token=second.continue_token)
    assert [r.obj["metadata"]["name"] for r in last.items] == ["c4"]
    assert last.continue_token == ""


def test_wrong_api_version_in_body_is_a_bad_request(api: Api) -> None:
    body = configmap()
    body["apiVersion"] = "apps/v1"
    with pytest.raises(ApiError) as caught:
        api.create(res(api, "configmaps"), "default", body)
    assert caught.value.code == 400
    assert caught.value.message == (
        "the API version in the data (apps/v1) does not match the expected API version (v1)"
    )


def test_scale_subresource_reads_and_writes_replicas(api: Api) -> None:
    deps = res(api, "deployments", "apps")
    api.create(deps, "default", deployment(replicas=2))
    scale = _subresources.get_scale(api, deps, "default", "web")
    assert scale["kind"] == "Scale" and scale["spec"] == {"replicas": 2}
    assert scale["status"]["selector"] == "app=web"
    out = _subresources.patch_scale(
        api,
        deps,
        "default",
        "web",
        {"spec": {"replicas": 4}},
        content_type="application/merge-patch+json",
    )
    assert out["spec"]["replicas"] == 4
    assert api.get(deps, "default", "web")["spec"]["replicas"] == 4


def pod(name: str = "p") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


def test_eviction_deletes_the_pod_and_answers_201(api: Api) -> None:
    api.create(res(api, "pods"), "default", pod())
    body = _subresources.evict(api, "default", "p", {"apiVersion": "policy/v1", "kind": "Eviction"})
    assert body["status"] == "Success" and body["code"] == 201
    assert api.list(res(api, "pods"), "default").items == []


def test_an_evicted_pod_says_why_it_goes_before_its_graceful_delete(api: Api) -> None:
    """addConditionAndDeletePod: DisruptionTarget, then the delete; a resourceVersion
    precondition the caller gave still holds for the delete, a dry run marks nothing."""
    api.hooks.kubelet_running = True  # so a pod on a node is deleted gracefully
    pods = res(api, "pods")
    created = api.create(pods, "default", {**pod(), "spec": {**pod()["spec"], "nodeName": "n1"}})
    dry = {"apiVersion": "policy/v1", "kind": "Eviction", "deleteOptions": {"dryRun": ["All"]}}
    _subresources.evict(api, "default", "p", dry)
    assert api.get(pods, "default", "p")["status"].get("conditions") is None

    version = created["metadata"]["resourceVersion"]
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "deleteOptions": {"preconditions": {"resourceVersion": version}},
    }
    assert _subresources.evict(api, "default", "p", eviction)["code"] == 201
    going = api.get(pods, "default", "p")
    assert going["metadata"]["deletionTimestamp"]
    (target,) = [c for c in going["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert (target["status"], target["reason"], target["message"]) == (
        "True",
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )


def test_logs_of_a_pod_no_kubelet_started_give_the_real_error(api: Api) -> None:
    api.create(res(api, "pods"), "default", pod())
    with pytest.raises(ApiError) as caught:
        _subresources.open_log(api, "default", "p", LogRequest(container=""))
    assert caught.value.code == 400
    assert caught.value.message == (
        'container "app" in pod "p" is waiting to start: ContainerCreating'
    )


def test_events_are_served_in_both_api_groups(api: Api) -> None:
    api.create(
        res(api, "events"),
        "default",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "Scheduled",
            "message": "hello",
            "type": "Normal",
        },
    )
    new = api.get(res(api, "events", "events.k8s.io"), "default", "e1")
    assert new["apiVersion"] == "events.k8s.io/v1"
    assert new["regarding"]["name"] == "p" and new["note"] == "hello"


def test_dry_run_stores_nothing(api: Api) -> None:
    rev = api.store.revision
    api.create(res(api, "configmaps"), "default", configmap(), options=WriteOptions(dry_run=True))
    assert api.store.revision == rev


async def test_watch_with_selector_reports_objects_entering_and_leaving(api: Api) -> None:
    cms = res(api, "configmaps")
    watch = api.watch(
        cms, "default", resource_version=str(api.store.revision), label_selector="team=a"
    )
    body = configmap()
    body["metadata"]["labels"] = {"team": "a"}
    obj = api.create(cms, "default", body)
    obj["metadata"]["labels"] = {"team": "b"}
    api.update(cms, "default", "cfg", obj)
    events = [must(await watch.next(1.0)), must(await watch.next(1.0))]
    assert [e.type for e in events] == ["ADDED", "DELETED"]
    watch.close()


async def test_watch_list_sends_initial_events_then_the_end_bookmark(api: Api) -> None:
    cms = res(api, "configmaps")
    api.create(cms, "default", configmap("a"))
    watch = api.watch(cms, "default", send_initial_events=True, allow_bookmarks=True)
    first, second = must(await watch.next(1.0)), must(await watch.next(1.0))
    assert first.type == "ADDED" and first.obj["metadata"]["name"] == "a"
    assert second.type == "BOOKMARK"
    assert second.obj["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    watch.close()


def test_watch_from_a_compacted_revision_is_gone_expired(api: Api) -> None:
    cms = res(api, "configmaps")
    for i in range(5):
        api.create(cms, "default", configmap(f"c{i}"))
    oldest = api.compact(keep=1)
    with pytest.raises(ApiError) as caught:
        api.watch(cms, "default", resource_version="1")
    body = status_of(caught)
    assert (body["code"], body["reason"]) == (410, "Expired")
    assert body["message"] == f"too old resource version: 1 ({oldest})"


def test_services_get_distinct_addresses_from_the_one_allocator(api: Api) -> None:
    """Create goes through defaulting.service's allocator (random in the range, as the
    real one), not a second sequential one: addresses never repeat, node ports in range."""
    svcs = res(api, "services")
    made = [
        api.create(
            svcs,
            "default",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"s{i}"},
                "spec": {"type": "NodePort", "ports": [{"port": 80}]},
            },
        )
        for i in range(20)
    ]
    ips = [s["spec"]["clusterIP"] for s in made]
    ports = [s["spec"]["ports"][0]["nodePort"] for s in made]
    assert len(set(ips)) == 20 and all(ip.startswith("10.96.") for ip in ips)
    assert all(s["spec"]["clusterIPs"] == [s["spec"]["clusterIP"]] for s in made)
    assert len(set(ports)) == 20 and all(30000 <= p <= 32767 for p in ports)

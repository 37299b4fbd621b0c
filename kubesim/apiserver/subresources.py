"""Subresources and virtual resources served beside plain CRUD.

scale (autoscaling/v1 Scale over deployments, replicasets, statefulsets, RCs), eviction
(policy/v1 Eviction: a delete gated by `hooks.eviction_check`), pod logs (from
`hooks.logs`) and metrics.k8s.io lists (from `hooks.metrics`). Each function takes the `Api` first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from kubesim.apiserver.api import Api, DeleteOptions, WriteOptions
from kubesim.apiserver.customresource import walk
from kubesim.apiserver.hooks import LogRequest
from kubesim.apiserver.meta import check_preconditions
from kubesim.apiserver.patch import dispatch as _patch
from kubesim.core.errors import BadRequest, Invalid, conflict, not_found, success_body
from kubesim.core.objects import deepcopy, disruption_target
from kubesim.core.resources import Resource
from kubesim.core.selectors import (
    format_selector,
    make_filter,
    parse_field_selector,
    parse_label_selector,
)

Obj = dict[str, Any]


# -- scale -----------------------------------------------------------------------------------


def get_scale(api: Api, res: Resource, namespace: str | None, name: str) -> Obj:
    if "scale" not in res.sub:
        raise not_found(res.plural, name, group=res.group)
    obj = api.get_row(res, namespace, name).obj
    return _scale_of(obj, _scale_paths(api, res))


_BUILT_IN_SCALE = (".spec.replicas", ".status.replicas", "")


def _scale_paths(api: Api, res: Resource) -> tuple[str, str, str]:
    """Where replicas and the selector live: a CRD's scale subresource names its paths
    (specReplicasPath, statusReplicasPath, labelSelectorPath); built-in kinds use spec."""
    if not res.custom:
        return _BUILT_IN_SCALE
    scale = ((api.custom_versions.get(res.gvk) or {}).get("subresources") or {}).get("scale")
    scale = scale if isinstance(scale, dict) else {}
    return (
        str(scale.get("specReplicasPath") or ".spec.replicas"),
        str(scale.get("statusReplicasPath") or ".status.replicas"),
        str(scale.get("labelSelectorPath") or ""),
    )


def _put(obj: Obj, path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value


def _scale_of(obj: Obj, paths: tuple[str, str, str] = _BUILT_IN_SCALE) -> Obj:
    meta = obj["metadata"]
    spec_path, status_path, selector_path = paths
    spec = obj.get("spec", {})
    selector = spec.get("selector")
    if obj.get("kind") == "ReplicationController":
        text = ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items()))
    elif paths != _BUILT_IN_SCALE:
        found = walk(obj, selector_path) if selector_path else None
        text = found if isinstance(found, str) else ""
    else:
        text = format_selector(selector)
    default_replicas = 1 if paths == _BUILT_IN_SCALE else 0
    replicas = walk(obj, spec_path)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": replicas if replicas is not None else default_replicas},
        "status": {"replicas": walk(obj, status_path) or 0, "selector": text},
    }


def update_scale(
    api: Api,
    res: Resource,
    namespace: str | None,
    name: str,
    scale: Obj,
    *,
    options: WriteOptions | None = None,
) -> Obj:
    if "scale" not in res.sub:
        raise not_found(res.plural, name, group=res.group)
    if not isinstance(scale, dict):
        raise BadRequest("the object provided is unrecognized (must be of type Scale)")
    row = api.get_row(res, namespace, name)
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != str(row.rev):
        raise conflict(
            res.plural,
            name,
            "the object has been modified; please apply your changes to the latest "
            "version and try again",
            group=res.group,
        )
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise Invalid(
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: '
            f"{replicas}: must be greater than or equal to 0",
            details={
                "name": name,
                "group": "autoscaling",
                "kind": "Scale",
                "causes": [
                    {
                        "reason": "FieldValueInvalid",
                        "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                        "field": "spec.replicas",
                    }
                ],
            },
        )
    view = api._view(res)  # the version the scale was asked of
    body = deepcopy(view(row.obj) if view else row.obj)
    paths = _scale_paths(api, res)
    _put(body, paths[0], replicas)
    updated = api.update(res, namespace, name, body, subresource="scale", options=options)
    return _scale_of(updated, paths)


def patch_scale(
    api: Api,
    res: Resource,
    namespace: str | None,
    name: str,
    patch: Any,
    *,
    content_type: str,
    options: WriteOptions | None = None,
) -> Obj:
    current = get_scale(api, res, namespace, name)
    try:
        patched = _patch.apply_patch(
            current,
            patch,
            content_type=content_type.split(";")[0],
            gvk=("autoscaling", "v1", "Scale"),
        )
    except _patch.PatchError as exc:
        raise BadRequest(str(exc)) from exc
    return update_scale(api, res, namespace, name, patched, options=options)


# -- eviction ---------------------------------------------------------------------------------


EVICTION_CONDITION = ("EvictionByEvictionAPI", "Eviction API: evicting")


def evict(api: Api, namespace: str, name: str, eviction: Obj, *, dry_run: bool = False) -> Obj:
    """policy/v1 Eviction: 201 Success once the pod's deletion is under way. `dry_run` is the
    request's `?dryRun=All`, which propagateDryRun hands to the delete options: a dry run is
    judged against the budget but spends nothing, marks nothing and deletes nothing."""
    if not isinstance(eviction, dict):
        raise BadRequest("the object provided is unrecognized (must be of type Eviction)")
    if dry_run:
        eviction = {**eviction, "deleteOptions": {**(eviction.get("deleteOptions") or {})}}
        eviction["deleteOptions"]["dryRun"] = ["All"]
    pods = api.resource("", "v1", "pods")
    body_name = (eviction.get("metadata") or {}).get("name")
    if body_name and body_name != name:
        raise BadRequest("name in URL does not match name in Eviction object")
    pod = api.get_row(pods, namespace, name).obj
    api.hooks.eviction_check(api, pod, eviction)
    options = DeleteOptions.from_body(eviction.get("deleteOptions"))
    if not options.dry_run and check_preconditions(pod, options.preconditions) is None:
        # addConditionAndDeletePod: why the pod goes, then the delete (whose resourceVersion
        # precondition, if any, moves to the version the condition made)
        marked = disruption_target(pod, *EVICTION_CONDITION, now=api.clock.rfc3339())
        stored = api.update(pods, namespace, name, marked, subresource="status")
        if (options.preconditions or {}).get("resourceVersion"):
            version = stored["metadata"]["resourceVersion"]
            options = replace(
                options, preconditions={**(options.preconditions or {}), "resourceVersion": version}
            )
    api.delete(pods, namespace, name, options=options)
    return success_body(code=201)


# -- logs -------------------------------------------------------------------------------------


def open_log(api: Api, namespace: str, name: str, request: LogRequest) -> AsyncIterator[bytes]:
    pods = api.resource("", "v1", "pods")
    pod = api.get_row(pods, namespace, name).obj
    spec = pod.get("spec", {})
    names = [c["name"] for c in spec.get("containers") or []]
    all_names = (
        [c["name"] for c in spec.get("initContainers") or []]
        + names
        + [c["name"] for c in spec.get("ephemeralContainers") or []]
    )
    container = request.container
    if not container:
        if len(names) != 1:
            raise BadRequest(
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(names)}]"
            )
        container = names[0]
    elif container not in all_names:
        raise BadRequest(f"container {container} is not valid for pod {name}")
    final = LogRequest(
        container=container,
        previous=request.previous,
        follow=request.follow,
        tail_lines=request.tail_lines,
        timestamps=request.timestamps,
        since_seconds=request.since_seconds,
        limit_bytes=request.limit_bytes,
    )
    return api.hooks.logs.open(pod, final)


# -- metrics.k8s.io -------------------------------------------------------------------------------


def metrics_list(
    api: Api,
    res: Resource,
    namespace: str | None,
    *,
    label_selector: str = "",
    field_selector: str = "",
) -> Obj:
    items = (
        api.hooks.metrics.pods(namespace)
        if res.kind == "PodMetrics"
        else (api.hooks.metrics.nodes())
    )
    pred = make_filter(
        parse_label_selector(label_selector), parse_field_selector(field_selector, kind=res.kind)
    )
    if pred is not None:
        items = [i for i in items if pred(i)]
    return {
        "kind": res.kind + "List",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {},
        "items": items,
    }


def metrics_get(api: Api, res: Resource, namespace: str | None, name: str) -> Obj:
    listing = metrics_list(api, res, namespace)
    for item in listing["items"]:
        if item.get("metadata", {}).get("name") == name:
            return item
    raise not_found(res.plural, name, group=res.group)

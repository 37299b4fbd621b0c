"""The PodSecurity admission plugin in the API: a pod refused with 403 by its namespace's
enforce level, warnings (the `Warning` headers kubectl prints) for the warn level and for
workloads, the labels validated, and the warning when a namespace gets a stricter level
than its running pods meet. kube-system is not exempt (kind configures no exemptions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.apiserver.api import Api, WriteOptions
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.core.clock import FrozenClock
from kubesim.core.errors import Forbidden, Invalid
from kubesim.store.sqlite import Store

Obj = dict[str, Any]
ENFORCE = "pod-security.kubernetes.io/enforce"
SAFE = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=FrozenClock())
    bootstrap(a)
    yield a
    store.close()


def _namespace(api: Api, name: str, labels: dict[str, str]) -> Obj:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    return api.create(api.resource("", "v1", "namespaces"), None, body)


def _pod(name: str = "web", **sc: Any) -> Obj:
    container: Obj = {"name": "c", "image": "nginx:1.27"}
    if sc:
        container["securityContext"] = sc
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container]},
    }


def _pods(api: Api) -> Any:
    return api.resource("", "v1", "pods")


def test_enforce_refuses_a_pod_with_the_real_message(api: Api) -> None:
    _namespace(api, "lab", {ENFORCE: "restricted"})
    with pytest.raises(Forbidden) as caught:
        api.create(_pods(api), "lab", _pod())
    assert caught.value.status["code"] == 403
    assert str(caught.value).startswith(
        'pods "web" is forbidden: violates PodSecurity "restricted:latest": '
        'allowPrivilegeEscalation != false (container "c" must set '
        "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities"
    )
    assert api.create(_pods(api), "lab", _pod("ok", **SAFE))["metadata"]["name"] == "ok"


def test_warn_admits_the_pod_with_a_warning(api: Api) -> None:
    _namespace(api, "lab", {ENFORCE: "baseline", "pod-security.kubernetes.io/warn": "restricted"})
    opts = WriteOptions()
    api.create(_pods(api), "lab", _pod(), options=opts)
    assert len(opts.warnings) == 1
    assert opts.warnings[0].startswith(
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation'
    )


def test_a_deployment_is_admitted_with_a_warning_and_its_template_judged(api: Api) -> None:
    _namespace(api, "lab", {ENFORCE: "restricted"})
    pod = _pod()
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod["spec"]},
        },
    }
    deployments = api.resource("apps", "v1", "deployments")
    opts = WriteOptions()
    api.create(deployments, "lab", deploy, options=opts)
    assert [w.split(":")[0] for w in opts.warnings] == ['would violate PodSecurity "restricted']
    # a change outside the template (scale) is not judged again; a template change is
    deploy = api.get(deployments, "lab", "web")
    deploy["spec"]["replicas"] = 3
    opts = WriteOptions()
    api.update(deployments, "lab", "web", deploy, options=opts)
    assert opts.warnings == []
    deploy = api.get(deployments, "lab", "web")
    deploy["spec"]["template"]["spec"]["containers"][0]["securityContext"] = SAFE
    opts = WriteOptions()
    api.update(deployments, "lab", "web", deploy, options=opts)
    assert opts.warnings == []


def test_labelling_a_namespace_warns_about_pods_it_already_runs(api: Api) -> None:
    ns = _namespace(api, "lab", {})
    api.create(_pods(api), "lab", _pod("web-1"))
    api.create(_pods(api), "lab", _pod("web-2"))
    api.create(_pods(api), "lab", _pod("safe", **SAFE))
    ns["metadata"]["labels"] = {ENFORCE: "restricted"}
    opts = WriteOptions()
    api.update(api.resource("", "v1", "namespaces"), None, "lab", ns, options=opts)
    assert opts.warnings == [
        'existing pods in namespace "lab" violate the new PodSecurity enforce level "restricted:latest"',
        "web-1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, "
        "runAsNonRoot != true, seccompProfile",
    ]
    assert {p["metadata"]["name"] for p in api.list(_pods(api), "lab").objects()} == {
        "web-1",
        "web-2",
        "safe",
    }


def test_a_bad_level_label_is_invalid(api: Api) -> None:
    with pytest.raises(Invalid) as caught:
        _namespace(api, "lab", {ENFORCE: "strict"})
    assert str(caught.value) == (
        'Namespace "lab" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
        'Invalid value: "strict": must be one of privileged, baseline, restricted'
    )


def test_kube_system_is_not_exempt(api: Api) -> None:
    namespaces = api.resource("", "v1", "namespaces")
    ns = api.get(namespaces, None, "kube-system")
    ns["metadata"].setdefault("labels", {})[ENFORCE] = "restricted"
    api.update(namespaces, None, "kube-system", ns)
    pod = _pod("host")
    pod["spec"]["hostNetwork"] = True
    with pytest.raises(Forbidden, match="host namespaces"):
        api.create(_pods(api), "kube-system", pod)

"""What a learner reads about failing pods names no folder of kubesim's own: `kubectl
describe`, events, logs and exec errors read as they would on a node (issue 14).

Pods that fail in the ways the course and the docs show (a missing command or script, a
crashing program, hostPath type checks, a folder that a file is in the way of, a missing
ConfigMap, an image without a stand-in, a read-only mount, a subPath) run in both of
kubesim's worlds: containers, and the named process-mode fallback. Nothing the learner sees
may contain kubesim's state folder, the interpreter's path or kubesim's own source tree;
and the messages that carried them before read as the node's (`mkdir /srv/f: not a
directory`, `python3: can't open file ...`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest
import yaml
from kubesim_process import Cluster, internal_paths, start_kubesim, stop_kubesim

from kubesim.kubelet._world import FORCE_ENV

pytestmark = pytest.mark.kubesim

NS = "paths"
_BUSYBOX = "busybox:1.36"


def _pod(name: str, container: dict, **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", **container}], **spec},
    }


def _host_path(name: str, path: str, kind: str) -> dict:
    return _pod(
        name,
        {
            "image": _BUSYBOX,
            "command": ["true"],
            "volumeMounts": [{"name": "h", "mountPath": "/h"}],
        },
        volumes=[{"name": "h", "hostPath": {"path": path, "type": kind}}],
        nodeName="kubelab-worker",
    )


FAILING = [
    _pod("no-such-command", {"image": _BUSYBOX, "command": ["/bin/nope"]}),
    _pod("no-such-script", {"image": "python:3.12-slim", "command": ["python3", "/app/gone.py"]}),
    _pod("python-crash", {"image": "python:3.12-slim", "command": ["python3", "-c", "import x_"]}),
    _pod("crash", {"image": _BUSYBOX, "command": ["sh", "-c", "ls /nope; exit 3"]}),
    _host_path("hostpath-not-a-dir", "/etc/hostname-file", "Directory"),
    _host_path("hostpath-file", "/srv/f", "FileOrCreate"),
    _pod(
        "missing-configmap",
        {
            "image": _BUSYBOX,
            "command": ["true"],
            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
        },
        volumes=[{"name": "v", "configMap": {"name": "absent"}}],
    ),
    _pod("no-stand-in", {"image": "example.invalid/nothing:1"}),
    _pod(
        "read-only",
        {
            "image": _BUSYBOX,
            "command": ["sh", "-c", "echo x > /v/f"],
            "volumeMounts": [{"name": "v", "mountPath": "/v", "readOnly": True}],
        },
        volumes=[{"name": "v", "emptyDir": {}}],
    ),
    _pod(
        "sub-path",
        {
            "image": _BUSYBOX,
            "command": ["sh", "-c", "cat /etc/x"],
            "volumeMounts": [{"name": "v", "mountPath": "/etc/x", "subPath": "a/b"}],
        },
        volumes=[{"name": "v", "emptyDir": {}}],
    ),
]
# created once hostpath-file has made /srv/f a file on that node: a folder below it
BLOCKED = _host_path("hostpath-blocked", "/srv/f/sub", "DirectoryOrCreate")
SETTLED = {"CrashLoopBackOff", "ImagePullBackOff", "ContainerCreating", "StartError"}


@pytest.fixture(scope="module", params=["containers", "process"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    if request.param == "process":
        os.environ[FORCE_ENV] = "process"
    try:
        served = start_kubesim(tmp_path_factory.mktemp(f"paths-{request.param}"), controllers=True)
    finally:
        os.environ.pop(FORCE_ENV, None)
    yield served
    stop_kubesim(served)


def _settled(cluster: Cluster, names: list[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        pods = json.loads(cluster.kubectl("get", "pods", "-n", NS, "-o", "json").stdout)["items"]
        done = set()
        for pod in pods:
            statuses = pod["status"].get("containerStatuses") or []
            state = statuses[0].get("state", {}) if statuses else {}
            waiting = (state.get("waiting") or {}).get("reason")
            has_event = pod["metadata"]["name"] in _event_objects(cluster)
            if pod["status"].get("phase") in ("Succeeded", "Failed") or (
                waiting in SETTLED and has_event
            ):
                done.add(pod["metadata"]["name"])
        if set(names) <= done:
            return
        time.sleep(0.5)
    left = sorted(set(names) - done)
    statuses = {p["metadata"]["name"]: p["status"] for p in pods if p["metadata"]["name"] in left}
    raise AssertionError(f"pods never settled: {left}; their status: {statuses}")


def _event_objects(cluster: Cluster) -> set[str]:
    events = json.loads(cluster.kubectl("get", "events", "-n", NS, "-o", "json").stdout)
    return {
        e["involvedObject"]["name"]
        for e in events["items"]
        if e["type"] == "Warning" or e["reason"] in ("Started", "Pulled")
    }


def _failed(cluster: Cluster, name: str, deadline: float) -> None:
    """Wait until pod `name` has failed: no-such-command counts as settled once its image is
    Pulled, while still ContainerCreating, and the runc message this file looks for comes
    with its failure (seen late under load in CI)."""
    while time.monotonic() < deadline:
        pod = json.loads(cluster.kubectl("get", "pod", name, "-n", NS, "-o", "json").stdout)
        if pod["status"].get("phase") == "Failed":
            return
        time.sleep(0.5)
    raise AssertionError(
        f"pod {name} has not failed: its status is {pod['status']}; kubesim's log ends "
        f"{cluster.served.log.read_text()[-3000:]}"
    )


def test_failing_pods_show_no_internal_path(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl("create", "namespace", NS)
    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(FAILING))
    _settled(cluster, [p["metadata"]["name"] for p in FAILING], time.monotonic() + 90)
    kubectl("apply", "-f", "-", input=yaml.safe_dump(BLOCKED))
    deadline = time.monotonic() + 30
    while "hostpath-blocked" not in _event_objects(cluster) and time.monotonic() < deadline:
        time.sleep(0.5)
    _failed(cluster, "no-such-command", time.monotonic() + 90)
    seen = [
        kubectl("describe", "pods", "-n", NS).stdout,
        kubectl("get", "events", "-n", NS, "-o", "custom-columns=MSG:.message").stdout,
        kubectl("get", "pods", "-n", NS, "-o", "yaml").stdout,
    ]
    for pod in [*FAILING, BLOCKED]:
        logs = kubectl("logs", "-n", NS, pod["metadata"]["name"], check=False)
        seen.append(logs.stdout + logs.stderr)
    text = "\n".join(seen)
    assert internal_paths(text, cluster.state_dir) == []
    # the messages that named kubesim's folders now name the node's and the pod's
    assert 'MountVolume.SetUp failed for volume "h" : mkdir /srv/f: not a directory' in text, text
    assert "python3: can't open file '/app/gone.py'" in text
    assert "hostPath type check failed: /etc/hostname-file is not a directory" in text
    # runc's words for a command that is not there, as kind's containerd passes them on
    assert (
        "runc create failed: unable to start container process: error during container init: "
        'exec: "/bin/nope": stat /bin/nope: no such file or directory: unknown'
    ) in text

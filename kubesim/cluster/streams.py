"""exec, attach and port-forward, as the kubelets serve them (`Hooks.streams`).

The API server's handlers (`apiserver/streaming.py`, `apiserver/portforward.py`) speak the
wire protocols; this module only finds what they reach on the pod's node: the running
container (its `Running`, whose `exec_spec` says how a command enters it) and the pod's
network (where a port-forward dials, as the kubelet's probes do). Refusals are the kubelet's
own words (`pod does not exist`, `container not found ("app")`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from typing import TYPE_CHECKING, Any

from kubesim.apiserver.hooks import ContainerSession, StreamUnavailable
from kubesim.core.errors import UntypedError
from kubesim.kubelet._exec import attach, spawn

if TYPE_CHECKING:
    from kubesim.kubelet._kubelet import Kubelet, PodWorker
    from kubesim.kubelet._process import Running

Obj = dict[str, Any]


class RunningContainer:
    def __init__(self, running: Running, spec: Obj) -> None:
        self.running = running
        self.spec = spec

    async def exec(self, command: list[str], *, stdin: bool, tty: bool) -> ContainerSession:
        return await spawn(self.running.exec_spec(list(command)), stdin=stdin, tty=tty)

    async def attach(self, *, stdin: bool, tty: bool) -> ContainerSession:
        return attach(self.running, stdin_once=bool(self.spec.get("stdinOnce")))


class KubeletStreams:
    def __init__(self, kubelets: dict[str, Kubelet]) -> None:
        self.kubelets = kubelets

    def _worker(self, pod: Obj) -> tuple[Kubelet, PodWorker]:
        kubelet = self.kubelets.get((pod.get("spec") or {}).get("nodeName") or "")
        if kubelet is not None and not kubelet.running:
            # the node is down (the node fault): the API server cannot reach its kubelet
            raise UntypedError(
                f"error dialing backend: dial tcp {kubelet.network.host_ip}:10250: connect: "
                "connection refused"
            )
        worker = kubelet.worker_for(pod["metadata"]["uid"]) if kubelet else None
        if kubelet is None or worker is None:
            raise StreamUnavailable("pod does not exist", code=404)
        return kubelet, worker

    def container(self, pod: Obj, container: str) -> RunningContainer:
        _, worker = self._worker(pod)
        running = worker.running.get(container)
        if running is None or not running.alive():
            raise StreamUnavailable(f'container not found ("{container}")')
        pod_spec = pod.get("spec") or {}
        spec = (pod_spec.get("containers") or []) + (pod_spec.get("ephemeralContainers") or [])
        return RunningContainer(running, next((c for c in spec if c["name"] == container), {}))

    async def dial(self, pod: Obj, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The pod's `localhost:port`: inside its sandbox when the cluster network (the
        fabric) runs, as containerd dials it; in process mode its pod IP's loopback twin
        (where the kubelet's probes reach it). A failure in containerd's words."""
        kubelet, worker = self._worker(pod)
        address = worker.pod_ip or (pod.get("status") or {}).get("podIP") or ""
        try:
            if kubelet.network.in_fabric:
                # a hostNetwork pod has no sandbox of its own: its localhost is the fabric's
                inside = (
                    worker.uid
                    if worker.sandbox is not None
                    and not ((pod.get("spec") or {}).get("hostNetwork"))
                    else None
                )
                return await kubelet.network.dial("127.0.0.1", port, pod_uid=inside)
            return await kubelet.network.dial(address, port)
        except OSError as exc:
            reason = (os.strerror(exc.errno) if exc.errno else str(exc)).lower()
            raise StreamUnavailable(
                f'failed to execute portforward in network namespace "{netns_path(pod)}": '
                f'failed to connect to localhost:{port} inside namespace "{self.sandbox_id(pod)}", '
                f"IPv4: dial tcp4 127.0.0.1:{port}: connect: {reason} "
                f"IPv6 dial tcp6 [::1]:{port}: connect: {reason} "
            ) from exc

    def sandbox_id(self, pod: Obj) -> str:
        self._worker(pod)  # the kubelet's "pod does not exist" when it runs no such pod
        return hashlib.sha256(f"sandbox/{pod['metadata']['uid']}".encode()).hexdigest()


def netns_path(pod: Obj) -> str:
    """The CNI network namespace a runtime would have made for the pod (named in errors)."""
    return f"/var/run/netns/cni-{uuid.uuid5(uuid.NAMESPACE_URL, pod['metadata']['uid'])}"

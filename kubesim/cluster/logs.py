"""`kubectl logs` from the kubelets' CRI log files (current run, or `--previous`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kubesim.apiserver.hooks import LogRequest, NoKubeletLogs, container_status
from kubesim.core.errors import BadRequest
from kubesim.kubelet._process import read_log

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api
    from kubesim.kubelet._kubelet import Kubelet

Obj = dict[str, Any]
FOLLOW_POLL_SECONDS = 0.1
# kubelet_pods.go validateContainerLogStatus: "output some info for the most common pending
# failures"; any other waiting reason is printed as it is.
PULL_FAILURES = {
    "ErrImagePull": "image can't be pulled",
    "ImagePullBackOff": "trying and failing to pull image",
}


class KubeletLogs:
    def __init__(self, api: Api, kubelets: dict[str, Kubelet]) -> None:
        self.api = api
        self.kubelets = kubelets

    def open(self, pod: Obj, request: LogRequest) -> AsyncIterator[bytes]:
        name = pod["metadata"]["name"]
        kubelet = self.kubelets.get((pod.get("spec") or {}).get("nodeName") or "")
        worker = kubelet.worker_for(pod["metadata"]["uid"]) if kubelet else None
        record = worker.record_for(request.container) if worker else None
        if worker is None and kubelet is not None:
            finished = _finished_run(pod, request)
            if finished is not None:
                path = kubelet.runtime.log_path(pod["metadata"]["uid"], request.container, finished)
                if path.exists():
                    return _stream(
                        read_log(
                            path, tail_lines=request.tail_lines, timestamps=request.timestamps
                        ),
                        path,
                        False,
                        None,
                        request,
                        finished,
                    )
        if worker is None or record is None or (not record.ever_ran and not request.previous):
            waiting = ((container_status(pod, request.container) or {}).get("state") or {}).get(
                "waiting"
            ) or {}
            if waiting.get("reason") in PULL_FAILURES:
                raise BadRequest(
                    f'container "{request.container}" in pod "{name}" is waiting to start: '
                    f"{PULL_FAILURES[waiting['reason']]}"
                )
            return NoKubeletLogs().open(pod, request)
        if request.previous:
            if record.restart_count == 0:
                raise BadRequest(
                    f'previous terminated container "{request.container}" in pod "{name}" not found'
                )
            run = record.restart_count - 1
        else:
            run = record.restart_count
        path = kubelet.runtime.log_path(pod["metadata"]["uid"], request.container, run)  # type: ignore[union-attr]
        since = None
        if request.since_seconds:
            since = self.api.clock.now() - timedelta(seconds=request.since_seconds)
        lines = read_log(
            path, tail_lines=request.tail_lines, timestamps=request.timestamps, since=since
        )
        follow = request.follow and not request.previous
        running = worker.running.get(request.container)
        if running is not None and not request.previous:
            running.log_read()  # `kubectl run -i` read it: its attach gets only what follows
        return _stream(lines, path, follow, worker, request, record.restart_count)


def _finished_run(pod: Obj, request: LogRequest) -> int | None:
    """The run whose log a finished container left (a pod that ended before kubesim last
    started has no worker, but its files are still on the node)."""
    item = container_status(pod, request.container)
    if item is None:
        return None
    count = int(item.get("restartCount") or 0)
    if request.previous:
        return count - 1 if count > 0 else None
    return count if "terminated" in (item.get("state") or {}) else None


async def _stream(
    lines: list[str], path, follow: bool, worker, request: LogRequest, run: int
) -> AsyncIterator[bytes]:  # type: ignore[no-untyped-def]
    sent = 0
    for line in lines:
        yield (line + "\n").encode()
    if not follow:
        return
    sent = len(read_log(path))
    while True:
        running = worker.running.get(request.container)
        alive = (
            running is not None
            and running.alive()
            and worker.record_for(request.container).restart_count == run
        )
        current = read_log(path, timestamps=request.timestamps)
        for line in current[sent:]:
            yield (line + "\n").encode()
        sent = len(current)
        if not alive:
            return
        await asyncio.sleep(FOLLOW_POLL_SECONDS)

"""A pod that finished before kubesim last started has no pod worker; its logs still read."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from kubesim.apiserver.hooks import LogRequest
from kubesim.cluster.logs import KubeletLogs
from kubesim.core.errors import BadRequest
from kubesim.kubelet._process import Runtime, cri_line


def _pod(state: dict, restarts: int = 0) -> dict:
    return {
        "metadata": {"name": "dns-check-x7", "namespace": "lab", "uid": "u-9"},
        "spec": {"nodeName": "kubelab-worker", "containers": [{"name": "lookup"}]},
        "status": {
            "containerStatuses": [{"name": "lookup", "state": state, "restartCount": restarts}]
        },
    }


def _logs(tmp_path: Path) -> KubeletLogs:
    runtime = Runtime(tmp_path)
    path = runtime.log_path("u-9", "lookup", 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(
        cri_line("stdout", b"Name: inference-service") + cri_line("stdout", b"Address: 10.96.0.20")
    )
    kubelet = SimpleNamespace(runtime=runtime, worker_for=lambda uid: None)
    return KubeletLogs(api=None, kubelets={"kubelab-worker": kubelet})  # type: ignore[arg-type]


async def _read(logs: KubeletLogs, pod: dict, **kw) -> str:
    return b"".join(
        [c async for c in logs.open(pod, LogRequest(container="lookup", **kw))]
    ).decode()


async def test_a_completed_container_still_shows_its_log(tmp_path: Path) -> None:
    logs = _logs(tmp_path)
    pod = _pod({"terminated": {"exitCode": 0, "reason": "Completed"}})
    assert await _read(logs, pod) == "Name: inference-service\nAddress: 10.96.0.20\n"
    assert await _read(logs, pod, tail_lines=1) == "Address: 10.96.0.20\n"


async def test_a_container_that_never_ran_still_is_waiting_to_start(tmp_path: Path) -> None:
    logs = _logs(tmp_path)
    with pytest.raises(BadRequest, match="is waiting to start: ContainerCreating"):
        await _read(logs, _pod({"waiting": {"reason": "ContainerCreating"}}))

"""A pod whose container daemonizes a child (issue 21): the child leaves the process group
and session and keeps the log pipe open. Deleting the pod must still end within its grace
period, with every process of it gone, and kubesim must still exit promptly on SIGTERM."""

from __future__ import annotations

import json
import time
from pathlib import Path

from kubesim_process import Cluster, start_kubesim, stop_kubesim

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "daemonizer", "namespace": "default"},
    "spec": {
        "terminationGracePeriodSeconds": 3,
        "containers": [
            {
                "name": "c",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "setsid sleep 7773 & echo pid=$!; sleep 7775"],
            }
        ],
    },
}


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        pid = _parent(pid)
        if pid == ancestor:
            return True
    return False


def _host_pid(pid: int, kubesim_pid: int) -> int:
    """The host PID of `sleep 7773`, which its container calls `pid`, once it is `sleep`:
    the shell logs `$!` as soon as it has forked, before the child has exec'd (a loaded
    machine leaves it `sh` or `setsid` for a moment)."""
    deadline = time.monotonic() + 10
    while (found := _host_pid_now(pid, kubesim_pid)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if found is None:
        raise AssertionError(f"no `sleep 7773` of this kubesim that its container calls {pid}")
    return found


def _host_pid_now(pid: int, kubesim_pid: int) -> int | None:
    """NSpid's last field is the container's number for it (the same number in process
    mode). Only this kubesim's processes count: every container numbers its processes from
    1, so another run's `sleep 7773` may have the same number."""
    for entry in Path("/proc").iterdir():
        try:
            if (entry / "cmdline").read_bytes() != b"sleep\x007773\x00":
                continue
            for line in (entry / "status").read_text().splitlines():
                if (
                    line.startswith("NSpid:")
                    and int(line.split()[-1]) == pid
                    and _descends_from(int(entry.name), kubesim_pid)
                ):
                    return int(entry.name)
        except (OSError, ValueError):
            continue
    return None


def _running_child(cluster: Cluster) -> int:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(POD))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = cluster.kubectl("logs", "daemonizer", check=False).stdout
        if out.startswith("pid="):
            pid = int(out.split()[0].removeprefix("pid="))
            return _host_pid(pid, cluster.served.process.pid)
        time.sleep(0.2)
    raise AssertionError("the pod never logged its child's pid")


def test_a_daemonizing_pod_deletes_within_its_grace_period(tmp_path: Path) -> None:
    cluster = start_kubesim(tmp_path, controllers=True)
    try:
        child = _running_child(cluster)
        assert _alive(child)
        started = time.monotonic()
        cluster.kubectl("delete", "pod", "daemonizer", "--wait=true", timeout=30)
        took = time.monotonic() - started
        assert took < 3 + 3, f"deletion took {took:.1f}s, grace period 3s"
        assert not _alive(child), "the setsid child outlived its pod"
    finally:
        stop_kubesim(cluster)


def test_kubesim_exits_promptly_on_sigterm_with_a_daemonizing_pod(tmp_path: Path) -> None:
    cluster = start_kubesim(tmp_path, controllers=True)
    try:
        child = _running_child(cluster)
        started = time.monotonic()
        cluster.served.process.terminate()
        code = cluster.served.process.wait(10)
    finally:
        if cluster.served.process.poll() is None:  # never leave a kubesim (and its pod) behind
            cluster.served.process.kill()
    assert time.monotonic() - started < 10
    assert code == 0 or code == -15
    assert not _alive(child), "the setsid child outlived kubesim"

"""The container world as a whole kubesim runs it: rootless (as `nobody`, inside a user
namespace) and the named process-mode fallback (forced with KUBESIM_ISOLATION=process, the
switch only tests use)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubesim_process import Cluster, start_kubesim, stop_kubesim

from kubelab._simprocess import ready_url, serve_argv
from kubesim.kubelet._world import FORCE_ENV, probe
from kubesim.network.fabric import unavailable_reason

LOOK = "echo ROOT $(ls /); echo HOST $(hostname); echo ID $(id -u)"


def _look(cluster: Cluster, name: str) -> str:
    cluster.kubectl(
        "run", name, "--image=busybox:1.36", "--restart=Never", "--", "sh", "-c", LOOK
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pod = json.loads(cluster.kubectl("get", "pod", name, "-o", "json").stdout)
        if pod["status"].get("phase") in ("Succeeded", "Failed"):
            return cluster.kubectl("logs", name).stdout
        time.sleep(0.2)
    raise AssertionError(f"pod {name} never finished")


@pytest.fixture
def process_mode(tmp_path: Path) -> Iterator[Cluster]:
    os.environ[FORCE_ENV] = "process"
    try:
        cluster = start_kubesim(tmp_path, controllers=True)
    finally:
        del os.environ[FORCE_ENV]
    try:
        yield cluster
    finally:
        stop_kubesim(cluster)


def test_process_mode_is_named_in_status_and_in_the_pod_s_events(process_mode: Cluster) -> None:
    cluster = process_mode
    session = cluster.http_session()
    status = session.get(session.base + "/kubesim/v1/status")  # type: ignore[attr-defined]
    isolation = status.json()["isolation"]
    assert isolation["mode"] == "process"
    assert "KUBESIM_ISOLATION=process" in isolation["description"]
    assert "see its files" in isolation["description"]  # what is lost, said plainly
    network = status.json()["network"]  # no namespaces, so no cluster network either
    assert network["mode"] == "loopback"
    assert "the container world is off" in network["description"]
    assert "leaves for the host's real network" in network["description"]
    out = _look(cluster, "hosty")
    assert "HOST hosty" not in out  # no UTS namespace: the machine's own hostname
    events = cluster.kubectl(
        "get", "events", "--field-selector", "involvedObject.name=hosty", "-o", "json"
    ).stdout
    warnings = [e for e in json.loads(events)["items"] if e["reason"] == "ProcessMode"]
    assert warnings and warnings[0]["type"] == "Warning", events
    assert "host's filesystem" in warnings[0]["message"]
    assert "process mode (KUBESIM_ISOLATION=process)" in warnings[0]["message"]


@pytest.fixture
def as_nobody() -> Iterator[Cluster]:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("starting kubesim as nobody needs root and runuser")
    state = Path(tempfile.mkdtemp(prefix="kubesim-nobody-", dir="/tmp"))
    shutil.chown(state, "nobody")
    kubeconfig = state / "kubeconfig"
    log = state / "kubesim.log"
    with log.open("wb") as sink:
        shutil.chown(log, "nobody")
        process = subprocess.Popen(
            ["runuser", "-u", "nobody", "--", *serve_argv(state, kubeconfig, port=0)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=state,
            # its own temp dir: the pod-network id locks root's kubesims hold in /tmp are root's
            env={**os.environ, "TMPDIR": str(state)},
        )
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            url = ready_url(log.read_text(errors="replace"))
        assert url is not None, log.read_text(errors="replace")[-2000:]
        home = state / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(kubeconfig)}
        yield Cluster(kubeconfig, env, url, state, None)  # type: ignore[arg-type]
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(state, ignore_errors=True)


@pytest.mark.skipif(not probe().contained, reason="no namespaces on this machine")
def test_a_kubesim_run_by_nobody_gives_its_pods_their_own_root(as_nobody: Cluster) -> None:
    """Rootless: kubesim as `nobody` puts each container in a user namespace of its own,
    where it is root over its own root filesystem and hostname, and nothing of the host."""
    out = _look(as_nobody, "rootless")
    session = as_nobody.http_session()
    network = session.get(session.base + "/kubesim/v1/status").json()["network"]  # type: ignore[attr-defined]
    if not unavailable_reason(True):  # ip and nft here: the fabric, in its user namespace
        assert network["mode"] == "fabric", network
    assert out.splitlines() == [
        "ROOT bin dev etc home proc root run sys tmp usr var",
        "HOST rootless",
        "ID 0",
    ], out


@pytest.mark.skipif(
    not probe().contained or bool(unavailable_reason(True)), reason="no cluster network here"
)
def test_a_kubesim_run_by_nobody_gives_its_pods_a_cluster_network(as_nobody: Cluster) -> None:
    """Rootless: the fabric lives in kubesim's own user namespace, pods join it, and a
    busybox pod reaches a Service by name (the cluster DNS, kube-proxy's nftables rules)."""
    cluster = as_nobody
    cluster.kubectl(
        "run", "web", "--image=busybox:1.36", "--port=8080", "--expose", "--",
        "sh", "-c", "mkdir -p /www && echo rootless-web > /www/index.html && exec httpd -f -p 8080 -h /www",
    )  # fmt: skip
    cluster.kubectl("run", "client", "--image=busybox:1.36", "--", "sleep", "300")
    cluster.kubectl("wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=60s")
    deadline = time.monotonic() + 30
    out = None
    while time.monotonic() < deadline:
        out = cluster.kubectl(
            "exec", "client", "--", "wget", "-q", "-O-", "http://web:8080/", check=False
        )
        if out.returncode == 0:
            break
        time.sleep(0.5)
    assert out is not None and out.stdout == "rootless-web\n", out

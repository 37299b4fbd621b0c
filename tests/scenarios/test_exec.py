"""`kubectl exec` as a learner uses it to look inside a pod, with the real kubectl over the
WebSocket remote command protocol (v5.channel.k8s.io), and the official Python client's
`stream()` (v4.channel.k8s.io): output on the right streams, stdin, a terminal with its size,
exit codes, and the refusals worded as on a node."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.stream import stream
from scenario_kubectl import KUBECTL, Lab
from scenario_terminal import Terminal

from kubesim.kubelet import _cgroups

SLEEPER = ("--image=busybox:1.36", "--restart=Never", "--", "sleep", "3600")


def _running(lab: Lab, name: str, *args: str) -> None:
    lab.kubectl("run", name, *(args or SLEEPER))
    lab.kubectl("wait", "--for=condition=Ready", f"pod/{name}", f"--timeout={lab.wall(60):.0f}s")


def _kubectl_argv(lab: Lab, *args: str) -> list[str]:
    return [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace, *args]


def test_exec_streams_stdout_stderr_and_the_exit_code(lab: Lab) -> None:
    _running(lab, "box")

    listing = lab.kubectl("exec", "box", "--", "ls", "/").stdout.split()
    assert "bin" in listing and "logs" not in listing  # the image's root, not kubesim's folder

    proc = lab.kubectl(
        "exec", "box", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 3", check=False
    )
    assert proc.returncode == 3
    assert proc.stdout == "to-out\n"
    assert proc.stderr == "to-err\ncommand terminated with exit code 3\n"


def test_exec_passes_stdin_through_byte_for_byte(lab: Lab) -> None:
    _running(lab, "box")
    payload = os.urandom(1_500_000)
    wrote = subprocess.run(
        _kubectl_argv(lab, "exec", "-i", "box", "--", "sh", "-c", "cat > copy; wc -c < copy"),
        input=payload,
        capture_output=True,
        env=lab.cluster.env,
        timeout=60,
    )
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout.split() == [b"1500000"]
    digest = lab.kubectl("exec", "box", "--", "md5sum", "copy").stdout.split()[0]
    assert digest == hashlib.md5(payload).hexdigest()


def test_exec_it_gives_a_terminal_of_the_callers_size(lab: Lab) -> None:
    _running(lab, "box")
    term = Terminal(
        _kubectl_argv(lab, "exec", "-it", "box", "--", "sh"), env=lab.cluster.env, rows=33, cols=111
    )
    try:
        term.read_until("# ")
        term.type("tty; stty size; echo $((6*7))\r")
        shown = term.read_until("42\r\n")
        assert "/dev/pts/" in shown and "33 111" in shown
        term.type("exit 4\r")
        assert term.wait() == 4
        assert "command terminated with exit code 4" in term.text
    finally:
        term.close()


def test_exec_into_a_deployment_and_a_named_container(lab: Lab) -> None:
    lab.kubectl("create", "deployment", "web", "--image=busybox:1.36", "--", "sleep", "3600")
    lab.kubectl("rollout", "status", "deployment/web", f"--timeout={lab.wall(60):.0f}s")
    assert lab.kubectl("exec", "deploy/web", "--", "echo", "hi").stdout == "hi\n"

    lab.kubectl("apply", "-f", "-", input=TWO_CONTAINERS)
    lab.kubectl("wait", "--for=condition=Ready", "pod/pair", f"--timeout={lab.wall(60):.0f}s")
    second = lab.kubectl("exec", "pair", "-c", "second", "--", "sh", "-c", "echo $WHO")
    assert second.stdout == "second\n"
    wrong = lab.kubectl("exec", "pair", "-c", "third", "--", "true", check=False)
    assert wrong.returncode == 1
    assert "container third is not valid for pod pair" in wrong.stderr


def test_exec_refusals_are_worded_as_on_a_node(lab: Lab) -> None:
    lab.kubectl("run", "crash", "--image=busybox:1.36", "--", "sh", "-c", "exit 1")
    lab.wait_for(
        lambda: "CrashLoopBackOff" in lab.kubectl("get", "pod", "crash").stdout,
        timeout=lab.wall(60),
        what="the crash pod to back off",
    )
    refused = 'error: unable to upgrade connection: container not found ("crash")'

    def exec_refused() -> subprocess.CompletedProcess[str] | None:
        # a restart of the backing-off container can be running for an instant, or end
        # between the kubelet's look and the exec (runc's "stopped container"), as on a node
        done = lab.kubectl("exec", "crash", "--", "true", check=False)
        if done.returncode != 0:
            assert "Traceback" not in done.stderr, done.stderr
        return done if done.stderr.strip() == refused else None

    down = lab.wait_for(exec_refused, timeout=lab.wall(30), what="exec to be refused")
    assert down.returncode == 1

    _running(lab, "box")
    missing = lab.kubectl("exec", "box", "--", "no-such-command", check=False)
    assert missing.returncode == 1
    assert 'exec: "no-such-command": executable file not found in $PATH' in missing.stderr
    assert missing.stderr.startswith("error: Internal error occurred: error executing command")


def test_python_client_stream_exec_with_stdin_and_return_code(lab: Lab) -> None:
    _running(lab, "box")
    api = client.CoreV1Api(config.new_client_from_config(str(lab.cluster.kubeconfig)))
    out = stream(
        api.connect_get_namespaced_pod_exec,
        "box",
        lab.namespace,
        command=["sh", "-c", "echo hi; echo there >&2"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert out == "hi\nthere\n"
    resp = stream(
        api.connect_get_namespaced_pod_exec,
        "box",
        lab.namespace,
        command=["sh", "-c", "read x; echo got $x; exit 5"],
        stderr=True,
        stdin=True,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    try:
        resp.write_stdin("abc\n")
        resp.run_forever(timeout=lab.wall(30))
        assert resp.read_stdout() == "got abc\n"
        assert resp.returncode == 5
    finally:
        resp.close()


TWO_CONTAINERS = """
apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  containers:
  - name: first
    image: busybox:1.36
    command: [sleep, "3600"]
  - name: second
    image: busybox:1.36
    command: [sleep, "3600"]
    env: [{name: WHO, value: second}]
"""


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


@pytest.mark.skipif(not _cgroups.available(), reason="cgroups are not writable here")
def test_an_exec_runs_in_the_containers_cgroup_and_dies_with_the_pod(lab: Lab) -> None:
    """As on a node, what `kubectl exec` starts belongs to the container: it is in the
    container's cgroup (its CPU and memory count there) and ends when the pod is deleted."""
    _running(lab, "box")
    uid = lab.get_json("pod", "box")["metadata"]["uid"]
    cgroup = lab.kubectl("exec", "box", "--", "cat", "/proc/self/cgroup").stdout
    assert any(
        ":memory:/kubesim/" in line and line.endswith(f"-{uid}-box-0") for line in cgroup.split()
    ), cgroup
    [procs] = Path("/sys/fs/cgroup/memory/kubesim").glob(f"*-{uid}-box-0/cgroup.procs")
    session = subprocess.Popen(
        _kubectl_argv(lab, "exec", "box", "--", "sleep", "301"),
        env=lab.cluster.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sleeps = lab.wait_for(
            lambda: [
                int(p) for p in procs.read_text().split() if _cmdline(int(p)) == ["sleep", "301"]
            ],
            timeout=lab.wall(30),
            what="the exec'd sleep in the container's cgroup.procs",
        )
        lab.kubectl("delete", "pod", "box", "--now")
        assert session.wait(timeout=60) != 0  # the exec ended with its container
        deadline = time.monotonic() + 10
        while any(_cgroups._alive(pid) for pid in sleeps) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_cgroups._alive(pid) for pid in sleeps), "the exec'd sleep outlived its pod"
    finally:
        session.kill()

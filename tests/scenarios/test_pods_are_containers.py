"""A pod is a container, not a host process: what a learner sees from inside one.

Driven by the real kubectl, as a learner does before `kubectl exec` exists: `kubectl run` a
busybox pod whose command looks around, then `kubectl logs` it. Each check would have failed
when pods were host processes (`ls /` listed the host's root and this checkout, `hostname`
was the machine's, `rm -rf /tmp/*` emptied the host's /tmp).
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from scenario_kubectl import REPO, Lab

from kubesim.kubelet._world import probe

pytestmark = pytest.mark.skipif(
    not probe().contained, reason="no namespaces on this machine: kubesim runs process mode"
)


def _run_and_log(lab: Lab, name: str, script: str, *extra: str) -> str:
    """`kubectl run NAME --image=busybox --restart=Never -- sh -c SCRIPT`, its log once done."""
    lab.kubectl("run", name, "--image=busybox:1.36", "--restart=Never", *extra, "--", "sh", "-c", script)  # fmt: skip
    lab.wait_for(
        lambda: lab.get_json("pod", name)["status"].get("phase") in ("Succeeded", "Failed"),
        timeout=lab.wall(30),
        what=f"pod {name} to finish",
    )
    return lab.kubectl("logs", name).stdout


def test_a_busybox_pod_sees_its_image_not_the_host(lab: Lab) -> None:
    out = _run_and_log(
        lab,
        "look",
        "echo ROOT $(ls /); echo HOST $(hostname); echo ENV; env; echo PS; ps -o pid,comm;"
        " echo PROC $(ls /proc | grep -E '^[0-9]+$')",
    )
    root = next(line for line in out.splitlines() if line.startswith("ROOT "))
    assert root.split()[1:] == sorted(
        ["bin", "dev", "etc", "home", "proc", "root", "run", "sys", "tmp", "usr", "var"]
    ), out
    # nothing of this checkout, wherever it lives (/work here, /tmp/... in a CI clone)
    assert f"CHECKOUT {REPO}: absent" in _run_and_log(
        lab,
        "peek",
        f"test -e {REPO} && echo CHECKOUT {REPO}: present || echo CHECKOUT {REPO}: absent",
    )
    assert "HOST look" in out.splitlines()
    env = out.split("ENV\n", 1)[1].split("PS\n", 1)[0]
    assert "KUBESIM" not in env and "PYTHONPATH" not in env, env
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in env
    assert "HOME=/root" in env and "HOSTNAME=look" in env
    assert "KUBERNETES_SERVICE_HOST=10.96.0.1" in env  # the kubelet's service variables
    ps = out.split("PS\n", 1)[1].split("PROC", 1)[0].split()
    assert ps[:4] == ["PID", "COMMAND", "1", "sh"], ps  # the command is PID 1 ...
    proc = next(line for line in out.splitlines() if line.startswith("PROC"))
    pids = proc.split()[1:]  # sh, the $( ) subshell, ls, grep: the container's, all there is
    assert "1" in pids and len(pids) <= 5, proc


def test_the_kubelet_writes_etc_hosts_hostname_and_resolv_conf(lab: Lab) -> None:
    out = _run_and_log(
        lab, "named", "cat /etc/resolv.conf /etc/hostname /etc/hosts; hostname -f || true"
    )
    assert (
        "search lab.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\n"
        "options ndots:5\n"
    ) in out
    ip = lab.get_json("pod", "named")["status"]["podIP"]
    assert "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n" in out
    assert f"{ip}\tnamed\n" in out
    assert socket.gethostname() not in out.split() or socket.gethostname() == "named"


def test_writes_to_tmp_stay_in_the_pod(lab: Lab) -> None:
    canary = Path("/tmp") / f"kubesim-canary-{uuid.uuid4().hex[:8]}"
    canary.write_text("the host's\n")
    try:
        out = _run_and_log(
            lab,
            "wiper",
            f"touch /tmp/x; ls /tmp; rm -rf /tmp/*; ls -a /tmp; cat {canary} || echo gone",
        )
        assert canary.read_text() == "the host's\n", "a pod deleted the host's /tmp"
        assert "x" in out.split() and "gone" in out  # its own /tmp, without the canary
    finally:
        canary.unlink(missing_ok=True)


def test_a_missing_command_is_a_start_error_with_runc_s_words(lab: Lab) -> None:
    lab.kubectl("run", "typo", "--image=busybox:1.36", "--restart=Never", "--", "slep", "1")
    status = lab.wait_for(
        lambda: (
            (lab.get_json("pod", "typo")["status"].get("containerStatuses") or [{}])[0]
            .get("state", {})
            .get("terminated")
        ),
        timeout=lab.wall(30),
        what="the typo pod's container to end",
    )
    assert status["reason"] == "StartError" and status["exitCode"] == 128
    assert 'exec: "slep": executable file not found in $PATH' in status["message"]
    # never started: containerd's start time 0, which describe shows as the Unix epoch
    assert status["startedAt"] == "1970-01-01T00:00:00Z" and status["finishedAt"]


def test_the_inference_image_serves_from_its_own_root(lab: Lab) -> None:
    """The course's image runs `python3 -m inference` in /app of a python-based world, and
    answers through the API server's pod proxy (the Python network shim still reaches it)."""
    lab.kubectl(
        "run", "infer", "--image=kubelab/inference:2.4.0", "--restart=Never",
        "--env=MODEL_PATH=models/iris-logreg.json", "--port=8080",
    )  # fmt: skip
    lab.wait_for(
        lambda: "listening on port 8080" in lab.kubectl("logs", "infer").stdout,
        timeout=lab.wall(60),
        what="the inference pod to listen",
    )
    version = lab.cluster.kubectl(
        "get", "--raw", "/api/v1/namespaces/lab/pods/infer:8080/proxy/version"
    ).stdout
    assert "2.4.0" in version, version

"""`kubectl debug` with the real kubectl: an ephemeral container added to a running pod
(pods/ephemeralcontainers, started by the kubelet, attached to with a terminal, reported in
ephemeralContainerStatuses), a non-interactive one whose output is in its log, and
`kubectl debug node/NAME` (a pod on that node with the host's root as a hostPath volume)."""

from __future__ import annotations

from scenario_kubectl import KUBECTL, WORKERS, Lab
from scenario_terminal import Terminal


def _argv(lab: Lab, *args: str) -> list[str]:
    return [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace, *args]


def _sleeper(lab: Lab) -> None:
    lab.kubectl("run", "app", "--image=busybox:1.36", "--", "sleep", "3600")
    lab.kubectl("wait", "--for=condition=Ready", "pod/app", f"--timeout={lab.wall(60):.0f}s")


def _ephemeral_statuses(lab: Lab) -> list[dict]:
    pod = lab.get_json("pod", "app")
    return pod["status"].get("ephemeralContainerStatuses") or []


def test_debug_it_adds_an_ephemeral_container_with_a_shell(lab: Lab) -> None:
    _sleeper(lab)
    term = Terminal(
        _argv(lab, "debug", "-it", "app", "--image=busybox:1.36", "--target=app"),
        env=lab.cluster.env,
    )
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.", timeout=60)
        term.type("\r")
        term.type("echo $((6*7))\r")
        term.read_until("42\r\n")
        term.type("exit\r")
        assert term.wait(timeout=60) == 0
        assert "Defaulting debug container name to debugger-" in term.text
        assert "the ephemeral container will not be restarted" in term.text
    finally:
        term.close()
    lab.wait_for(
        lambda: any("terminated" in s["state"] for s in _ephemeral_statuses(lab)),
        timeout=lab.wall(30),
        what="the debug container to be reported terminated",
    )
    (status,) = _ephemeral_statuses(lab)
    assert status["name"].startswith("debugger-")
    assert status["state"]["terminated"]["reason"] == "Completed"
    assert status["restartCount"] == 0 and status["ready"] is False
    spec = lab.get_json("pod", "app")["spec"]["ephemeralContainers"][0]
    assert spec["targetContainerName"] == "app" and spec["tty"] is True
    row = lab.table("pod", "app")[0]
    assert (row["READY"], row["STATUS"], row["RESTARTS"]) == ("1/1", "Running", "0")


def test_the_pause_image_has_no_shell_so_the_page_reaches_for_kubectl_debug(lab: Lab) -> None:
    """ "Debug Running Pods": `kubectl exec -it ephemeral-demo -- sh` into registry.k8s.io/pause
    fails, there being no shell in that image; `kubectl debug` then brings one."""
    lab.kubectl("run", "ephemeral-demo", "--image=registry.k8s.io/pause:3.1", "--restart=Never")
    lab.kubectl(
        "wait", "--for=condition=Ready", "pod/ephemeral-demo", f"--timeout={lab.wall(60):.0f}s"
    )
    refused = lab.kubectl("exec", "ephemeral-demo", "--", "sh", check=False)
    assert refused.returncode != 0
    assert 'exec: "sh": executable file not found in $PATH' in refused.stderr, refused.stderr
    # the debugger joins the target's PID namespace: it sees the pause process as PID 1
    lab.kubectl(
        "debug",
        "ephemeral-demo",
        "--image=busybox:1.36",
        "--target=ephemeral-demo",
        "--container=debugger",
        "--",
        "sh",
        "-c",
        "cat /proc/1/cmdline | tr '\\0' ' '; echo; ls -a /proc/1/root/",
    )

    def shown() -> str:
        pod = lab.get_json("pod", "ephemeral-demo")
        statuses = pod["status"].get("ephemeralContainerStatuses") or []
        if not any("terminated" in s["state"] for s in statuses):
            return ""
        return lab.kubectl("logs", "ephemeral-demo", "-c", "debugger").stdout

    lines = [
        line.strip()
        for line in lab.wait_for(
            shown, timeout=lab.wall(60), what="the debugger's output"
        ).splitlines()
    ]
    assert "sleep infinity" in lines, lines
    assert ".kubesim" in lines, lines  # the pause container's own root, not its own


def test_debug_without_a_terminal_leaves_its_output_in_the_log(lab: Lab) -> None:
    _sleeper(lab)
    out = lab.kubectl(
        "debug", "app", "--image=busybox:1.36", "--", "sh", "-c", "echo debugging $((2+3))"
    )
    name = out.stdout.split("Defaulting debug container name to ")[1].split(".")[0]
    lab.wait_for(
        lambda: lab.kubectl("logs", "app", "-c", name, check=False).stdout == "debugging 5\n",
        timeout=lab.wall(30),
        what="the debug container's output",
    )
    removal = lab.kubectl(
        "patch",
        "pod",
        "app",
        "--subresource=ephemeralcontainers",
        "--type=json",
        "-p",
        '[{"op": "remove", "path": "/spec/ephemeralContainers/0"}]',
        check=False,
    )
    assert removal.returncode == 1
    assert removal.stderr.strip() == (
        'The Pod "app" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral '
        f'containers "{name}" may not be removed'
    )


def test_debug_node_runs_a_pod_on_that_node_with_the_hosts_root(lab: Lab) -> None:
    node = WORKERS[0]
    term = Terminal(
        _argv(lab, "debug", "-it", f"node/{node}", "--image=busybox:1.36"), env=lab.cluster.env
    )
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.", timeout=60)
        assert f"Creating debugging pod node-debugger-{node}-" in term.text
        assert "unknown field" not in term.text  # the pod's hostPath volume arrived whole
        term.type("\r")
        term.type("echo $((6*7))\r")
        term.read_until("42\r\n")
        term.type("exit\r")
        assert term.wait(timeout=60) == 0
    finally:
        term.close()
    (pod,) = [
        p
        for p in lab.get_json("pods")["items"]
        if p["metadata"]["name"].startswith(f"node-debugger-{node}-")
    ]
    assert pod["spec"]["nodeName"] == node
    assert pod["spec"]["hostNetwork"] is True and pod["spec"]["hostPID"] is True
    # the node's root, beside the service account's volume that admission adds to every pod
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["host-root"] == {"hostPath": {"path": "/", "type": ""}, "name": "host-root"}
    assert [n for n in volumes if n.startswith("kube-api-access-")], volumes

"""`kubectl run -it --rm`, `kubectl run -i` and `kubectl attach` with the real kubectl: a shell
in a throwaway pod, stdin piped into a one-shot pod and its exit code, and attaching to a
running container's output. The kubelet keeps a container's stdin open (`stdin: true`) or
gives it a terminal (`tty: true`) as the pod spec says."""

from __future__ import annotations

import subprocess
import time

from scenario_kubectl import KUBECTL, Lab
from scenario_terminal import Terminal


def _argv(lab: Lab, *args: str) -> list[str]:
    return [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace, *args]


def test_run_it_rm_gives_a_real_shell_and_cleans_up(lab: Lab) -> None:
    term = Terminal(
        _argv(lab, "run", "-it", "--rm", "shell", "--image=busybox:1.36", "--", "sh"),
        env=lab.cluster.env,
        rows=25,
        cols=90,
    )
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.", timeout=60)
        term.type("\r")
        term.type("echo $((6*7)); stty size\r")
        shown = term.read_until("42\r\n")
        # kubectl attaches with a resize to (rows+1, cols+1) and then the real size, to make
        # the program redraw; a `stty size` between the two sees 26 91, so ask until settled
        for i in range(10):
            term.type(f"stty size; echo $((700+{i}))\r")
            screen = term.read_until(f"{700 + i}\r\n")
            if "25 90" in screen.rsplit(f"echo $((700+{i}))", 1)[-1]:
                break
        else:
            raise AssertionError(f"the terminal never settled at 25 90:\n{term.text}")
        assert "42\r\n" in shown
        term.type("exit\r")
        assert term.wait(timeout=60) == 0
        assert 'pod "shell" deleted' in term.text
    finally:
        term.close()
    pods = [p for p in lab.get_json("pods")["items"] if p["metadata"]["name"] == "shell"]
    assert all(p["metadata"].get("deletionTimestamp") for p in pods)  # gone, or going


def test_run_i_pipes_stdin_into_a_one_shot_pod_and_returns_its_exit_code(lab: Lab) -> None:
    proc = subprocess.run(
        _argv(lab, "run", "-i", "--rm", "--restart=Never", "oneshot", "--image=busybox:1.36")
        + ["--", "sh", "-c", "read x; echo got $x; exit 3"],
        input="hello\n",
        capture_output=True,
        text=True,
        env=lab.cluster.env,
        timeout=120,
    )
    assert proc.returncode == 3
    assert proc.stdout.startswith("got hello\n")
    assert 'pod "oneshot" deleted' in proc.stdout
    assert f"pod {lab.namespace}/oneshot terminated (Error)" in proc.stderr


def test_attach_streams_a_running_containers_new_output(lab: Lab) -> None:
    lab.kubectl(
        "run",
        "ticker",
        "--image=busybox:1.36",
        "--",
        "sh",
        "-c",
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done",
    )
    lab.kubectl("wait", "--for=condition=Ready", "pod/ticker", f"--timeout={lab.wall(60):.0f}s")
    time.sleep(1)
    before = lab.kubectl("logs", "ticker").stdout.count("tick")
    proc = subprocess.Popen(
        _argv(lab, "attach", "ticker"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=lab.cluster.env,
    )
    try:
        assert proc.stdout is not None
        seen = [int(proc.stdout.readline().split()[1]) for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(10)
    assert seen == list(range(seen[0], seen[0] + 3))  # consecutive, live
    assert seen[0] >= before - 1  # from the moment of attaching, not the log's beginning
    assert lab.kubectl("get", "pod", "ticker", "-o", "jsonpath={.status.phase}").stdout == "Running"


def test_run_i_shows_each_line_once(lab: Lab) -> None:
    """kubectl 1.37's `run -i` prints the log, then attaches: what it printed from the log
    is not sent again by the attach (it was, twice: the BusyBox banner of `run -it -- sh`)."""
    proc = subprocess.run(
        _argv(lab, "run", "-i", "--rm", "--restart=Never", "twice", "--image=busybox:1.36")
        + ["--", "sh", "-c", "echo one; sleep 1; echo two"],
        capture_output=True,
        text=True,
        env=lab.cluster.env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # "one" may come before kubectl reads the log or after, never both; "two" by the attach
    assert lines.count("one") <= 1 and lines.count("two") == 1, proc.stdout

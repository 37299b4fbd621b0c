"""The Kubernetes docs' task "Determine the Reason for Pod Failure" on the simulator: what a
container writes to /dev/termination-log is its terminated state's message, and with
terminationMessagePolicy FallbackToLogsOnError a failed container that wrote nothing gets the
tail of its log instead."""

from __future__ import annotations

from scenario_kubectl import Lab

# the docs' termination-demo, with busybox for debian and a shorter sleep
DEMO = """
apiVersion: v1
kind: Pod
metadata:
  name: termination-demo
spec:
  containers:
  - name: termination-demo-container
    image: busybox:1.36
    command: ["/bin/sh"]
    args: ["-c", "sleep 1 && echo Sleep expired > /dev/termination-log"]
"""

FALLBACK = """
apiVersion: v1
kind: Pod
metadata:
  name: fallback-demo
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.36
    terminationMessagePolicy: FallbackToLogsOnError
    command: ["sh", "-c", "echo loading model; echo model file is corrupt >&2; exit 3"]
"""


def _ended(lab: Lab, pod: str, what: str) -> dict:
    """The pod's one container's terminated state, once it has one."""
    return lab.wait_for(
        lambda: lab.get_json("pod", pod)["status"]["containerStatuses"][0]["state"].get(
            "terminated"
        ),
        timeout=lab.wall(60),
        what=what,
    )


def test_the_message_a_container_writes_is_its_termination_message(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=DEMO)
    template = "{{range .status.containerStatuses}}{{.lastState.terminated.message}}{{end}}"

    def message_so_far() -> str | bool:
        out = lab.kubectl("get", "pod", "termination-demo", "-o", f"go-template={template}")
        return out.stdout != "<no value>" and out.stdout

    message = lab.wait_for(
        message_so_far,
        timeout=lab.wall(60),
        what="the restarted container's last termination message",
    )
    assert message == "Sleep expired\n"


def test_a_failed_container_that_wrote_nothing_falls_back_to_its_log(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=FALLBACK)
    state = _ended(lab, "fallback-demo", "the container to end")
    assert state["exitCode"] == 3
    assert state["message"] == "loading model\nmodel file is corrupt\n"


def test_the_message_is_the_files_last_4_kib(lab: Lab) -> None:
    script = (
        "i=0; while [ $i -lt 500 ]; do printf aaaaaaaaaa; i=$((i+1)); done "
        "> /dev/termination-log; printf END >> /dev/termination-log"
    )
    long = FALLBACK.replace("fallback-demo", "long-message").replace(
        '"echo loading model; echo model file is corrupt >&2; exit 3"', f'"{script}"'
    )
    lab.kubectl("apply", "-f", "-", input=long)
    state = _ended(lab, "long-message", "the container to end")
    assert len(state["message"]) == 4096 and state["message"].endswith("aaaEND")


def test_a_container_the_kubelet_stops_gets_its_message_too(lab: Lab) -> None:
    stopped = (
        FALLBACK.replace("fallback-demo", "stopped-demo")
        .replace(
            "  restartPolicy: Never\n",
            "  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n",
        )
        .replace(
            '"echo loading model; echo model file is corrupt >&2; exit 3"',
            '"echo still loading; sleep 3600"',
        )
    )
    lab.kubectl("apply", "-f", "-", input=stopped)
    # the deadline only once the line is written (a deadline set at creation raced the
    # container's start on a loaded machine): activeDeadlineSeconds may be set on a running
    # pod, and one second since its start has long passed
    lab.wait_for(
        lambda: lab.kubectl("logs", "stopped-demo").stdout == "still loading\n",
        timeout=lab.wall(60),
        what="the container's line",
    )
    lab.kubectl("patch", "pod", "stopped-demo", "-p", '{"spec":{"activeDeadlineSeconds":1}}')
    state = _ended(lab, "stopped-demo", "the deadline to stop the container")
    assert state["exitCode"] != 0 and state["message"] == "still loading\n"

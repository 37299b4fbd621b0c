"""The docs' pod-configuration tasks with their own manifests and commands: "Define a Command
and Arguments for a Container", "Define Environment Variables for a Container" and
"Configure a Pod to Use a ConfigMap" ($(VAR) in command and args), "Expose Pod Information
to Containers Through Environment Variables" (printenv) and "Attach Handlers to Container
Lifecycle Events" (postStart and preStop)."""

from __future__ import annotations

import subprocess

from kubesim_process import KUBECTL
from scenario_kubectl import Lab

COMMAND_ARGS = """
apiVersion: v1
kind: Pod
metadata: {name: command-demo}
spec:
  restartPolicy: OnFailure
  containers:
  - name: command-demo-container
    image: busybox:1.28
    env:
    - {name: MESSAGE, value: "hello world"}
    command: ["/bin/echo"]
    args: ["$(MESSAGE)"]
---
apiVersion: v1
kind: Pod
metadata: {name: print-greeting}
spec:
  restartPolicy: OnFailure
  containers:
  - name: env-print-demo
    image: bash
    env:
    - {name: GREETING, value: "Warm greetings to"}
    - {name: HONORIFIC, value: "The Most Honorable"}
    - {name: NAME, value: "Kubernetes"}
    - {name: MESSAGE, value: "$(GREETING) $(HONORIFIC) $(NAME)"}
    command: ["echo"]
    args: ["$(MESSAGE)", "$$(MESSAGE)"]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: special-config}
data: {SPECIAL_LEVEL: very, SPECIAL_TYPE: charm}
---
apiVersion: v1
kind: Pod
metadata: {name: dapi-test-pod}
spec:
  restartPolicy: Never
  containers:
  - name: test-container
    image: registry.k8s.io/busybox
    command: ["/bin/echo", "$(SPECIAL_LEVEL_KEY) $(SPECIAL_TYPE_KEY)"]
    env:
    - name: SPECIAL_LEVEL_KEY
      valueFrom: {configMapKeyRef: {name: special-config, key: SPECIAL_LEVEL}}
    - name: SPECIAL_TYPE_KEY
      valueFrom: {configMapKeyRef: {name: special-config, key: SPECIAL_TYPE}}
"""


def test_command_and_args_expand_the_containers_environment(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=COMMAND_ARGS)
    pods = ("command-demo", "print-greeting", "dapi-test-pod")

    def logs() -> dict[str, str] | None:
        got = {}
        for pod in pods:
            proc = lab.kubectl("logs", pod, check=False)
            if proc.returncode != 0 or not proc.stdout:
                return None
            got[pod] = proc.stdout
        return got

    printed = lab.wait_for(logs, timeout=lab.wall(60), what="the three pods' output")
    assert printed == {
        "command-demo": "hello world\n",
        "print-greeting": "Warm greetings to The Most Honorable Kubernetes $(MESSAGE)\n",
        "dapi-test-pod": "very charm\n",
    }


FIELDREF = """
apiVersion: v1
kind: Pod
metadata: {name: dapi-envars-fieldref}
spec:
  containers:
  - name: test-container
    image: registry.k8s.io/busybox
    command: ["sh", "-c"]
    args:
    - while true; do
        echo -en '\\n';
        printenv MY_NODE_NAME MY_POD_NAME MY_POD_NAMESPACE;
        printenv MY_POD_IP MY_POD_SERVICE_ACCOUNT;
        sleep 10;
      done;
    env:
    - name: MY_NODE_NAME
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: MY_POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: MY_POD_NAMESPACE
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: MY_POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: MY_POD_SERVICE_ACCOUNT
      valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}
  restartPolicy: Never
---
apiVersion: v1
kind: Pod
metadata: {name: bashy}
spec:
  containers:
  - {name: bash, image: bash, command: [sleep, "3600"]}
"""


def test_printenv_and_the_bash_images_bash_run_as_the_pages_use_them(lab: Lab) -> None:
    """ "Expose Pod Information to Containers Through Environment Variables" reads its
    downward API values with busybox's printenv; the bash image runs `bash` by name."""
    lab.kubectl("apply", "-f", "-", input=FIELDREF)
    for pod in ("dapi-envars-fieldref", "bashy"):
        lab.kubectl("wait", "--for=condition=Ready", f"pod/{pod}", f"--timeout={lab.wall(60):.0f}s")
    pod = lab.get_json("pod", "dapi-envars-fieldref")
    values = [
        pod["spec"]["nodeName"],
        "dapi-envars-fieldref",
        lab.namespace,
        pod["status"]["podIP"],
        "default",
    ]
    logged = lab.wait_for(
        lambda: lab.kubectl("logs", "dapi-envars-fieldref").stdout.strip(),
        timeout=lab.wall(30),
        what="the downward API values",
    )
    assert logged.splitlines()[:5] == values
    one = lab.kubectl("exec", "dapi-envars-fieldref", "--", "printenv", "MY_POD_NAME").stdout
    assert one == "dapi-envars-fieldref\n"
    missing = lab.kubectl("exec", "dapi-envars-fieldref", "--", "printenv", "NOPE", check=False)
    assert (missing.returncode, missing.stdout) == (1, "")
    shell = lab.kubectl("exec", "bashy", "--", "bash", "-c", "echo $((6 * 7))").stdout
    assert shell == "42\n"


LIFECYCLE = """
apiVersion: v1
kind: Pod
metadata: {name: lifecycle-demo}
spec:
  containers:
  - name: lifecycle-demo-container
    image: nginx
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo Hello from the postStart handler > /usr/share/message"]
      preStop:
        exec:
          command: ["/bin/sh","-c","nginx -s quit; while killall -0 nginx; do sleep 1; done"]
---
apiVersion: v1
kind: Pod
metadata: {name: bad-hook}
spec:
  containers:
  - name: c
    image: busybox:1.36
    command: [sleep, "3600"]
    lifecycle:
      postStart:
        exec: {command: ["/bin/false"]}
"""


def test_lifecycle_hooks_run_as_the_attach_handlers_page_says(lab: Lab) -> None:
    """ "Attach Handlers to Container Lifecycle Events": the postStart hook has written its
    file once the container runs; deleting the pod runs the preStop hook, whose
    `nginx -s quit` shuts nginx down gracefully (SIGQUIT) before any SIGTERM. A postStart
    that fails kills the container, which restarts."""
    lab.kubectl("apply", "-f", "-", input=LIFECYCLE)
    lab.kubectl(
        "wait", "--for=condition=Ready", "pod/lifecycle-demo", f"--timeout={lab.wall(60):.0f}s"
    )
    message = lab.kubectl("exec", "lifecycle-demo", "--", "cat", "/usr/share/message").stdout
    assert message == "Hello from the postStart handler\n"
    follow = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace]
        + ["logs", "-f", "lifecycle-demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lab.cluster.env,
    )
    try:
        lab.kubectl("delete", "pod", "lifecycle-demo", f"--timeout={lab.wall(60):.0f}s")
        shown, _ = follow.communicate(timeout=60)
    finally:
        follow.kill()
    assert "signal 3 (SIGQUIT) received, shutting down" in shown, shown
    assert "SIGTERM" not in shown

    def killed_by_its_hook() -> list[str]:
        events = lab.get_json("events", "--field-selector", "involvedObject.name=bad-hook")
        return [f"{e['reason']}: {e['message']}" for e in events["items"]]

    events = lab.wait_for(
        lambda: "Killing: FailedPostStartHook" in (got := killed_by_its_hook()) and got,
        timeout=lab.wall(60),
        what="the failed postStart hook's events",
    )
    assert "FailedPostStartHook: PostStartHook failed" in events
    lab.wait_for(
        lambda: lab.get_json("pod", "bad-hook")["status"]["containerStatuses"][0]["restartCount"],
        timeout=lab.wall(60),
        what="the container restarted",
    )


IN_ORDER = """
apiVersion: v1
kind: Pod
metadata: {name: in-order}
spec:
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: first
    image: busybox:1.36
    command: [sleep, "3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart:
        exec: {command: [sh, -c, "sleep 1; touch /shared/first-hook-done"]}
  - name: second
    image: busybox:1.36
    command: [sh, -c, "if [ -e /shared/first-hook-done ]; then echo after; else echo before; fi; sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
---
apiVersion: v1
kind: Pod
metadata: {name: first-cannot-pull}
spec:
  containers:
  - {name: missing, image: "busybox:no-such-tag"}
  - {name: runs, image: "busybox:1.36", command: [sleep, "3600"]}
"""


def test_containers_start_in_order_each_after_the_previous_post_start(lab: Lab) -> None:
    """The kubelet starts a pod's containers one after another, and a container's start
    includes its postStart hook: the second container starts only once the first one's hook
    has returned (what "hold the application until the proxy starts" relies on)."""
    lab.kubectl("apply", "-f", "-", input=IN_ORDER)
    lab.kubectl("wait", "--for=condition=Ready", "pod/in-order", f"--timeout={lab.wall(60):.0f}s")
    said = lab.wait_for(
        lambda: lab.kubectl("logs", "in-order", "-c", "second").stdout,
        timeout=lab.wall(30),
        what="the second container's line",
    )
    assert said == "after\n"

    def running() -> list[str]:
        statuses = lab.get_json("pod", "first-cannot-pull")["status"].get("containerStatuses")
        return [c["name"] for c in statuses or [] if "running" in c["state"]]

    # a start that fails (here the pull) does not hold the containers after it
    assert lab.wait_for(running, timeout=lab.wall(30), what="the second container") == ["runs"]


SHARED = """
apiVersion: v1
kind: Pod
metadata: {name: nginx}
spec:
  shareProcessNamespace: true
  containers:
  - name: nginx
    image: nginx
  - name: shell
    image: busybox:1.28
    command: ["sleep", "3600"]
    stdin: true
    tty: true
"""


def test_share_process_namespace_as_the_page_shows(lab: Lab) -> None:
    """ "Share Process Namespace between Containers in a Pod": from the shell container, `ps
    ax` lists the sandbox's pause as PID 1 and nginx; `kill -HUP` reaches nginx, which
    reloads; its files are under /proc/$pid/root. nginx is not PID 1 in its own container
    either: the pause is."""
    lab.kubectl("apply", "-f", "-", input=SHARED)
    lab.kubectl("wait", "--for=condition=Ready", "pod/nginx", f"--timeout={lab.wall(60):.0f}s")
    rows = lab.kubectl("exec", "nginx", "-c", "shell", "--", "ps", "ax").stdout.splitlines()
    commands = {line.split(None, 2)[0]: line.split(None, 2)[2] for line in rows[1:]}
    assert commands["1"] == "sleep infinity", rows
    nginx = next(pid for pid, cmd in commands.items() if "nginx -g daemon off;" in cmd)
    assert any(cmd == "sleep 3600" for cmd in commands.values()), rows
    assert not any("unshare" in cmd or "_ctrinit" in cmd for cmd in commands.values()), rows
    seen = lab.kubectl(
        "exec",
        "nginx",
        "-c",
        "shell",
        "--",
        "sh",
        "-c",
        f"kill -HUP {nginx} && grep -m1 user /proc/{nginx}/root/etc/nginx/nginx.conf",
    ).stdout
    assert seen.strip() == "user  nginx;"
    lab.wait_for(
        lambda: (
            "signal 1 (SIGHUP) received, reconfiguring"
            in lab.kubectl("logs", "nginx", "-c", "nginx").stdout
        ),
        timeout=lab.wall(30),
        what="nginx to reload",
    )
    alone = lab.kubectl("exec", "nginx", "-c", "nginx", "--", "cat", "/proc/1/cmdline").stdout
    assert alone.split("\0")[0] == "sleep"  # the nginx container sees the pause too

"""The docs' pod-configuration tasks with their own manifests and commands: "Define a Command
and Arguments for a Container", "Define Environment Variables for a Container" and
"Configure a Pod to Use a ConfigMap" ($(VAR) in command and args)."""

from __future__ import annotations

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

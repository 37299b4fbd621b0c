"""runAsNonRoot on a live kubelet: a container whose image runs as root is not started
(CreateContainerConfigError, the kubelet's message in its Failed event); one whose
runAsUser is not 0 starts."""

from __future__ import annotations

from scenario_kubectl import Lab

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: non-root
spec:
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
  containers:
    - name: as-root
      image: busybox:1.37
      command: ["sh", "-c", "sleep 600"]
    - name: as-10001
      image: busybox:1.37
      command: ["sh", "-c", "sleep 600"]
      securityContext:
        runAsUser: 10001
"""


def test_a_root_image_under_run_as_non_root_is_not_started(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=POD)

    def states() -> dict[str, dict]:
        pod = lab.get_json("pod", "non-root")
        return {c["name"]: c["state"] for c in pod["status"]["containerStatuses"]}

    lab.wait_for(
        lambda: (
            states()["as-root"].get("waiting", {}).get("reason") == "CreateContainerConfigError"
            and "running" in states()["as-10001"]
        ),
        timeout=lab.wall(60),
        what="as-root refused and as-10001 running",
    )
    uid = lab.get_json("pod", "non-root")["metadata"]["uid"]
    expected = (
        "container has runAsNonRoot and image will run as root "
        f'(pod: "non-root_{lab.namespace}({uid})", container: as-root)'
    )
    assert states()["as-root"]["waiting"]["message"] == expected
    events = lab.kubectl("get", "events", "--field-selector", "involvedObject.name=non-root").stdout
    assert f"Error: {expected}" in events

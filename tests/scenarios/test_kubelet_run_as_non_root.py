"""runAsNonRoot on the whole simulated cluster: the kubelet refuses to start a container whose
image runs as root (CreateContainerConfigError and a Failed event with the kubelet's words),
and starts the inference image, whose USER is 10001, with runAsNonRoot alone."""

from __future__ import annotations

from scenario_kubectl import Lab

ROOT_IMAGE = """
apiVersion: v1
kind: Pod
metadata: {name: rooty}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: sh, image: busybox:1.36, command: [sleep, "3600"]}
"""
NON_ROOT_IMAGE = """
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - name: model-server
    image: kubelab/inference:2.4.0
    env: [{name: MODEL_PATH, value: models/iris-logreg.json}]
"""


def test_run_as_non_root_refuses_a_root_image_and_starts_a_non_root_one(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=ROOT_IMAGE)
    lab.kubectl("apply", "-f", "-", input=NON_ROOT_IMAGE)
    waiting = lab.wait_for(
        lambda: (
            lab.get_json("pod", "rooty")["status"]["containerStatuses"][0]["state"]
            .get("waiting", {})
            .get("reason")
            == "CreateContainerConfigError"
            and lab.get_json("pod", "rooty")
        ),
        timeout=lab.wall(60),
        what="the kubelet to refuse the root image",
    )
    uid = waiting["metadata"]["uid"]
    message = waiting["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    assert message == (
        f'container has runAsNonRoot and image will run as root (pod: "rooty_lab({uid})", '
        "container: sh)"
    )
    events = lab.kubectl(
        "get", "events", "--field-selector", "involvedObject.name=rooty,reason=Failed",
        "-o", "jsonpath={.items[0].message}",
    ).stdout  # fmt: skip
    assert events == f"Error: {message}"
    lab.kubectl("wait", "--for=condition=Ready", "pod/nonroot", f"--timeout={lab.wall(60):.0f}s")
    lab.kubectl("delete", "pod", "rooty", "nonroot", "--wait=false")

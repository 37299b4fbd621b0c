"""Configure Liveness, Readiness and Startup Probes, "Define a gRPC liveness probe": the
page's etcd-with-grpc pod passes its gRPC probe and stays up; a gRPC probe of a port where
nothing answers fails as the kubelet says it does, and the container is restarted."""

from __future__ import annotations

from scenario_kubectl import Lab

GRPC_LIVENESS = """
apiVersion: v1
kind: Pod
metadata: {name: etcd-with-grpc}
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5.1-0
    command: ["/usr/local/bin/etcd", "--data-dir", "/var/lib/etcd", "--listen-client-urls",
              "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
              "--log-level", "debug"]
    ports: [{containerPort: 2379}]
    livenessProbe:
      grpc: {port: 2379}
      initialDelaySeconds: 10
---
apiVersion: v1
kind: Pod
metadata: {name: grpc-nothing}
spec:
  containers:
  - name: c
    image: busybox:1.36
    command: [sleep, "3600"]
    livenessProbe:
      grpc: {port: 9999}
      initialDelaySeconds: 2
      periodSeconds: 3
"""


def _events(lab: Lab, pod: str) -> list[str]:
    items = lab.get_json("events", "--field-selector", f"involvedObject.name={pod}")["items"]
    return [f"{e['reason']}: {e['message']}" for e in items]


def test_grpc_liveness_probes_pass_on_a_health_server_and_fail_where_none_answers(
    lab: Lab,
) -> None:
    lab.kubectl("apply", "-f", "-", input=GRPC_LIVENESS)
    ip = lab.wait_for(
        lambda: lab.get_json("pod", "grpc-nothing")["status"].get("podIP"),
        timeout=lab.wall(60),
        what="grpc-nothing's IP",
    )
    unhealthy = lab.wait_for(
        lambda: [e for e in _events(lab, "grpc-nothing") if e.startswith("Unhealthy")],
        timeout=lab.wall(60),
        what="the failed gRPC probe",
    )
    assert unhealthy[0] == (
        f'Unhealthy: Liveness probe failed: timeout: failed to connect service "{ip}:9999" '
        "within 1s: context deadline exceeded"
    )
    lab.wait_for(
        lambda: lab.get_json("pod", "grpc-nothing")["status"]["containerStatuses"][0][
            "restartCount"
        ],
        timeout=lab.wall(120),
        what="the container restarted by its liveness probe",
    )
    # by then (three failures 3 s apart, then a 30 s grace period `sleep` ignores) the page's
    # pod is well past its 10 s delay and three of its 10 s periods: a health server that
    # did not answer would have been killed by now. (One probe may still miss its 1 s of
    # real time on a loaded machine, as on a node: failureThreshold 3 is there for that.)
    status = lab.get_json("pod", "etcd-with-grpc")["status"]["containerStatuses"][0]
    assert (status["ready"], status["restartCount"]) == (True, 0)
    assert not [e for e in _events(lab, "etcd-with-grpc") if e.startswith("Killing")]
    logs = lab.kubectl("logs", "etcd-with-grpc").stdout
    assert '"msg": "ready to serve client requests"' in logs

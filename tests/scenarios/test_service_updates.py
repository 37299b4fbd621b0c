"""A Service changed by a patch gets what it now needs at once, as the Service REST update
allocates it: node ports when it becomes a NodePort, a healthCheckNodePort when a
LoadBalancer's externalTrafficPolicy becomes Local (the docs' "Using Source IP": "You should
immediately see the service.spec.healthCheckNodePort field allocated"), kept on later
updates and given back when the policy returns to Cluster."""

from __future__ import annotations

from typing import Any

from scenario_kubectl import Lab

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
"""


def _spec(lab: Lab) -> dict[str, Any]:
    return dict(lab.get_json("service", "echo")["spec"])


def test_patches_allocate_node_ports_and_the_health_check_port(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=SERVICE)
    assert "nodePort" not in _spec(lab)["ports"][0]
    lab.kubectl("patch", "svc", "echo", "-p", '{"spec":{"type":"NodePort"}}')
    node_port = _spec(lab)["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767
    lab.kubectl("patch", "svc", "echo", "-p", '{"spec":{"type":"LoadBalancer"}}')
    assert _spec(lab)["ports"][0]["nodePort"] == node_port  # kept
    assert "healthCheckNodePort" not in _spec(lab)
    lab.kubectl("patch", "svc", "echo", "-p", '{"spec":{"externalTrafficPolicy":"Local"}}')
    health = _spec(lab)["healthCheckNodePort"]
    assert 30000 <= health <= 32767 and health != node_port
    lab.kubectl("label", "svc", "echo", "tier=edge")
    assert _spec(lab)["healthCheckNodePort"] == health
    lab.kubectl("patch", "svc", "echo", "-p", '{"spec":{"externalTrafficPolicy":"Cluster"}}')
    assert "healthCheckNodePort" not in _spec(lab)
    lab.kubectl("delete", "svc", "echo")

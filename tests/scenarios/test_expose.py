"""Lab 02's first look at a Service: `kubectl expose` and `kubectl describe service`.

`kubectl expose` writes a Service port without a name; kubectl's describe dereferences each
EndpointSlice port's name (formatEndpointSlices), so the slice must carry `name: ""` as the
real endpointslice controller writes it, or describe panics with a nil pointer.
"""

from __future__ import annotations

from scenario_kubectl import Lab

DEPLOY = "manifests/inference/deployment.yaml"


def test_describe_shows_the_endpoints_of_a_service_made_by_kubectl_expose(lab: Lab) -> None:
    lab.apply(DEPLOY)
    lab.wait_for(lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1")
    lab.kubectl("expose", "deployment", "inference-service", "--port", "8080")
    ips = sorted(p["status"]["podIP"] for p in lab.live_pods())

    def described() -> str | None:
        out = lab.kubectl("describe", "service", "inference-service", check=False)
        assert "panic" not in out.stderr and out.returncode == 0, out.stderr
        return out.stdout if all(ip in out.stdout for ip in ips) else None

    text = lab.wait_for(described, timeout=lab.wall(30), what="describe lists the 3 pod IPs")

    assert "Port:                     <unset>  8080/TCP" in text
    assert "TargetPort:               8080/TCP" in text
    slices = lab.get_json("endpointslices", "-l", "kubernetes.io/service-name=inference-service")[
        "items"
    ]
    assert [p.get("name") for s in slices for p in s["ports"]] == [""]

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


def test_the_proxy_names_the_pod_ip_when_nothing_listens(lab: Lab) -> None:
    """kube-apiserver dials the pod IP; its error says so in Go's words (no kubesim-only
    loopback address, no Python exception text)."""
    lab.kubectl("run", "quiet", "--image=busybox:1.36", "--", "sleep", "3600")
    pod = lab.wait_for(
        lambda: (p := lab.get_json("pod", "quiet"))["status"].get("podIP") and p,
        timeout=lab.wall(60),
        what="the pod to get its IP",
    )
    ip = pod["status"]["podIP"]

    out = lab.kubectl("get", "--raw", "/api/v1/namespaces/lab/pods/quiet:80/proxy/", check=False)

    assert out.returncode != 0
    assert (
        "error trying to reach service: "
        f"dial tcp {ip}:80: connect: connection refused" in out.stderr
    ), out.stderr
    assert "127." not in out.stderr

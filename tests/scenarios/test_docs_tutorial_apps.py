"""Tutorials whose apps kubesim now runs, followed with the pages' own commands.

Learn Kubernetes Basics: the bootcamp app through the API server's pod proxy, its logs, its
environment (exactly the container's: nothing `kubectl exec`'s own start-up added), a shell
with `cat server.js` and `curl`, a Service, scaling, the rolling update to v2, the failed
one to v10 (no such tag) and `rollout undo`. Using Source IP: echoserver reports the client
pod's own address through a ClusterIP, and a node's through a NodePort (source NAT).
Exposing an External IP Address: hello-app's five replicas answer through the Service.
"""

from __future__ import annotations

from scenario_kubectl import Lab

BOOTCAMP = "kubernetes-bootcamp"


def _raw(lab: Lab, path: str) -> str:
    return lab.kubectl("get", "--raw", f"/api/v1/namespaces/{lab.namespace}/{path}").stdout


def _rolled_out(lab: Lab) -> None:
    status = lab.kubectl(
        "rollout",
        "status",
        f"deployment/{BOOTCAMP}",
        f"--timeout={lab.wall(120):.0f}s",
        timeout=200,
    )
    assert "successfully rolled out" in status.stdout


def test_learn_kubernetes_basics_runs_as_the_tutorial_says(lab: Lab) -> None:
    lab.kubectl(
        "create", "deployment", BOOTCAMP, "--image=gcr.io/google-samples/kubernetes-bootcamp:v1"
    )
    _rolled_out(lab)
    pod = lab.live_pods(f"app={BOOTCAMP}")[0]["metadata"]["name"]

    # Viewing Pods and Nodes: the app through `kubectl proxy`'s route to the pod
    hello = f"Hello Kubernetes bootcamp! | Running on: {pod} | v=1\n"
    # Ready at once (no readiness probe), as on kind; the server listens a moment later
    answer = lab.wait_for(
        lambda: _raw(lab, f"pods/{pod}:8080/proxy/"), timeout=lab.wall(30), what="the app"
    )
    assert answer == hello
    logs = lab.kubectl("logs", pod).stdout
    assert logs.startswith("Kubernetes Bootcamp App Started At: 20"), logs
    assert f"| Running On:  {pod} \n\n" in logs
    assert f"Running On: {pod} | Total Requests: 1 | App Uptime: " in logs
    env = dict(
        line.split("=", 1) for line in lab.kubectl("exec", pod, "--", "env").stdout.splitlines()
    )
    assert env["NPM_CONFIG_LOGLEVEL"] == "info" and env["HOSTNAME"] == pod
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    added = {key for key in env if key in ("PWD", "LC_CTYPE") or key.startswith("KUBESIM")}
    assert not added, f"exec's env holds what no container set: {sorted(added)}"
    shell = lab.kubectl(
        "exec", pod, "--", "bash", "-c", "cat server.js && curl -s http://localhost:8080"
    ).stdout
    assert "require('http')" in shell and shell.endswith(hello)

    # Using a Service, Scaling: four replicas behind a NodePort
    lab.kubectl("expose", f"deployment/{BOOTCAMP}", "--type=NodePort", "--port", "8080")
    lab.kubectl("scale", f"deployments/{BOOTCAMP}", "--replicas=4")
    _rolled_out(lab)
    assert len(lab.live_pods(f"app={BOOTCAMP}")) == 4

    # Performing a Rolling Update: v2, then a tag that does not exist, then undo
    lab.kubectl(
        "set",
        "image",
        f"deployments/{BOOTCAMP}",
        f"{BOOTCAMP}=docker.io/jocatalin/kubernetes-bootcamp:v2",
    )
    _rolled_out(lab)
    answer = lab.wait_for(  # the new pods are Ready before they listen, as with no probe on kind
        lambda: _raw(lab, f"services/{BOOTCAMP}/proxy/"), timeout=lab.wall(30), what="v2"
    )
    assert answer.endswith(" | v=2\n")
    lab.kubectl(
        "set",
        "image",
        f"deployments/{BOOTCAMP}",
        f"{BOOTCAMP}=gcr.io/google-samples/kubernetes-bootcamp:v10",
    )

    def pull_failing() -> list[str]:
        return [
            row["NAME"]
            for row in lab.pod_rows(f"app={BOOTCAMP}")
            if row["STATUS"] in ("ErrImagePull", "ImagePullBackOff")
        ]

    lab.wait_for(pull_failing, timeout=lab.wall(60), what="a v10 pod failing to pull")
    lab.kubectl("rollout", "undo", f"deployments/{BOOTCAMP}")
    _rolled_out(lab)
    images = {p["spec"]["containers"][0]["image"] for p in lab.live_pods(f"app={BOOTCAMP}")}
    assert images == {"docker.io/jocatalin/kubernetes-bootcamp:v2"}


def test_using_source_ip_echoserver_sees_the_pod_through_a_clusterip_and_a_node_through_a_nodeport(
    lab: Lab,
) -> None:
    lab.kubectl("create", "deployment", "source-ip-app", "--image=registry.k8s.io/echoserver:1.10")
    lab.kubectl(
        "expose",
        "deployment",
        "source-ip-app",
        "--name=clusterip",
        "--port=80",
        "--target-port=8080",
    )
    lab.kubectl(
        "expose",
        "deployment",
        "source-ip-app",
        "--name=nodeport",
        "--port=80",
        "--target-port=8080",
        "--type=NodePort",
    )
    lab.kubectl("run", "busybox", "--image=busybox", "--restart=Never", "--", "sleep", "3600")
    for pods in (["pod/busybox"], ["pod", "-l", "app=source-ip-app"]):
        lab.kubectl("wait", "--for=condition=Ready", *pods, f"--timeout={lab.wall(60):.0f}s")
    client = lab.get_json("pod", "busybox")["status"]["podIP"]
    cluster_ip = lab.get_json("service", "clusterip")["spec"]["clusterIP"]
    seen = lab.wait_for(  # Ready before echoserver listens, with no probe (as on kind)
        lambda: lab.kubectl("exec", "busybox", "--", "wget", "-qO", "-", cluster_ip).stdout,
        timeout=lab.wall(30),
        what="echoserver's answer",
    )
    assert f"\tclient_address={client}\n" in seen, seen
    assert f"\trequest_uri=http://{cluster_ip}:8080/\n" in seen

    node_port = lab.get_json("service", "nodeport")["spec"]["ports"][0]["nodePort"]
    nodes = lab.get_json("nodes")["items"]
    node_ips = {
        a["address"] for n in nodes for a in n["status"]["addresses"] if a["type"] == "InternalIP"
    }
    for ip in sorted(node_ips):
        seen = lab.kubectl("exec", "busybox", "--", "wget", "-qO", "-", f"{ip}:{node_port}").stdout
        address = seen.split("\tclient_address=", 1)[1].split("\n", 1)[0]
        assert address != client and address in node_ips, (ip, address)


LOAD_BALANCER_EXAMPLE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app.kubernetes.io/name: load-balancer-example
  name: hello-world
spec:
  replicas: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: load-balancer-example
  template:
    metadata:
      labels:
        app.kubernetes.io/name: load-balancer-example
    spec:
      containers:
      - image: gcr.io/google-samples/hello-app:2.0
        name: hello-world
        ports:
        - containerPort: 8080
"""


def test_exposing_an_external_ip_address_runs_until_the_cloud_step(lab: Lab) -> None:
    """The docs' service/load-balancer-example.yaml: five pods answer hello through the
    Service; its EXTERNAL-IP stays <pending>, as on kind, which has no cloud provider."""
    lab.kubectl("apply", "-f", "-", input=LOAD_BALANCER_EXAMPLE)
    status = lab.kubectl(
        "rollout",
        "status",
        "deployment/hello-world",
        f"--timeout={lab.wall(120):.0f}s",
        timeout=200,
    )
    assert "successfully rolled out" in status.stdout
    lab.kubectl("expose", "deployment", "hello-world", "--type=LoadBalancer", "--name=my-service")
    row = lab.table("services", "my-service")[0]
    assert (row["TYPE"], row["EXTERNAL-IP"]) == ("LoadBalancer", "<pending>")
    assert row["PORT(S)"].startswith("8080:")
    # Ready at once (no readiness probe), as on kind; each server listens a moment later
    hello = lab.wait_for(
        lambda: _raw(lab, "services/my-service/proxy/"), timeout=lab.wall(30), what="hello"
    )
    pods = {
        p["metadata"]["name"] for p in lab.live_pods("app.kubernetes.io/name=load-balancer-example")
    }
    assert len(pods) == 5
    first, version, host = hello.splitlines()
    assert (first, version) == ("Hello, world!", "Version: 2.0.0")
    assert host.removeprefix("Hostname: ") in pods


ENDED_BY_ITS_DEADLINE = """
apiVersion: v1
kind: Pod
metadata: {name: hello-deadline}
spec:
  terminationGracePeriodSeconds: 600
  restartPolicy: Never
  containers:
  - {name: hello, image: "gcr.io/google-samples/hello-app:1.0"}
"""


def test_hello_app_ends_at_its_first_sigterm(lab: Lab) -> None:
    """hello-app is a Go program with no SIGTERM handler: Go's runtime ends it at once, and
    as its container's PID 1 it exits 2, long before the grace period's SIGKILL (137). The
    Ingress and load-balancer pages delete these pods without waiting 30 s."""
    lab.kubectl("apply", "-f", "-", input=ENDED_BY_ITS_DEADLINE)
    # the deadline once the server runs (set at creation, it raced the start on a loaded
    # machine): activeDeadlineSeconds may be set on a running pod, and 1 s has passed
    lab.wait_for(
        lambda: "Server listening on port 8080" in lab.kubectl("logs", "hello-deadline").stdout,
        timeout=lab.wall(60),
        what="hello-app listening",
    )
    lab.kubectl("patch", "pod", "hello-deadline", "-p", '{"spec":{"activeDeadlineSeconds":1}}')

    def ended() -> dict | None:
        statuses = lab.get_json("pod", "hello-deadline")["status"].get("containerStatuses")
        return (statuses or [{}])[0].get("state", {}).get("terminated")

    terminated = lab.wait_for(ended, timeout=lab.wall(120), what="the container's end")
    assert terminated["exitCode"] == 2, terminated

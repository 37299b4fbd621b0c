"""The Kubernetes docs' tutorials on kubesim: their images run, so their steps complete.

The docs' nginx Deployments roll out (`kubectl rollout status` returns) and their pods serve
the welcome page through a Service; the HPA walkthrough's php-apache runs to Ready and
answers `OK!`; an image kubesim has no stand-in for is refused saying so, in the pod's
status and events, where a learner looks.
"""

from __future__ import annotations

from pathlib import Path

from scenario_kubectl import Lab

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "k8s-examples"


def _proxy(lab: Lab, service: str, path: str = "") -> str:
    """GET through the API server's service proxy, as `kubectl get --raw` does."""
    url = f"/api/v1/namespaces/{lab.namespace}/services/{service}/proxy/{path}"
    return lab.kubectl("get", "--raw", url).stdout


def test_the_docs_nginx_deployment_rolls_out_and_serves_the_welcome_page(lab: Lab) -> None:
    lab.kubectl("apply", "-f", str(EXAMPLES / "controllers__nginx-deployment.yaml"))
    status = lab.kubectl(
        "rollout", "status", "deployment/nginx-deployment", "--timeout=120s", timeout=150
    )
    assert 'deployment "nginx-deployment" successfully rolled out' in status.stdout
    pods = lab.pods("app.kubernetes.io/name=nginx")
    assert len(pods) == 3
    assert {p["status"]["containerStatuses"][0]["image"] for p in pods} == {
        "docker.io/library/nginx:1.14.2"
    }
    lab.kubectl("expose", "deployment", "nginx-deployment", "--port=80")
    page = lab.wait_for(
        lambda: _proxy(lab, "nginx-deployment"),
        timeout=lab.wall(30),
        what="the welcome page through the Service",
    )
    assert "<title>Welcome to nginx!</title>" in page


def test_the_docs_rolling_update_from_1_14_2_to_1_16_1_completes(lab: Lab) -> None:
    lab.kubectl("apply", "-f", str(EXAMPLES / "controllers__nginx-deployment.yaml"))
    lab.kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=120s", timeout=150)
    lab.kubectl(
        "set", "image", "deployment/nginx-deployment", "nginx=nginx:1.16.1"
    )  # the docs' next step
    status = lab.kubectl(
        "rollout", "status", "deployment/nginx-deployment", "--timeout=120s", timeout=150
    )
    assert 'deployment "nginx-deployment" successfully rolled out' in status.stdout
    live = lab.live_pods("app.kubernetes.io/name=nginx")
    assert {p["spec"]["containers"][0]["image"] for p in live} == {"nginx:1.16.1"}


def test_the_hpa_walkthrough_php_apache_runs_to_ready_and_answers_ok(lab: Lab) -> None:
    lab.kubectl("apply", "-f", str(EXAMPLES / "application__php-apache.yaml"))
    status = lab.kubectl(
        "rollout", "status", "deployment/php-apache", "--timeout=120s", timeout=150
    )
    assert 'deployment "php-apache" successfully rolled out' in status.stdout
    [pod] = lab.live_pods("app.kubernetes.io/name=php-apache")
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    body = lab.wait_for(
        lambda: _proxy(lab, "php-apache"), timeout=lab.wall(30), what="OK! from php-apache"
    )
    assert body == "OK!"


def test_an_image_without_a_stand_in_is_refused_saying_so(lab: Lab) -> None:
    lab.kubectl("run", "db", "--image=mysql:8.0")
    events = lab.wait_for(
        lambda: "kubesim has no stand-in" in (out := _events(lab, "db")) and out,
        timeout=lab.wall(30),
        what="the pull's Failed event",
    )
    assert (
        'Failed to pull image "mysql:8.0": kubesim has no stand-in for image '
        '"docker.io/library/mysql:8.0": the simulator runs only the images in its catalog '
        "(kubesim/images.yaml" in " ".join(events.split())
    )
    reason = lab.get_json("pod", "db")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert reason["reason"] in ("ErrImagePull", "ImagePullBackOff")


NAMES = """
apiVersion: v1
kind: Pod
metadata: {name: mixed-case}
spec:
  containers:
  - {name: c, image: myClientImage}
---
apiVersion: v1
kind: Pod
metadata: {name: docker-io}
spec:
  containers:
  - {name: c, image: docker.io/nginx:1.25}
---
apiVersion: v1
kind: Pod
metadata: {name: never-pull}
spec:
  containers:
  - {name: c, image: mysql:8.0, imagePullPolicy: Never}
"""


def test_image_names_are_parsed_as_the_kubelet_parses_them(lab: Lab) -> None:
    """The Secrets page's `myClientImage` is refused before any pull (InvalidImageName), the
    guestbook's `docker.io/redis` style names Docker Hub's library, and an image missing
    under `imagePullPolicy: Never` stays ErrImageNeverPull, with no pull back-off."""
    lab.kubectl("apply", "-f", "-", input=NAMES)
    lab.kubectl("wait", "--for=condition=Ready", "pod/docker-io", f"--timeout={lab.wall(60):.0f}s")

    def waiting(pod: str, reason: str) -> dict[str, str] | None:
        status = lab.get_json("pod", pod)["status"]["containerStatuses"][0]["state"]
        return status["waiting"] if status.get("waiting", {}).get("reason") == reason else None

    invalid = lab.wait_for(
        lambda: waiting("mixed-case", "InvalidImageName"),
        timeout=lab.wall(30),
        what="InvalidImageName",
    )
    assert invalid["message"] == (
        'Failed to apply default image tag "myClientImage": couldn\'t parse image reference '
        '"myClientImage": invalid reference format: repository name must be lowercase'
    )
    events = " ".join(_events(lab, "mixed-case").split())
    assert "InspectFailed" in events and "Error: InvalidImageName" in events
    assert "Pulling" not in events

    def tried_again(pod: str, reason: str) -> bool:
        events = lab.get_json("events", "--field-selector", f"involvedObject.name={pod}")
        return any(e["reason"] == reason and e.get("count", 1) >= 2 for e in events["items"])

    # each is tried again (the event's count grows) and neither turns into a pull back-off
    for pod, event, reason in (
        ("mixed-case", "InspectFailed", "InvalidImageName"),
        ("never-pull", "ErrImageNeverPull", "ErrImageNeverPull"),
    ):
        lab.wait_for(
            lambda p=pod, e=event: tried_again(p, e), timeout=lab.wall(60), what=f"{pod} again"
        )
        assert waiting(pod, reason), lab.get_json("pod", pod)["status"]
    rows = {row["NAME"]: row["STATUS"] for row in lab.table("pods")}
    assert rows == {
        "mixed-case": "InvalidImageName",
        "docker-io": "Running",
        "never-pull": "ErrImageNeverPull",
    }


def _events(lab: Lab, name: str) -> str:
    return lab.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}").stdout


LOAD = """
import time, urllib.request
while True:
    time.sleep(0.01)
    urllib.request.urlopen("http://php-apache", timeout=30).read()
"""  # the docs' `while sleep 0.01; do wget -q -O- http://php-apache; done`


def test_the_hpa_walkthrough_load_scales_php_apache_up(lab: Lab) -> None:
    """The walkthrough's steps, its busybox `wget` loop written in Python: in process mode
    only Python programs see the cluster's DNS and Service IPs (the pod network shim)."""
    lab.kubectl("apply", "-f", str(EXAMPLES / "application__php-apache.yaml"))
    lab.kubectl("apply", "-f", str(EXAMPLES / "application__hpa__php-apache.yaml"))
    lab.kubectl("rollout", "status", "deployment/php-apache", "--timeout=120s", timeout=150)
    lab.kubectl("run", "load-generator", "--image=python:3.12", "--restart=Never",
                "--", "python", "-c", LOAD)  # fmt: skip
    lab.wait_for(
        lambda: int(lab.table("hpa", "php-apache")[0]["REPLICAS"]) > 1,
        timeout=lab.wall(180, slack=90),
        what="the HPA to scale php-apache above 1 replica under load",
    )  # its TARGETS fall again as the new pods share the load, so the event is the evidence
    events = lab.kubectl("get", "events", "--field-selector", "reason=SuccessfulRescale").stdout
    lab.kubectl("delete", "pod", "load-generator", "--now")  # the docs' Ctrl+C; frees the CPU
    assert "reason: cpu resource utilization (percentage of request) above target" in events


def test_the_probes_tutorial_goproxy_pod_turns_ready_on_its_tcp_probe(lab: Lab) -> None:
    lab.kubectl("apply", "-f", str(EXAMPLES / "pods__probe__tcp-liveness-readiness.yaml"))
    lab.kubectl("wait", "--for=condition=Ready", "pod/goproxy", "--timeout=120s", timeout=150)
    [row] = lab.table("pod", "goproxy")
    assert (row["READY"], row["STATUS"], row["RESTARTS"]) == ("1/1", "Running", "0")


def test_the_probes_tutorial_agnhost_liveness_pod_is_restarted_after_ten_seconds(lab: Lab) -> None:
    """agnhost liveness answers 500 after 10 s (real seconds: it is a real program), so the
    kubelet's liveness probe fails and restarts it, as the tutorial shows."""
    lab.kubectl("apply", "-f", str(EXAMPLES / "pods__probe__http-liveness.yaml"))
    lab.wait_for(
        lambda: (
            lab.get_json("pod", "liveness-http")["status"]["containerStatuses"][0]["restartCount"]
            >= 1
        ),
        timeout=60,
        what="the liveness probe to restart the container",
    )
    events = lab.kubectl("get", "events", "--field-selector", "involvedObject.name=liveness-http")
    # statuscode: 500 once /healthz fails; on a loaded machine a probe's 1 s timeout (0.1 s
    # wall at the tests' time scale) can fail it first, so the reason is the event's
    assert "Unhealthy" in events.stdout and "Liveness probe failed: " in events.stdout


def test_the_hello_minikube_tutorial_deployment_runs_agnhost_netexec(lab: Lab) -> None:
    """`kubectl create deployment hello-node --image=...agnhost:2.39 -- /agnhost netexec
    --http-port=8080`: the command names the image's own program."""
    lab.kubectl(
        "create", "deployment", "hello-node",
        "--image=registry.k8s.io/e2e-test-images/agnhost:2.39",
        "--", "/agnhost", "netexec", "--http-port=8080",
    )  # fmt: skip
    lab.kubectl("rollout", "status", "deployment/hello-node", "--timeout=120s", timeout=150)
    lab.kubectl("expose", "deployment", "hello-node", "--type=LoadBalancer", "--port=8080")
    body = lab.wait_for(
        lambda: _proxy(lab, "hello-node:8080", "echo?msg=hello"),
        timeout=lab.wall(30),
        what="netexec's /echo through the Service",
    )
    assert body == "hello"
    logs = lab.kubectl("logs", "deployment/hello-node").stdout
    assert "Started HTTP server on port 8080" in logs


def test_the_nginx_image_has_its_files_where_the_docs_look(lab: Lab) -> None:
    """The docs' `kubectl exec ... -- cat /usr/share/nginx/html/index.html` and `ls
    /etc/nginx`: the image's own files at the image's paths, inside the container."""
    lab.kubectl("apply", "-f", str(EXAMPLES / "controllers__nginx-deployment.yaml"))
    lab.kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=120s", timeout=150)
    page = lab.kubectl(
        "exec", "deploy/nginx-deployment", "--", "cat", "/usr/share/nginx/html/index.html"
    ).stdout
    assert "<title>Welcome to nginx!</title>" in page
    listing = lab.kubectl("exec", "deploy/nginx-deployment", "--", "ls", "/etc/nginx").stdout
    assert {"conf.d", "mime.types", "nginx.conf"} <= set(listing.split())
    conf = lab.kubectl(
        "exec", "deploy/nginx-deployment", "--", "cat", "/etc/nginx/conf.d/default.conf"
    ).stdout
    assert "root   /usr/share/nginx/html;" in conf


SERVER_BLOCK = """server {
    listen 80;
    location / {
        return 200 'served from the configmap\\n';
    }
}
"""

NGINX_WITH_CONF = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{containerPort: 80}]
    volumeMounts:
    - {name: conf, mountPath: /etc/nginx/conf.d}
  volumes:
  - name: conf
    configMap: {name: nginx-conf}
"""


def test_a_configmap_over_etc_nginx_conf_d_replaces_the_default_server(
    lab: Lab, tmp_path: Path
) -> None:
    """The docs' pattern: a server block in a configMap mounted at /etc/nginx/conf.d; the
    image's nginx.conf (which includes conf.d/*.conf) stays, the default server is gone."""
    (tmp_path / "default.conf").write_text(SERVER_BLOCK)
    lab.kubectl("create", "configmap", "nginx-conf", f"--from-file={tmp_path / 'default.conf'}")
    lab.kubectl("apply", "-f", "-", input=NGINX_WITH_CONF)
    lab.kubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=120s", timeout=150)
    shown = lab.kubectl("exec", "web", "--", "cat", "/etc/nginx/conf.d/default.conf").stdout
    assert shown == SERVER_BLOCK
    main_conf = lab.kubectl("exec", "web", "--", "cat", "/etc/nginx/nginx.conf").stdout
    assert "include /etc/nginx/conf.d/*.conf;" in main_conf
    lab.kubectl("expose", "pod", "web", "--port=80")
    body = lab.wait_for(
        lambda: _proxy(lab, "web"), timeout=lab.wall(30), what="the configMap's server"
    )
    assert body == "served from the configmap\n"

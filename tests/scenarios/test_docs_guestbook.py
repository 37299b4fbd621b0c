"""Example: Deploying PHP Guestbook application with Redis, with the page's images.

The leader (docker.io/redis:6.0.5), two followers that replicate it, three PHP frontends;
a message written through guestbook.php reaches the leader and is read back from a
follower, as the page's browser step does. The manifests are the page's, with one label
scheme (the stored versions of the page's files mix `app` and `app.kubernetes.io/name`).
"""

from __future__ import annotations

from scenario_kubectl import Lab

GUESTBOOK = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis-leader, labels: {app: redis, role: leader, tier: backend}}
spec:
  replicas: 1
  selector: {matchLabels: {app: redis, role: leader}}
  template:
    metadata: {labels: {app: redis, role: leader, tier: backend}}
    spec:
      containers:
      - name: leader
        image: "docker.io/redis:6.0.5"
        resources: {requests: {cpu: 100m, memory: 100Mi}}
        ports: [{containerPort: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: redis-leader, labels: {app: redis, role: leader, tier: backend}}
spec:
  ports: [{port: 6379, targetPort: 6379}]
  selector: {app: redis, role: leader, tier: backend}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis-follower, labels: {app: redis, role: follower, tier: backend}}
spec:
  replicas: 2
  selector: {matchLabels: {app: redis, role: follower}}
  template:
    metadata: {labels: {app: redis, role: follower, tier: backend}}
    spec:
      containers:
      - name: follower
        image: us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2
        resources: {requests: {cpu: 100m, memory: 100Mi}}
        ports: [{containerPort: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: redis-follower, labels: {app: redis, role: follower, tier: backend}}
spec:
  ports: [{port: 6379}]
  selector: {app: redis, role: follower, tier: backend}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend}
spec:
  replicas: 3
  selector: {matchLabels: {app: guestbook, tier: frontend}}
  template:
    metadata: {labels: {app: guestbook, tier: frontend}}
    spec:
      containers:
      - name: php-redis
        image: us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5
        env: [{name: GET_HOSTS_FROM, value: "dns"}]
        resources: {requests: {cpu: 100m, memory: 100Mi}}
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: frontend, labels: {app: guestbook, tier: frontend}}
spec:
  ports: [{port: 80}]
  selector: {app: guestbook, tier: frontend}
"""


def _php(lab: Lab, query: str) -> str:
    path = f"/api/v1/namespaces/{lab.namespace}/services/frontend:80/proxy/guestbook.php?{query}"
    return lab.kubectl("get", "--raw", path).stdout


def test_the_guestbook_writes_to_the_leader_and_reads_from_a_follower(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=GUESTBOOK)
    for name in ("redis-leader", "redis-follower", "frontend"):
        status = lab.kubectl(
            "rollout", "status", f"deployment/{name}", f"--timeout={lab.wall(120):.0f}s",
            timeout=200,
        )  # fmt: skip
        assert "successfully rolled out" in status.stdout
    # the page's `kubectl logs -f deployment/redis-leader` (Ready at once, with no readiness
    # probe, as on kind: the server's lines come a moment later), and each follower's sync
    lab.wait_for(
        lambda: (
            "Ready to accept connections tcp"
            in lab.kubectl("logs", "deployment/redis-leader").stdout
        ),
        timeout=lab.wall(30),
        what="the leader's start-up lines",
    )
    for pod in lab.live_pods("role=follower"):
        name = pod["metadata"]["name"]
        lab.wait_for(
            lambda name=name: (
                "MASTER <-> REPLICA sync: Finished with success" in lab.kubectl("logs", name).stdout
            ),
            timeout=lab.wall(60),
            what=f"{name} in sync with the leader",
        )
    # what the page's Submit does, then what its reload reads (from a follower)
    page = lab.wait_for(
        lambda: _php(lab, "cmd=get&key=messages"), timeout=lab.wall(30), what="guestbook.php"
    )
    assert page == '{"data": ""}'
    assert _php(lab, "cmd=set&key=messages&value=,hello,kubesim") == '{"message": "Updated"}'
    assert (
        lab.wait_for(
            lambda: (got := _php(lab, "cmd=get&key=messages")) != '{"data": ""}' and got,
            timeout=lab.wall(30),
            what="the message on the followers",
        )
        == '{"data": ",hello,kubesim"}'
    )
    index = lab.kubectl(
        "get", "--raw", f"/api/v1/namespaces/{lab.namespace}/services/frontend:80/proxy/"
    ).stdout
    assert "<title>Guestbook</title>" in index
    apache = lab.kubectl("logs", "deployment/frontend", "--all-containers").stdout
    assert "AH00094: Command line: 'apache2 -D FOREGROUND'" in apache  # it has answered

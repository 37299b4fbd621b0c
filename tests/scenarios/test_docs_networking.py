"""The Kubernetes documentation's networking tutorials, run as a learner runs them (issue 16).

"Connecting Applications with Services", "Declare Network Policy", "Debugging DNS
Resolution" and "Debug Services", with the pages' manifests and commands, on the served
kubesim with the real kubectl, from busybox pods; then what issue 16 asks beyond them: a
NodePort on a node's InternalIP, a headless Service and a StatefulSet pod's name, an SRV
record for a named port, default-deny ingress and egress policies (DNS breaks until kube-dns
is allowed) and `sessionAffinity: ClientIP`.

kubesim's busybox is Debian's busybox-static 1.35: its `wget` has no `-T`/`--timeout` (the
pages' `wget --spider --timeout=1` becomes `timeout 2 wget --spider`; its shell runs applets
before PATH, so no wrapper can add it) and `nslookup` does not try the search path for a
dotted name (`nslookup kubernetes.default` is asked as written).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from scenario_kubectl import Lab

from kubesim.kubelet._world import probe
from kubesim.network.fabric import unavailable_reason

REASON = unavailable_reason(probe().contained)
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"no cluster network here: {REASON}")

CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  containers:
  - {name: sh, image: busybox:1.36, command: [sleep, "3600"]}
"""
# web servers answering their hostname (the pod's name) on 8080, Ready once they answer
HOSTNAME_SERVER = """
    spec:
      containers:
      - name: web
        image: busybox:1.36
        command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
"""
WEB = (
    """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}"""
    + HOSTNAME_SERVER
)


def _client(lab: Lab, name: str = "client") -> None:
    lab.kubectl("apply", "-f", "-", input=CLIENT.replace("NAME", name))
    lab.kubectl("wait", "--for=condition=Ready", f"pod/{name}", "--timeout=90s")


def _sh(lab: Lab, script: str, *, pod: str = "client", check: bool = True) -> str:
    done = lab.kubectl("exec", pod, "--", "sh", "-c", script, check=check, timeout=60)
    return done.stdout


def _run(lab: Lab, script: str, pod: str = "client") -> subprocess.CompletedProcess[str]:
    return lab.kubectl("exec", pod, "--", "sh", "-c", script, check=False, timeout=60)


def _nslookup(lab: Lab, name: str, pod: str = "client") -> str:
    """busybox's `nslookup NAME` output: it asks every search domain for A and AAAA and exits
    1 when any of them is NXDOMAIN, as the busybox image does on kind, so the answer is read
    from its output."""
    done = lab.kubectl("exec", pod, "--", "nslookup", name, check=False, timeout=60)
    return done.stdout


def _ready_ips(lab: Lab, selector: str, count: int) -> list[str]:
    """The pod IPs once `count` pods matching `selector` are Ready."""

    def ready() -> list[str] | None:
        ips = [
            p["status"]["podIP"]
            for p in lab.live_pods(selector)
            if p["status"].get("podIP")
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", [])
            )
        ]
        return sorted(ips) if len(ips) == count else None

    return lab.wait_for(ready, timeout=120, what=f"{count} Ready pods with {selector}")


def _endpoints(lab: Lab, service: str, count: int) -> list[str]:
    """The Service's ready endpoint addresses, once there are `count` of them."""

    def listed() -> list[str] | None:
        slices = lab.get_json("endpointslices", "-l", f"kubernetes.io/service-name={service}")
        ips = sorted(
            address
            for s in slices["items"]
            for ep in s.get("endpoints") or []
            if (ep.get("conditions") or {}).get("ready")
            for address in ep["addresses"]
        )
        return ips if len(ips) == count else None

    return lab.wait_for(listed, timeout=60, what=f"{count} ready endpoints of {service}")


# -- Connecting Applications with Services ---------------------------------------------------
RUN_MY_NGINX = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-nginx}
spec:
  selector: {matchLabels: {run: my-nginx}}
  replicas: 2
  template:
    metadata: {labels: {run: my-nginx}}
    spec:
      containers:
      - name: my-nginx
        image: nginx
        ports: [{containerPort: 80}]
"""
NGINX_SVC = """
apiVersion: v1
kind: Service
metadata: {name: my-nginx, labels: {run: my-nginx}}
spec:
  ports: [{port: 80, protocol: TCP}]
  selector: {run: my-nginx}
"""


def test_connecting_applications_with_services(lab: Lab) -> None:
    """The page's my-nginx: two pods, a Service whose endpoints are their IPs, reached by
    ClusterIP and by name; a pod created after the Service has its environment variables,
    and `nslookup my-nginx` answers the ClusterIP from the cluster DNS."""
    lab.kubectl("apply", "-f", "-", input=RUN_MY_NGINX)
    lab.kubectl("apply", "-f", "-", input=NGINX_SVC)
    pod_ips = _ready_ips(lab, "run=my-nginx", 2)
    assert _endpoints(lab, "my-nginx", 2) == pod_ips
    described = lab.kubectl("describe", "svc", "my-nginx").stdout
    for ip in pod_ips:
        assert f"{ip}:80" in described, described
    cluster_ip = lab.get_json("svc", "my-nginx")["spec"]["clusterIP"]
    _client(lab)  # created after the Service: it gets the Service's variables
    env = _sh(lab, "env | grep MY_NGINX_SERVICE | sort")
    assert env == f"MY_NGINX_SERVICE_HOST={cluster_ip}\nMY_NGINX_SERVICE_PORT=80\n", env
    for url in (f"http://{cluster_ip}/", "http://my-nginx/", "http://my-nginx.lab.svc/"):
        page = _sh(lab, f"wget -qO- {url}")
        assert "<title>Welcome to nginx!</title>" in page, (url, page)
    looked_up = _nslookup(lab, "my-nginx")
    assert "Name:\tmy-nginx.lab.svc.cluster.local" in looked_up, looked_up
    assert f"Address: {cluster_ip}" in looked_up, looked_up
    kube_dns = lab.cluster.kubectl("-n", "kube-system", "get", "svc", "kube-dns", "-o", "json")
    assert '"clusterIP": "10.96.0.10"' in kube_dns.stdout
    assert "Server:\t\t10.96.0.10" in looked_up, looked_up


# -- Declare Network Policy ------------------------------------------------------------------
# the page's nginx-policy.yaml as published: it selects app.kubernetes.io/name=nginx, a label
# `kubectl create deployment nginx` does not set (that sets app=nginx)
ACCESS_NGINX = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: access-nginx}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: nginx}}
  ingress:
  - from:
    - podSelector: {matchLabels: {access: "true"}}
"""
SPIDER = "wget --spider --timeout=1 nginx"  # the page's own command, in its shell


def _spider(lab: Lab, pod: str) -> subprocess.CompletedProcess[str]:
    """The page types SPIDER into an interactive shell (`kubectl run -ti ... -- /bin/sh`)."""
    done = lab.kubectl("exec", pod, "--", "sh", "-ic", SPIDER, check=False, timeout=60)
    # an interactive shell without a terminal says so first, and kubectl names a failure's
    # exit code last; the rest is wget's
    lines = [
        line
        for line in done.stderr.splitlines(keepends=True)
        if "access tty" not in line and not line.startswith("command terminated with exit code")
    ]
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, "".join(lines))


def test_declare_network_policy(lab: Lab) -> None:
    """nginx behind a Service, reached from a busybox pod; the page's access-nginx policy
    drops the busybox pod's traffic once it selects the nginx pod (a timeout, not a
    refusal), and labelling the busybox pod access=true lets it through again."""
    lab.kubectl("create", "deployment", "nginx", "--image=nginx")
    lab.kubectl("expose", "deployment", "nginx", "--port=80")
    _ready_ips(lab, "app=nginx", 1)
    _endpoints(lab, "nginx", 1)
    _client(lab, "busybox")
    cluster_ip = lab.get_json("svc", "nginx")["spec"]["clusterIP"]
    allowed = _spider(lab, "busybox")  # the page's output, word for word
    assert allowed.stderr == f"Connecting to nginx ({cluster_ip}:80)\nremote file exists\n"
    try:
        lab.kubectl("apply", "-f", "-", input=ACCESS_NGINX)
        # as published, the policy selects no pod here (nor on kind): nginx still answers
        assert _spider(lab, "busybox").returncode == 0
        lab.kubectl("label", "pod", "-l", "app=nginx", "app.kubernetes.io/name=nginx")

        def dropped() -> subprocess.CompletedProcess[str] | None:
            done = _spider(lab, "busybox")
            return done if done.returncode != 0 else None

        denied = lab.wait_for(dropped, timeout=30, what="access-nginx to drop busybox's traffic")
        assert "refused" not in denied.stdout + denied.stderr, denied
        assert denied.returncode == 1, denied  # nothing answered: the page's words
        assert denied.stderr == (
            f"Connecting to nginx ({cluster_ip}:80)\nwget: download timed out\n"
        ), denied
        lab.kubectl("label", "pod", "busybox", "access=true")
        lab.wait_for(
            lambda: _spider(lab, "busybox").returncode == 0,
            timeout=30,
            what="busybox with access=true to reach nginx",
        )
    finally:  # the lab's cleanup does not know NetworkPolicies
        lab.kubectl("delete", "networkpolicy", "access-nginx", "--ignore-not-found")


# -- Debugging DNS Resolution ------------------------------------------------------------------
DNSUTILS = """
apiVersion: v1
kind: Pod
metadata: {name: dnsutils}
spec:
  containers:
  - name: dnsutils
    image: registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3
    command: [sleep, infinity]
    imagePullPolicy: IfNotPresent
  restartPolicy: Always
"""


def test_debugging_dns_resolution(lab: Lab) -> None:
    """The page's dnsutils pod: its resolv.conf names the kube-dns Service with the cluster's
    search path and ndots:5, kubernetes resolves to the first Service IP, CoreDNS pods run
    behind kube-dns with endpoints, and an unknown name is NXDOMAIN."""
    lab.kubectl("apply", "-f", "-", input=DNSUTILS)
    lab.kubectl("wait", "--for=condition=Ready", "pod/dnsutils", "--timeout=90s")
    resolv = lab.kubectl("exec", "-i", "dnsutils", "--", "cat", "/etc/resolv.conf").stdout
    assert resolv.splitlines() == [
        "search lab.svc.cluster.local svc.cluster.local cluster.local",
        "nameserver 10.96.0.10",
        "options ndots:5",
    ], resolv
    # the page asks `nslookup kubernetes.default`: bind's nslookup tries the search path
    # (ndots:5), as kubesim's dnsutils does
    for name in ("kubernetes.default", "kubernetes.default.svc.cluster.local"):
        answer = _nslookup(lab, name, "dnsutils")
        assert "Server:\t\t10.96.0.10" in answer, answer
        assert "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1" in answer, answer
    system = ("-n", "kube-system")
    coredns = lab.cluster.kubectl(*system, "get", "pods", "-l", "k8s-app=kube-dns").stdout
    assert coredns.count("Running") == 2, coredns
    endpoints = lab.cluster.kubectl(
        *system, "get", "endpointslices", "-l", "kubernetes.io/service-name=kube-dns"
    ).stdout
    assert "53" in endpoints, endpoints
    missing = lab.kubectl("exec", "dnsutils", "--", "nslookup", "no-such-service", check=False)
    assert missing.returncode != 0
    assert "NXDOMAIN" in missing.stdout + missing.stderr, missing


# -- Debug Services --------------------------------------------------------------------------


def test_debug_services(lab: Lab) -> None:
    """The page's hostnames: `kubectl create deployment hostnames
    --image=registry.k8s.io/serve_hostname`, scaled to 3, exposed on 80 -> 9376; each pod
    answers its name on its IP, the Service by name answers one of them, the endpoints are
    the three pods, and the DNS answers the Service and kubernetes.default."""
    lab.kubectl("create", "deployment", "hostnames", "--image=registry.k8s.io/serve_hostname")
    lab.kubectl("scale", "deployment", "hostnames", "--replicas=3")
    ips = _ready_ips(lab, "app=hostnames", 3)
    names = sorted(p["metadata"]["name"] for p in lab.live_pods("app=hostnames"))
    _client(lab)
    by_ip = _sh(lab, "; ".join(f"wget -qO- {ip}:9376; echo" for ip in ips))
    assert sorted(by_ip.split()) == names, by_ip
    lab.kubectl("expose", "deployment", "hostnames", "--port=80", "--target-port=9376")
    assert _endpoints(lab, "hostnames", 3) == ips
    cluster_ip = lab.get_json("svc", "hostnames")["spec"]["clusterIP"]
    assert _sh(lab, "wget -qO- hostnames:80") in names
    for name in ("hostnames", "hostnames.lab.svc.cluster.local"):
        looked_up = _nslookup(lab, name)
        assert "Name:\thostnames.lab.svc.cluster.local" in looked_up, looked_up
        assert f"Address: {cluster_ip}" in looked_up, looked_up
    default = _nslookup(lab, "kubernetes.default.svc.cluster.local")
    assert "Address: 10.96.0.1" in default, default
    answers = {_sh(lab, f"wget -qO- {cluster_ip}:80") for _ in range(12)}
    assert answers <= set(names) and len(answers) > 1, answers  # spread over the pods


# -- NodePort ------------------------------------------------------------------------------
NODEPORT = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http, nodePort: 30080}]
"""


def test_a_nodeport_service_answers_on_every_nodes_internal_ip(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=WEB + "---\n" + NODEPORT)
    _ready_ips(lab, "app=web", 3)
    _endpoints(lab, "web", 3)
    names = {p["metadata"]["name"] for p in lab.live_pods("app=web")}
    row = lab.table("svc", "web")[0]
    assert (row["TYPE"], row["PORT(S)"]) == ("NodePort", "80:30080/TCP"), row
    _client(lab)
    nodes = lab.cluster.kubectl("get", "nodes", "-o", "json").stdout
    for node in json.loads(nodes)["items"]:
        internal = next(
            a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"
        )
        answer = _sh(lab, f"wget -qO- http://{internal}:30080/").strip()
        assert answer in names, (node["metadata"]["name"], answer)


# -- a headless Service, a StatefulSet's pod names, SRV ----------------------------------------
# the StatefulSet Basics page's web.yaml
WEB_STATEFULSET = """
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  ports: [{port: 80, name: web}]
  clusterIP: None
  selector: {app: nginx}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  minReadySeconds: 10
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.21
        ports: [{containerPort: 80, name: web}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


def test_a_headless_service_names_every_ready_pod_and_each_statefulset_pod(lab: Lab) -> None:
    """`nslookup nginx` answers every Ready pod's IP (no ClusterIP), `web-0.nginx` is web-0's
    own name, and the named port `web` has an SRV record per pod, each naming its pod."""
    try:
        _headless(lab)
    finally:  # the StatefulSet's events name `web`, as other scenarios' objects do
        lab.kubectl("delete", "statefulset", "web", "--wait=true")
        lab.kubectl("delete", "events", "--field-selector", "involvedObject.kind=StatefulSet")


def _headless(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=WEB_STATEFULSET)
    ips = _ready_ips(lab, "app=nginx", 2)
    _endpoints(lab, "nginx", 2)
    _client(lab)
    domain = "nginx.lab.svc.cluster.local"
    looked_up = _nslookup(lab, "nginx")
    assert sorted(re.findall(rf"Name:\t{domain}\nAddress: (\S+)", looked_up)) == ips, looked_up
    for pod in ("web-0", "web-1"):
        ip = lab.get_json("pod", pod)["status"]["podIP"]
        own = _nslookup(lab, f"{pod}.{domain}")
        assert f"Name:\t{pod}.{domain}\nAddress: {ip}\n" in own, own
    srv = lab.kubectl("exec", "client", "--", "nslookup", "-type=srv", f"_web._tcp.{domain}").stdout
    targets = sorted(re.findall(rf"_web\._tcp\.{domain}\tservice = 0 50 80 (\S+)", srv))
    assert targets == [f"web-0.{domain}", f"web-1.{domain}"], srv


# -- network policies --------------------------------------------------------------------------
# the Network Policies page's network-policy-default-deny-ingress.yaml, and an allow rule
DEFAULT_DENY_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
ALLOW_FRONTEND = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-frontend}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: frontend}}}]
    ports: [{protocol: TCP, port: 8080}]
"""
WEB_SVC = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
"""
GET_WEB = "timeout 3 wget -qO- http://web/"


def _dropped(lab: Lab, script: str) -> subprocess.CompletedProcess[str] | None:
    done = _run(lab, script)
    return done if done.returncode != 0 else None


def test_default_deny_ingress_drops_and_an_allow_rule_admits(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=WEB.replace("replicas: 3", "replicas: 1"))
    lab.kubectl("apply", "-f", "-", input=WEB_SVC)
    _ready_ips(lab, "app=web", 1)
    _endpoints(lab, "web", 1)
    _client(lab)
    name = lab.live_pods("app=web")[0]["metadata"]["name"]
    assert _sh(lab, GET_WEB) == f"{name}\n"
    try:
        lab.kubectl("apply", "-f", "-", input=DEFAULT_DENY_INGRESS)
        denied = lab.wait_for(lambda: _dropped(lab, GET_WEB), timeout=30, what="a drop")
        assert denied.returncode == 143, denied  # timed out: no answer, not a refusal
        lab.kubectl("apply", "-f", "-", input=ALLOW_FRONTEND)
        # the allow rule admits frontends only: the client is still dropped
        assert _run(lab, GET_WEB).returncode == 143
        lab.kubectl("label", "pod", "client", "role=frontend")
        lab.wait_for(
            lambda: _run(lab, GET_WEB).stdout == f"{name}\n",
            timeout=30,
            what="the frontend to be admitted",
        )
    finally:
        lab.kubectl(
            "delete",
            "networkpolicy",
            "default-deny-ingress",
            "allow-frontend",
            "--ignore-not-found",
        )


DEFAULT_DENY_EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
"""
ALLOW_DNS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
"""
LOOKUP_WEB = "timeout 5 nslookup web.lab.svc.cluster.local"


def test_an_egress_deny_breaks_dns_until_kube_dns_is_allowed(lab: Lab) -> None:
    """Default-deny egress: the pod's DNS queries to kube-dns go unanswered; an egress rule
    to the kube-dns pods on port 53 brings names back, while traffic to web stays denied."""
    lab.kubectl("apply", "-f", "-", input=WEB.replace("replicas: 3", "replicas: 1"))
    lab.kubectl("apply", "-f", "-", input=WEB_SVC)
    _ready_ips(lab, "app=web", 1)
    _endpoints(lab, "web", 1)
    _client(lab)
    cluster_ip = lab.get_json("svc", "web")["spec"]["clusterIP"]
    assert f"Address: {cluster_ip}" in _sh(lab, LOOKUP_WEB)
    try:
        lab.kubectl("apply", "-f", "-", input=DEFAULT_DENY_EGRESS)
        broken = lab.wait_for(lambda: _dropped(lab, LOOKUP_WEB), timeout=30, what="no DNS")
        assert cluster_ip not in broken.stdout, broken
        lab.kubectl("apply", "-f", "-", input=ALLOW_DNS)
        lab.wait_for(
            lambda: f"Address: {cluster_ip}" in _run(lab, LOOKUP_WEB).stdout,
            timeout=30,
            what="DNS back once kube-dns is allowed",
        )
        assert _run(lab, GET_WEB).returncode == 143  # web itself is still denied
    finally:
        lab.kubectl(
            "delete", "networkpolicy", "default-deny-egress", "allow-dns", "--ignore-not-found"
        )


# -- sessionAffinity ---------------------------------------------------------------------------
AFFINITY_SVC = """
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports: [{port: 80, targetPort: http}]
"""


def test_session_affinity_client_ip_sends_one_client_to_one_pod(lab: Lab) -> None:
    """Three pods behind two Services: `web` spreads one client's requests, `sticky`
    (sessionAffinity: ClientIP) sends every request from that client to the same pod."""
    lab.kubectl("apply", "-f", "-", input=WEB + "---\n" + WEB_SVC + "---\n" + AFFINITY_SVC)
    _ready_ips(lab, "app=web", 3)
    _endpoints(lab, "web", 3)
    _endpoints(lab, "sticky", 3)
    names = {p["metadata"]["name"] for p in lab.live_pods("app=web")}
    _client(lab)
    loop = "for i in $(seq 15); do wget -qO- http://{}/; done"
    spread = set(_sh(lab, loop.format("web")).split())
    assert spread <= names and len(spread) > 1, spread
    sticky = set(_sh(lab, loop.format("sticky")).split())
    assert len(sticky) == 1 and sticky <= names, sticky


# -- the same traffic from the inference image ---------------------------------------------------
PYTHON_POD = """
apiVersion: v1
kind: Pod
metadata: {name: py}
spec:
  containers:
  - {name: py, image: "kubelab/inference:2.4.0", command: [sleep, "3600"]}
"""
PY_GET = """
import socket, sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")
except OSError as exc:
    print(type(getattr(exc, "reason", exc)).__name__, getattr(exc, "reason", exc))
    sys.exit(1)
"""


def test_the_inference_image_and_busybox_see_the_same_network(lab: Lab) -> None:
    """Issue 16: the same requests from a non-Python pod (busybox) and from the inference
    image (glibc's resolver, Python's sockets) behave the same: one Service by name, the
    address the name resolves to, a refused port, and an unknown name."""
    lab.kubectl("apply", "-f", "-", input=WEB.replace("replicas: 3", "replicas: 1"))
    lab.kubectl("apply", "-f", "-", input=WEB_SVC)
    (pod_ip,) = _ready_ips(lab, "app=web", 1)
    _endpoints(lab, "web", 1)
    lab.kubectl("apply", "-f", "-", input=PYTHON_POD)
    _client(lab)
    lab.kubectl("wait", "--for=condition=Ready", "pod/py", "--timeout=90s")
    name = lab.live_pods("app=web")[0]["metadata"]["name"]
    cluster_ip = lab.get_json("svc", "web")["spec"]["clusterIP"]

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return lab.kubectl("exec", "py", "--", "python3", *args, check=False, timeout=60)

    for url in ("http://web/", "http://web.lab.svc.cluster.local/", f"http://{pod_ip}:8080/"):
        assert _sh(lab, f"wget -qO- {url}") == f"{name}\n", url
        assert python("-c", PY_GET, url).stdout == f"{name}\n", url
    resolved = python("-c", "import socket; print(socket.gethostbyname('web'))").stdout
    assert resolved == f"{cluster_ip}\n"
    assert f"Address: {cluster_ip}" in _nslookup(lab, "web")
    refused = _run(lab, f"wget -qO- http://{pod_ip}:9999/")
    assert refused.returncode != 0 and "Connection refused" in refused.stderr, refused
    py_refused = python("-c", PY_GET, f"http://{pod_ip}:9999/")
    assert py_refused.returncode == 1, py_refused
    assert py_refused.stdout.startswith("ConnectionRefusedError"), py_refused
    unknown = _run(lab, "wget -qO- http://no-such-service/")
    assert "bad address 'no-such-service'" in unknown.stderr, unknown
    py_unknown = python("-c", PY_GET, "http://no-such-service/")
    # glibc asks the search path (NXDOMAIN each), then the bare name, which CoreDNS forwards
    # upstream: kubesim has none on purpose (SERVFAIL), hence EAI_AGAIN, as a kind cluster
    # without a reachable upstream answers
    assert py_unknown.stdout == "gaierror [Errno -3] Temporary failure in name resolution\n"

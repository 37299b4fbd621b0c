"""The docs' DNS lookups as they print them: busybox 1.28's nslookup (StatefulSet Basics'
`nslookup web-0.nginx`) and the dnsutils pod's bind nslookup (Debugging DNS Resolution's
`nslookup kubernetes.default`) apply the pod's search path; later busybox does not (lab 10
teaches that), and it still does not here."""

from __future__ import annotations

from scenario_kubectl import Lab

PODS = """
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: nginx}}
spec:
  hostname: web-0
  subdomain: nginx
  containers:
  - {name: nginx, image: registry.k8s.io/nginx-slim:0.24}
---
apiVersion: v1
kind: Pod
metadata: {name: dns-128}
spec:
  containers:
  - {name: c, image: busybox:1.28, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: dns-136}
spec:
  containers:
  - {name: c, image: busybox:1.36, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: dnsutils}
spec:
  containers:
  - {name: dnsutils, image: registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3, command: [sleep, infinity]}
"""


def test_nslookup_as_the_docs_images_print_it(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=PODS)
    pods = ["pod/web-0", "pod/dns-128", "pod/dns-136", "pod/dnsutils"]
    lab.kubectl("wait", "--for=condition=Ready", *pods, f"--timeout={lab.wall(60):.0f}s")
    web_ip = lab.get_json("pod", "web-0")["status"]["podIP"]
    ns = lab.namespace

    old = lab.kubectl("exec", "dns-128", "--", "nslookup", "web-0.nginx").stdout
    assert old == (
        "Server:    10.96.0.10\n"
        "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
        "Name:      web-0.nginx\n"
        f"Address 1: {web_ip} web-0.nginx.{ns}.svc.cluster.local\n"
    )
    # the page types it into `kubectl run -i --tty ... busybox:1.28`'s shell, whose own
    # applets would come first: the shell's $ENV names this nslookup
    typed = lab.kubectl("exec", "dns-128", "--", "sh", "-ic", "nslookup web-0.nginx").stdout
    assert typed.endswith(old), typed
    missing = lab.kubectl("exec", "dns-128", "--", "nslookup", "web-9.nginx", check=False)
    assert missing.returncode == 1
    assert "nslookup: can't resolve 'web-9.nginx'" in missing.stderr

    bind = lab.kubectl("exec", "dnsutils", "--", "nslookup", "kubernetes.default").stdout
    assert bind == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n"
    )
    nx = lab.kubectl("exec", "dnsutils", "--", "nslookup", "nosuch", check=False)
    assert nx.returncode == 1
    assert "** server can't find nosuch: NXDOMAIN" in nx.stdout

    later = lab.kubectl("exec", "dns-136", "--", "nslookup", "web-0.nginx", check=False)
    assert later.returncode == 1  # the name as typed: not a cluster name
    short = lab.kubectl("exec", "dns-136", "--", "nslookup", "nginx", check=False).stdout
    # no dot: every search domain is asked, as 1.36 does (the misses make it exit 1)
    assert f"Name:\tnginx.{ns}.svc.cluster.local\nAddress: {web_ip}" in short
    lab.kubectl("delete", "-f", "-", "--wait=false", input=PODS)

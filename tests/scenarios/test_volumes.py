"""Volumes as a learner meets them through kubectl: `describe pod` lists each container's
Mounts and the pod's Volumes as on kind (the service account's `kube-api-access-*` volume
included), a missing ConfigMap leaves the pod ContainerCreating with a FailedMount event, and
a claim's data lands in its volume's folder on the pod's node.

What a container sees at its mountPath is the container world's part; here the files are
read where the kubelet writes them, under the served kubesim's state folder."""

from __future__ import annotations

import re
from pathlib import Path

from scenario_kubectl import Lab

CONFIG_AND_POD = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  index.html: "<h1>hello from a configMap</h1>"
---
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: web
      image: busybox:1.37
      command: ["sleep", "3600"]
      volumeMounts:
        - {name: html, mountPath: /usr/share/nginx/html}
        - {name: cache, mountPath: /cache}
  volumes:
    - name: html
      configMap: {name: web-config}
    - name: cache
      emptyDir: {}
"""

MISSING = """
apiVersion: v1
kind: Pod
metadata:
  name: lost
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: app
      image: busybox:1.37
      command: ["sleep", "3600"]
      volumeMounts:
        - {name: config-vol, mountPath: /etc/config}
  volumes:
    - name: config-vol
      configMap: {name: app-config}
"""


def _kubelet_root(lab: Lab) -> Path:
    return lab.cluster.state_dir / "kubelet"


def _status(lab: Lab, pod: str) -> str:
    rows = lab.table("pod", pod)
    return rows[0]["STATUS"] if rows else ""


def test_describe_pod_shows_mounts_and_volumes_as_on_kind(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=CONFIG_AND_POD)
    lab.wait_for(lambda: _status(lab, "web") == "Running", timeout=lab.wall(30), what="web Running")
    pod = lab.get_json("pod", "web")
    token = next(v["name"] for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api"))
    text = lab.kubectl("describe", "pod", "web").stdout
    mounts = text.split("    Mounts:\n", 1)[1].split("\nConditions:", 1)[0]
    assert mounts.splitlines()[:3] == [
        "      /cache from cache (rw)",
        "      /usr/share/nginx/html from html (rw)",
        f"      /var/run/secrets/kubernetes.io/serviceaccount from {token} (ro)",
    ]
    volumes = text.split("\nVolumes:\n", 1)[1].split("\nQoS Class:", 1)[0]
    for pattern in (
        r"  html:\n    Type:\s+ConfigMap \(a volume populated by a ConfigMap\)\n    Name:\s+web-config",
        r"  cache:\n    Type:\s+EmptyDir \(a temporary directory that shares a pod's lifetime\)",
        rf"  {token}:\n    Type:\s+Projected \(a volume that contains injected data from "
        r"multiple sources\)\n    TokenExpirationSeconds:\s+3607\n    ConfigMapName:\s+"
        r"kube-root-ca.crt\n",
        r"    DownwardAPI:\s+true",
    ):
        assert re.search(pattern, volumes), f"{pattern!r} not in:\n{volumes}"

    # where the kubelet wrote them: the configMap's key, and the token, ca.crt and namespace
    volumes_dir = _kubelet_root(lab) / "pods" / pod["metadata"]["uid"] / "volumes"
    html = volumes_dir / "kubernetes.io~configmap" / "html" / "index.html"
    assert html.read_text() == "<h1>hello from a configMap</h1>"
    account = volumes_dir / "kubernetes.io~projected" / token
    assert (account / "namespace").read_text() == "lab"
    assert (account / "ca.crt").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (account / "token").read_text().count(".") == 2
    lab.kubectl("delete", "configmap", "web-config")


def test_a_missing_configmap_leaves_the_pod_container_creating_with_failed_mount(
    lab: Lab,
) -> None:
    lab.kubectl("apply", "-f", "-", input=MISSING)
    message = 'MountVolume.SetUp failed for volume "config-vol" : configmap "app-config" not found'
    lab.wait_for(
        lambda: message in lab.kubectl("describe", "pod", "lost").stdout,
        timeout=lab.wall(30),
        what="the FailedMount event in describe",
    )
    assert _status(lab, "lost") == "ContainerCreating"
    events = lab.kubectl("get", "events", "--field-selector", "reason=FailedMount").stdout
    assert "Warning   FailedMount" in events and "pod/lost" in events
    lab.kubectl("create", "configmap", "app-config", "--from-literal=mode=blue")
    lab.wait_for(
        lambda: _status(lab, "lost") == "Running",
        timeout=lab.wall(150),  # the kubelet's retry back-off, up to 2m2s
        what="lost Running once its configMap exists",
    )
    lab.kubectl("delete", "configmap", "app-config")


CLAIM_AND_WRITER = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: scratch
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: writer
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: app
      image: busybox:1.37
      command: ["sleep", "3600"]
      volumeMounts:
        - {name: data, mountPath: /data}
  volumes:
    - name: data
      persistentVolumeClaim: {claimName: scratch}
"""


def test_a_claims_volume_is_its_local_path_folder_on_the_pods_node(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=CLAIM_AND_WRITER)
    lab.wait_for(
        lambda: _status(lab, "writer") == "Running", timeout=lab.wall(60), what="writer Running"
    )
    pod = lab.get_json("pod", "writer")
    claim = lab.get_json("pvc", "scratch")
    pv = lab.get_json("pv", claim["spec"]["volumeName"])
    path = pv["spec"]["hostPath"]["path"]
    assert path.startswith("/var/local-path-provisioner/pvc-") and path.endswith("_lab_scratch")
    folder = _kubelet_root(lab) / "nodes" / pod["spec"]["nodeName"] / path.lstrip("/")
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o777
    mounts = lab.kubectl("describe", "pod", "writer").stdout
    assert re.search(
        r"  data:\n    Type:\s+PersistentVolumeClaim \(a reference to a PersistentVolumeClaim "
        r"in the same namespace\)\n    ClaimName:\s+scratch\n    ReadOnly:\s+false",
        mounts,
    ), mounts

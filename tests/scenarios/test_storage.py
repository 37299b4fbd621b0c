"""Storage reads as on kind: the docs' static PV example binds by class name, and a claim
with no class gets local-path's volume on the node its pod was scheduled to."""

from __future__ import annotations

from pathlib import Path

from scenario_kubectl import Lab

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "k8s-examples"

CLAIM_AND_POD = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: model-cache
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: cache-user
spec:
  containers:
    - name: app
      image: busybox:1.37
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
      volumeMounts:
        - {name: cache, mountPath: /cache}
  volumes:
    - name: cache
      persistentVolumeClaim:
        claimName: model-cache
"""


def _phase(lab: Lab, claim: str) -> str:
    return lab.get_json("pvc", claim).get("status", {}).get("phase", "")


def test_the_docs_static_volume_binds_its_claim_by_class_name(lab: Lab) -> None:
    for name in ("pv-volume", "pv-claim", "pv-pod"):
        lab.kubectl("apply", "-f", str(EXAMPLES / f"pods__storage__{name}.yaml"))
    lab.wait_for(
        lambda: _phase(lab, "task-pv-claim") == "Bound",
        timeout=lab.wall(30),
        what="the claim bound to task-pv-volume",
    )
    row = lab.kubectl("get", "pvc", "task-pv-claim", "--no-headers").stdout.split()
    assert row[:6] == ["task-pv-claim", "Bound", "task-pv-volume", "10Gi", "RWO", "manual"]
    lab.kubectl("delete", "pod", "task-pv-pod", "--wait=true")
    lab.kubectl("delete", "pvc", "task-pv-claim", "--wait=true")
    # Retain (a static volume's default): the volume stays, Released, until someone deletes it
    lab.wait_for(
        lambda: lab.get_json("pv", "task-pv-volume")["status"]["phase"] == "Released",
        timeout=lab.wall(30),
        what="task-pv-volume Released",
    )
    lab.kubectl("delete", "pv", "task-pv-volume", "--wait=true")


def test_a_classless_claim_gets_a_local_path_volume_once_its_pod_is_scheduled(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=CLAIM_AND_POD)
    lab.wait_for(
        lambda: _phase(lab, "model-cache") == "Bound",
        timeout=lab.wall(30),
        what="the claim bound to a provisioned volume",
    )
    claim = lab.get_json("pvc", "model-cache")
    node = lab.get_json("pod", "cache-user")["spec"]["nodeName"]
    assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    volume = claim["spec"]["volumeName"]
    row = lab.kubectl("get", "pv", volume, "--no-headers").stdout.split()
    assert row[1:7] == ["1Gi", "RWO", "Delete", "Bound", "lab/model-cache", "standard"]
    # the volume's folder, on its node's own disk (kubesim keeps each node's files apart)
    folders = list(
        lab.cluster.state_dir.glob(f"**/nodes/{node}/var/local-path-provisioner/{volume}_*")
    )
    assert len(folders) == 1, folders
    lab.kubectl("delete", "pod", "cache-user", "--wait=true")
    lab.kubectl("delete", "pvc", "model-cache", "--wait=true")
    lab.wait_for(
        lambda: volume not in lab.kubectl("get", "pv", "-o", "name").stdout,
        timeout=lab.wall(60),
        what="the provisioned volume deleted with its claim",
    )
    # Delete took the data too: local-path's helper pod removed the folder, then went
    assert not folders[0].exists()
    helpers = lab.kubectl("get", "pods", "-n", "local-path-storage", "-o", "name").stdout
    assert f"helper-pod-delete-{volume}" not in helpers


STATEFUL = """
apiVersion: v1
kind: Service
metadata:
  name: model
spec:
  clusterIP: None
  selector: {app: model}
  ports:
    - {port: 8080}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: model
spec:
  serviceName: model
  replicas: 2
  selector:
    matchLabels: {app: model}
  template:
    metadata:
      labels: {app: model}
    spec:
      containers:
        - name: model-server
          image: kubelab/inference:2.4.0
          env:
            - {name: MODEL_PATH, value: models/iris-logreg.json}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 2
          volumeMounts:
            - {name: cache, mountPath: /cache}
  volumeClaimTemplates:
    - metadata:
        name: cache
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
"""


def test_a_statefulset_rolls_out_in_order_with_a_bound_claim_per_pod(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=STATEFUL)
    out = lab.kubectl(
        "rollout", "status", "statefulset/model", f"--timeout={int(lab.wall(120))}s"
    ).stdout
    assert "partitioned roll out complete: 2 new pods have been updated..." in out
    assert lab.table("statefulset", "model")[0]["READY"] == "2/2"
    claims = {row["NAME"]: row["STATUS"] for row in lab.table("pvc")}
    assert claims == {"cache-model-0": "Bound", "cache-model-1": "Bound"}
    # the headless Service publishes each pod under its stable name, as CoreDNS does
    lab.kubectl(
        "create",
        "job",
        "lookup",
        "--image=kubelab/inference:2.4.0",
        "--",
        "python3",
        "-c",
        "import socket; print(socket.gethostbyname('model-1.model'))",
    )
    lab.kubectl("wait", "--for=condition=Complete", "job/lookup", f"--timeout={int(lab.wall(60))}s")
    model_1_ip = lab.get_json("pod", "model-1")["status"]["podIP"]
    assert lab.kubectl("logs", "job/lookup").stdout.strip() == model_1_ip
    lab.kubectl("scale", "statefulset", "model", "--replicas", "1")
    lab.wait_for(
        lambda: [p["metadata"]["name"] for p in lab.live_pods("app=model")] == ["model-0"],
        timeout=lab.wall(60),
        what="model-1 gone, model-0 kept",
    )
    lab.kubectl("delete", "statefulset", "model", "--wait=true")
    lab.kubectl("delete", "pvc", "--all", "--wait=true", timeout=lab.wall(60))

"""A StatefulSet's persistentVolumeClaimRetentionPolicy on the simulator, as the docs'
StatefulSets page describes it: `whenScaled: Delete` deletes the claims of the pods a scale-down
removes, `whenDeleted: Delete` deletes the rest with the set, and the default (Retain) keeps
them all."""

from __future__ import annotations

from scenario_kubectl import Lab

WEB = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels: {app: web}
  persistentVolumeClaimRetentionPolicy:
    whenScaled: Delete
    whenDeleted: Retain
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "sleep 3600"]
          volumeMounts:
            - {name: data, mountPath: /data}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
"""


def _claims(lab: Lab) -> dict[str, dict]:
    items = lab.get_json("pvc")["items"]
    return {c["metadata"]["name"]: c for c in items if not c["metadata"].get("deletionTimestamp")}


def test_claims_follow_the_retention_policy(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=WEB)
    lab.kubectl("rollout", "status", "statefulset/web", f"--timeout={int(lab.wall(120))}s")
    assert set(_claims(lab)) == {"data-web-0", "data-web-1"}
    assert not _claims(lab)["data-web-0"]["metadata"].get("ownerReferences")  # in range

    lab.kubectl("scale", "statefulset", "web", "--replicas", "1")
    lab.wait_for(
        lambda: set(_claims(lab)) == {"data-web-0"},
        timeout=lab.wall(60),
        what="the scaled-down pod's claim to be deleted with it (whenScaled: Delete)",
    )

    patch = '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete"}}}'
    lab.kubectl("patch", "statefulset", "web", "--type=merge", "-p", patch)
    owners = lab.wait_for(
        lambda: _claims(lab)["data-web-0"]["metadata"].get("ownerReferences"),
        timeout=lab.wall(30),
        what="the set to become the remaining claim's owner (whenDeleted: Delete)",
    )
    assert [(o["kind"], o["name"], o.get("controller")) for o in owners] == [
        ("StatefulSet", "web", True)
    ]
    lab.kubectl("delete", "statefulset", "web")
    lab.wait_for(
        lambda: not _claims(lab),
        timeout=lab.wall(60),
        what="the claims to go with the set",
    )


def test_by_default_claims_outlive_the_set(lab: Lab) -> None:
    default = WEB.replace(
        "  persistentVolumeClaimRetentionPolicy:\n    whenScaled: Delete\n    whenDeleted: Retain\n",
        "",
    ).replace("replicas: 2", "replicas: 1")
    lab.kubectl("apply", "-f", "-", input=default)
    lab.kubectl("rollout", "status", "statefulset/web", f"--timeout={int(lab.wall(120))}s")
    lab.kubectl("delete", "statefulset", "web", "--wait=true")
    lab.wait_for(
        lambda: not lab.get_json("pods", "-l", "app=web")["items"],
        timeout=lab.wall(60),
        what="the set's pods to go",
    )
    assert set(_claims(lab)) == {"data-web-0"}
    assert not _claims(lab)["data-web-0"]["metadata"].get("ownerReferences")

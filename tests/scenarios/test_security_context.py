"""The docs' task "Configure a Security Context for a Pod or Container", through kubectl:
the processes run as runAsUser/runAsGroup with fsGroup and supplementalGroups among their
groups, a container's runAsUser wins over the pod's, fsGroup owns the emptyDir (setgid, so
new files get the group), `allowPrivilegeEscalation: false` sets no_new_privs, a non-root
user keeps no capabilities, `readOnlyRootFilesystem` refuses writes outside volumes, and
kubectl exec runs as the container's user.

A rootless kubesim can map one user only: the uid and gid hold there too; the groups, the
volume's group and the root-owned files do not (checked only as root, as CI runs)."""

from __future__ import annotations

import os

import pytest
from scenario_kubectl import Lab

from kubesim.kubelet._world import probe

pytestmark = pytest.mark.skipif(
    not probe().contained, reason="no namespaces on this machine: kubesim runs process mode"
)
ROOT = os.geteuid() == 0

DEMO = """
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
  volumes:
  - name: sec-ctx-vol
    emptyDir: {}
  containers:
  - name: sec-ctx-demo
    image: busybox:1.28
    command: [ "sh", "-c", "sleep 1h" ]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
    securityContext:
      allowPrivilegeEscalation: false
"""
DEMO_2 = """
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo-2
spec:
  securityContext:
    runAsUser: 1000
  containers:
  - name: sec-ctx-demo-2
    image: busybox:1.36
    command: [ "sh", "-c", "sleep 1h" ]
    securityContext:
      runAsUser: 2000
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
  volumes:
  - {name: scratch, emptyDir: {}}
"""


def _ready(lab: Lab, *names: str) -> None:
    pods = [f"pod/{name}" for name in names]
    lab.kubectl("wait", "--for=condition=Ready", *pods, f"--timeout={lab.wall(60):.0f}s")


def _sh(lab: Lab, pod: str, script: str) -> str:
    return lab.kubectl("exec", pod, "--", "sh", "-c", script).stdout


def test_the_pods_user_groups_and_volume_ownership(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=DEMO)
    _ready(lab, "security-context-demo")
    ids = _sh(lab, "security-context-demo", "id").strip()
    expected = "uid=1000 gid=3000 groups=2000,3000,4000" if ROOT else "uid=1000 gid=3000"
    assert ids.startswith(expected), ids
    ps = _sh(lab, "security-context-demo", "ps").splitlines()
    assert [line.split()[:2] for line in ps if line.split()[-1:] == ["1h"]] == [["1", "1000"]]
    status = _sh(lab, "security-context-demo", "cat /proc/1/status")
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["Uid"].split() == ["1000"] * 4
    assert fields["NoNewPrivs"].strip() == "1"
    assert int(fields["CapEff"], 16) == 0
    listed = _sh(
        lab, "security-context-demo",
        "echo hello > /data/demo/testfile && ls -ld /data/demo && ls -l /data/demo/testfile",
    ).splitlines()  # fmt: skip
    folder, testfile = (line.split() for line in listed)
    if ROOT:
        assert folder[0] == "drwxrwsrwx" and folder[2:4] == ["root", "2000"]
        assert testfile[2:4] == ["1000", "2000"]
    else:
        assert testfile[2] == "1000"
    if ROOT:  # rootless, every file of kubesim's user is the container user's
        refused = lab.kubectl("exec", "security-context-demo", "--", "touch", "/etc/x", check=False)
        assert refused.returncode == 1
        assert "Permission denied" in refused.stderr
    lab.kubectl("delete", "pod", "security-context-demo", "--wait=false")


def test_the_containers_user_wins_and_a_read_only_root(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=DEMO_2)
    _ready(lab, "security-context-demo-2")
    ps = _sh(lab, "security-context-demo-2", "ps aux").splitlines()
    assert [line.split()[1] for line in ps if line.split()[-1:] == ["1h"]] == ["2000"]
    refused = lab.kubectl("exec", "security-context-demo-2", "--", "touch", "/tmp/x", check=False)
    assert "Read-only file system" in refused.stderr
    assert _sh(lab, "security-context-demo-2", "touch /scratch/x && echo written") == "written\n"
    lab.kubectl("delete", "pod", "security-context-demo-2", "--wait=false")


DROPS = """
apiVersion: v1
kind: Pod
metadata:
  name: drops
spec:
  containers:
  - name: no-raw
    image: busybox:1.36
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [NET_RAW]}}
  - name: none
    image: busybox:1.36
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [ALL]}}
"""


def _caps(lab: Lab, container: str, field: str) -> int:
    status = lab.kubectl("exec", "drops", "-c", container, "--", "cat", "/proc/1/status").stdout
    line = next(line for line in status.splitlines() if line.startswith(field + ":"))
    return int(line.split()[1], 16)


def test_dropped_capabilities_are_gone_from_root(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=DROPS)
    _ready(lab, "drops")
    net_raw = 1 << 13
    assert _caps(lab, "no-raw", "CapBnd") & net_raw == 0
    assert _caps(lab, "no-raw", "CapEff") & (1 << 0)  # CHOWN, a default, kept
    assert _caps(lab, "none", "CapEff") == 0
    mknod = ["mknod", "/tmp/null", "c", "1", "3"]  # CAP_MKNOD, a default the other keeps
    refused = lab.kubectl("exec", "drops", "-c", "none", "--", *mknod, check=False)
    assert refused.returncode == 1
    assert "Operation not permitted" in refused.stderr
    lab.kubectl("delete", "pod", "drops", "--wait=false")

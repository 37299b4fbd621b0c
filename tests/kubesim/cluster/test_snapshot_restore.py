"""`python -m kubesim snapshot save|restore`: the simulator has no etcd, so this is its
store's snapshot (SQLite's online backup while serving) and restore (control plane down,
store replaced, control plane up), measured against a served kubesim and the real kubectl.

What a restore must do, as `etcdutl snapshot restore --bump-revision --mark-compacted` on
a kubeadm cluster: objects deleted after the snapshot come back with their own uid, objects
created after it are gone, no client sees the revision go back (a watch from an old
resourceVersion gets 410 Expired), and the server keeps authorizing with the restored RBAC.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubesim_process import Cluster, start_kubesim, stop_kubesim

from kubesim.__main__ import main
from kubesim.apiserver.rbac import RBAC_GROUP, Authorizer
from kubesim.store import Store


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    served = start_kubesim(tmp_path / "sim")
    yield served
    stop_kubesim(served)


def _uid(cluster: Cluster, kind: str, name: str) -> str:
    return json.loads(cluster.kubectl("get", kind, name, "-o", "json").stdout)["metadata"]["uid"]


def test_a_restore_brings_back_what_was_deleted_with_its_uid(cluster: Cluster, tmp_path, capsys):
    state = str(cluster.state_dir)
    cluster.kubectl("create", "configmap", "keep", "--from-literal=a=1")
    cluster.kubectl("create", "role", "reader", "--verb=get", "--resource=configmaps")
    uid = _uid(cluster, "configmap", "keep")
    snapshot = tmp_path / "before.db"

    assert main(["snapshot", "save", str(snapshot), "--state-dir", state]) == 0
    saved = int(capsys.readouterr().out.split()[-1])
    cluster.kubectl("delete", "configmap", "keep")
    cluster.kubectl("create", "configmap", "later")
    cluster.kubectl("delete", "role", "reader")
    before_restore = int(
        json.loads(cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/configmaps").stdout)[
            "metadata"
        ]["resourceVersion"]
    )
    assert main(["snapshot", "restore", str(snapshot), "--state-dir", state]) == 0
    restored = int(capsys.readouterr().out.split()[-1])

    assert _uid(cluster, "configmap", "keep") == uid  # the same object, not a new one
    assert cluster.kubectl("get", "configmap", "later", check=False).returncode != 0
    assert cluster.kubectl("get", "role", "reader", check=False).returncode == 0
    # the revision moved forward past anything a client saw, and old ones are compacted
    assert restored > before_restore > saved
    old_watch = cluster.kubectl(
        "get", "--raw", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={saved}",
        check=False, timeout=30,
    )  # fmt: skip
    assert "Expired" in old_watch.stdout + old_watch.stderr, old_watch
    # the restored server writes on from the new revision
    cluster.kubectl("create", "configmap", "after")
    after = json.loads(cluster.kubectl("get", "configmap", "after", "-o", "json").stdout)
    assert int(after["metadata"]["resourceVersion"]) > restored


def test_the_snapshot_is_one_self_contained_sqlite_file(cluster: Cluster, tmp_path):
    snapshot = tmp_path / "s.db"
    assert main(["snapshot", "save", str(snapshot), "--state-dir", str(cluster.state_dir)]) == 0
    assert not (tmp_path / "s.db-wal").exists() and not (tmp_path / "s.db.partial").exists()
    db = sqlite3.connect(snapshot)
    names = [row[0] for row in db.execute("SELECT name FROM kine WHERE deleted = 0")]
    db.close()
    assert "/core/namespaces//default" in names or any("namespaces" in n for n in names), names


def test_a_missing_file_and_a_file_that_is_not_a_snapshot_are_refused(
    cluster: Cluster, tmp_path, capsys
):
    state = str(cluster.state_dir)
    assert main(["snapshot", "restore", str(tmp_path / "nope.db"), "--state-dir", state]) == 1
    err = capsys.readouterr().err
    assert "nope.db does not exist" in err and "nothing was restored" in err, err
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    assert main(["snapshot", "restore", str(text), "--state-dir", state]) == 1
    err = capsys.readouterr().err
    assert "is not a kubesim snapshot" in err and "Traceback" not in err, err
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert main(["snapshot", "restore", str(other), "--state-dir", state]) == 1
    assert "without kubesim's table kine" in capsys.readouterr().err
    cluster.kubectl("get", "namespace", "default")  # the server was never touched


def test_no_server_is_a_clear_refusal(tmp_path: Path, capsys):
    snapshot = tmp_path / "s.db"
    assert main(["snapshot", "save", str(snapshot), "--state-dir", str(tmp_path)]) == 1
    assert "there is no kubesim store in" in capsys.readouterr().err
    Store(snapshot).close()  # a store of its own: a valid, empty snapshot
    assert main(["snapshot", "restore", str(snapshot), "--state-dir", str(tmp_path)]) == 1
    assert "no kubesim is running with state in" in capsys.readouterr().err


def test_the_rbac_authorizer_follows_the_store_after_a_restore(tmp_path: Path):
    """A restore ends every store watch; the authorizer must watch afresh, or a Role written
    after the restore would never reach its policy."""
    store = Store(tmp_path / "live.db")
    snapshot_store = Store(tmp_path / "snap.db")
    snapshot_store.close()
    authz = Authorizer(store)
    prefix = f"/{RBAC_GROUP}/roles/"
    assert authz.policy is not None
    store.restore(tmp_path / "snap.db")
    before = authz.rebuilds
    authz.policy  # noqa: B018 - the property rebuilds from the restored store
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "late", "namespace": "default"}, "rules": []}  # fmt: skip
    store.create(prefix + "default/late", role)
    authz.policy  # noqa: B018
    assert authz.rebuilds == before + 2, "a Role written after the restore was not seen"
    authz.close()
    store.close()


def test_a_restore_while_the_control_plane_is_down_is_refused(cluster: Cluster, tmp_path, capsys):
    state = str(cluster.state_dir)
    snapshot = tmp_path / "s.db"
    assert main(["snapshot", "save", str(snapshot), "--state-dir", state]) == 0
    assert main(["control-plane", "stop", "--state-dir", state]) == 0
    try:
        assert main(["snapshot", "restore", str(snapshot), "--state-dir", state]) == 1
        err = capsys.readouterr().err
        assert "the control plane is down" in err and "kubelab fix control-plane-down" in err
    finally:
        assert main(["control-plane", "start", "--state-dir", state]) == 0


POD_READY_LATER = """
apiVersion: v1
kind: Pod
metadata: {name: ready-later}
spec:
  containers:
    - name: c
      image: busybox:1.36
      command: [sh, -c, "sleep 3600"]
      readinessProbe:
        exec: {command: ["true"]}
        initialDelaySeconds: 5
        periodSeconds: 2
"""


def _ready(cluster: Cluster) -> str:
    pod = json.loads(cluster.kubectl("get", "pod", "ready-later", "-o", "json").stdout)
    conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions") or []}
    return conditions.get("Ready", "")


@pytest.fixture
def with_pod(tmp_path: Path) -> Iterator[Cluster]:
    """A served kubesim with its kubelets, running POD_READY_LATER."""
    served = start_kubesim(tmp_path / "sim", controllers=True)
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD_READY_LATER)
    served.kubectl("apply", "-f", str(manifest))
    yield served
    stop_kubesim(served)


def test_a_restore_of_an_older_pod_status_is_written_over_by_its_kubelet(
    with_pod: Cluster, tmp_path: Path, capsys
):
    """The snapshot holds the pod before it turned Ready; after the restore the kubelet,
    whose container still runs and is ready, writes its own status again (the status
    manager reconciles when the API's status differs from the one it wrote) instead of
    leaving the API saying Ready=False for ever. Before the fix it stayed False."""
    served = with_pod
    state = str(served.state_dir)
    served.kubectl("wait", "pod/ready-later", "--for=condition=Ready=false", "--timeout=60s")
    assert _ready(served) == "False"
    snapshot = tmp_path / "not-ready-yet.db"
    assert main(["snapshot", "save", str(snapshot), "--state-dir", state]) == 0
    served.kubectl("wait", "pod/ready-later", "--for=condition=Ready", "--timeout=60s")
    assert main(["snapshot", "restore", str(snapshot), "--state-dir", state]) == 0
    capsys.readouterr()
    served.kubectl("wait", "pod/ready-later", "--for=condition=Ready", "--timeout=30s")
    assert _ready(served) == "True"


def test_the_kubelet_rewrites_its_own_conditions_and_keeps_the_others(with_pod: Cluster):
    """Another writer sets Ready=False and adds a condition of its own (a readiness gate's)
    on a ready pod: the kubelet writes Ready=True again and leaves the other condition
    where it is (status_manager.go mergePodStatus keeps conditions it does not own)."""
    served = with_pod
    served.kubectl("wait", "pod/ready-later", "--for=condition=Ready", "--timeout=60s")
    pod = json.loads(served.kubectl("get", "pod", "ready-later", "-o", "json").stdout)
    conditions = [
        {**c, "status": "False"} if c["type"] == "Ready" else c for c in pod["status"]["conditions"]
    ]
    conditions.append({"type": "example.com/gate", "status": "True"})
    patch = json.dumps({"status": {"conditions": conditions}})
    served.kubectl(
        "patch", "pod", "ready-later", "--subresource=status", "--type=merge", "-p", patch
    )
    served.kubectl("wait", "pod/ready-later", "--for=condition=Ready", "--timeout=30s")
    after = json.loads(served.kubectl("get", "pod", "ready-later", "-o", "json").stdout)
    kinds = {c["type"]: c["status"] for c in after["status"]["conditions"]}
    assert kinds["Ready"] == "True" and kinds["example.com/gate"] == "True", kinds

"""The control plane's static pods as their mirror pods show them (kubesim/system.yaml): each
flag is one argument, as in kind's manifests in /etc/kubernetes/manifests. A flag whose value
holds a comma (`--authorization-mode=Node,RBAC`) must not be split into two arguments by the
YAML flow list it is written in; lab 13 shows these commands with `kubectl describe pod`."""

from __future__ import annotations

from kubesim.cluster.system import mirror_pods

NODE = {"metadata": {"name": "kubelab-control-plane", "uid": "u-1"}}


def _commands() -> dict[str, list[str]]:
    return {
        pod["metadata"]["labels"]["component"]: pod["spec"]["containers"][0]["command"]
        for pod in mirror_pods(NODE)
    }


def test_the_four_control_plane_components_are_mirror_pods_on_the_node() -> None:
    pods = mirror_pods(NODE)
    assert sorted(p["metadata"]["name"] for p in pods) == [
        "etcd-kubelab-control-plane",
        "kube-apiserver-kubelab-control-plane",
        "kube-controller-manager-kubelab-control-plane",
        "kube-scheduler-kubelab-control-plane",
    ]
    for pod in pods:
        assert pod["spec"]["nodeName"] == "kubelab-control-plane"
        annotations = pod["metadata"]["annotations"]
        assert (
            annotations["kubernetes.io/config.mirror"] == annotations["kubernetes.io/config.hash"]
        )
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "Node"


def test_flags_with_commas_stay_one_argument() -> None:
    commands = _commands()
    assert "--authorization-mode=Node,RBAC" in commands["kube-apiserver"]
    assert "RBAC" not in commands["kube-apiserver"]
    assert "--listen-client-urls=https://127.0.0.1:2379,https://172.18.0.3:2379" in commands["etcd"]
    for command in commands.values():
        assert all(arg.startswith("--") for arg in command[1:]), command

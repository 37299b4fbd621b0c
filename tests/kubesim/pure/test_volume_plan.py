"""The volume manager's pure half (`kubesim/kubelet/_volumes.py`): pod + the objects it names
in, what each volume holds (or the kubelet's FailedMount message) out."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kubesim.kubelet._volumes import File, Sources, VolumePlan, format_map, plan, plan_volume

Obj = dict[str, Any]

POD: Obj = {
    "metadata": {
        "name": "web-1",
        "namespace": "shop",
        "uid": "1234-abcd",
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"note": 'say "hi"'},
    },
    "spec": {
        "serviceAccountName": "default",
        "containers": [
            {
                "name": "app",
                "image": "nginx",
                "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
            }
        ],
    },
}
CONFIG: Obj = {
    "metadata": {"name": "app-config", "namespace": "shop"},
    "data": {"game.properties": "lives=3\n", "ui.properties": "color=blue\n"},
    "binaryData": {"logo.bin": base64.b64encode(b"\x00\x01").decode()},
}
SECRET: Obj = {
    "metadata": {"name": "db", "namespace": "shop"},
    "data": {"password": base64.b64encode(b"s3cret").decode()},
}
SOURCES = Sources(
    configmaps={"app-config": CONFIG, "kube-root-ca.crt": {"data": {"ca.crt": "PEM"}}},
    secrets={"db": SECRET},
    token=lambda projection: f"token-for-{projection.get('audience', 'api')}",
)


def _one(volume: Obj, sources: Sources = SOURCES) -> VolumePlan:
    return plan_volume(POD, {"name": "v", **volume}, sources)


@pytest.mark.parametrize(
    "volume, files",
    [
        pytest.param(
            {"configMap": {"name": "app-config"}},
            [
                File("game.properties", b"lives=3\n", 0o644),
                File("logo.bin", b"\x00\x01", 0o644),
                File("ui.properties", b"color=blue\n", 0o644),
            ],
            id="configmap-every-key-with-binary-data",
        ),
        pytest.param(
            {
                "configMap": {
                    "name": "app-config",
                    "defaultMode": 0o400,
                    "items": [
                        {"key": "game.properties", "path": "conf/game"},
                        {"key": "ui.properties", "path": "ui", "mode": 0o600},
                    ],
                }
            },
            [File("conf/game", b"lives=3\n", 0o400), File("ui", b"color=blue\n", 0o600)],
            id="configmap-items-paths-and-modes",
        ),
        pytest.param(
            {"secret": {"secretName": "db", "defaultMode": 0o440}},
            [File("password", b"s3cret", 0o440)],
            id="secret-values-decoded",
        ),
        pytest.param(
            {"configMap": {"name": "absent", "optional": True}}, [], id="optional-missing-is-empty"
        ),
        pytest.param(
            {
                "configMap": {
                    "name": "app-config",
                    "optional": True,
                    "items": [{"key": "nope", "path": "x"}, {"key": "ui.properties", "path": "u"}],
                }
            },
            [File("u", b"color=blue\n", 0o644)],
            id="optional-missing-key-is-skipped",
        ),
        pytest.param(
            {
                "downwardAPI": {
                    "items": [
                        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                        {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
                        {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                        {"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}},
                        {"path": "uid", "fieldRef": {"fieldPath": "metadata.uid"}},
                        {"path": "tier", "fieldRef": {"fieldPath": "metadata.labels['tier']"}},
                        {
                            "path": "cpu",
                            "resourceFieldRef": {
                                "containerName": "app",
                                "resource": "limits.cpu",
                                "divisor": "1m",
                            },
                        },
                        {
                            "path": "mem",
                            "mode": 0o600,
                            "resourceFieldRef": {
                                "containerName": "app",
                                "resource": "limits.memory",
                                "divisor": "1Mi",
                            },
                        },
                    ]
                }
            },
            [
                File("labels", b'app="web"\ntier="front"', 0o644),
                File("annotations", b'note="say \\"hi\\""', 0o644),
                File("name", b"web-1", 0o644),
                File("ns", b"shop", 0o644),
                File("uid", b"1234-abcd", 0o644),
                File("tier", b"front", 0o644),
                File("cpu", b"500", 0o644),
                File("mem", b"128", 0o600),
            ],
            id="downward-api-fields-and-resources",
        ),
        pytest.param(
            {
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                    }
                                ]
                            }
                        },
                        {"secret": {"name": "db", "items": [{"key": "password", "path": "pw"}]}},
                    ],
                }
            },
            [
                File("token", b"token-for-api", 0o644),
                File("ca.crt", b"PEM", 0o644),
                File("namespace", b"shop", 0o644),
                File("pw", b"s3cret", 0o644),
            ],
            id="projected-kube-api-access-and-a-secret",
        ),
        pytest.param(
            {
                "projected": {
                    "defaultMode": 0o440,
                    "sources": [
                        {"serviceAccountToken": {"audience": "vault", "path": "vault-token"}}
                    ],
                }
            },
            [File("vault-token", b"token-for-vault", 0o440)],
            id="projected-token-with-audience",
        ),
    ],
)
def test_atomic_volumes_hold_the_planned_files(volume: Obj, files: list[File]) -> None:
    result = _one(volume)
    assert result.error == ""
    assert list(result.files) == files
    assert result.read_only  # the kubelet mounts these read-only whatever the mount says


@pytest.mark.parametrize(
    "volume, message",
    [
        pytest.param(
            {"configMap": {"name": "absent"}},
            'MountVolume.SetUp failed for volume "v" : configmap "absent" not found',
            id="configmap-missing",
        ),
        pytest.param(
            {"secret": {"secretName": "absent"}},
            'MountVolume.SetUp failed for volume "v" : secret "absent" not found',
            id="secret-missing",
        ),
        pytest.param(
            {"configMap": {"name": "app-config", "items": [{"key": "nope", "path": "x"}]}},
            'MountVolume.SetUp failed for volume "v" : '
            "configmap references non-existent config key: nope",
            id="configmap-key-missing",
        ),
        pytest.param(
            {"secret": {"secretName": "db", "items": [{"key": "nope", "path": "x"}]}},
            'MountVolume.SetUp failed for volume "v" : references non-existent secret key: nope',
            id="secret-key-missing",
        ),
        pytest.param(
            {"projected": {"sources": [{"configMap": {"name": "absent"}}]}},
            'MountVolume.SetUp failed for volume "v" : configmap "absent" not found',
            id="projected-configmap-missing",
        ),
        pytest.param(
            {"projected": {"sources": [{"clusterTrustBundle": {"path": "ca.pem"}}]}},
            'MountVolume.SetUp failed for volume "v" : kubesim has no stand-in for '
            "clusterTrustBundle projections (it projects serviceAccountToken, configMap, secret "
            "and downwardAPI)",
            id="unsupported-projection-refused-clearly",
        ),
        pytest.param(
            {"nfs": {"server": "nfs.example", "path": "/exports"}},
            'MountVolume.SetUp failed for volume "v" : kubesim has no stand-in for nfs volumes '
            "(it mounts emptyDir, configMap, secret, downwardAPI, projected, hostPath and "
            "persistentVolumeClaim)",
            id="unsupported-type-refused-clearly",
        ),
    ],
)
def test_a_volume_that_cannot_be_set_up_has_the_kubelets_failed_mount_message(
    volume: Obj, message: str
) -> None:
    assert _one(volume).error == message


def test_a_token_the_kubelet_cannot_get_is_a_failed_mount() -> None:
    def no_account(_projection: Obj) -> str:
        raise LookupError('serviceaccounts "robot" not found')

    result = _one(
        {"projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
        Sources(token=no_account),
    )
    assert result.error == (
        'MountVolume.SetUp failed for volume "v" : failed to fetch token: '
        'serviceaccounts "robot" not found'
    )


@pytest.mark.parametrize(
    "path, want",
    [
        pytest.param("/data/models", "/data/models", id="absolute"),
        pytest.param("/data/../../etc", "/etc", id="dotdot-stays-on-the-node"),
        pytest.param("data//x/", "/data/x", id="normalized"),
    ],
)
def test_host_path_plans_keep_a_normalized_node_path(path: str, want: str) -> None:
    result = _one({"hostPath": {"path": path, "type": "DirectoryOrCreate"}})
    assert (result.host_path, result.host_type, result.read_only) == (
        want,
        "DirectoryOrCreate",
        False,
    )


def _claim_sources(phase: str = "Bound", pv: Obj | None = None) -> Sources:
    claim = {
        "metadata": {"name": "data"},
        "spec": {"volumeName": "pvc-1"},
        "status": {"phase": phase},
    }
    default_pv = {
        "spec": {
            "hostPath": {
                "path": "/var/local-path-provisioner/pvc-1_shop_data",
                "type": "DirectoryOrCreate",
            }
        }
    }
    return Sources(claims={"data": claim}, persistent_volumes={"pvc-1": pv or default_pv})


def test_a_bound_claim_mounts_its_volumes_folder_on_the_node() -> None:
    result = _one(
        {"persistentVolumeClaim": {"claimName": "data", "readOnly": True}}, _claim_sources()
    )
    assert result.host_path == "/var/local-path-provisioner/pvc-1_shop_data"
    assert result.read_only


def test_a_local_pv_mounts_its_local_path() -> None:
    pv = {"spec": {"local": {"path": "/mnt/disks/ssd1"}}}
    result = _one({"persistentVolumeClaim": {"claimName": "data"}}, _claim_sources(pv=pv))
    assert result.host_path == "/mnt/disks/ssd1"
    assert not result.read_only


def test_an_unbound_claim_waits_with_the_kubelets_words() -> None:
    result = _one({"persistentVolumeClaim": {"claimName": "data"}}, _claim_sources(phase="Pending"))
    assert result.error == (
        "Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[v], "
        "failed to process volumes=[v]: error processing PVC shop/data: PVC is not bound"
    )


def test_emptydir_in_memory_is_planned_like_any_emptydir() -> None:
    assert _one({"emptyDir": {"medium": "Memory"}}) == VolumePlan("v", "emptyDir")


def test_plan_covers_every_volume_in_spec_order() -> None:
    pod = {
        **POD,
        "spec": {
            **POD["spec"],
            "volumes": [
                {"name": "a", "emptyDir": {}},
                {"name": "b", "configMap": {"name": "app-config"}},
            ],
        },
    }
    assert [(p.name, p.plugin) for p in plan(pod, SOURCES)] == [
        ("a", "emptyDir"),
        ("b", "configMap"),
    ]


def test_format_map_sorts_keys_and_quotes_values() -> None:
    assert format_map({"b": "2", "a": 'x"y'}) == 'a="x\\"y"\nb="2"'

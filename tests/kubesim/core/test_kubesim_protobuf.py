"""Protobuf request bodies (kubectl's typed clients) decode to their JSON form."""

from __future__ import annotations

import pytest

from kubesim.apiserver.protobuf.decode import MAGIC, decode_object
from kubesim.core.errors import ApiError


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return (
        MAGIC
        + field(1, type_meta)
        + field(2, raw)
        + field(4, b"application/vnd.kubernetes.protobuf")
    )


def test_configmap_with_labels_and_data_decodes_like_json() -> None:
    meta = (
        field(1, b"settings")
        + field(2, b"")
        + field(3, b"lab")
        + field(11, field(1, b"app") + field(2, b"web"))
        + field(8, b"")  # zero creationTimestamp, as Go always writes it
    )
    raw = field(1, meta) + field(2, field(1, b"mode") + field(2, b"fast"))
    obj = decode_object(envelope("v1", "ConfigMap", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "lab", "labels": {"app": "web"}},
        "data": {"mode": "fast"},
    }


def test_secret_bytes_become_base64_and_pointer_zeros_survive() -> None:
    raw = field(1, field(1, b"pw")) + field(2, field(1, b"k") + field(2, b"hunter2"))
    assert decode_object(envelope("v1", "Secret", raw))["data"] == {"k": "aHVudGVyMg=="}
    spec = field(1, 0) + field(5, 0)  # replicas 0 (pointer) and minReadySeconds 0 (value)
    dep = decode_object(
        envelope("apps/v1", "Deployment", field(1, field(1, b"d")) + field(2, spec))
    )
    assert dep["spec"] == {"replicas": 0}


def test_int_or_string_and_quantity_take_their_json_forms() -> None:
    strategy = field(1, b"RollingUpdate") + field(
        2, field(1, field(1, 1) + field(3, b"25%")) + field(2, field(1, 0) + field(2, 2))
    )
    raw = field(1, field(1, b"d")) + field(2, field(4, strategy))
    dep = decode_object(envelope("apps/v1", "Deployment", raw))
    assert dep["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 2},
    }


@pytest.mark.parametrize(
    "body, code",
    [
        pytest.param(b"not protobuf", 400, id="no-magic"),
        pytest.param(envelope("example.com/v1", "Widget", b""), 415, id="unknown-kind"),
    ],
)
def test_undecodable_protobuf_is_refused_clearly(body: bytes, code: int) -> None:
    with pytest.raises(ApiError) as caught:
        decode_object(body)
    assert caught.value.code == code


def test_embedded_structs_are_flattened_as_in_json() -> None:
    """`kubectl debug node/X` sends its pod as protobuf, with a hostPath volume: a Volume's
    VolumeSource and a configMap volume's LocalObjectReference are inline in JSON."""
    host_path = field(1, field(1, b"/"))  # VolumeSource.hostPath.path
    config_map = field(19, field(1, field(1, b"settings")))  # configMap.localObjectReference
    spec = field(1, field(1, b"host-root") + field(2, host_path))
    spec += field(1, field(1, b"conf") + field(2, config_map))
    obj = decode_object(envelope("v1", "Pod", field(2, spec)))
    assert obj["spec"]["volumes"] == [
        {"name": "host-root", "hostPath": {"path": "/"}},
        {"name": "conf", "configMap": {"name": "settings"}},
    ]

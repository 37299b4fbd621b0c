"""Hostile input against a real kubesim process: a table of crafted requests, each with the
status kube-apiserver answers it with (and a piece of its message), and afterwards no
traceback in kubesim's log.

The suite has a kubesim of its own (`--no-controllers`), so its log holds only what these
requests caused. The one 500 in the table is kube-apiserver's own answer: etcd refuses an
object over 1.5 MiB and the apiserver passes that error through untyped. Every other
answer is 4xx or 2xx.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import yaml
from kubesim_process import Cluster, start_kubesim, stop_kubesim

from kubesim.apiserver.protobuf.decode import CONTENT_TYPE as PROTOBUF
from kubesim.apiserver.protobuf.tables import TABLES

pytestmark = pytest.mark.kubesim
BODY_TIMEOUT = 2.0  # this suite's --request-timeout (kube-apiserver's default is 60 s)

NS = "default"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
CONFIGMAPS = f"/api/v1/namespaces/{NS}/configmaps"
PODS = f"/api/v1/namespaces/{NS}/pods"
JSON = "application/json"
YAML = "application/yaml"


# -- bodies ---------------------------------------------------------------------------------


def deployment(replicas: Any, name: str = "runaway") -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def deployment_json_with(replicas_literal: str) -> bytes:
    """A Deployment whose replicas is the literal as written (JSON numbers past int64)."""
    return (
        json.dumps(deployment(0))
        .replace('"replicas": 0', f'"replicas": {replicas_literal}')
        .encode()
    )


def configmap(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **extra}


def nested_json(depth: int) -> bytes:
    return b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":' + (
        b"[" * depth + b"]" * depth + b"}"
    )


def nested_yaml(depth: int) -> bytes:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: deepy}", "x:"]
    lines += ["  " * i + "-" for i in range(1, depth)]
    return "\n".join(lines).encode()


def alias_bomb() -> bytes:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n" + "\n".join(rows)).encode()


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _encode(message: str, obj: dict[str, Any]) -> bytes:
    """The protobuf encoding of `obj` (strings, ints, bools, messages, maps, lists) per
    kubesim's field tables: enough to craft the bodies kubectl's typed clients send."""
    fields = {spec[0]: (int(number), spec) for number, spec in TABLES[message]["f"].items()}
    out = bytearray()
    for key, value in obj.items():
        number, (_name, kind, label, type_name) = fields[key]
        items = value if label == 3 and isinstance(value, list) else [value]
        if TABLES.get(type_name, {}).get("map"):
            items = [{"key": k, "value": v} for k, v in value.items()]
        for item in items:
            if kind == 11:
                data = _encode(type_name, item)
                out += _varint(number << 3 | 2) + _varint(len(data)) + data
            elif kind == 9:
                data = item.encode()
                out += _varint(number << 3 | 2) + _varint(len(data)) + data
            else:
                out += _varint(number << 3) + _varint(int(item))
    return bytes(out)


def protobuf_object(api_version: str, kind: str, message: str, obj: dict[str, Any]) -> bytes:
    raw = _encode(message, obj)
    type_meta = _encode(
        "k8s.io.apimachinery.pkg.runtime.TypeMeta", {"apiVersion": api_version, "kind": kind}
    )
    unknown = _varint(1 << 3 | 2) + _varint(len(type_meta)) + type_meta
    unknown += _varint(2 << 3 | 2) + _varint(len(raw)) + raw
    return b"k8s\x00" + unknown


def protobuf_deployment(replicas: int) -> bytes:
    body = deployment(replicas, name="pb-runaway")
    del body["apiVersion"], body["kind"]
    return protobuf_object("apps/v1", "Deployment", "k8s.io.api.apps.v1.Deployment", body)


# -- the table ------------------------------------------------------------------------------


@dataclass
class Case:
    method: str
    path: str
    body: bytes = b""
    content_type: str = JSON
    status: int = 400
    message: str = ""  # a part of the Status message the answer must carry
    query: dict[str, str] = field(default_factory=dict)


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


_INT32_ERR = "json: cannot unmarshal number {} into Go struct field DeploymentSpec.spec.replicas of type int32"
_HUGE = "1" * 5000

CASES: dict[str, Case] = {
    # integer ranges: the runaway object is refused before anything acts on it
    "replicas-2^63-json": Case(
        "POST",
        DEPLOYMENTS,
        deployment_json_with("9223372036854775808"),
        message='Deployment in version "v1" cannot be handled as a Deployment: '
        + _INT32_ERR.format("9223372036854775808"),
    ),
    "replicas-2^31-json": Case(
        "POST", DEPLOYMENTS, _json(deployment(2**31)), message=_INT32_ERR.format(2**31)
    ),
    "replicas-2^31-yaml": Case(
        "POST",
        DEPLOYMENTS,
        yaml.safe_dump(deployment(2**31)).encode(),
        YAML,
        message=_INT32_ERR.format(2**31),
    ),
    # protobuf int32 keeps the low 32 bits (Go's generated Unmarshal): -2^31, then validation
    "replicas-2^31-protobuf": Case(
        "POST",
        DEPLOYMENTS,
        protobuf_deployment(2**31),
        PROTOBUF,
        status=422,
        message="spec.replicas: Invalid value: -2147483648: must be greater than or equal to 0",
    ),
    "int64-over-range": Case(
        "POST",
        PODS,
        _json(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p64"},
                "spec": {
                    "activeDeadlineSeconds": 2**63,
                    "containers": [{"name": "c", "image": "nginx"}],
                },
            }
        ),
        message="json: cannot unmarshal number 9223372036854775808 into Go struct field "
        "PodSpec.spec.activeDeadlineSeconds of type int64",
    ),
    "int-over-4300-digits-json": Case(
        "POST", DEPLOYMENTS, deployment_json_with(_HUGE), message=_INT32_ERR.format(_HUGE)
    ),
    # go-yaml leaves a number it cannot parse as text; the int32 field then refuses a string
    "int-over-4300-digits-yaml": Case(
        "POST",
        DEPLOYMENTS,
        yaml.safe_dump(deployment(0)).replace("replicas: 0", f"replicas: {_HUGE}").encode(),
        YAML,
        message="json: cannot unmarshal string into Go struct field "
        "DeploymentSpec.spec.replicas of type int32",
    ),
    "float-past-float64-json": Case(
        "POST", DEPLOYMENTS, deployment_json_with("1e400"), message=_INT32_ERR.format("1e400")
    ),
    "nan-literal-json": Case(
        "POST",
        DEPLOYMENTS,
        deployment_json_with("NaN"),
        message="invalid character 'N' looking for beginning of value",
    ),
    # invalid UTF-8 becomes U+FFFD as in Go; the key then fails ConfigMap key validation
    "invalid-utf8-key": Case(
        "POST",
        CONFIGMAPS,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"utf"},"data":{"k\xff":"v"}}',
        status=422,
        message='data[k\ufffd]: Invalid value: "k\ufffd"',
    ),
    # go-yaml keeps a timestamp it cannot parse as the text written
    "yaml-timestamp-2001-13-45": Case(
        "POST",
        CONFIGMAPS,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ts}\ndata:\n  d: 2001-13-45\n",
        YAML,
        status=201,
    ),
    "json-nested-2000": Case("POST", CONFIGMAPS, nested_json(2000), message="exceeded max depth"),
    "yaml-nested-1500": Case(
        "POST", CONFIGMAPS, nested_yaml(1500), YAML, message="yaml: exceeded max depth of"
    ),
    "yaml-alias-bomb": Case(
        "POST", CONFIGMAPS, alias_bomb(), YAML, message="yaml: document contains excessive aliasing"
    ),
    # five malformed protobuf bodies
    "protobuf-no-magic": Case(
        "POST",
        DEPLOYMENTS,
        b"\x0a\x02hi",
        PROTOBUF,
        message="provided data does not appear to be a protobuf message",
    ),
    "protobuf-truncated-length": Case(
        "POST", DEPLOYMENTS, b"k8s\x00\x0a\x7f\x0a", PROTOBUF, message="unexpected EOF"
    ),
    "protobuf-illegal-wire-type": Case(
        "POST", DEPLOYMENTS, b"k8s\x00\x0f\x01", PROTOBUF, message="proto: illegal wireType 7"
    ),
    "protobuf-varint-overflow": Case(
        "POST",
        DEPLOYMENTS,
        b"k8s\x00\x08" + b"\xff" * 11,
        PROTOBUF,
        message="proto: integer overflow",
    ),
    # a whole Deployment cut short: the nested lengths point past the end
    "protobuf-truncated-object": Case(
        "POST", DEPLOYMENTS, protobuf_deployment(1)[:-3], PROTOBUF, message="unexpected EOF"
    ),
    "protobuf-magic-only": Case("POST", DEPLOYMENTS, b"k8s\x00", PROTOBUF, message="Kind"),
    # query parameters
    "limit-negative": Case("GET", CONFIGMAPS, status=200, query={"limit": "-999999999999"}),
    "limit-not-a-number": Case(
        "GET",
        CONFIGMAPS,
        query={"limit": "abc"},
        message='strconv.ParseInt: parsing "abc": invalid syntax',
    ),
    "limit-past-int64": Case(
        "GET",
        CONFIGMAPS,
        query={"limit": "99999999999999999999"},
        message="value out of range",
    ),
    "grace-period-abc": Case(
        "DELETE",
        f"{CONFIGMAPS}/victim",
        query={"gracePeriodSeconds": "abc"},
        message='strconv.ParseInt: parsing "abc": invalid syntax',
    ),
    "grace-period-string-in-body": Case(
        "DELETE",
        f"{CONFIGMAPS}/victim",
        _json({"gracePeriodSeconds": "abc"}),
        message="DeleteOptions.gracePeriodSeconds of type int64",
    ),
    "watch-timeout-abc": Case(
        "GET",
        CONFIGMAPS,
        query={"watch": "1", "timeoutSeconds": "abc"},
        message="invalid syntax",
    ),
    "resource-version-5000-digits-watch": Case(
        "GET", CONFIGMAPS, query={"watch": "1", "resourceVersion": _HUGE}
    ),
    "resource-version-5000-digits-get": Case(
        "GET", f"{CONFIGMAPS}/victim", status=200, query={"resourceVersion": _HUGE}
    ),
    "continue-token-garbage": Case(
        "GET", CONFIGMAPS, query={"limit": "1", "continue": "%%%not-base64"}
    ),
    "label-selector-garbage": Case("GET", CONFIGMAPS, query={"labelSelector": "a in (b"}),
    "field-selector-unknown-field": Case(
        "GET", CONFIGMAPS, query={"fieldSelector": "spec.nothing=1"}
    ),
    "unknown-field-holding-a-huge-number": Case(
        "POST",
        CONFIGMAPS,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"unk"},"x":1e400}',
        status=201,
    ),
    # patches
    "apply-nested-2000": Case(
        "PATCH",
        f"{CONFIGMAPS}/victim",
        nested_json(2000),
        "application/apply-patch+yaml",
        query={"fieldManager": "t"},
        message="exceeded max depth",
    ),
    "apply-without-field-manager": Case(
        "PATCH",
        f"{CONFIGMAPS}/victim",
        _json(configmap("victim")),
        "application/apply-patch+yaml",
        status=422,
        message='PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
        "required for apply patch",
    ),
    "merge-patch-nested-2000": Case(
        "PATCH",
        f"{CONFIGMAPS}/victim",
        nested_json(2000),
        "application/merge-patch+json",
        message="exceeded max depth",
    ),
    # JSON patch copying /metadata into itself: under annotations (strings only) it does not
    # decode; as an unknown field it is a warning and is dropped
    "json-patch-copy-metadata-into-annotations": Case(
        "PATCH",
        f"{CONFIGMAPS}/victim",
        _json([{"op": "copy", "from": "/metadata", "path": "/metadata/annotations"}]),
        "application/json-patch+json",
        message="into Go struct field ObjectMeta.metadata.annotations of type string",
    ),
    "json-patch-copy-metadata-into-unknown-field": Case(
        "PATCH",
        f"{CONFIGMAPS}/victim",
        _json([{"op": "copy", "from": "/metadata", "path": "/metadata/x"}] * 12),
        "application/json-patch+json",
        status=200,
    ),
    "json-patch-index-5000-digits": Case(
        "PATCH",
        f"{DEPLOYMENTS}/target",
        _json(
            [
                {
                    "op": "replace",
                    "path": f"/spec/template/spec/containers/{_HUGE}/image",
                    "value": "x",
                }
            ]
        ),
        "application/json-patch+json",
        status=422,
    ),
    "merge-patch-replicas-2^31": Case(
        "PATCH",
        f"{DEPLOYMENTS}/target",
        _json({"spec": {"replicas": 2**31}}),
        "application/merge-patch+json",
        message=_INT32_ERR.format(2**31),
    ),
    # other bodies
    "binding-target-5": Case(
        "POST",
        f"{PODS}/bindme/binding",
        _json({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bindme"}, "target": 5}),
        message="json: cannot unmarshal number into Go struct field Binding.target of type "
        "v1.ObjectReference",
    ),
    "binary-data-not-base64": Case(
        "POST",
        CONFIGMAPS,
        _json(configmap("b64", binaryData={"k": "not base64!"})),
        message='ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data',
    ),
    "owner-references-without-fields": Case(
        "POST",
        CONFIGMAPS,
        _json({**configmap("owned"), "metadata": {"name": "owned", "ownerReferences": [{}]}}),
        status=422,
        message='metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
    ),
    "configmap-over-1mib": Case(
        "POST",
        CONFIGMAPS,
        _json(configmap("big", data={"k": "x" * (1024 * 1024 + 1)})),
        status=422,
        message="[]: Too long: may not be more than 1048576 bytes",
    ),
    # over etcd's 1.5 MiB request limit, under the apiserver's 3 MiB body limit: etcd's
    # error, passed through untyped by kube-apiserver (500, no reason)
    "object-over-etcd-limit": Case(
        "POST",
        PODS,
        _json(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "huge"},
                "spec": {
                    "containers": [{"name": "c", "image": "nginx", "args": ["x" * 1000] * 1700}]
                },
            }
        ),
        status=500,
        message="etcdserver: request is too large",
    ),
    "body-over-3mib": Case(
        "POST",
        CONFIGMAPS,
        _json(configmap("huge", data={"k": "x" * (3 * 1024 * 1024)})),
        status=413,
        message="Request entity too large: limit is 3145728",
    ),
    # the all-namespaces path of a namespaced kind serves only list and watch
    "delete-all-configmaps-cluster-path": Case(
        "DELETE",
        "/api/v1/configmaps",
        status=405,
        message="the server does not allow this method on the requested resource",
    ),
    "post-configmap-cluster-path": Case(
        "POST",
        "/api/v1/configmaps",
        _json(configmap("nowhere")),
        status=405,
        message="the server does not allow this method",
    ),
}


# -- fixtures and the run -------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start_kubesim(
        tmp_path_factory.mktemp("hostile"), extra_args=("--request-timeout", str(BODY_TIMEOUT))
    )
    yield cluster
    stop_kubesim(cluster)


@pytest.fixture(scope="module")
def http(hostile: Cluster) -> requests.Session:
    session = hostile.http_session()
    # the objects some cases act on
    for body, path in (
        (configmap("victim", data={"a": "b"}), CONFIGMAPS),
        (deployment(1, name="target"), DEPLOYMENTS),
        (
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "bindme"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
            PODS,
        ),
    ):
        r = session.post(hostile.url + path, json=body)
        assert r.status_code == 201, r.text
    return session


def send(http: requests.Session, case: Case) -> requests.Response:
    headers = {"Content-Type": case.content_type} if case.body else {}
    return http.request(
        case.method,
        http.base + case.path,
        params=case.query,
        data=case.body,  # type: ignore[attr-defined]
        headers=headers,
        timeout=60,
    )


@pytest.mark.parametrize("case", [pytest.param(c, id=name) for name, c in CASES.items()])
def test_hostile_request_gets_the_apiservers_answer(http: requests.Session, case: Case) -> None:
    started = time.monotonic()
    r = send(http, case)
    assert time.monotonic() - started < 10, "a hostile request must not cost seconds"
    assert r.status_code == case.status, r.text[:2000]
    if r.status_code >= 400:
        status = r.json()
        assert status["kind"] == "Status" and status["code"] == case.status
        assert case.message in status["message"], status["message"][:2000]
        assert r.content.endswith(b"}\n")  # Go's json.Encoder: one trailing newline


def test_after_the_table_kubesim_still_serves_and_logged_no_traceback(
    http: requests.Session, hostile: Cluster
) -> None:
    for case in CASES.values():
        send(http, case)
    assert http.get(http.base + "/readyz").text == "ok"  # type: ignore[attr-defined]
    runaway = http.get(http.base + DEPLOYMENTS + "/runaway")  # type: ignore[attr-defined]
    assert runaway.status_code == 404  # the runaway object never reached the store
    assert http.get(http.base + CONFIGMAPS + "/ts").json()["data"] == {"d": "2001-13-45"}  # type: ignore[attr-defined]
    unknown = http.get(http.base + CONFIGMAPS + "/unk").json()  # type: ignore[attr-defined]
    assert "x" not in unknown  # an unknown field is dropped, as Go's decoder drops it
    log = (hostile.state_dir / "kubesim.log").read_text()
    assert "Traceback" not in log, log[-4000:]
    assert "unexpected error" not in log, log[-4000:]


def _raw_exchange(hostile: Cluster, payload: bytes, *, wait: float = 5.0) -> bytes:
    host, port = hostile.url.removeprefix("https://").rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, int(port)), timeout=wait) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(payload)
        chunks = []
        try:
            while chunk := tls.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ssl.SSLError, ConnectionResetError):
            pass
        return b"".join(chunks)


@pytest.mark.parametrize(
    "request_line",
    [
        pytest.param(b"GET /api/v1 HTTP/1.1 extra\r\n", id="three-spaces"),
        pytest.param(b"\x00\x01\x02 / HTTP/1.1\r\n", id="binary-method"),
        pytest.param(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n", id="1mib-path"),
        pytest.param(b"GET / HTTP/9.9\r\n", id="bad-version"),
    ],
)
def test_bad_request_lines_get_400_and_no_traceback(hostile: Cluster, request_line: bytes) -> None:
    answer = _raw_exchange(hostile, request_line + b"Host: x\r\n\r\n")
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] in (b"400", b"414", b"505"), answer[:200]
    log = (hostile.state_dir / "kubesim.log").read_text()
    assert "Traceback" not in log, log[-4000:]


def test_a_body_that_never_finishes_is_answered_504_at_the_request_timeout(
    hostile: Cluster,
) -> None:
    """A POST that declares 100 bytes and sends 10 is not held: kube-apiserver's timeout
    filter answers 504 at --request-timeout and the connection is closed."""
    config = yaml.safe_load(hostile.kubeconfig.read_text())
    token = config["users"][0]["user"]["token"]
    head = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    started = time.monotonic()
    answer = _raw_exchange(hostile, head + b'{"apiVersi', wait=BODY_TIMEOUT + 10)
    took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 504"), answer[:300]
    assert b"Timeout: request did not complete within requested timeout" in answer
    assert BODY_TIMEOUT - 0.5 < took < BODY_TIMEOUT + 5


def test_a_watcher_hanging_up_is_logged_without_a_traceback(
    http: requests.Session, hostile: Cluster
) -> None:
    for _ in range(3):
        with http.get(
            http.base + CONFIGMAPS,  # type: ignore[attr-defined]
            params={"watch": "1", "timeoutSeconds": "30"},
            stream=True,
            timeout=10,
        ) as watch:
            next(watch.iter_lines())  # an event arrived: the stream is open
        # leaving the block closes the socket under the server's feet
    time.sleep(0.5)
    assert http.get(http.base + "/readyz").text == "ok"  # type: ignore[attr-defined]
    log = (hostile.state_dir / "kubesim.log").read_text()
    assert "Traceback" not in log, log[-4000:]


def test_status_bodies_are_byte_for_byte_kube_apiservers(http: requests.Session) -> None:
    r = http.get(http.base + CONFIGMAPS + "/nope")  # type: ignore[attr-defined]
    assert r.content == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"configmaps \\"nope\\" not found","reason":"NotFound",'
        b'"details":{"name":"nope","kind":"configmaps"},"code":404}\n'
    )


def test_the_root_ca_configmap_comes_back_when_deleted(http: requests.Session) -> None:
    """The root-CA publisher recreates kube-root-ca.crt in every live namespace."""
    url = http.base + CONFIGMAPS + "/kube-root-ca.crt"  # type: ignore[attr-defined]
    before = http.get(url).json()
    assert http.delete(url).status_code == 200
    after = http.get(url).json()
    assert after["data"] == before["data"]
    assert after["metadata"]["uid"] != before["metadata"]["uid"]


def test_silent_connections_are_closed_at_the_header_timeout(hostile: Cluster) -> None:
    """kube-apiserver's ReadHeaderTimeout (32 s, which in Go also bounds the TLS handshake):
    a connection that never handshakes, and one that never finishes its request head, are
    both closed then, not held open."""
    host, port = hostile.url.removeprefix("https://").rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    silent = socket.create_connection((host, int(port)), timeout=60)
    slow = context.wrap_socket(
        socket.create_connection((host, int(port)), timeout=60), server_hostname=host
    )
    slow.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")  # the head never ends
    started = time.monotonic()
    try:
        for conn in (silent, slow):
            try:
                while conn.recv(1024):
                    pass
            except (ssl.SSLError, ConnectionResetError):
                pass
        took = time.monotonic() - started
    finally:
        silent.close()
        slow.close()
    assert 25 < took < 40, took

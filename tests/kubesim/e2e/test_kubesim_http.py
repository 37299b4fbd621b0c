"""HTTP-level behaviour: auth, bad input never gives a 500 or a hang, concurrency, and
the Python client's typed and dynamic APIs against the same server."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml

from kubesim.core.clusterconfig import control_plane_ip

pytestmark = pytest.mark.kubesim


@pytest.fixture(scope="module")
def http(kubesim_cluster):
    config = yaml.safe_load(kubesim_cluster.kubeconfig.read_text())
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
    ca_path = kubesim_cluster.state_dir / "test-ca.crt"
    ca_path.write_bytes(ca)
    session = requests.Session()
    session.verify = str(ca_path)
    session.trust_env = False
    session.headers["Authorization"] = "Bearer " + config["users"][0]["user"]["token"]
    session.base = kubesim_cluster.url  # type: ignore[attr-defined]
    return session


def url(http, path: str) -> str:
    return http.base + path


def test_requests_without_a_token_are_anonymous_and_forbidden(http) -> None:
    """kind runs with anonymous auth on: no credentials is system:anonymous, which RBAC
    lets read only the public info (health, /version), as on a real cluster."""
    r = requests.get(url(http, "/api/v1/namespaces"), verify=http.verify)
    assert r.status_code == 403
    assert r.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'namespaces is forbidden: User "system:anonymous" cannot list resource '
        '"namespaces" in API group "" at the cluster scope',
        "reason": "Forbidden",
        "details": {"kind": "namespaces"},
        "code": 403,
    }
    r = requests.get(url(http, "/api"), verify=http.verify)
    assert (r.status_code, r.json()["message"]) == (
        403,
        'forbidden: User "system:anonymous" cannot get path "/api"',
    )
    assert requests.get(url(http, "/version"), verify=http.verify).status_code == 200


def test_requests_with_an_unknown_token_get_401_status(http) -> None:
    r = requests.get(
        url(http, "/api/v1/namespaces"),
        verify=http.verify,
        headers={"Authorization": "Bearer not-a-token-of-this-cluster"},
    )
    assert r.status_code == 401
    assert r.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_health_endpoints_answer_anonymously(http) -> None:
    for path in ("/healthz", "/readyz", "/livez"):
        r = requests.get(url(http, path), verify=http.verify)
        assert (r.status_code, r.text) == (200, "ok")


def test_openapi_v2_is_an_empty_protobuf_document_and_v3_index_lists_group_versions(http) -> None:
    assert http.get(url(http, "/openapi/v2")).status_code == 404  # JSON: kubectl never asks
    v2 = http.get(
        url(http, "/openapi/v2"),
        headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"},
    )
    assert v2.status_code == 200
    assert (
        v2.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    )
    # swagger "2.0" (field 1), info {title, version} (field 2), and no definitions
    assert v2.content == b"\n\x032.0\x12\x15\n\nKubernetes\x12\x07v1.37.0"
    paths = http.get(url(http, "/openapi/v3")).json()["paths"]
    assert "apis/apps/v1" in paths and "api/v1" in paths


def test_every_response_carries_the_api_servers_filter_headers(http) -> None:
    """kube-apiserver's handler chain: an Audit-Id per request (the client's own if sent),
    `Cache-Control: no-cache, private`, and no Server header (Go's net/http sends none)."""
    ids = set()
    for path in ("/api/v1/namespaces", "/healthz", "/api/v1/namespaces/default/pods/nope"):
        r = http.get(url(http, path))
        assert "Server" not in r.headers, (path, r.headers)
        assert r.headers["Cache-Control"] == "no-cache, private"
        ids.add(str(uuid.UUID(r.headers["Audit-Id"])))
    assert len(ids) == 3
    mine = str(uuid.uuid4())
    assert http.get(url(http, "/version"), headers={"Audit-ID": mine}).headers["Audit-Id"] == mine


def test_openapi_v3_documents_are_served_as_hashed_and_cacheable(http) -> None:
    """What lets kubectl's HTTP cache keep a document: the bytes at a hashed URL are the ones
    hashed (api/v1 has non-ASCII text), immutable; a stale hash redirects; ETags give 304."""
    index = http.get(url(http, "/openapi/v3"))
    assert index.headers["Etag"] == f'"{hashlib.sha512(index.content).hexdigest().upper()}"'
    assert http.get(
        url(http, "/openapi/v3"), headers={"If-None-Match": index.headers["Etag"]}
    ).status_code == 304  # fmt: skip
    for gv in ("api/v1", "apis/apps/v1"):
        hashed = index.json()["paths"][gv]["serverRelativeURL"]
        doc = http.get(url(http, hashed), headers={"Accept": "application/json"})
        assert doc.status_code == 200
        assert hashed.endswith("?hash=" + hashlib.sha512(doc.content).hexdigest().upper())
        assert doc.headers["Cache-Control"] == "public, immutable"
        assert doc.headers["Vary"] == "Accept"
        assert doc.json()["openapi"].startswith("3.")
        stale = http.get(url(http, f"/openapi/v3/{gv}?hash=0BAD"), allow_redirects=False)
        assert (stale.status_code, stale.headers["Location"]) == (301, hashed)
        plain = http.get(
            url(http, f"/openapi/v3/{gv}"), headers={"If-None-Match": doc.headers["Etag"]}
        )
        assert (plain.status_code, plain.content) == (304, b"")


def test_aggregated_discovery_answers_with_the_exact_content_type(http) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    r = http.get(url(http, "/apis"), headers={"Accept": accept})
    assert r.headers["Content-Type"] == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    assert r.json()["kind"] == "APIGroupDiscoveryList"
    legacy = http.get(url(http, "/apis")).json()
    assert legacy["kind"] == "APIGroupList"


def test_legacy_resource_list_includes_subresources(http) -> None:
    names = {r["name"]: r for r in http.get(url(http, "/api/v1")).json()["resources"]}
    assert names["pods/eviction"]["kind"] == "Eviction"
    assert names["pods/log"]["verbs"] == ["get"]
    assert names["pods/exec"] == {
        "name": "pods/exec",
        "singularName": "",
        "namespaced": True,
        "kind": "PodExecOptions",
        "verbs": ["create", "get"],
    }
    assert names["pods/portforward"]["kind"] == "PodPortForwardOptions"
    scale = {r["name"]: r for r in http.get(url(http, "/apis/apps/v1")).json()["resources"]}
    assert scale["deployments/scale"]["group"] == "autoscaling"


BAD_INPUTS = [
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b'{"metadata": {',
        "application/json",
        400,
        id="truncated-json",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"{'single': 1}",
        "application/json",
        400,
        id="bad-json-quote",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"a: [unclosed\n b",
        "application/yaml",
        400,
        id="bad-yaml",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"[1,2]",
        "application/json",
        400,
        id="json-array",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"",
        "application/json",
        400,
        id="empty-body",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b'{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}',
        "application/json",
        400,
        id="wrong-api-version",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}',
        "application/json",
        400,
        id="wrong-kind",
    ),
    pytest.param(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"x",
        "text/plain",
        415,
        id="unknown-media-type",
    ),
    pytest.param("GET", "/api/v1/widgets", b"", None, 404, id="unknown-resource"),
    pytest.param("GET", "/apis/nope.example.com/v1/things", b"", None, 404, id="unknown-group"),
    pytest.param(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
        b"{}",
        "text/plain",
        415,
        id="unknown-patch-type",
    ),
    pytest.param(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
        b"[{",
        "application/json-patch+json",
        400,
        id="bad-json-patch",
    ),
    pytest.param(
        "GET", "/api/v1/pods?labelSelector=a%20in%20b", b"", None, 400, id="bad-label-selector"
    ),
    pytest.param(
        "GET",
        "/api/v1/pods?fieldSelector=spec.foo%3D1",
        b"",
        None,
        400,
        id="unsupported-field-selector",
    ),
    pytest.param("GET", "/api/v1/pods?limit=abc", b"", None, 400, id="bad-limit"),
    pytest.param(
        "GET", "/api/v1/pods?watch=true&resourceVersion=x", b"", None, 400, id="bad-watch-rv"
    ),
    pytest.param(
        "PUT",
        "/api/v1/namespaces/default/configmaps/other",
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}',
        "application/json",
        400,
        id="name-mismatch",
    ),
]


@pytest.mark.parametrize("method, path, body, content_type, code", BAD_INPUTS)
def test_bad_requests_get_a_real_status_never_a_500(
    http, method, path, body, content_type, code
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = http.request(method, url(http, path), data=body, headers=headers, timeout=10)
    assert r.status_code == code, r.text
    status = r.json()
    assert status["kind"] == "Status" and status["code"] == code and status["message"]


def test_malformed_json_is_worded_like_the_apiserver(http) -> None:
    r = http.post(
        url(http, "/api/v1/namespaces/default/configmaps"),
        data=b'{"metadata": {',
        headers={"Content-Type": "application/json"},
    )
    assert r.json()["message"] == (
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get "
        'version/kind; json parse error: unexpected end of JSON input ({"metadata": {)'
    )


def test_oversized_body_is_413(http) -> None:
    big = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "big"},
            "data": {"x": "y" * (3 * 1024 * 1024 + 10)},
        }
    ).encode()
    r = http.post(
        url(http, "/api/v1/namespaces/default/configmaps"),
        data=big,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["message"] == "Request entity too large: limit is 3145728"


def test_unknown_field_strict_is_400_with_the_decoder_text(http) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "strict"},
        "datta": {"a": "b"},
    }
    r = http.post(
        url(http, "/api/v1/namespaces/default/configmaps?fieldValidation=Strict"), json=body
    )
    assert r.status_code == 400
    assert 'unknown field "datta"' in r.json()["message"]


def test_parallel_read_modify_write_loses_no_update(http) -> None:
    """20 clients each add 5 to a counter with GET + PUT, retrying on 409."""
    base = url(http, "/api/v1/namespaces/default/configmaps")
    http.post(
        base,
        json={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "counter"},
            "data": {"n": "0"},
        },
    )
    conflicts = []

    def worker(_: int) -> int:
        done = 0
        while done < 5:
            obj = http.get(base + "/counter").json()
            obj["data"]["n"] = str(int(obj["data"]["n"]) + 1)
            r = http.put(base + "/counter", json=obj)
            if r.status_code == 409:
                assert r.json()["reason"] == "Conflict"
                conflicts.append(1)
                continue
            assert r.status_code == 200, r.text
            done += 1
        return done

    with ThreadPoolExecutor(max_workers=20) as pool:
        total = sum(pool.map(worker, range(20)))
    final = http.get(base + "/counter").json()
    assert total == 100
    assert final["data"]["n"] == "100"


def test_python_client_typed_and_dynamic_apis(kubesim_cluster) -> None:
    from kubernetes import client, config, dynamic

    api_client = config.new_client_from_config(config_file=str(kubesim_cluster.kubeconfig))
    core = client.CoreV1Api(api_client)
    names = [n.metadata.name for n in core.list_namespace().items if n.metadata]
    assert "kube-system" in names
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="typed"), data={"a": "1"})
    created = core.create_namespaced_config_map("default", cm)
    assert created.metadata and created.metadata.uid and created.data == {"a": "1"}
    apps = client.AppsV1Api(api_client)
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="typed-web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "typed-web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "typed-web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]),
            ),
        ),
    )
    apps.create_namespaced_deployment("default", dep)
    scaled = apps.patch_namespaced_deployment_scale(
        "typed-web", "default", {"spec": {"replicas": 3}}
    )
    assert scaled.spec and scaled.spec.replicas == 3
    version = client.VersionApi(api_client).get_code()
    assert version.git_version == "v1.37.0-kubesim"
    dyn = dynamic.DynamicClient(api_client)
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    got = deployments.get(name="typed-web", namespace="default")
    assert got.spec.replicas == 3
    with pytest.raises(Exception) as caught:
        core.read_namespaced_config_map("missing", "default")  # (name, namespace)
    assert getattr(caught.value, "status", None) == 404


def test_python_client_watch_streams_events(kubesim_cluster) -> None:
    from kubernetes import client, config, watch

    api_client = config.new_client_from_config(config_file=str(kubesim_cluster.kubeconfig))
    core = client.CoreV1Api(api_client)
    listing = core.list_namespaced_config_map("default")
    rv = listing.metadata.resource_version if listing.metadata else None
    core.create_namespaced_config_map(
        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="watched"))
    )
    seen = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=5
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if event["object"].metadata.name == "watched":
            break
    assert ("ADDED", "watched") in seen


def test_curl_and_pretty_get_indented_json_and_clients_get_it_compact(http) -> None:
    """isPrettyPrint: `curl http://localhost:8001/...` through kubectl proxy reads indented,
    as do `?pretty=true` and browsers; clients (the official one, kubectl) get compact JSON.
    /version is always indented."""
    path = url(http, "/api/v1/namespaces/default")
    compact = http.get(path, headers={"User-Agent": "OpenAPI-Generator/35.0.0/python"}).text
    assert compact.endswith("}\n") and "\n" not in compact[:-1]
    curl = http.get(path, headers={"User-Agent": "curl/8.18.0"}).text
    assert curl.startswith('{\n  "kind": "Namespace",\n  "apiVersion": "v1",\n  "metadata": {\n')
    assert curl.endswith("\n}\n") and json.loads(curl) == json.loads(compact)
    asked = http.get(path + "?pretty=true", headers={"User-Agent": "kubectl/v1.37.0"}).text
    assert asked == curl
    refused = http.get(path + "?pretty=false", headers={"User-Agent": "curl/8.18.0"}).text
    assert refused == compact
    missing = http.get(url(http, "/api/v1/namespaces/nosuch"), headers={"User-Agent": "Wget"})
    assert missing.status_code == 404 and missing.text.startswith('{\n  "kind": "Status",')
    version = http.get(url(http, "/version"), headers={"User-Agent": "python-requests"}).text
    assert version.startswith('{\n  "major": "1",\n') and version.endswith("\n}")


CRONTAB = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "rootpaths.stable.example.com"},
    "spec": {
        "group": "stable.example.com",
        "scope": "Namespaced",
        "names": {"plural": "rootpaths", "singular": "rootpath", "kind": "RootPath"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object"}},
            }
        ],
    },
}


def test_the_root_lists_every_path_and_each_answers(http) -> None:
    """`curl localhost:8001/` through kubectl proxy (Access Clusters Using the Kubernetes
    API): metav1.RootPaths, indented as WriteRawJSON writes it, sorted, with each group's
    APIService paths (a custom resource's group too) and each health check. Every path
    listed is served; a user RBAC does not let get `/` is refused."""
    crds = url(http, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    assert http.post(crds, json=CRONTAB).status_code == 201
    try:
        answer = http.get(url(http, "/"), headers={"User-Agent": "curl/8.18.0"})
        assert answer.status_code == 200
        assert answer.text.startswith('{\n  "paths": [\n    "/api",\n    "/api/v1",\n')
        paths = answer.json()["paths"]
        assert paths == sorted(paths)
        for path in (
            "/apis/", "/apis/apps/v1", "/apis/autoscaling/v2", "/apis/stable.example.com",
            "/apis/stable.example.com/v1", "/healthz/etcd", "/livez/ping", "/readyz/shutdown",
            "/openapi/v3", "/version",
        ):  # fmt: skip
            assert path in paths
        for path in paths:
            assert http.get(url(http, path)).status_code == 200, path
    finally:
        http.delete(crds + "/rootpaths.stable.example.com")
    anonymous = requests.get(url(http, "/"), verify=http.verify)
    assert (anonymous.status_code, anonymous.json()["message"]) == (
        403,
        'forbidden: User "system:anonymous" cannot get path "/"',
    )


def test_api_names_the_advertise_address_not_the_hosts_port(http) -> None:
    """kube-apiserver's /api gives its advertise address (on kind the control-plane node's
    IP and 6443, what the `kubernetes` EndpointSlice says), whatever port the kubeconfig
    reaches it through."""
    versions = http.get(url(http, "/api")).json()
    assert versions["serverAddressByClientCIDRs"] == [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{control_plane_ip()}:6443"}
    ]

"""The real kubectl (venv binary, v1.37) against a kubesim process: what a learner sees.

Each test works in its own namespace. Commands that need the controllers (rollout
status/history/undo, logs of running pods, top with data, drain of running pods) are
covered in tests/scenarios, which run the whole cluster.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.kubesim
EXAMPLES = (
    Path(__file__).resolve().parents[2] / "data" / "k8s-examples"
)  # copied from shared/ (CC BY 4.0)
_counter = itertools.count()

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
"""


@pytest.fixture
def ns(kubesim_cluster) -> str:
    name = f"t{next(_counter)}-{int(time.time() * 1000) % 100000}"
    kubesim_cluster.kubectl(
        "create", "-f", "-", input=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    )
    return name


def test_version_says_the_server_is_kubesim(kubectl) -> None:
    out = kubectl("version", "-o", "json").stdout
    server = json.loads(out)["serverVersion"]
    assert server["gitVersion"] == "v1.37.0-kubesim"
    assert (server["major"], server["minor"]) == ("1", "37")


def test_api_resources_lists_kinds_short_names_and_groups(kubectl) -> None:
    out = kubectl("api-resources").stdout
    rows = [line.split() for line in out.splitlines()[1:]]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in rows
    assert ["nodes", "no", "v1", "false", "Node"] in rows
    assert "pods" in out and "horizontalpodautoscalers" in out


def test_get_namespaces_prints_the_real_columns(kubectl) -> None:
    out = kubectl("get", "ns").stdout.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "AGE"]
    assert any(line.split()[:2] == ["default", "Active"] for line in out)


def test_apply_creates_then_configures_then_leaves_unchanged(kubectl, ns, tmp_path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(DEPLOYMENT)
    assert kubectl("apply", "-n", ns, "-f", str(path)).stdout.strip() == (
        "deployment.apps/web created"
    )
    assert kubectl("apply", "-n", ns, "-f", str(path)).stdout.strip() == (
        "deployment.apps/web unchanged"
    )
    path.write_text(DEPLOYMENT.replace("replicas: 2", "replicas: 4"))
    assert kubectl("apply", "-n", ns, "-f", str(path)).stdout.strip() == (
        "deployment.apps/web configured"
    )
    spec = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert spec["spec"]["replicas"] == 4
    assert spec["metadata"]["generation"] == 2
    assert spec["spec"]["strategy"]["type"] == "RollingUpdate"


def test_apply_server_side_and_a_directory(kubectl, ns, tmp_path) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOYMENT)
    (tmp_path / "b.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"
    )
    out = kubectl("apply", "--server-side", "-n", ns, "-f", str(tmp_path)).stdout
    assert "deployment.apps/web serverside-applied" in out
    assert "configmap/settings serverside-applied" in out
    cm = json.loads(
        kubectl("get", "cm", "settings", "-n", ns, "-o", "json", "--show-managed-fields").stdout
    )
    managers = {m["manager"] for m in cm["metadata"]["managedFields"]}
    assert "kubectl" in managers


def test_apply_server_side_of_an_unknown_field_fails_as_a_real_server_says(kubectl, ns) -> None:
    typo = DEPLOYMENT.replace(
        "        image: nginx:1.27\n",
        "        image: nginx:1.27\n        imagePullPolicyy: Always\n",
    )
    assert typo != DEPLOYMENT
    out = kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=typo, check=False)
    assert out.returncode == 1
    assert out.stderr == (
        f"Error from server: failed to create typed patch object ({ns}/web; apps/v1, "
        'Kind=Deployment): .spec.template.spec.containers[name="web"].imagePullPolicyy: '
        "field not declared in schema\n"
    )
    assert kubectl("get", "deploy", "-n", ns, "-o", "name").stdout == ""


def test_reading_endpoints_warns_that_the_api_is_deprecated(kubectl, ns) -> None:
    out = kubectl("get", "endpoints", "kubernetes", "-n", "default", "-o", "name")
    assert out.stdout.strip() == "endpoints/kubernetes"
    assert out.stderr == (
        "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"
    )
    slices = kubectl("get", "endpointslices", "-n", ns, "-o", "name")
    assert slices.stderr == ""


@pytest.mark.parametrize(
    "api_version, kind",
    [("apps/v1", "Deploymnet"), ("apps/v9", "Deployment"), ("example.com/v1", "Widget")],
)
def test_apply_of_an_unknown_kind_says_what_kubectl_says_on_a_real_cluster(
    kubectl, ns, api_version, kind
) -> None:
    doc = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: web\n"
    out = kubectl("apply", "-n", ns, "-f", "-", input=doc, check=False)
    assert out.returncode == 1
    assert out.stderr == (
        'error: resource mapping not found for name: "web" namespace: "" from "STDIN": '
        f'no matches for kind "{kind}" in version "{api_version}"\n'
        "ensure CRDs are installed first\n"
    )


def test_a_claim_without_a_class_gets_kinds_default_class(kubectl, ns) -> None:
    claim = (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {name}\nspec:\n"
        "  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n{extra}"
    )
    kubectl("apply", "-n", ns, "-f", "-", input=claim.format(name="data", extra=""))
    kubectl(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=claim.format(name="static", extra='  storageClassName: ""\n'),
    )
    classes = kubectl(
        "get",
        "pvc",
        "-n",
        ns,
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.spec.storageClassName};{end}",
    ).stdout
    assert classes == "data=standard;static=;"


def test_get_output_formats(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    assert kubectl("get", "deploy", "-n", ns, "-o", "name").stdout.strip() == (
        "deployment.apps/web"
    )
    assert (
        kubectl(
            "get",
            "deploy",
            "web",
            "-n",
            ns,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ).stdout
        == "nginx:1.27"
    )
    wide = kubectl("get", "deploy", "-n", ns, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert wide[1].split()[5:] == ["web", "nginx:1.27", "app=web"]
    doc = yaml.safe_load(kubectl("get", "deploy", "web", "-n", ns, "-o", "yaml").stdout)
    assert doc["kind"] == "Deployment" and doc["metadata"]["namespace"] == ns
    cols = kubectl(
        "get",
        "deploy",
        "-n",
        ns,
        "-o",
        "custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas",
    ).stdout
    assert cols.splitlines()[1].split() == ["web", "2"]


def test_selectors_all_namespaces_and_sort_by(kubectl, ns) -> None:
    for name, tier in (("b", "back"), ("a", "front"), ("c", "front")):
        kubectl(
            "create",
            "-n",
            ns,
            "-f",
            "-",
            input=(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels:\n"
                f"    tier: {tier}\n"
            ),
        )
    front = kubectl("get", "cm", "-n", ns, "-l", "tier=front", "-o", "name").stdout.split()
    assert front == ["configmap/a", "configmap/c"]
    notin = kubectl("get", "cm", "-n", ns, "-l", "tier,tier notin (front)", "-o", "name").stdout
    assert notin.split() == ["configmap/b"]
    by_field = kubectl(
        "get", "cm", "-n", ns, "--field-selector", "metadata.name=c", "-o", "name"
    ).stdout.split()
    assert by_field == ["configmap/c"]
    everywhere = kubectl("get", "cm", "-A", "-l", "tier").stdout
    assert everywhere.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert everywhere.count(ns) == 3
    names = kubectl(
        "get", "cm", "-n", ns, "-l", "tier", "--sort-by=.metadata.labels.tier", "-o", "name"
    ).stdout.split()
    assert names[0] == "configmap/b"


def test_label_annotate_scale_and_set_image(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    assert "labeled" in kubectl("label", "deploy", "web", "-n", ns, "tier=front").stdout
    assert "annotated" in kubectl("annotate", "deploy", "web", "-n", ns, "owner=me").stdout
    assert "scaled" in kubectl("scale", "deploy", "web", "-n", ns, "--replicas=5").stdout
    assert (
        "image updated" in kubectl("set", "image", "deploy/web", "-n", ns, "web=nginx:1.28").stdout
    )
    kubectl("set", "resources", "deploy/web", "-n", ns, "--requests=cpu=100m,memory=64Mi")
    obj = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert obj["metadata"]["labels"]["tier"] == "front"
    assert obj["metadata"]["annotations"]["owner"] == "me"
    assert obj["spec"]["replicas"] == 5
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.28"
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    kubectl("label", "deploy", "web", "-n", ns, "tier-")
    obj = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert "tier" not in obj["metadata"]["labels"]
    # the scale subresource prints printScale's columns (Update API Objects in Place)
    scale = kubectl("get", "deploy", "web", "-n", ns, "--subresource=scale").stdout.splitlines()
    assert scale[0].split() == ["NAME", "DESIRED", "AVAILABLE", "AGE"]
    assert scale[1].split()[:2] == ["web", "5"]
    patched = kubectl(
        "patch", "deploy", "web", "-n", ns, "--subresource=scale", "--type=merge",
        "-p", '{"spec":{"replicas":2}}',
    )  # fmt: skip
    assert patched.stdout.strip() == "scale.autoscaling/web patched"  # as the page shows
    scale = kubectl("get", "deploy", "web", "-n", ns, "--subresource=scale").stdout.splitlines()
    assert scale[1].split()[:2] == ["web", "2"]


@pytest.mark.parametrize(
    "kind, patch, expect",
    [
        pytest.param("merge", '{"data":{"b":"2"}}', {"a": "1", "b": "2"}, id="merge"),
        pytest.param("strategic", '{"data":{"a":null}}', {}, id="strategic"),
        pytest.param(
            "json", '[{"op":"replace","path":"/data/a","value":"9"}]', {"a": "9"}, id="json"
        ),
    ],
)
def test_patch_types(kubectl, ns, kind, patch, expect) -> None:
    kubectl(
        "create",
        "-n",
        ns,
        "-f",
        "-",
        input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\ndata:\n  a: '1'\n",
    )
    kubectl("patch", "cm", "p", "-n", ns, "--type", kind, "-p", patch)
    data = json.loads(kubectl("get", "cm", "p", "-n", ns, "-o", "json").stdout).get("data", {})
    assert data == expect


def test_run_expose_and_delete_by_label(kubectl, ns) -> None:
    assert (
        kubectl("run", "solo", "-n", ns, "--image=nginx", "--labels=app=solo").stdout.strip()
        == "pod/solo created"
    )
    pods = kubectl("get", "pods", "-n", ns).stdout.splitlines()
    assert pods[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert pods[1].split()[:3] == ["solo", "0/1", "Pending"]
    kubectl("expose", "pod", "solo", "-n", ns, "--port=80")
    svc = json.loads(kubectl("get", "svc", "solo", "-n", ns, "-o", "json").stdout)
    assert svc["spec"]["clusterIP"].startswith("10.96.")
    assert svc["spec"]["selector"] == {"app": "solo"}
    out = kubectl("delete", "pods", "-n", ns, "-l", "app=solo").stdout
    assert out.strip() == f'pod "solo" deleted from {ns} namespace'
    assert "No resources found" in kubectl("get", "pods", "-n", ns).stderr


def test_delete_a_deployment_waits_and_reports(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    out = kubectl("delete", "deploy", "web", "-n", ns, "--cascade=foreground", timeout=30)
    assert out.stdout.strip() == f'deployment.apps "web" deleted from {ns} namespace'
    missing = kubectl("get", "deploy", "web", "-n", ns, check=False)
    assert missing.returncode == 1
    assert (
        missing.stderr.strip() == 'Error from server (NotFound): deployments.apps "web" not found'
    )


def test_wait_for_jsonpath_and_for_delete(kubectl, ns) -> None:
    kubectl(
        "create",
        "-n",
        ns,
        "-f",
        "-",
        input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\ndata:\n  ready: 'yes'\n",
    )
    out = kubectl("wait", "cm/w", "-n", ns, "--for=jsonpath={.data.ready}=yes", "--timeout=10s")
    assert out.stdout.strip() == "configmap/w condition met"
    kubectl("delete", "cm", "w", "-n", ns)
    kubectl("wait", "cm/w", "-n", ns, "--for=delete", "--timeout=10s", check=False)


def test_get_watch_streams_new_objects(kubesim_cluster, ns) -> None:
    proc = subprocess.Popen(
        [
            kubesim_cluster.kubectl_binary,
            "--kubeconfig",
            str(kubesim_cluster.kubeconfig),
            "get",
            "cm",
            "-n",
            ns,
            "-w",
            "--output-watch-events",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kubesim_cluster.env,
    )
    try:
        assert proc.stdout is not None
        time.sleep(0.5)
        kubesim_cluster.kubectl(
            "create",
            "-n",
            ns,
            "-f",
            "-",
            input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: live\n",
        )
        seen = ""
        deadline = time.monotonic() + 10
        while "live" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "ADDED" in seen and "live" in seen
    finally:
        proc.kill()
        proc.wait()


def test_explain_reads_the_openapi_schema(kubectl) -> None:
    out = kubectl("explain", "deployment.spec.replicas").stdout
    assert "KIND:       Deployment" in out
    assert "FIELD: replicas <integer>" in out


def test_raw_paths_version_and_service_proxy_without_endpoints(kubectl, ns) -> None:
    version = json.loads(kubectl("get", "--raw", "/version").stdout)
    assert version["gitVersion"].endswith("-kubesim")
    kubectl(
        "create",
        "-n",
        ns,
        "-f",
        "-",
        input=(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector:\n"
            "    app: api\n  ports:\n  - port: 80\n"
        ),
    )
    proxied = kubectl(
        "get", "--raw", f"/api/v1/namespaces/{ns}/services/api:80/proxy/healthz", check=False
    )
    assert proxied.returncode == 1
    assert (
        'no endpoints available for service \\"api\\"' in proxied.stderr
        or 'no endpoints available for service "api"' in proxied.stderr
    )


def test_logs_of_a_pod_that_never_started(kubectl, ns) -> None:
    kubectl("run", "idle", "-n", ns, "--image=nginx")
    out = kubectl("logs", "idle", "-n", ns, check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        'Error from server (BadRequest): container "idle" in pod "idle" is waiting to start: '
        "ContainerCreating"
    )


def test_events_both_views(kubectl, ns) -> None:
    kubectl(
        "create",
        "-n",
        ns,
        "-f",
        "-",
        input=(
            "apiVersion: v1\nkind: Event\nmetadata:\n  name: e1\ninvolvedObject:\n  kind: Pod\n"
            f"  name: x\n  namespace: {ns}\nreason: Testing\nmessage: hello there\ntype: Normal\n"
        ),
    )
    out = kubectl("events", "-n", ns).stdout
    assert "Testing" in out and "hello there" in out
    v1 = json.loads(kubectl("get", "events.events.k8s.io", "e1", "-n", ns, "-o", "json").stdout)
    assert v1["note"] == "hello there" and v1["regarding"]["name"] == "x"


def test_unknown_field_is_refused_under_strict_validation(kubectl, ns) -> None:
    bad = DEPLOYMENT.replace("replicas: 2", "replicas: 2\n  replicaz: 3")
    out = kubectl("apply", "-n", ns, "-f", "-", input=bad, check=False)
    assert out.returncode == 1
    assert 'unknown field "spec.replicaz"' in out.stderr


EXAMPLE_FILES = sorted(
    p for p in EXAMPLES.glob("*.yaml") if "pod-single-secret-env-variable" not in p.name
)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_kubernetes_documentation_examples_apply_unchanged(kubectl, ns, path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    fixed_ns = any(d.get("metadata", {}).get("namespace") for d in docs)
    args = ["apply", "-f", str(path)] + ([] if fixed_ns else ["-n", ns])
    out = kubectl(*args).stdout
    assert all(word in out for word in ("created",)) or "configured" in out or "unchanged" in out


def test_manifest_without_api_version_is_refused(kubectl, ns) -> None:
    path = EXAMPLES / "pods__inject__pod-single-secret-env-variable.yaml"
    out = kubectl("apply", "-n", ns, "-f", str(path), check=False)
    assert out.returncode == 1
    assert "apiVersion not set" in out.stderr


def test_create_subcommands_sent_as_protobuf(kubectl) -> None:
    name = f"pb{next(_counter)}"
    assert kubectl("create", "namespace", name).stdout.strip() == f"namespace/{name} created"
    out = kubectl(
        "create", "deployment", "web", "-n", name, "--image=nginx:1.27", "--replicas=3", "--port=80"
    ).stdout
    assert out.strip() == "deployment.apps/web created"
    dep = json.loads(kubectl("get", "deploy", "web", "-n", name, "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert "paused" not in dep["spec"] and "stdin" not in container
    kubectl("create", "configmap", "cfg", "-n", name, "--from-literal=mode=fast")
    kubectl("create", "secret", "generic", "pw", "-n", name, "--from-literal=token=s3cret")
    secret = json.loads(kubectl("get", "secret", "pw", "-n", name, "-o", "json").stdout)
    assert secret["type"] == "Opaque" and secret["data"] == {"token": "czNjcmV0"}
    cm = json.loads(kubectl("get", "cm", "cfg", "-n", name, "-o", "json").stdout)
    assert cm["data"] == {"mode": "fast"}


def test_autoscale_creates_an_hpa(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    out = kubectl("autoscale", "deploy", "web", "-n", ns, "--min=2", "--max=5", "--cpu=60%")
    assert out.stdout.strip() == "horizontalpodautoscaler.autoscaling/web autoscaled"
    hpa = json.loads(kubectl("get", "hpa", "web", "-n", ns, "-o", "json").stdout)
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 5
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
    }


def test_auth_whoami_names_kinds_admin_user_or_the_impersonated_one(kubectl) -> None:
    rows = [line.split(None, 1) for line in kubectl("auth", "whoami").stdout.splitlines()]
    assert rows == [
        ["ATTRIBUTE", "VALUE"],
        ["Username", "kubernetes-admin"],
        ["Groups", "[kubeadm:cluster-admins system:authenticated]"],
    ]
    out = kubectl("auth", "whoami", "--as", "jane", "--as-group", "devs", "-o", "json").stdout
    assert json.loads(out)["status"]["userInfo"] == {
        "username": "jane",
        "groups": ["devs", "system:authenticated"],
    }


def test_auth_can_i_says_yes_for_the_lab_admin(kubectl) -> None:
    assert kubectl("auth", "can-i", "create", "deployments").stdout.strip() == "yes"
    assert kubectl("auth", "can-i", "*", "*", "-A").stdout.strip() == "yes"


def test_cordon_drain_uncordon_a_node(kubectl, ns) -> None:
    node = f"node-{next(_counter)}"
    kubectl("create", "-f", "-", input=f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {node}\n")
    kubectl(
        "create",
        "-n",
        ns,
        "-f",
        "-",
        input=(
            f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  nodeName: {node}\n"
            "  containers:\n  - name: c\n    image: nginx\n"
        ),
    )
    assert kubectl("cordon", node).stdout.strip() == f"node/{node} cordoned"
    spec = json.loads(kubectl("get", "node", node, "-o", "json").stdout)["spec"]
    assert spec["unschedulable"] is True
    out = kubectl("drain", node, "--force", "--ignore-daemonsets", "--timeout=20s").stdout
    assert "pod/bare evicted" in out and f"node/{node} drained" in out
    assert "No resources found" in kubectl("get", "pods", "-n", ns).stderr
    assert kubectl("uncordon", node).stdout.strip() == f"node/{node} uncordoned"


def test_describe_deployment_shows_its_fields(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    out = kubectl("describe", "deploy", "web", "-n", ns).stdout
    assert "Name:                   web" in out
    assert "Replicas:               2 desired" in out
    assert "StrategyType:           RollingUpdate" in out


def test_top_without_a_metrics_source_reports_no_data(kubectl, ns) -> None:
    """metrics.k8s.io is served (discovery lists it) but the default source is empty, as
    right after metrics-server starts; the kubelet supplies real numbers."""
    pods = kubectl("top", "pods", "-n", ns, check=False)
    assert pods.returncode == 0
    assert pods.stderr.strip() == f"No resources found in {ns} namespace."
    nodes = kubectl("top", "nodes", check=False)
    assert nodes.returncode == 1
    assert nodes.stderr.strip() == "error: metrics not available yet"


def test_rollout_pause_resume_restart_edit_the_deployment(kubectl, ns) -> None:
    """These are patches; history/undo/status need the deployment controller."""
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    assert kubectl("rollout", "pause", "deploy/web", "-n", ns).stdout.strip() == (
        "deployment.apps/web paused"
    )
    assert (
        json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)["spec"]["paused"]
        is True
    )
    kubectl("rollout", "resume", "deploy/web", "-n", ns)
    kubectl("rollout", "restart", "deploy/web", "-n", ns)
    dep = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert "paused" not in dep["spec"] or dep["spec"]["paused"] is False
    annotations = dep["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    assert dep["metadata"]["generation"] == 4


def test_server_side_apply_conflict_is_reported_like_kubernetes(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    kubectl("scale", "deploy", "web", "-n", ns, "--replicas=3")
    out = kubectl(
        "apply",
        "--server-side",
        "-n",
        ns,
        "-f",
        "-",
        input=DEPLOYMENT.replace("replicas: 2", "replicas: 7"),
        check=False,
    )
    assert out.returncode == 1
    # apimachinery's printManager: an Update manager on a subresource reads
    # `"kubectl" with subresource "scale" using apps/v1` (kubectl scale writes .../scale)
    assert out.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
        "using apps/v1: .spec.replicas\n"
    )
    forced = kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "-n",
        ns,
        "-f",
        "-",
        input=DEPLOYMENT.replace("replicas: 2", "replicas: 7"),
    )
    assert "serverside-applied" in forced.stdout

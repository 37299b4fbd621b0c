"""The docs' task "Extend the Kubernetes API with CustomResourceDefinitions", step by step
through kubectl: the CronTab CRD established, a CronTab created, listed by its plural and
short name, shown as YAML; the validation example refused in kube-openapi's words and
unknown fields refused (kubectl's strict validation) or pruned (`--validate=false`);
defaults; additionalPrinterColumns and the `all` category; the status and scale
subresources; deleting the CRD deletes its CronTabs, and the API stops serving them.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from scenario_kubectl import Lab

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                cronSpec:
                  type: string
                image:
                  type: string
                replicas:
                  type: integer
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
"""

CRONTAB = """
apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: my-new-cron-object
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
"""


def _crd(change: Any = None) -> str:
    crd = yaml.safe_load(CRD)
    if change is not None:
        change(crd["spec"]["versions"][0], crd)
    return yaml.safe_dump(crd)


def _crontab(**spec: Any) -> str:
    obj = yaml.safe_load(CRONTAB)
    obj["spec"].update(spec)
    return yaml.safe_dump(obj)


def _establish(lab: Lab, manifest: str) -> None:
    """`kubectl apply` the CRD and wait for it as the page does (condition=established)."""
    lab.kubectl("apply", "-f", "-", input=manifest)
    lab.kubectl(
        "wait", "--for", "condition=established", "--timeout=30s", "crd/crontabs.stable.example.com"
    )


def _cleanup(lab: Lab) -> None:
    lab.kubectl("delete", "crd", "crontabs.stable.example.com", "--ignore-not-found")


def test_the_crontab_crd_is_served_like_a_built_in_resource(lab: Lab) -> None:
    try:
        created = lab.kubectl("apply", "-f", "-", input=_crd()).stdout
        assert (
            "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created"
            in created
        )
        lab.kubectl(
            "wait",
            "--for",
            "condition=established",
            "--timeout=30s",
            "crd/crontabs.stable.example.com",
        )
        crd = lab.get_json("crd", "crontabs.stable.example.com")
        assert {c["type"]: c["reason"] for c in crd["status"]["conditions"]} == {
            "NamesAccepted": "NoConflicts",
            "Established": "InitialNamesAccepted",
        }
        assert crd["status"]["acceptedNames"]["listKind"] == "CronTabList"

        assert "crontab.stable.example.com/my-new-cron-object created" in (
            lab.kubectl("apply", "-f", "-", input=CRONTAB).stdout
        )
        rows = lab.table("crontab")
        assert [(r["NAME"], list(r)) for r in rows] == [("my-new-cron-object", ["NAME", "AGE"])]
        listed = lab.get_json("ct")
        assert listed["kind"] == "List"
        item = listed["items"][0]
        assert item["metadata"]["generation"] == 1
        assert item["spec"] == {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image"}
        resources = lab.cluster.kubectl("api-resources", "--api-group=stable.example.com").stdout
        assert resources.splitlines()[1].split() == [
            "crontabs", "ct", "stable.example.com/v1", "true", "CronTab",
        ]  # fmt: skip

        lab.kubectl("delete", "-f", "-", input=_crd())
        gone = lab.kubectl("get", "crontabs", check=False)
        assert gone.returncode == 1
        assert "the server could not find the requested resource" in gone.stderr
        _establish(lab, _crd())
        # "If you later recreate the same CustomResourceDefinition, it will start out empty."
        assert lab.get_json("crontabs")["items"] == []
    finally:
        _cleanup(lab)


def _validated(version: dict[str, Any], crd: dict[str, Any]) -> None:
    props = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    props["cronSpec"]["pattern"] = r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"
    props["replicas"].update(minimum=1, maximum=10, default=1)
    version["additionalPrinterColumns"] = [
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    crd["spec"]["names"]["categories"] = ["all"]


def test_validation_pruning_defaults_and_printer_columns(lab: Lab) -> None:
    try:
        _establish(lab, _crd(_validated))
        refused = lab.kubectl(
            "apply", "-f", "-", input=_crontab(cronSpec="* * * *", replicas=15), check=False
        )
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            'The CronTab "my-new-cron-object" is invalid: ',
            '* spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match '
            r"'^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'",
            "* spec.replicas: Invalid value: 15: spec.replicas in body should be less than or "
            "equal to 10",
        ]
        typed = lab.kubectl("apply", "-f", "-", input=_crontab(replicas="five"), check=False)
        assert (
            'spec.replicas: Invalid value: "string": spec.replicas in body must be of type '
            'integer: "string"'
        ) in typed.stderr

        unknown = lab.kubectl("apply", "-f", "-", input=_crontab(someRandomField=42), check=False)
        assert unknown.stderr.strip().endswith(
            'CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: '
            'unknown field "spec.someRandomField"'
        )
        lab.kubectl("apply", "--validate=false", "-f", "-", input=_crontab(someRandomField=42))
        spec = lab.get_json("crontab", "my-new-cron-object")["spec"]
        assert spec == {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 1}

        rows = lab.table("crontab")
        assert list(rows[0]) == ["NAME", "SPEC", "REPLICAS", "AGE"]
        assert (rows[0]["SPEC"], rows[0]["REPLICAS"]) == ("* * * * */5", "1")
        # kubectl keeps discovery on disk (an earlier test saw this CRD without categories);
        # `kubectl api-resources` reads it afresh, as a learner would after changing a CRD
        lab.kubectl("api-resources")
        everything = lab.kubectl("get", "all").stdout
        assert "crontab.stable.example.com/my-new-cron-object" in everything
    finally:
        _cleanup(lab)


def _with_subresources(version: dict[str, Any], crd: dict[str, Any]) -> None:
    version["subresources"] = {
        "status": {},
        "scale": {
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.labelSelector",
        },
    }
    schema = version["schema"]["openAPIV3Schema"]
    schema["properties"]["status"] = {
        "type": "object",
        "properties": {"replicas": {"type": "integer"}, "labelSelector": {"type": "string"}},
    }


def test_status_and_scale_subresources(lab: Lab) -> None:
    try:
        _establish(lab, _crd(_with_subresources))
        lab.kubectl("apply", "-f", "-", input=_crontab(replicas=1))
        patch = '{"spec": {"image": "other"}, "status": {"replicas": 3}}'
        lab.kubectl("patch", "crontab", "my-new-cron-object", "--type=merge", "-p", patch)
        obj = lab.get_json("crontab", "my-new-cron-object")
        assert obj["metadata"]["generation"] == 2 and "status" not in obj  # main ignores status
        lab.kubectl(
            "patch", "crontab", "my-new-cron-object", "--subresource=status", "--type=merge",
            "-p", '{"status": {"replicas": 1, "labelSelector": "app=cron"}}',
        )  # fmt: skip
        obj = lab.get_json("crontab", "my-new-cron-object")
        assert obj["metadata"]["generation"] == 2 and obj["status"]["replicas"] == 1
        scaled = lab.kubectl("scale", "crontab", "my-new-cron-object", "--replicas=5").stdout
        assert "crontab.stable.example.com/my-new-cron-object scaled" in scaled
        assert lab.get_json("crontab", "my-new-cron-object")["spec"]["replicas"] == 5
        raw = lab.cluster.kubectl(
            "get", "--raw",
            f"/apis/stable.example.com/v1/namespaces/{lab.namespace}/crontabs/my-new-cron-object/scale",
        ).stdout  # fmt: skip
        got = yaml.safe_load(raw)
        assert got["spec"] == {"replicas": 5}
        assert got["status"] == {"replicas": 1, "selector": "app=cron"}
        smp = lab.kubectl(
            "patch", "crontab", "my-new-cron-object", "-p", '{"spec":{"image":"x"}}', check=False
        )
        assert "application/strategic-merge-patch+json is not supported" in smp.stderr
    finally:
        _cleanup(lab)


def test_a_bad_crd_is_refused_and_a_namespace_takes_its_instances_along(lab: Lab) -> None:
    def misnamed(version: dict[str, Any], crd: dict[str, Any]) -> None:
        crd["metadata"]["name"] = "crontab.stable.example.com"
        del version["schema"]

    refused = lab.kubectl("apply", "-f", "-", input=_crd(misnamed), check=False)
    assert refused.returncode == 1
    assert (
        'metadata.name: Invalid value: "crontab.stable.example.com": must be '
        'spec.names.plural+"."+spec.group'
    ) in refused.stderr
    assert (
        "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"
        in refused.stderr
    )
    try:
        _establish(lab, _crd())
        lab.cluster.kubectl("create", "namespace", "cron-scratch")
        lab.cluster.kubectl("apply", "-n", "cron-scratch", "-f", "-", input=copy.copy(CRONTAB))
        lab.cluster.kubectl("delete", "namespace", "cron-scratch", timeout=120)
        lab.cluster.kubectl("create", "namespace", "cron-scratch")
        assert (
            lab.cluster.kubectl("get", "crontabs", "-n", "cron-scratch", "-o", "name").stdout == ""
        )
        lab.cluster.kubectl("delete", "namespace", "cron-scratch", "--wait=false")
    finally:
        _cleanup(lab)


def _two_versions(version: dict[str, Any], crd: dict[str, Any]) -> None:
    """The docs' "Versions in CustomResourceDefinitions": v1beta1 stored, v1 served too; v1
    alone knows `spec.timezone`."""
    beta = copy.deepcopy(version)
    beta.update(name="v1beta1", storage=True)
    version.update(storage=False)
    version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["timezone"] = {
        "type": "string"
    }
    crd["spec"]["versions"] = [beta, version]


def test_each_version_has_its_schema_and_kubectl_prefers_v1(lab: Lab) -> None:
    try:
        _establish(lab, _crd(_two_versions))
        lab.kubectl("api-resources")  # kubectl's discovery cache, as above
        lab.kubectl("apply", "-f", "-", input=_crontab(timezone="UTC"))
        got = lab.get_json("crontab", "my-new-cron-object")
        assert got["apiVersion"] == "stable.example.com/v1"  # the preferred version
        assert got["spec"]["timezone"] == "UTC"
        beta = _crontab(timezone="UTC").replace(
            "stable.example.com/v1", "stable.example.com/v1beta1"
        )
        refused = lab.kubectl(
            "apply", "-f", "-", input=beta.replace("my-new", "other"), check=False
        )
        assert 'CronTab in version "v1beta1" cannot be handled as a CronTab: strict decoding ' in (
            refused.stderr
        )
        old = lab.cluster.kubectl(
            "get", "--raw",
            f"/apis/stable.example.com/v1beta1/namespaces/{lab.namespace}/crontabs/my-new-cron-object",
        ).stdout  # fmt: skip
        assert yaml.safe_load(old)["apiVersion"] == "stable.example.com/v1beta1"
    finally:
        _cleanup(lab)


def _described(version: dict[str, Any], crd: dict[str, Any]) -> None:
    schema = version["schema"]["openAPIV3Schema"]
    schema["description"] = "CronTab runs a command on a schedule."
    schema["properties"]["spec"]["description"] = "What to run and when."
    schema["properties"]["spec"]["properties"]["cronSpec"]["description"] = "The schedule."


def test_kubectl_explain_reads_the_crds_schema(lab: Lab) -> None:
    """The docs' "Publish Validation Schema in OpenAPI": kubectl explain prints the CRD's
    own descriptions; a second apply patches without a strategic merge patch."""
    try:
        _establish(lab, _crd(_described))
        lab.kubectl("api-resources")  # kubectl's discovery cache, as above
        top = lab.cluster.kubectl("explain", "crontab").stdout
        assert "KIND:       CronTab\nVERSION:    v1\n" in top
        assert "CronTab runs a command on a schedule." in top
        assert "  metadata\t<ObjectMeta>\n    Standard object's metadata." in top
        spec = lab.cluster.kubectl("explain", "ct.spec").stdout
        assert "What to run and when." in spec
        assert "  cronSpec\t<string>\n    The schedule.\n" in spec
        assert "  replicas\t<integer>\n    <no description>" in spec
        deep = lab.cluster.kubectl("explain", "crontab.metadata.labels").stdout
        assert "FIELD: labels <map[string]string>" in deep

        lab.kubectl("apply", "-f", "-", input=_crontab())
        again = lab.kubectl("apply", "-f", "-", input=_crontab(image="other-image"))
        assert "crontab.stable.example.com/my-new-cron-object configured" in again.stdout
        assert lab.get_json("ct", "my-new-cron-object")["spec"]["image"] == "other-image"

        lab.kubectl("delete", "-f", "-", input=_crd())
        lab.kubectl("api-resources", check=False)
        gone = lab.cluster.kubectl("explain", "crontab", check=False)
        assert gone.returncode == 1
        assert 'the server doesn\'t have a resource type "crontab"' in gone.stderr
    finally:
        _cleanup(lab)

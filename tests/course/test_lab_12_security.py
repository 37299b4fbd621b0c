"""Lab 12 (security), statically: the Role check takes least privilege only, the starting
Deployment is what Pod Security "restricted" refuses and the solutions are what it admits
(judged by kubesim's policy, the one the course e2e runs against), and the Secret the
solution mounts is the file API_KEY_FILE names (no cluster; the course_e2e tests walk the
lab on a live one)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import checker  # noqa: E402
from kubesim.apiserver.podsecurity import evaluate, forbidden_reason, pod_template  # noqa: E402

LAB = ROOT / "labs" / "12-security"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _doc(path: Path, kind: str) -> dict[str, Any]:
    return next(d for d in _docs(path) if d["kind"] == kind)


def _check(exercise_id: str, name: str) -> dict[str, Any]:
    lab = yaml.safe_load((LAB / "lab.yaml").read_text(encoding="utf-8"))
    exercise = next(e for e in lab["exercises"] if e["id"] == exercise_id)
    return next(c for c in exercise["checks"] if c["name"] == name)


def _matches(check: dict[str, Any], obj: dict[str, Any]) -> bool:
    return not checker.parse_expectation(check["expect"]).match(obj, "")


def _role(**rule: Any) -> dict[str, Any]:
    role = copy.deepcopy(_doc(LAB / "solution" / "rbac.yaml", "Role"))
    role["rules"][0].update(rule)
    return role


@pytest.mark.parametrize(
    "role, passes",
    [
        pytest.param(_role(), True, id="the-task"),
        pytest.param(_role(resourceNames=None), False, id="every-configmap"),
        pytest.param(_role(verbs=["get", "list", "watch"]), False, id="list-and-watch-too"),
        pytest.param(_role(resources=["configmaps", "secrets"]), False, id="secrets-too"),
        pytest.param(_role(resources=["*"]), False, id="wildcard"),
    ],
)
def test_the_role_check_takes_least_privilege_only(role: dict[str, Any], passes: bool) -> None:
    role["rules"][0] = {k: v for k, v in role["rules"][0].items() if v is not None}
    assert _matches(_check("least-privilege", "role-reads-one-configmap"), role) is passes


def test_a_second_rule_fails_the_role_check() -> None:
    role = _role()
    role["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    assert not _matches(_check("least-privilege", "role-reads-one-configmap"), role)


def _restricted(path: Path, kind: str) -> str:
    return forbidden_reason(evaluate("restricted", *pod_template(kind, _doc(path, kind))))


def test_the_starting_deployment_is_refused_by_restricted_for_the_four_fields() -> None:
    assert _restricted(LAB / "deployment.yaml", "Deployment") == (
        "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, "
        "seccompProfile"
    )


@pytest.mark.parametrize(
    "path, kind",
    [
        pytest.param("solution/deployment-restricted.yaml", "Deployment", id="restricted"),
        pytest.param("solution/deployment-api-key.yaml", "Deployment", id="api-key"),
        pytest.param("rbac-check-job.yaml", "Job", id="rbac-check-job"),
    ],
)
def test_what_the_lab_runs_after_the_label_is_admitted_by_restricted(path: str, kind: str) -> None:
    assert _restricted(LAB / path, kind) == ""


def test_the_image_user_is_the_uid_the_solution_states() -> None:
    dockerfile = (ROOT / "inference" / "Dockerfile").read_text(encoding="utf-8")
    assert "\nUSER 10001:10001\n" in dockerfile
    spec = _doc(LAB / "solution" / "deployment-restricted.yaml", "Deployment")["spec"]
    assert spec["template"]["spec"]["securityContext"]["runAsUser"] == 10001


def test_the_mounted_secret_is_the_file_api_key_file_names() -> None:
    secret = _doc(LAB / "solution" / "api-key-secret.yaml", "Secret")
    spec = _doc(LAB / "solution" / "deployment-api-key.yaml", "Deployment")["spec"]["template"][
        "spec"
    ]
    (volume,) = spec["volumes"]
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    (container,) = spec["containers"]
    (mount,) = container["volumeMounts"]
    assert mount["name"] == volume["name"] and mount["readOnly"] is True
    env = {e["name"]: e["value"] for e in container["env"]}
    (key,) = secret["stringData"]
    assert env["API_KEY_FILE"] == f"{mount['mountPath']}/{key}"

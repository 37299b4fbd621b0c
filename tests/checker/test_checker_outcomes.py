"""Whole `expect`/`absent` checks on objects, through the evaluator: which object a check
lands on, and the exact verdict, target and words a learner reads.

A stand-in client serves the objects from memory; the HTTP side is proven elsewhere
(test_checker_readonly_run.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from checker import Check, Lab, ReadOnlyClient, Resource
from checker._evaluate import evaluate
from checker._snapshot import Snapshot

DEPLOYMENT = Resource("apps/v1", "Deployment", "deployments", True)
POD = Resource("v1", "Pod", "pods", True)


def _deploy(name: str, replicas: int, image: str = "kubelab/inference:2.4.0") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "lab", "uid": f"uid-{name}"},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "model-server", "image": image}]}},
        },
    }


def _pod(name: str, phase: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "lab", "uid": f"uid-{name}"},
        "status": {"phase": phase},
    }


OBJECTS = [
    _deploy("web", 2, "nginx:1.27"),
    _deploy("inference-service", 3),
    _pod("a", "Failed"),
    _pod("b", "Failed"),
    _pod("c", "Failed"),
    _pod("d", "Running"),
]


class MemoryClient:
    """The two reads the evaluator needs: discovery and LIST, from a list of objects."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects

    def resource(self, api_version: str, kind: str) -> Resource | None:
        return {("apps/v1", "Deployment"): DEPLOYMENT, ("v1", "Pod"): POD}.get((api_version, kind))

    def list_objects(self, resource: Resource, namespace: str | None) -> list[dict[str, Any]]:
        return [
            o
            for o in self.objects
            if o["kind"] == resource.kind and o["metadata"].get("namespace") == namespace
        ]

    def read_log(self, *args: Any, **kwargs: Any) -> str | None:
        return None


LAB = Lab.model_validate(
    {
        "apiVersion": "kubelab.dev/v1",
        "kind": "Lab",
        "id": "09-table",
        "title": "Table",
        "minutes": 1,
        "exercises": [
            {
                "id": "e",
                "title": "E",
                "task": "t",
                "points": 1,
                "checks": [
                    {"name": "x", "message": "m", "absent": {"apiVersion": "v1", "kind": "Pod"}}
                ],
            }
        ],
    }
)


def _outcome(check: dict[str, Any], objects: list[dict[str, Any]] = OBJECTS):
    parsed = Check.model_validate({"name": "c", "message": "m", "within": 0, **check})
    snapshot = Snapshot(cast(ReadOnlyClient, MemoryClient(objects)))
    return evaluate(parsed, LAB, snapshot)


@pytest.mark.parametrize(
    "check, status, target, field_errors, detail",
    [
        pytest.param(
            {"expect": {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 3}}},
            "passed",
            "apps/v1/Deployment/lab/inference-service",
            (),
            None,
            id="nameless-expect-matches-any-object-of-the-kind",
        ),
        pytest.param(
            {"expect": {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 5}}},
            "failed",
            "apps/v1/Deployment/lab/web",
            ("spec.replicas: Invalid value: 2: Expected value: 5",),
            None,
            id="nameless-expect-fails-on-the-first-closest-candidate",
        ),
        pytest.param(
            {
                "expect": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "spec": {
                        "replicas": 5,
                        "template": {
                            "spec": {"containers": [{"image": "kubelab/inference:2.4.0"}]}
                        },
                    },
                }
            },
            "failed",
            "apps/v1/Deployment/lab/inference-service",
            ("spec.replicas: Invalid value: 3: Expected value: 5",),
            None,
            id="nameless-expect-fails-on-the-candidate-with-fewest-errors",
        ),
        pytest.param(
            {
                "expect": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "missing"},
                }
            },
            "failed",
            "apps/v1/Deployment/lab/missing",
            ("actual resource not found",),
            None,
            id="named-expect-with-no-such-object",
        ),
        pytest.param(
            {"absent": {"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Failed"}}},
            "failed",
            "v1/Pod/lab/a",
            (),
            "v1/Pod/lab/a matches what should be absent (and 2 more).",
            id="absent-counts-the-other-matches",
        ),
        pytest.param(
            {"absent": {"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Running"}}},
            "failed",
            "v1/Pod/lab/d",
            (),
            "v1/Pod/lab/d matches what should be absent.",
            id="absent-with-one-match",
        ),
        pytest.param(
            {"absent": {"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Pending"}}},
            "passed",
            "v1/Pod/lab/*",
            (),
            None,
            id="absent-with-no-match-passes",
        ),
        pytest.param(
            {"expect": {"apiVersion": "example.com/v1", "kind": "Model"}},
            "failed",
            "example.com/v1/Model/lab/*",
            (),
            "The cluster does not serve Model in example.com/v1: is that API installed?",
            id="expect-of-a-kind-the-cluster-does-not-serve",
        ),
    ],
)
def test_check_outcomes(check, status, target, field_errors, detail):
    outcome = _outcome(check)
    assert (outcome.status, outcome.target) == (status, target)
    assert tuple(outcome.field_errors) == field_errors
    assert outcome.detail == detail


def test_a_failing_absent_check_points_evidence_at_the_object_found():
    outcome = _outcome(
        {"absent": {"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Running"}}}
    )
    assert outcome.subject is not None and outcome.subject["metadata"]["name"] == "d"

"""persistentVolumeClaimRetentionPolicy as claim owners (updateClaimOwnerRefForSetAndPod): the
four policies, for a pod in range and a scaled-down one, and a claim another controller owns."""

from __future__ import annotations

import pytest

from kubesim.controllers._statefulset import claim_owners

SET = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "web", "namespace": "lab", "uid": "set-uid"},
    "spec": {"replicas": 1},
}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "uid": "pod-uid"}}


def _owners(scaled: str, deleted: str, ordinal: int, refs: list | None = None) -> list:
    sts = {
        **SET,
        "spec": {
            **SET["spec"],
            "persistentVolumeClaimRetentionPolicy": {"whenScaled": scaled, "whenDeleted": deleted},
        },
    }
    claim = {"metadata": {"name": "data-web-1", "ownerReferences": refs or []}}
    return [(r["kind"], r.get("controller")) for r in claim_owners(sts, claim, POD, ordinal)]


@pytest.mark.parametrize(
    "scaled, deleted, in_range, scaled_down",
    [
        ("Retain", "Retain", [], []),
        ("Retain", "Delete", [("StatefulSet", True)], [("StatefulSet", True)]),
        ("Delete", "Retain", [], [("Pod", True)]),
        ("Delete", "Delete", [("StatefulSet", True)], [("Pod", True)]),
    ],
)
def test_each_policy_owns_the_claims_it_should(scaled, deleted, in_range, scaled_down) -> None:
    assert _owners(scaled, deleted, ordinal=0) == in_range  # web-0 of 1 replica
    assert _owners(scaled, deleted, ordinal=1) == scaled_down  # web-1, scaled away


def test_a_claim_another_controller_owns_keeps_only_that_owner() -> None:
    other = {"apiVersion": "v1", "kind": "ConfigMap", "uid": "x", "controller": True}
    stale_set_ref = {"apiVersion": "apps/v1", "kind": "StatefulSet", "uid": "set-uid"}
    assert _owners("Delete", "Delete", 1, [other, stale_set_ref]) == [("ConfigMap", True)]

"""A lab's reset removes the volumes its claims released (cluster-wide objects the namespace's
deletion leaves), so an earlier attempt's Released volume does not pass the next attempt."""

from __future__ import annotations

from kubelab._cmd_labs import released_volumes


def _pv(name: str, phase: str, namespace: str | None) -> dict:
    spec = {"claimRef": {"namespace": namespace, "name": "c"}} if namespace else {}
    return {"metadata": {"name": name}, "spec": spec, "status": {"phase": phase}}


def test_only_volumes_released_by_the_labs_own_claims() -> None:
    listing = {
        "items": [
            _pv("pvc-a", "Released", "lab-09"),
            _pv("pvc-b", "Bound", "lab-09"),
            _pv("pvc-c", "Released", "lab-02"),
            _pv("pvc-d", "Available", None),
            _pv("pvc-e", "Released", "lab-09"),
        ]
    }
    assert released_volumes(listing, "lab-09") == ["pvc-a", "pvc-e"]
    assert released_volumes({}, "lab-09") == []

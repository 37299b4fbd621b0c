"""A pod's generation counts its spec's changes and its status says which one it reflects
(PodObservedGenerationTracking, GA in 1.35): binding it to a node is not a change of spec
(the scheduler posts pods/binding), and the kubelet writes observedGeneration in the status
and in each condition it sets."""

from __future__ import annotations

from scenario_kubectl import Lab


def _seen(lab: Lab) -> tuple[int, int | None, set[int | None], int | None]:
    """Generation, the status's observedGeneration, the kubelet's conditions' and the
    scheduler's PodScheduled's (written once, at binding)."""
    pod = lab.get_json("pod", "gen")
    status = pod["status"]
    conditions = status.get("conditions") or []
    return (
        pod["metadata"]["generation"],
        status.get("observedGeneration"),
        {c.get("observedGeneration") for c in conditions if c["type"] != "PodScheduled"},
        next(c.get("observedGeneration") for c in conditions if c["type"] == "PodScheduled"),
    )


def test_generation_moves_with_the_spec_and_the_status_follows(lab: Lab) -> None:
    lab.kubectl("run", "gen", "--image=busybox:1.36", "--", "sleep", "3600")
    lab.kubectl("wait", "--for=condition=Ready", "pod/gen", f"--timeout={lab.wall(60):.0f}s")
    assert _seen(lab) == (1, 1, {1}, 1)
    managers = {
        m["manager"]
        for m in lab.get_json("pod", "gen", "--show-managed-fields")["metadata"]["managedFields"]
        if m.get("subresource") != "status"
    }
    assert "kube-scheduler" not in managers  # the binding wrote past the field manager

    lab.kubectl("patch", "pod", "gen", "-p", '{"spec":{"activeDeadlineSeconds":3600}}')
    lab.wait_for(
        lambda: _seen(lab) == (2, 2, {2}, 1),
        timeout=lab.wall(60),
        what="the kubelet to observe generation 2",
    )

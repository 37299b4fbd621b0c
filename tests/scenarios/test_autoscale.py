"""Lab 04's autoscaler: TARGETS goes from `<unknown>` to a percentage, load from the
load-generator Job scales the deployment up, and it scales back down once the load is gone
and the 300 s scale-down stabilization window has passed (cluster time)."""

from __future__ import annotations

import json
import re

from scenario_kubectl import REPO, Lab

DEPLOY = (
    "manifests/inference/deployment.yaml",
    "manifests/inference/service.yaml",
    "manifests/inference/hpa.yaml",
)
LOADGEN = "manifests/inference/loadgen-job.yaml"
DOWNSCALE_WINDOW = 300  # the HPA's default behavior.scaleDown.stabilizationWindowSeconds
PERCENT = re.compile(r"^cpu: \d+%/70%$")


def _loadgen(lab: Lab, seconds: int) -> str:
    """The repo's Job with a shorter run: `kubectl patch --local -o json`, as a learner could."""
    patch = [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/command/7",
            "value": str(seconds),
        }
    ]
    out = lab.kubectl(
        "patch",
        "--local",
        "-f",
        str(REPO / LOADGEN),
        "--type",
        "json",
        "-p",
        json.dumps(patch),
        "-o",
        "json",
    ).stdout
    command = json.loads(out)["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[6:8] == ["--seconds", str(seconds)]
    return out


def _hpa(lab: Lab) -> dict[str, str]:
    return lab.table("hpa", "inference-service")[0]


def test_load_scales_the_hpa_up_and_it_scales_down_after_stabilization(lab: Lab) -> None:
    watch = lab.watch("hpa")
    try:
        lab.apply(*DEPLOY)
        measured = lab.wait_for(
            lambda: [r for r in watch.rows() if PERCENT.match(r.get("TARGETS", ""))],
            timeout=lab.wall(120),
            what="HPA TARGETS to show a CPU percentage",
        )
    finally:
        printed = watch.stop()
    first = watch.rows()[0]
    assert first["TARGETS"] == "cpu: <unknown>/70%", printed
    assert measured[0]["MINPODS"] == "2" and measured[0]["MAXPODS"] == "10"
    idle = lab.wait_for(
        lambda: (row := _hpa(lab))["REPLICAS"] == "2" and row,
        timeout=lab.wall(120),
        what="the idle deployment to settle at minReplicas 2",
    )
    assert PERCENT.match(idle["TARGETS"])

    # load for 120 s at real speed; at least 20 s of wall time when the clock runs faster
    seconds = max(20, round(120 / lab.scale))
    created = lab.kubectl("apply", "-f", "-", input=_loadgen(lab, seconds))
    assert "job.batch/inference-loadgen created" in created.stdout
    busy = lab.wait_for(
        lambda: int((row := _hpa(lab))["REPLICAS"]) > 2 and row,
        timeout=seconds + 60,
        what="the HPA to scale above 2 replicas under load",
    )
    percent = int(busy["TARGETS"].split()[1].split("%")[0])
    assert percent > 70, busy
    events = lab.kubectl("get", "events", "--field-selector", "reason=SuccessfulRescale").stdout
    assert (
        "New size:" in events
        and "reason: cpu resource utilization (percentage of request) above target" in events
    )

    lab.wait_for(
        lambda: lab.get_json("job", "inference-loadgen")["status"].get("succeeded") == 1,
        timeout=seconds + 60,
        what="the load generator Job to complete",
    )
    down = lab.wait_for(
        lambda: (row := _hpa(lab))["REPLICAS"] == "2" and row,
        timeout=lab.wall(DOWNSCALE_WINDOW + 120),
        what="the HPA to scale back down to 2 after the stabilization window",
    )
    assert PERCENT.match(down["TARGETS"])
    deploy = lab.wait_for(
        lambda: (
            (rows := lab.table("deployment", "inference-service"))
            and rows[0]["READY"] == "2/2"
            and rows
        ),
        timeout=lab.wall(60),
        what="the deployment to be back at 2/2",
    )
    assert deploy[0]["READY"] == "2/2"

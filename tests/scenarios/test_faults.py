"""Lab 06's faults, as a learner meets them in `kubectl get pods` and `kubectl logs`."""

from __future__ import annotations

from scenario_kubectl import Lab, restarts

FAULTS = "labs/06-break-fix/faults"


def test_a_missing_model_path_crash_loops_with_growing_restarts(lab: Lab) -> None:
    lab.apply(f"{FAULTS}/crashloop.yaml")

    def looping(at_least: int) -> list[dict[str, str]]:
        rows = lab.pod_rows()
        ok = len(rows) == 3 and all(
            r["STATUS"] == "CrashLoopBackOff" and restarts(r["RESTARTS"]) >= at_least for r in rows
        )
        return rows if ok else []

    first = lab.wait_for(
        lambda: looping(1), timeout=lab.wall(60), what="3 pods in CrashLoopBackOff"
    )
    assert all(r["READY"] == "0/1" for r in first)
    # back-off doubles (10 s, 20 s, 40 s ...), so the count keeps growing, ever more slowly
    later = lab.wait_for(
        lambda: looping(3), timeout=lab.wall(10 + 20 + 40 + 20), what="RESTARTS to reach 3"
    )
    assert all(restarts(r["RESTARTS"]) > restarts(f["RESTARTS"]) for f, r in _pair(first, later))
    assert all("ago)" in r["RESTARTS"] for r in later), "RESTARTS says when: `3 (12s ago)`"

    name = later[0]["NAME"]
    previous = lab.kubectl("logs", name, "--previous").stdout
    assert "FATAL: MODEL_PATH is not set" in previous
    pod = lab.get_json("pod", name)
    last = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("Error", 1)  # the app: 1 on a config error


def _pair(a: list[dict[str, str]], b: list[dict[str, str]]) -> list[tuple[dict, dict]]:
    by_name = {r["NAME"]: r for r in b}
    return [(r, by_name[r["NAME"]]) for r in a]


def test_a_memory_limit_below_the_model_is_oomkilled(lab: Lab) -> None:
    watch = lab.watch("pods", "-l", "app=inference")
    try:
        lab.apply(f"{FAULTS}/oom.yaml")

        def oom_seen() -> list[dict[str, str]]:
            return [r for r in watch.rows() if r.get("STATUS") == "OOMKilled"]

        seen = lab.wait_for(
            oom_seen, timeout=lab.wall(60), what="STATUS OOMKilled in `kubectl get pods -w`"
        )
    finally:
        printed = watch.stop()
    assert seen[0]["READY"] == "0/1", printed
    pod = lab.wait_for(
        lambda: [
            p
            for p in lab.live_pods()
            if p["status"].get("containerStatuses")
            and p["status"]["containerStatuses"][0]["lastState"].get("terminated")
        ],
        timeout=lab.wall(60),
        what="a container restarted after being OOMKilled",
    )[0]
    last = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137)
    rows = lab.wait_for(
        lambda: [r for r in lab.pod_rows() if r["STATUS"] == "CrashLoopBackOff"],
        timeout=lab.wall(60),
        what="the OOMKilled pods to go to CrashLoopBackOff",
    )
    assert all(restarts(r["RESTARTS"]) >= 1 for r in rows)


def test_an_image_tag_that_does_not_exist_backs_off_pulling(lab: Lab) -> None:
    lab.apply(f"{FAULTS}/bad-image.yaml")

    rows = lab.wait_for(
        lambda: (
            (rows := lab.pod_rows())
            and len(rows) == 3
            and all(r["STATUS"] == "ImagePullBackOff" for r in rows)
            and rows
        ),
        timeout=lab.wall(60),
        what="3 pods in ImagePullBackOff",
    )

    assert all(r["READY"] == "0/1" and r["RESTARTS"] == "0" for r in rows)
    pod = rows[0]["NAME"]

    def backing_off() -> dict[str, str] | None:
        # the kubelet retries when the back-off ends (the reason turns ErrImagePull again
        # until the next pull fails), so read the reason in a moment it holds
        state = lab.get_json("pod", pod)["status"]["containerStatuses"][0]["state"]
        waiting: dict[str, str] = state.get("waiting") or {}
        return waiting if waiting.get("reason") == "ImagePullBackOff" else None

    waiting = lab.wait_for(backing_off, timeout=lab.wall(60), what="reason ImagePullBackOff")
    assert 'Back-off pulling image "kubelab/inference:2.40"' in waiting["message"]

    container = lab.get_json("pod", pod)["spec"]["containers"][0]["name"]
    backoff = (
        f'Error from server (BadRequest): container "{container}" in pod "{pod}" is waiting '
        "to start: trying and failing to pull image"
    )
    lab.wait_for(
        lambda: backoff in lab.kubectl("logs", pod, check=False).stderr,
        timeout=lab.wall(30),
        what="kubectl logs to say the kubelet's words for ImagePullBackOff",
    )

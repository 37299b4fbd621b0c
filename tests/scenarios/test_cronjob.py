"""The Kubernetes docs' task "Running Automated Tasks with a CronJob", on the simulator, and
what the CronJob controller does beyond it: history limits, the Forbid and Replace
concurrency policies, a manual run (`kubectl create job --from=cronjob/...`), and the API
server's word on a schedule or time zone it cannot run.

Cluster time runs ten times faster (and jumps while idle), so a minute's schedule fires
every few seconds of the test; the containers' commands run in real time."""

from __future__ import annotations

from datetime import datetime

from scenario_kubectl import Lab

# the docs' application/job/cronjob.yaml, as written
HELLO = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
"""


def _cronjob(name: str, command: str, **spec: object) -> str:
    extra = "".join(f"  {key}: {value}\n" for key, value in spec.items())
    return f"""
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
spec:
  schedule: "* * * * *"
{extra}  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: busybox:1.36
            command: ["sh", "-c", "{command}"]
"""


def _jobs_of(lab: Lab, cronjob: str) -> list[dict]:
    return [
        j
        for j in lab.get_json("jobs")["items"]
        if any(r["name"] == cronjob for r in j["metadata"].get("ownerReferences") or [])
    ]


def _reasons(lab: Lab, name: str) -> list[str]:
    events = lab.get_json("events", "--field-selector", f"involvedObject.name={name}")["items"]
    return [e["reason"] for e in events]


def test_the_docs_hello_cronjob_runs_every_minute_and_says_hello(lab: Lab) -> None:
    lab.kubectl("create", "-f", "-", input=HELLO)
    row = lab.table("cronjob", "hello")[0]
    assert (row["SCHEDULE"], row["TIMEZONE"], row["SUSPEND"]) == ("* * * * *", "<none>", "False")
    # as the docs show it before its first minute; on the fast cluster clock that minute
    # may already have come (CI once read ACTIVE 1 here), and then the row says so
    assert (row["ACTIVE"], row["LAST SCHEDULE"] == "<none>") in (("0", True), ("1", False)), row
    job = lab.wait_for(
        lambda: [j for j in _jobs_of(lab, "hello") if j["status"].get("succeeded") == 1],
        timeout=lab.wall(120),
        what="the first Job of the CronJob hello to succeed",
    )[0]
    cronjob = lab.get_json("cronjob", "hello")
    scheduled = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    at = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
    assert at.second == 0 and scheduled.endswith("Z")  # on the minute, in UTC
    assert job["metadata"]["name"] == f"hello-{int(at.timestamp()) // 60}"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert lab.wait_for(
        lambda: (c := lab.get_json("cronjob", "hello"))["status"].get("lastSuccessfulTime") and c,
        timeout=lab.wall(30),
        what="lastSuccessfulTime",
    )
    assert cronjob["status"]["lastScheduleTime"] >= scheduled
    row = lab.table("cronjob", "hello")[0]
    assert row["LAST SCHEDULE"] != "<none>"
    logs = lab.kubectl("logs", f"job/{job['metadata']['name']}").stdout
    assert "Hello from the Kubernetes cluster" in logs
    reasons = _reasons(lab, "hello")
    assert "SuccessfulCreate" in reasons and "SawCompletedJob" in reasons
    lab.kubectl("delete", "cronjob", "hello")
    lab.wait_for(
        lambda: not _jobs_of(lab, "hello"),
        timeout=lab.wall(60),
        what="the garbage collector to delete the CronJob's Jobs",
    )


def test_history_limits_keep_the_newest_finished_jobs(lab: Lab) -> None:
    lab.kubectl(
        "create",
        "-f",
        "-",
        input=_cronjob("tick", "true", successfulJobsHistoryLimit=1, failedJobsHistoryLimit=0),
    )
    lab.wait_for(
        lambda: "SuccessfulDelete" in _reasons(lab, "tick"),
        timeout=lab.wall(240),
        what="the CronJob to delete a finished Job beyond its history limit",
    )
    lab.kubectl("patch", "cronjob", "tick", "--type=merge", "-p", '{"spec":{"suspend":true}}')
    jobs = lab.wait_for(
        lambda: (js := _jobs_of(lab, "tick")) and len(js) == 1 and js,
        timeout=lab.wall(60),
        what="one Job left",
    )
    assert jobs[0]["status"].get("succeeded") == 1


def test_forbid_skips_a_run_while_the_last_one_runs_and_replace_ends_it(lab: Lab) -> None:
    lab.kubectl(
        "create", "-f", "-", input=_cronjob("slow", "sleep 3600", concurrencyPolicy="Forbid")
    )
    lab.wait_for(
        lambda: "JobAlreadyActive" in _reasons(lab, "slow"),
        timeout=lab.wall(240),
        what="a Forbid CronJob to skip a run while its Job still runs",
    )
    first = _jobs_of(lab, "slow")
    assert len(first) == 1
    assert (
        lab.get_json("cronjob", "slow")["status"]["active"][0]["name"]
        == first[0]["metadata"]["name"]
    )
    lab.kubectl(
        "patch", "cronjob", "slow", "--type=merge", "-p", '{"spec":{"concurrencyPolicy":"Replace"}}'
    )
    lab.wait_for(
        lambda: "SuccessfulDelete" in _reasons(lab, "slow"),
        timeout=lab.wall(180),
        what="a Replace CronJob to delete the running Job at the next time",
    )
    active = lab.wait_for(
        lambda: (
            (a := lab.get_json("cronjob", "slow")["status"].get("active"))
            and a[0]["name"] != first[0]["metadata"]["name"]
            and a
        ),
        timeout=lab.wall(60),
        what="the new Job in status.active",
    )
    assert len(active) == 1


def test_a_manual_run_from_the_cronjob_is_a_job_it_did_not_schedule(lab: Lab) -> None:
    lab.kubectl("create", "-f", "-", input=_cronjob("report", "echo done", suspend="true"))
    lab.kubectl("create", "job", "report-manual", "--from=cronjob/report")
    job = lab.get_json("job", "report-manual")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["name"] == "report"
    lab.wait_for(
        lambda: "UnexpectedJob" in _reasons(lab, "report"),
        timeout=lab.wall(30),
        what="the controller to say it did not create report-manual",
    )
    lab.wait_for(
        lambda: lab.get_json("job", "report-manual")["status"].get("succeeded") == 1,
        timeout=lab.wall(60),
        what="the manual Job to run",
    )
    assert not lab.get_json("cronjob", "report")["status"].get("lastScheduleTime")


def test_the_api_server_refuses_a_schedule_or_zone_it_cannot_run(lab: Lab) -> None:
    out = lab.kubectl(
        "create", "cronjob", "bad", "--image=busybox:1.28", "--schedule=61 * * * *", check=False
    )
    assert out.returncode == 1
    assert (
        'error: failed to create cronjob: CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "61 * * * *": '
        "end of range (61) above maximum (59): 61"
    ) in out.stderr
    out = lab.kubectl(
        "create", "-f", "-", input=_cronjob("zone", "true", timeZone="Europe/Pariss"), check=False
    )
    assert (
        'spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss'
        in out.stderr
    )
    out = lab.kubectl(
        "create",
        "cronjob",
        "tz",
        "--image=busybox:1.28",
        "--schedule=CRON_TZ=UTC 0 3 * * *",
        check=False,
    )
    assert "cannot use TZ or CRON_TZ in schedule, use timeZone field instead" in out.stderr
    ok = lab.kubectl("create", "-f", "-", input=_cronjob("paris", "true", timeZone="Europe/Paris"))
    assert "cronjob.batch/paris created" in ok.stdout
    assert lab.table("cronjob", "paris")[0]["TIMEZONE"] == "Europe/Paris"

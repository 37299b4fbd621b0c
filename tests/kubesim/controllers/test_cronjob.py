"""The CronJob controller beyond its golden cases: when an edited schedule syncs next."""

from __future__ import annotations

from datetime import UTC, datetime

from kubesim.controllers import next_sync_after_schedule_change, schedule_changed


def _cronjob(schedule: str, zone: str | None = None) -> dict:
    spec = {"schedule": schedule, **({"timeZone": zone} if zone else {})}
    return {
        "metadata": {"name": "report", "creationTimestamp": "2026-11-24T09:00:00Z"},
        "spec": spec,
        "status": {"lastScheduleTime": "2026-11-24T10:00:00Z"},
    }


def test_an_edited_schedule_waits_for_its_own_next_time() -> None:
    """Hourly, last run 10:00, edited to every 5 minutes at 10:12: upstream's updateCronJob
    queues the CronJob for 10:15 (plus 100 ms), so no 10:10 Job is started late."""
    old, new = _cronjob("0 * * * *"), _cronjob("*/5 * * * *")
    assert schedule_changed(old, new)
    now = datetime(2026, 11, 24, 10, 12, tzinfo=UTC)
    assert next_sync_after_schedule_change(new, now=now) == 180.1


def test_only_the_schedule_and_zone_count_as_a_change() -> None:
    base = _cronjob("0 * * * *")
    assert not schedule_changed(base, {**base, "spec": {**base["spec"], "suspend": True}})
    assert schedule_changed(base, _cronjob("0 * * * *", "Europe/Paris"))
    assert next_sync_after_schedule_change(_cronjob("61 * * * *"), now=datetime.now(UTC)) is None

"""CronJob schedules as robfig/cron's ParseStandard reads them: what it accepts, its words
for what it refuses, and the next activation (in a time zone, across a DST change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubesim.core.cron import CronError, parse_schedule, time_zone, time_zone_errors

AT = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, after, expected",
    [
        ("* * * * *", AT, datetime(2026, 11, 24, 12, 1, tzinfo=UTC)),
        ("*/15 * * * *", AT, datetime(2026, 11, 24, 12, 15, tzinfo=UTC)),
        ("0 * * * ?", AT, datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),  # ? is *
        ("@hourly", AT, datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),
        ("@daily", AT, datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),
        ("0 0 * * MON", AT, datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),  # 24 Nov is a Tuesday
        ("0 0 1 jan *", AT, datetime(2027, 1, 1, tzinfo=UTC)),
        ("5/20 * * * *", AT, datetime(2026, 11, 24, 12, 5, tzinfo=UTC)),  # N/step: N-59/step
        ("@every 90s", AT, AT.replace(microsecond=0) + timedelta(seconds=90)),
        ("@every 1h30m", AT, AT + timedelta(hours=1, minutes=30)),
        # an activation exactly at `after` is not "after" it
        (
            "0 12 * * *",
            datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_next_activation_is_strictly_after(
    text: str, after: datetime, expected: datetime
) -> None:
    assert parse_schedule(text).next(after) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* 24 * * *", "end of range (24) above maximum (23): 24"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),  # robfig has no 7 for Sunday
        ("10-5 * * * *", "beginning of range (10) beyond end of range (5): 10-5"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("L * * * *", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'),
        ("H * * * *", 'failed to parse int from H: strconv.Atoi: parsing "H": invalid syntax'),
        ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'),
    ],
)
def test_robfig_refuses_with_its_words(text: str, message: str) -> None:
    with pytest.raises(CronError) as refused:
        parse_schedule(text)
    assert str(refused.value) == message


def test_a_date_that_never_comes_has_no_next_time() -> None:
    assert parse_schedule("0 0 30 2 *").next(AT) is None  # ParseStandard accepts 30 February


def test_a_schedule_runs_in_its_time_zone_across_a_dst_change() -> None:
    paris = time_zone("Europe/Paris")
    schedule = parse_schedule("0 3 * * *")
    winter = schedule.next(datetime(2026, 11, 24, 12, tzinfo=UTC), paris)
    assert winter == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 03:00 at UTC+1
    # the night of 28-29 March 2027 Paris moves to UTC+2 at 02:00; 03:00 local is 01:00 UTC
    spring = schedule.next(datetime(2027, 3, 28, 12, tzinfo=UTC), paris)
    assert spring == datetime(2027, 3, 29, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "zone, errors",
    [
        ("Europe/Paris", []),
        ("", ["timeZone must be nil or non-empty string"]),
        ("Europe/Pariss", ["unknown time zone Europe/Pariss"]),
        ("../etc/passwd", ["unknown time zone ../etc/passwd"]),
        (
            "Local",
            [
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
            ],
        ),
    ],
)
def test_time_zones_are_validated_as_kube_apiserver_does(zone: str, errors: list[str]) -> None:
    assert time_zone_errors(zone) == errors


@pytest.mark.parametrize(
    "text, after, expected",
    [
        # robfig reads ? as * in any field
        ("? * * * *", AT, datetime(2026, 11, 24, 12, 1, tzinfo=UTC)),
        # */1 keeps the star: the day of week alone decides (Mondays), not "every day or Monday"
        ("0 0 */1 * 1", AT, datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
    ],
)
def test_robfig_readings_croniter_would_read_otherwise(text, after, expected) -> None:
    assert parse_schedule(text).next(after) == expected


def test_a_local_time_the_clocks_skip_is_not_run() -> None:
    """02:30 does not exist in New York on 14 March 2027 (clocks go from 02:00 to 03:00):
    robfig runs nothing that day, where croniter would run at 03:00."""
    new_york = time_zone("America/New_York")
    runs = parse_schedule("30 2 * * *").next(datetime(2027, 3, 13, 12, tzinfo=UTC), new_york)
    assert runs == datetime(2027, 3, 15, 6, 30, tzinfo=UTC)  # 02:30 EDT on the 15th


def test_a_bad_zone_in_the_schedule_is_worded_as_robfig_does() -> None:
    with pytest.raises(CronError) as refused:
        parse_schedule("CRON_TZ=Mars/Olympus 0 3 * * *")
    assert str(refused.value) == (
        "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"
    )


def test_only_exactly_local_loads_as_go_loads_it() -> None:
    explicit = (
        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
    )
    assert time_zone_errors("local") == [explicit, "unknown time zone local"]

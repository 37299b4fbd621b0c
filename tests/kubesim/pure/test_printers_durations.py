"""AGE cells follow apimachinery's `duration.HumanDuration` rules exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubesim.core.durations import between, human_duration, rfc3339, since

MIN, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    "seconds, want",
    [
        pytest.param(-3, "<invalid>", id="future-beyond-skew"),
        pytest.param(-1.5, "0s", id="skew-tolerated"),
        pytest.param(0, "0s", id="zero"),
        pytest.param(59, "59s", id="seconds"),
        pytest.param(119.9, "119s", id="seconds-until-two-minutes-truncated"),
        pytest.param(2 * MIN, "2m", id="two-minutes"),
        pytest.param(5 * MIN + 3, "5m3s", id="minutes-and-seconds"),
        pytest.param(9 * MIN + 59, "9m59s", id="last-with-seconds"),
        pytest.param(10 * MIN + 30, "10m", id="whole-minutes-from-ten"),
        pytest.param(179 * MIN + 59, "179m", id="minutes-up-to-three-hours"),
        pytest.param(3 * HOUR, "3h", id="three-hours"),
        pytest.param(3 * HOUR + 5 * MIN, "3h5m", id="hours-and-minutes"),
        pytest.param(7 * HOUR + 59 * MIN + 59, "7h59m", id="last-with-minutes"),
        pytest.param(8 * HOUR, "8h", id="whole-hours-from-eight"),
        pytest.param(47 * HOUR + 59 * MIN, "47h", id="hours-up-to-two-days"),
        pytest.param(2 * DAY, "2d", id="two-days"),
        pytest.param(2 * DAY + 3 * HOUR, "2d3h", id="days-and-hours"),
        pytest.param(7 * DAY + 23 * HOUR, "7d23h", id="last-with-hours"),
        pytest.param(8 * DAY + 5 * HOUR, "8d", id="whole-days-from-eight"),
        pytest.param(400 * DAY, "400d", id="days-up-to-two-years"),
        pytest.param(730 * DAY, "2y", id="two-years"),
        pytest.param(731 * DAY, "2y1d", id="years-and-days"),
        pytest.param(8 * 365 * DAY + 100 * DAY, "8y", id="whole-years-from-eight"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: float, want: str) -> None:
    assert human_duration(seconds) == want


NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "stamp, want",
    [
        pytest.param("2026-11-24T11:54:57Z", "5m3s", id="rfc3339"),
        pytest.param("2026-11-24T11:59:59.500000Z", "0s", id="microtime"),
        pytest.param("2026-11-24T13:00:00+01:00", "0s", id="offset"),
        pytest.param(None, "<unknown>", id="unset"),
        pytest.param("yesterday", "<unknown>", id="unreadable"),
    ],
)
def test_since_reads_stored_timestamps(stamp: object, want: str) -> None:
    assert since(stamp, now=NOW) == want


def test_since_accepts_a_naive_now_as_utc() -> None:
    assert since("2026-11-24T11:59:00Z", now=NOW.replace(tzinfo=None)) == "60s"


def test_between_measures_a_finished_span() -> None:
    assert between("2026-11-24T11:00:00Z", "2026-11-24T11:02:05Z") == "2m5s"
    assert between(None, "2026-11-24T11:02:05Z") == "<unknown>"


def test_rfc3339_renders_utc_seconds_like_go() -> None:
    assert rfc3339("2026-11-24T13:00:00.25+01:00") == "2026-11-24T12:00:00Z"
    assert rfc3339(None) == "0001-01-01T00:00:00Z"

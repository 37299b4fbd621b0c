"""CronJob schedules as Kubernetes reads them: robfig/cron's `ParseStandard`, and time zones.

The API server validates `spec.schedule` and `spec.timeZone` with the same parser the CronJob
controller runs them with, so both import this one module: a schedule the server accepts is
one the controller can run, and the error a learner reads is the one kube-apiserver gives
(`spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`).

croniter (a kept library) finds the next activation of five standard fields, time zones and
daylight-saving jumps included. What robfig's ParseStandard accepts and croniter does not is
added here (`@every <duration>`), what croniter accepts and robfig does not is refused here
first (six or seven fields, Jenkins' `H`, `L`, `W`, `#`, 7 for Sunday), and the field
syntax is checked here so errors are worded as robfig's are.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from croniter import croniter
from croniter.croniter import CroniterError


class CronError(ValueError):
    """A schedule or time zone Kubernetes refuses; the message is robfig's or Go's."""


# robfig/cron parser.go: the five fields' bounds and names.
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),  # minute
    (0, 23, {}),  # hour
    (1, 31, {}),  # day of month
    (
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(
                "jan feb mar apr may jun jul aug sep oct nov dec".split()  # noqa: SIM905
            )
        },
    ),
    (0, 6, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}),  # noqa: SIM905
)
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Go's time.ParseDuration units, in nanoseconds
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9}
_UNITS["h"] = 60 * _UNITS["m"]
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)")
# validation.go's validTimeZoneCharacters, for each `/`-separated part of a zone name
_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: five cron fields, or a constant delay (`@every 90s`)."""

    fields: str | None = None
    every: timedelta | None = None

    def next(self, after: datetime, zone: tzinfo = UTC) -> datetime | None:
        """The first activation strictly after `after` (in UTC), or None when the fields
        name a date that never comes (`0 0 30 2 *`, robfig's zero time)."""
        if self.every is not None:  # ConstantDelaySchedule: whole seconds, then the delay
            return after.replace(microsecond=0) + self.every
        assert self.fields is not None
        start = after.astimezone(zone)
        for _ in range(8):
            try:
                found = croniter(self.fields, start).get_next(datetime)
            except CroniterError:
                return None
            # a local time the clocks skip (02:30 on a spring-forward night): croniter moves
            # it to 03:00, robfig does not run it at all
            if croniter.match(self.fields, found.replace(tzinfo=None)):
                return found.astimezone(UTC)
            start = found
        return None


def parse_schedule(text: str) -> Schedule:
    """robfig/cron's ParseStandard: five fields, or a descriptor (`@hourly`, `@every 5m`)."""
    spec = text.strip()
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        zone, _, spec = spec.partition(" ")
        location = zone.split("=", 1)[1]
        try:
            time_zone(location)
        except CronError as exc:
            raise CronError(f"provided bad location {location}: {exc}") from None
        spec = spec.strip()
    if spec.startswith("@"):
        if spec.startswith("@every "):
            return Schedule(every=_every(spec[len("@every ") :].strip()))
        if spec not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != len(_FIELDS):
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for field, (low, high, names) in zip(fields, _FIELDS, strict=True):
        for part in field.split(","):
            _check_range(part, low, high, names)
    return Schedule(fields=" ".join(_as_croniter_reads(field) for field in fields))


def _as_croniter_reads(field: str) -> str:
    """robfig reads `?` as `*` in every field, and `*/1` keeps the star: a day-of-month of
    `*/1` leaves the day to the day of week, as `*` does (croniter would OR them)."""
    parts = []
    for part in field.split(","):
        if part.startswith("?"):
            part = "*" + part[1:]
        parts.append("*" if part == "*/1" else part)
    return ",".join(parts)


def _check_range(expr: str, low: int, high: int, names: dict[str, int]) -> None:
    """robfig's getRange: `*`, `?`, `N`, `N-M`, each optionally `/step`, with its errors."""
    range_and_step = expr.split("/")
    if len(range_and_step) > 2:
        raise CronError(f"too many slashes: {expr}")
    low_and_high = range_and_step[0].split("-")
    if len(low_and_high) > 2:
        raise CronError(f"too many hyphens: {expr}")
    star = low_and_high[0] in ("*", "?")
    if star:
        start, end = low, high
    else:
        start = _number(low_and_high[0], names)
        end = _number(low_and_high[1], names) if len(low_and_high) == 2 else start
    if len(range_and_step) == 2:
        step = _number(range_and_step[1], {})
        if step <= 0:
            raise CronError(f"step of range should be a positive number: {expr}")
        if not star and len(low_and_high) == 1:
            end = high  # "N/step" means N-max/step
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")


def _number(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _every(text: str) -> timedelta:
    """Go's time.ParseDuration for `@every`, at least one second as robfig rounds it."""
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise CronError(f'failed to parse duration @every {text}: time: invalid duration "{text}"')
    nanos = sum(float(n) * _UNITS[u] for n, u in parts)
    seconds = max(1, int(nanos // 10**9))  # robfig Every(): below a second is a second
    return timedelta(seconds=seconds)


def time_zone(name: str | None) -> tzinfo:
    """The zone a CronJob's schedule runs in: UTC (kube-controller-manager's own zone on kind
    and here) when unset, else the IANA zone; Go's `unknown time zone <name>` otherwise."""
    if name is None:
        return UTC
    if name == "" or name.lower() == "local" or name.startswith("/"):
        raise CronError(f"unknown time zone {name}")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"unknown time zone {name}") from None


def time_zone_errors(name: str) -> list[str]:
    """validation.go's validateTimeZone: what is wrong with `spec.timeZone`, in its words."""
    if name == "":
        return ["timeZone must be nil or non-empty string"]
    for part in name.split("/"):
        if part in (".", "..") or part.startswith("-") or not _ZONE_PART.match(part):
            return [f"unknown time zone {name}"]
    errors = []
    if name.lower() == "local":
        errors.append(
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        )
    try:
        time_zone(name)
    except CronError as exc:
        if name != "Local":  # Go's time.LoadLocation loads exactly "Local", no other spelling
            errors.append(str(exc))
    return errors

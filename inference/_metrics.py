"""Request metrics kept in memory and rendered in the Prometheus text format (0.0.4).

``Metrics`` only counts (under a lock); ``render`` is a pure function of a snapshot, so the
exposition format is tested on values, not on a running server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The Prometheus client libraries' default buckets: fine for 1 ms to 10 s requests.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
KNOWN_PATHS = ("/health", "/ready", "/predict", "/metrics", "/version")


def path_label(path: str) -> str:
    """A bounded label value: the known endpoint, or "other" (scanners must not add series)."""
    bare = path.split("?", 1)[0]
    return bare if bare in KNOWN_PATHS else "other"


@dataclass
class Histogram:
    """Cumulative-ready counts per bucket (non-cumulative here), sum and count."""

    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                break
        self.total += seconds
        self.count += 1


@dataclass(frozen=True)
class Snapshot:
    """What ``render`` needs, copied out from under the lock."""

    requests: dict[tuple[str, str], int]
    durations: dict[str, Histogram]
    in_flight: int
    model_loaded: bool
    info: dict[str, str]


class Metrics:
    """Thread-safe request counters for the HTTP handler threads (in-flight is the server's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = {}
        self._durations: dict[str, Histogram] = {}

    def observe(self, path: str, code: int, seconds: float) -> None:
        label = path_label(path)
        with self._lock:
            key = (label, str(code))
            self._requests[key] = self._requests.get(key, 0) + 1
            self._durations.setdefault(label, Histogram()).observe(seconds)

    def snapshot(self, *, in_flight: int, model_loaded: bool, info: dict[str, str]) -> Snapshot:
        with self._lock:
            return Snapshot(
                requests=dict(self._requests),
                durations={
                    k: Histogram(list(h.counts), h.total, h.count)
                    for k, h in self._durations.items()
                },
                in_flight=in_flight,
                model_loaded=model_loaded,
                info=dict(info),
            )


def render(snap: Snapshot) -> str:
    """The exposition text: HELP and TYPE once per family, samples sorted, final newline."""
    out = [
        "# HELP inference_requests_total HTTP requests answered, by path and status code.",
        "# TYPE inference_requests_total counter",
    ]
    for (path, code), n in sorted(snap.requests.items()):
        out.append(f"inference_requests_total{_labels(path=path, code=code)} {n}")
    out += [
        "# HELP inference_request_duration_seconds Time taken to answer an HTTP request.",
        "# TYPE inference_request_duration_seconds histogram",
    ]
    for path, hist in sorted(snap.durations.items()):
        running = 0
        for bound, n in zip(BUCKETS, hist.counts, strict=True):
            running += n
            le = _labels(path=path, le=_float(bound))
            out.append(f"inference_request_duration_seconds_bucket{le} {running}")
        inf = _labels(path=path, le="+Inf")
        out.append(f"inference_request_duration_seconds_bucket{inf} {hist.count}")
        out.append(f"inference_request_duration_seconds_sum{_labels(path=path)} {hist.total!r}")
        out.append(f"inference_request_duration_seconds_count{_labels(path=path)} {hist.count}")
    out += [
        "# HELP inference_in_flight_requests Requests being handled right now.",
        "# TYPE inference_in_flight_requests gauge",
        f"inference_in_flight_requests {snap.in_flight}",
        "# HELP inference_model_loaded 1 once the model is loaded and servable, else 0.",
        "# TYPE inference_model_loaded gauge",
        f"inference_model_loaded {int(snap.model_loaded)}",
        "# HELP inference_build_info Server and model versions; the value is always 1.",
        "# TYPE inference_build_info gauge",
        f"inference_build_info{_labels(**snap.info)} 1",
    ]
    return "\n".join(out) + "\n"


def _float(value: float) -> str:
    return repr(float(value))


def _labels(**labels: str) -> str:
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

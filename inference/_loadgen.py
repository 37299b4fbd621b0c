"""A small open-loop load generator: fire requests on a fixed schedule, report what happened.

Open loop means request *i* is due at ``start + i / rps`` whatever the server does, so a
slow server shows up as lower achieved throughput and higher latency, not as a politely
slower client. ``summarize``/``percentile`` are pure; ``run_load`` does the I/O.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Real Iris rows (one per class and some borderline ones) cycled through by /predict load.
SAMPLES = (
    [5.1, 3.5, 1.4, 0.2],
    [6.4, 3.2, 4.5, 1.5],
    [6.3, 3.3, 6.0, 2.5],
    [4.9, 3.0, 1.4, 0.2],
    [5.9, 3.0, 5.1, 1.8],
    [6.0, 2.2, 4.0, 1.0],
)


@dataclass(frozen=True)
class Target:
    """Where to send requests and how: POST with an Iris body for /predict, GET otherwise."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def method(self) -> str:
        return "POST" if self.path.split("?", 1)[0].endswith("/predict") else "GET"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.path}"


def parse_target(url: str, *, path: str | None = None) -> Target:
    """Split URL; ``path`` wins, else the URL's own path, else /predict. ValueError if bad."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL like http://inference-service:8080")
    own = parts.path + (f"?{parts.query}" if parts.query else "")
    chosen = path or (own if own not in ("", "/") else "/predict")
    if not chosen.startswith("/"):
        chosen = "/" + chosen
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Target(parts.scheme, parts.hostname, port, chosen)


@dataclass(frozen=True)
class Result:
    """One request: latency in seconds, and the HTTP status or the exception's name."""

    seconds: float
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Summary:
    """What a run achieved; ``render`` is the text the CLI prints."""

    target: Target
    rps: float
    seconds: float
    concurrency: int
    planned: int
    sent: int
    ok: int
    elapsed: float
    latencies_ms: Sequence[float]
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def achieved_rps(self) -> float:
        """Requests sent per second of the run (at least the planned length, so a fast
        server that finishes early does not look faster than the schedule)."""
        span = max(self.elapsed, self.seconds)
        return self.sent / span if span > 0 else 0.0

    def render(self) -> str:
        lines = [
            f"loadgen: {self.target.method} {self.target.url} at {self.rps:g} rps for "
            f"{self.seconds:g} s with {self.concurrency} workers",
            f"sent {self.sent} of {self.planned} planned, ok {self.ok}, "
            f"errors {self.sent - self.ok}",
            f"achieved {self.achieved_rps:.1f} requests/s over {self.elapsed:.2f} s",
        ]
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            lines.append(
                "latency "
                + ", ".join(f"p{q} {percentile(ordered, q):.1f} ms" for q in (50, 90, 99))
                + f", max {ordered[-1]:.1f} ms"
            )
        else:
            lines.append("latency n/a (no request was answered)")
        if self.errors:
            kinds = ", ".join(f"{k} x {n}" for k, n in sorted(self.errors.items()))
            lines.append(f"errors by kind: {kinds}")
        return "\n".join(lines)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100); NaN if empty."""
    if not ordered:
        return math.nan
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def summarize(
    target: Target,
    results: Sequence[Result],
    *,
    rps: float,
    seconds: float,
    concurrency: int,
    planned: int,
    elapsed: float,
) -> Summary:
    """Fold per-request results into a ``Summary`` (latency over every answered request)."""
    errors: Counter[str] = Counter()
    for r in results:
        if not r.ok:
            errors[str(r.status) if r.status is not None else (r.error or "error")] += 1
    return Summary(
        target=target,
        rps=rps,
        seconds=seconds,
        concurrency=concurrency,
        planned=planned,
        sent=len(results),
        ok=sum(r.ok for r in results),
        elapsed=elapsed,
        latencies_ms=[r.seconds * 1000 for r in results if r.status is not None],
        errors=dict(errors),
    )


def run_load(
    target: Target,
    *,
    rps: float,
    seconds: float,
    concurrency: int,
    timeout: float = 10.0,
    stop: threading.Event | None = None,
) -> Summary:
    """Send ``rps * seconds`` requests on schedule from ``concurrency`` threads."""
    stop = stop or threading.Event()
    planned = max(1, round(rps * seconds))
    tickets = itertools.count()
    lock = threading.Lock()
    results: list[Result] = []
    start = time.monotonic()
    deadline = start + seconds

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        while not stop.is_set():
            with lock:
                i = next(tickets)
            if i >= planned:
                break
            due = start + i / rps
            if stop.wait(max(0.0, due - time.monotonic())) or time.monotonic() > deadline + 1:
                break  # stopped, or so far behind schedule that the run is over
            if conn is None:
                conn = _connect(target, timeout)
            result, keep = _one_request(conn, target, i)
            if not keep:
                conn.close()
                conn = None
            with lock:
                results.append(result)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join(timeout + 1)
    with lock:
        done = list(results)
    return summarize(
        target,
        done,
        rps=rps,
        seconds=seconds,
        concurrency=concurrency,
        planned=planned,
        elapsed=time.monotonic() - start,
    )


def _connect(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return http.client.HTTPSConnection(target.host, target.port, timeout=timeout)
    return http.client.HTTPConnection(target.host, target.port, timeout=timeout)


def _one_request(conn: http.client.HTTPConnection, target: Target, i: int) -> tuple[Result, bool]:
    """Send request ``i``; return its result and whether the connection can be reused."""
    body = None
    headers = {"User-Agent": "kubelab-loadgen"}
    if target.method == "POST":
        body = json.dumps({"instances": [SAMPLES[i % len(SAMPLES)]]}).encode()
        headers["Content-Type"] = "application/json"
    t0 = time.perf_counter()
    try:
        conn.request(target.method, target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return Result(time.perf_counter() - t0, None, type(exc).__name__), False
    keep = not response.will_close
    return Result(time.perf_counter() - t0, response.status), keep

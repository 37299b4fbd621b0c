"""What a learner sees, read back the way they read it: kubectl tables, JSON, waits.

The scenario tests drive a served kubesim with the venv's real kubectl (through
`tests/kubesim/kubesim_process.py`'s `Cluster`) and assert on its *printed* output where a
learner would read it (the STATUS column, READY `1/1`, RESTARTS) and on `-o json` where a
learner would reach for jsonpath. `Lab` binds one cluster, the `lab` namespace and the
cluster's time scale; `parse_table` is pure. (A module of its own, with a unique name, so
tests can import it; fixtures live in conftest.py.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from kubesim_process import KUBECTL, Cluster, start_kubesim

from kubesim.core.clock import parse_time

T = TypeVar("T")


def start_scaled(state_dir: Path, scale: float, *, virtual: bool = False) -> Cluster:
    """A served kubesim with its controllers, `scale` times faster than real time (and on
    virtual time, jumping over idle waits, when `virtual`): both reach `python -m kubesim
    serve` as KUBESIM_TIME_SCALE and KUBESIM_VIRTUAL_TIME, its flags' defaults."""
    wanted = {"KUBESIM_TIME_SCALE": str(scale), "KUBESIM_VIRTUAL_TIME": "1" if virtual else "0"}
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        return start_kubesim(state_dir, controllers=True)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measured_speed(kubectl: Callable[..., subprocess.CompletedProcess[str]], apart: float) -> float:
    """Cluster seconds per real second between two ConfigMaps' creationTimestamps, made
    `apart` real seconds from each other with nothing else asked in between (`kubectl`
    runs in the namespace to use)."""
    stamps = []
    for name in ("speed-from", "speed-to"):
        kubectl("create", "configmap", name)
        made = kubectl("get", "configmap", name, "-o", "jsonpath={.metadata.creationTimestamp}")
        stamps.append((time.monotonic(), parse_time(made.stdout).timestamp()))
        if name == "speed-from":
            time.sleep(apart)
    kubectl("delete", "configmap", "speed-from", "speed-to")
    (real_a, cluster_a), (real_b, cluster_b) = stamps
    return (cluster_b - cluster_a) / (real_b - real_a)


POLL_SECONDS = 0.2
REPO = Path(__file__).resolve().parents[2]
WORKERS = ("kubelab-worker", "kubelab-worker2")


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of a kubectl table as {COLUMN: cell}, cut at the header's column starts.

    kubectl aligns every column to its header (tabwriter, two spaces of padding), and a
    cell may hold single spaces (`3 (10s ago)`), so columns are found from the header line
    rather than by splitting on whitespace.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("NAME"):
        return []
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:(?<=\s\s)|^)\S", header)]
    names = [header[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    rows = []
    for line in lines[1:]:
        if line.startswith("NAME") and line.split()[:2] == header.split()[:2]:
            continue  # a repeated header (kubectl get -w prints one per resource kind)
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


def restarts(cell: str) -> int:
    """The count in a RESTARTS cell: `0`, `3 (10s ago)`."""
    return int(cell.split()[0]) if cell else 0


@dataclass
class Watch:
    """`kubectl get -w` in the background: every row it prints, kept in order."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start(self) -> Watch:
        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        return self

    def rows(self) -> list[dict[str, str]]:
        header = next((line for line in self.lines if line.startswith("NAME")), None)
        if header is None:
            return []
        return parse_table("\n".join([header, *[x for x in self.lines if x != header]]))

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._reader is not None:
            self._reader.join(5)
        return "\n".join(self.lines)


@dataclass
class Lab:
    """One served kubesim, seen through kubectl in namespace `lab`."""

    cluster: Cluster
    scale: float
    namespace: str = "lab"

    # -- running kubectl ---------------------------------------------------------------

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """`kubectl -n lab ARGS` as the learner types it (the namespace is the lab's)."""
        return self.cluster.kubectl(
            "-n", self.namespace, *args, input=input, check=check, timeout=timeout
        )

    def get_json(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def table(self, *args: str) -> list[dict[str, str]]:
        return parse_table(self.kubectl("get", *args).stdout)

    def pods(self, selector: str = "app=inference") -> list[dict[str, Any]]:
        """`kubectl get pods -l SELECTOR -o json` items, terminating ones included."""
        items: list[dict[str, Any]] = self.get_json("pods", "-l", selector)["items"]
        return items

    def live_pods(self, selector: str = "app=inference") -> list[dict[str, Any]]:
        return [p for p in self.pods(selector) if not p["metadata"].get("deletionTimestamp")]

    def watch(self, *args: str) -> Watch:
        """`kubectl -n lab get ARGS -w`, read in the background until `stop()`."""
        process = subprocess.Popen(
            [KUBECTL, "--kubeconfig", str(self.cluster.kubeconfig), "-n", self.namespace]
            + ["get", *args, "-w"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.cluster.env,
        )
        return Watch(process).start()

    def apply(self, *paths: str) -> str:
        """`kubectl apply -f` the repo's own manifests (paths relative to the repo)."""
        files = [arg for path in paths for arg in ("-f", str(REPO / path))]
        return self.kubectl("apply", *files).stdout

    # -- time --------------------------------------------------------------------------

    def wall(self, cluster_seconds: float, *, slack: float = 30.0) -> float:
        """A wall-clock deadline for something the cluster does in `cluster_seconds`, with
        `slack` real seconds for real processes (interpreter start-up, kubectl)."""
        return cluster_seconds / self.scale + slack

    def wait_for(
        self, predicate: Callable[[], T | Literal[False] | None], *, timeout: float, what: str
    ) -> T:
        """Poll `predicate` every 0.2 s until it returns something truthy, and return it.

        A failed kubectl call (AssertionError) or a status field not written yet (KeyError,
        IndexError: a pod without `containerStatuses` the moment after it is created) counts
        as "not yet". On timeout the error names `what` was awaited and the last value seen,
        which is the evidence a person would look at first.
        """
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                last = predicate()
            except (AssertionError, KeyError, IndexError) as exc:  # not yet; keep trying
                last = exc
            if last and not isinstance(last, (AssertionError, KeyError, IndexError)):
                return last
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f}s waiting for {what}; last: {last}"
                )
            time.sleep(POLL_SECONDS)

    # -- what a learner checks -----------------------------------------------------------

    def pod_rows(self, selector: str = "app=inference") -> list[dict[str, str]]:
        """`kubectl get pods -l SELECTOR -o wide` as rows (NAME READY STATUS RESTARTS ... NODE)."""
        return self.table("pods", "-l", selector, "-o", "wide")

    def ready_running(self, count: int, selector: str = "app=inference") -> list[dict[str, str]]:
        """The rows when exactly `count` pods show READY 1/1 and STATUS Running, else []."""
        rows = self.pod_rows(selector)
        if len(rows) == count and all(
            r["READY"] == "1/1" and r["STATUS"] == "Running" for r in rows
        ):
            return rows
        return []

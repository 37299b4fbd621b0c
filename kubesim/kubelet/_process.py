"""One container = one process group on this host: start it, log it, limit it, stop it.

The kubelet decides *what* should run; this module only makes it so and reports what the
process really did (STYLE.md: "the kubelet reports what the processes did; never script a
status nothing produced"). Logs go to files in the CRI log format the real kubelet uses
(`<RFC3339Nano> stdout F <line>`), one file per restart, so `kubectl logs --previous` reads
the previous instance.

A container ends with all its processes, as when a runtime tears down its PID namespace:
when its first process exits or is killed, every other process of its cgroup is killed
(`Cgroup.kill_all`; without cgroups, its process group and the process tree taken before the
kill), and the log pumps then drain for at most `DRAIN_SECONDS`, so a stray process that
kept the log pipe open can never hold a pod in Terminating.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kubesim.kubelet import _cgroups
from kubesim.kubelet._images import Image
from kubesim.kubelet._mounts import Mount

NETSHIM_DIR = Path(__file__).resolve().parent / "_netshim"
RSS_POLL_SECONDS = 0.2
DRAIN_SECONDS = 1.0
READ_CHUNK = 32 * 1024


@dataclass(frozen=True)
class Limits:
    memory_bytes: int | None = None
    cpu_millis: int | None = None


@dataclass(frozen=True)
class Exit:
    """How a container process ended, in the terms of a containerStatus terminated state."""

    exit_code: int
    reason: str  # Completed | Error | OOMKilled
    started_at: datetime
    finished_at: datetime
    signal: int | None = None


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    memory_bytes: int


def _now() -> datetime:
    return datetime.now(UTC)


def cri_line(stream: str, line: bytes, at: datetime | None = None) -> bytes:
    stamp = (at or _now()).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    return f"{stamp} {stream} F ".encode() + line.rstrip(b"\n") + b"\n"


@dataclass(frozen=True)
class ExecSpec:
    """A command ready for `asyncio.create_subprocess_exec(*argv, cwd=cwd, env=env)`."""

    argv: list[str]
    cwd: str
    env: dict[str, str]


@dataclass
class Running:
    """A started container process. `wait()` resolves once, when it exits."""

    pid: int
    started_at: datetime
    log_path: Path
    cwd: str
    env: dict[str, str]
    _proc: asyncio.subprocess.Process
    _cgroup: _cgroups.Cgroup | None
    _limits: Limits
    _pumps: list[asyncio.Task[None]] = field(default_factory=list)
    _watch: asyncio.Task[None] | None = None
    _oom_killed_by_us: bool = False
    _exit: Exit | None = None
    _handles_sigterm: bool = False  # the image says so, whatever its stand-in process does
    # attach: the container's stdin (`stdin: true`: a pipe, or with `tty: true` the terminal's
    # master side, which also carries its output) and who is listening to its output
    tty: bool = False
    _stdin: asyncio.StreamWriter | None = None
    _master: int | None = None
    _listeners: list[asyncio.Queue[tuple[int, bytes] | None]] = field(default_factory=list)

    async def wait(self) -> Exit:
        if self._exit is not None:
            return self._exit
        await _exited(self.pid, self._proc)
        self._kill_rest()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._proc.wait()), DRAIN_SECONDS)
        if self._pumps:
            _, late = await asyncio.wait(self._pumps, timeout=DRAIN_SECONDS)
            for pump in late:
                pump.cancel()
        while self._proc.returncode is None:  # reaped by the child watcher, a moment later
            await asyncio.sleep(0.01)
        returncode = self._proc.returncode
        if self._watch is not None:
            self._watch.cancel()
        oom = self._oom_killed_by_us or (self._cgroup is not None and self._cgroup.oom_kills() > 0)
        sig = -returncode if returncode < 0 else None
        code = 128 + sig if sig else returncode
        reason = "OOMKilled" if oom else ("Completed" if code == 0 else "Error")
        self._exit = Exit(code, reason, self.started_at, _now(), sig)
        self._kill_rest()
        if self._cgroup is not None:
            self._cgroup.remove()
        return self._exit

    def _kill_rest(self, tree: list[int] | None = None) -> None:
        """SIGKILL every process of the container: its cgroup, or its process group and
        ``tree`` (the descendants by parent pid, taken while the first process lived)."""
        if self._cgroup is not None:
            self._cgroup.kill_all()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in tree or ():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def _kill_all(self) -> None:
        """The end of the grace period: the first process and everything it started."""
        tree = _cgroups.process_tree(self.pid) if self._cgroup is None else None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._kill_rest(tree)

    def alive(self) -> bool:
        return self._proc.returncode is None

    def exec_spec(self, argv: list[str], env: dict[str, str] | None = None) -> ExecSpec:
        """How to run `argv` inside this container (kubectl exec, exec probes, cp).

        Process mode: the command runs beside the container's first process, in its sandbox
        folder and with its environment. A container world overrides this to enter the
        container's namespaces."""
        return ExecSpec(argv=list(argv), cwd=self.cwd, env={**self.env, **(env or {})})

    def listen(self) -> asyncio.Queue[tuple[int, bytes] | None]:
        """Output from now on, as (1 stdout | 2 stderr, bytes); None once per stream at its
        end (one stream with a terminal, two without)."""
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        if not self.alive():
            for _ in range(1 if self.tty else 2):
                queue.put_nowait(None)
        self._listeners.append(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[tuple[int, bytes] | None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(queue)

    def write_stdin(self, data: bytes) -> None:
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.write(self._master, data)
        elif self._stdin is not None and not self._stdin.is_closing():
            self._stdin.write(data)

    def close_stdin(self) -> None:
        """`stdinOnce`: the first attached client's end of input is the container's."""
        if self._stdin is not None and not self._stdin.is_closing():
            self._stdin.close()

    def resize(self, width: int, height: int) -> None:
        if self._master is not None and width > 0 and height > 0:
            with contextlib.suppress(OSError):
                fcntl.ioctl(
                    self._master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0)
                )

    async def stop(
        self, grace_seconds: float, *, sleep: Callable[[float], object] | None = None
    ) -> Exit:
        """SIGTERM, wait up to the grace period, then SIGKILL: the kubelet's kill sequence.

        The runtime signals the container's PID 1 only, and a PID 1 receives from outside
        its namespace only the signals it handles (pid_namespaces(7)): `sleep 3600` or a
        shell without a trap ignores SIGTERM and dies by SIGKILL when the grace period
        ends, as on a node. The process here is the container's first process, so its
        handler mask (/proc/<pid>/status SigCgt) says which case this is."""
        if self.alive():
            if self._handles_sigterm or catches(self.pid, signal.SIGTERM):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.wait()), timeout=max(0.0, grace_seconds))
            except TimeoutError:
                self._kill_all()
        return await self.wait()

    def usage(self) -> Usage | None:
        if not self.alive():
            return None
        if self._cgroup is not None:
            pids = self._cgroup.pids() or [self.pid]
            memory = self._cgroup.memory_usage()
        else:
            pids, memory = _cgroups.process_tree(self.pid), None
        if memory is None:
            memory = _cgroups.rss_of(pids) or 0
        cpu = _cgroups.cpu_seconds_of(pids) or 0.0
        return Usage(cpu_seconds=cpu, memory_bytes=memory)

    async def _enforce_memory(self) -> None:
        """Fallback when cgroups are not writable: kill the process past its memory limit."""
        limit = self._limits.memory_bytes
        assert limit
        while self.alive():
            rss = _cgroups.process_rss(self.pid) or 0
            if rss > limit:
                self._oom_killed_by_us = True
                self._kill_all()
                return
            await asyncio.sleep(RSS_POLL_SECONDS)


async def _exited(pid: int, proc: asyncio.subprocess.Process) -> None:
    """Return once the process has exited. Not `proc.wait()`: that also waits until its
    stdout and stderr pipes close, which a stray process of the container can hold open.
    A pidfd turns readable when the process exits (Linux 5.3+); elsewhere, poll."""
    if proc.returncode is not None:
        return
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        while proc.returncode is None:
            await asyncio.sleep(0.1)
        return
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for `signum` (True when /proc cannot say)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except (OSError, ValueError, IndexError):
        pass
    return True


@dataclass(frozen=True)
class Network:
    """The pod's network view handed to the netshim."""

    pod_ip: str
    hosts_file: Path
    search: tuple[str, ...]
    net_id: int = 0


class Runtime:
    """Starts containers under `root/pods/<pod uid>/<container>/`."""

    def __init__(self, root: Path, *, cgroups: bool | None = None) -> None:
        self.root = root
        self.cgroups = _cgroups.available() if cgroups is None else cgroups
        # cgroups are machine-wide: a name unique to this runtime keeps two kubesims (or two
        # tests) whose pods share a uid from ever killing each other's processes
        self._cgroup_prefix = uuid.uuid4().hex[:8]

    def sandbox(self, pod_uid: str, container: str) -> Path:
        return self.root / "pods" / pod_uid / container

    def log_path(self, pod_uid: str, container: str, restart_count: int) -> Path:
        return self.sandbox(pod_uid, container) / "logs" / f"{restart_count}.log"

    def _prepare(self, pod_uid: str, container: str, image: Image) -> Path:
        box = self.sandbox(pod_uid, container)
        (box / "logs").mkdir(parents=True, exist_ok=True)
        for name, source in image.files.items():
            link = box / name
            if not link.exists():
                link.symlink_to(source, target_is_directory=True)
        return box

    async def start(
        self,
        *,
        pod_uid: str,
        container: str,
        restart_count: int,
        image: Image,
        command: list[str] | None,
        args: list[str] | None,
        env: dict[str, str],
        limits: Limits,
        network: Network | None,
        mounts: Sequence[Mount] = (),
        stdin: bool = False,
        tty: bool = False,
    ) -> Running:
        """Start a container. `mounts` are its resolved volumeMounts; process mode has no
        filesystem of its own to mount them into, so it ignores them (the container world
        binds them at their mountPath). `stdin` keeps its standard input open for attach
        (a pipe), `tty` gives it a terminal instead (the spec's `stdin` and `tty`)."""
        box = self._prepare(pod_uid, container, image)
        argv = image.command(command, args)
        if not argv:
            raise OSError("no command specified")
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(box),
            "HOSTNAME": env.get("HOSTNAME", ""),
            **image.env,
            **env,
        }
        if image.python and network is not None:
            full_env.update(
                PYTHONPATH=str(NETSHIM_DIR),
                KUBESIM_POD_IP=network.pod_ip,
                KUBESIM_HOSTS=str(network.hosts_file),
                KUBESIM_SEARCH=" ".join(network.search),
                KUBESIM_NET_ID=str(network.net_id),
            )
        cgroup = None
        if self.cgroups:  # limits or not: the cgroup is how every process of it is found
            cgroup = _cgroups.Cgroup.create(
                f"{self._cgroup_prefix}-{pod_uid}-{container}-{restart_count}"
            )
            cgroup.limit(memory_bytes=limits.memory_bytes, cpu_millis=limits.cpu_millis)

        def _in_child() -> None:
            _die_with_parent()
            if cgroup is not None:
                cgroup.attach(os.getpid())
            if tty:
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        log_path = self.log_path(pod_uid, container, restart_count)
        master, slave = pty.openpty() if tty else (None, None)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=str(box),
                env={"TERM": "xterm", **full_env} if tty else full_env,
                stdin=slave
                if tty
                else asyncio.subprocess.PIPE
                if stdin
                else asyncio.subprocess.DEVNULL,
                stdout=slave if tty else asyncio.subprocess.PIPE,
                stderr=slave if tty else asyncio.subprocess.PIPE,
                start_new_session=True,
                preexec_fn=_in_child,
            )
        except BaseException:
            if master is not None:
                os.close(master)
            raise
        finally:
            if slave is not None:
                os.close(slave)
        running = Running(
            pid=proc.pid,
            started_at=_now(),
            log_path=log_path,
            cwd=str(box),
            env=full_env,
            _proc=proc,
            _cgroup=cgroup,
            _limits=limits,
            _handles_sigterm=image.handles_sigterm,
            tty=tty,
            _stdin=proc.stdin,
            _master=master,
        )
        handle = log_path.open("ab", buffering=0)
        if master is not None:
            running._pumps = [asyncio.create_task(_pump_terminal(running, master, handle))]
        else:
            running._pumps = [
                asyncio.create_task(_pump(proc.stdout, "stdout", handle, running)),
                asyncio.create_task(_pump(proc.stderr, "stderr", handle, running)),
            ]
        if cgroup is None and limits.memory_bytes:
            running._watch = asyncio.create_task(running._enforce_memory())
        return running


def _die_with_parent() -> None:
    """Containers must not outlive a `kill -9`ed kubesim (they would hold their ports)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the kubelet still stops containers on a clean shutdown


async def _pump(stream: asyncio.StreamReader | None, name: str, handle, running: Running) -> None:  # type: ignore[no-untyped-def]
    """One output stream into the log, a CRI line per line, and to whoever is attached."""
    number = 1 if name == "stdout" else 2
    partial = b""
    try:
        while stream is not None:
            chunk = await stream.read(READ_CHUNK)
            if not chunk:
                break
            for queue in running._listeners:
                queue.put_nowait((number, chunk))
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                handle.write(cri_line(name, line))
        if partial:
            handle.write(cri_line(name, partial))
    finally:
        for queue in running._listeners:
            queue.put_nowait(None)


def read_terminal(master: int) -> asyncio.Queue[bytes]:
    """What a terminal shows, chunk by chunk from its master side, then b"" once every
    process holding it has exited (EIO)."""
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()

    def readable() -> None:
        try:
            chunk = os.read(master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process holding the terminal has exited
            chunk = b""
        if not chunk:
            loop.remove_reader(master)
        chunks.put_nowait(chunk)

    os.set_blocking(master, False)
    loop.add_reader(master, readable)
    return chunks


async def _pump_terminal(running: Running, master: int, handle) -> None:  # type: ignore[no-untyped-def]
    """A container with a terminal: everything it shows is its stdout."""
    chunks = read_terminal(master)
    partial = b""
    try:
        while chunk := await chunks.get():
            for queue in running._listeners:
                queue.put_nowait((1, chunk))
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                handle.write(cri_line("stdout", line.rstrip(b"\r")))
        if partial:
            handle.write(cri_line("stdout", partial))
    finally:
        with contextlib.suppress(OSError, ValueError):
            asyncio.get_running_loop().remove_reader(master)
        running._master = None
        with contextlib.suppress(OSError):
            os.close(master)
        for queue in running._listeners:
            queue.put_nowait(None)


def read_log(
    path: Path,
    *,
    tail_lines: int | None = None,
    timestamps: bool = False,
    since: datetime | None = None,
) -> list[str]:
    """Lines of a CRI log file as `kubectl logs` prints them."""
    try:
        raw = path.read_bytes().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return []
    out: list[str] = []
    for entry in raw:
        stamp, _, rest = entry.partition(" ")
        _stream, _, rest = rest.partition(" ")
        _tag, _, text = rest.partition(" ")
        if since is not None and stamp[:26] < since.strftime("%Y-%m-%dT%H:%M:%S.%f"):
            continue
        out.append(f"{stamp} {text}" if timestamps else text)
    if tail_lines is not None and tail_lines >= 0:
        out = out[-tail_lines:] if tail_lines else []
    return out

"""One container: start it, log it, limit it, stop it.

On Linux a container is a world of its own (`_world`, `_rootfs`, `_ctrinit`): its own mount,
UTS, IPC and PID namespaces and a root filesystem assembled for its image, its command PID 1
there. Where namespaces are not available it is one process group on this host (process
mode), and kubesim says so (`Isolation.describe`).

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
import errno
import fcntl
import os
import pty
import signal
import socket
import struct
import sys
import termios
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kubesim.kubelet import _cgroups, _launch, _rootfs, _world
from kubesim.kubelet._ctrinit import ENV_KEYS
from kubesim.kubelet._dnsconfig import PodDns
from kubesim.kubelet._images import Image
from kubesim.kubelet._mounts import Mount
from kubesim.kubelet._resize import memory_decrease_refused
from kubesim.kubelet._securitycontext import ROOT, Identity
from kubesim.network.fabric import Sandbox

NETSHIM_DIR = Path(__file__).resolve().parent / "_netshim"
# util-linux 2.38's `unshare --fork` cannot re-raise a SIGKILL that ended its child: it says
# this and exits 1 instead (its sigprocmask on SIGKILL fails). It means "killed by SIGKILL".
UNSHARE_SIGKILL_BUG = "sigprocmask unblock failed"
RSS_POLL_SECONDS = 0.2
EARLY_BYTES = 64 * 1024  # output kept for the first attached client (`Running.remember`)
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
    """A command ready for `asyncio.create_subprocess_exec(*argv, cwd=cwd, env=env,
    preexec_fn=preexec)`, where `argv, preexec = spec.launch(spec.options())`. In a container
    world `argv` is `_ctrinit --enter ... -- CMD` (`enters`), which takes `options()`: a
    status fd (a command that cannot start fails before it runs) and a console socket (a
    terminal made in the container's devpts)."""

    argv: list[str]
    cwd: str
    env: dict[str, str]
    enters: bool = False
    # the container's cgroup: an exec'd command counts in its CPU and memory and dies with it
    cgroup: _cgroups.Cgroup | None = None

    def join(self) -> None:
        """In the child before exec: die with kubesim, and join the container's cgroup."""
        _die_with_parent()
        if self.cgroup is not None:
            with contextlib.suppress(OSError):  # the container ended meanwhile
                self.cgroup.attach(os.getpid())

    def launch(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        """`argv` (from `options()`) and the `preexec_fn` to start it with: none for
        `_ctrinit --enter`, which `_launch` starts in the cgroup without forking kubesim."""
        if self.enters:
            procs = self.cgroup.procs() if self.cgroup is not None else ()
            launched = _launch.argv(argv, procs, strict=False)
            if launched is not None:
                return launched, None
        return argv, self.join

    def options(self, *, status_fd: int | None = None, console_fd: int | None = None) -> list[str]:
        """`argv` with `_ctrinit --enter`'s options added (only when `enters`)."""
        if not self.enters:
            return list(self.argv)
        flags = [f"--status-fd={status_fd}"] if status_fd is not None else []
        flags += [f"--console-fd={console_fd}"] if console_fd is not None else []
        split = self.argv.index("--")
        return [*self.argv[:split], *flags, *self.argv[split:]]


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
    _ended: int = 0  # output streams whose pump has finished (and told the listeners then)
    # with `stdin: true`, what it printed before its first client attached (to EARLY_BYTES)
    _early: list[tuple[int, bytes]] | None = None
    _early_bytes: int = 0
    _group: int | None = None  # the process group kubesim started (process mode: pid's own)
    _enter: list[str] | None = None  # container world: the prefix that enters it
    _contained: bool = False
    _waiter: asyncio.Future[Exit] | None = None

    async def wait(self) -> Exit:
        if self._exit is not None:
            return self._exit
        if self._waiter is None:  # one reaping for every caller (stop waits while others do)
            self._waiter = asyncio.ensure_future(self._reap())
        return await asyncio.shield(self._waiter)

    async def _reap(self) -> Exit:
        await _exited(self._proc.pid, self._proc)
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
        if self._contained and returncode == 1 and await self._unshare_says(UNSHARE_SIGKILL_BUG):
            returncode = -signal.SIGKILL
        if self._watch is not None:
            self._watch.cancel()
        oom = self._oom_killed_by_us or (self._cgroup is not None and self._cgroup.oom_kills() > 0)
        sig = -returncode if returncode < 0 else None
        code = 128 + sig if sig else returncode
        reason = "OOMKilled" if oom else ("Completed" if code == 0 else "Error")
        self._exit = Exit(code, reason, sig)
        self._kill_rest()
        if self._cgroup is not None:
            self._cgroup.remove()
        return self._exit

    async def _unshare_says(self, text: str) -> bool:
        """Whether `unshare` itself (not the container: its logs have their own pipes)
        reported `text` on its stderr."""
        if self._proc.stderr is None:
            return False
        return text in (await _drained(self._proc.stderr)).decode("utf-8", "replace")

    def _kill_rest(self, tree: list[int] | None = None) -> None:
        """SIGKILL every process of the container: its cgroup, or its process group and
        ``tree`` (the descendants by parent pid, taken while the first process lived), and
        in process mode the strays still in its sandbox (a PID namespace ends those)."""
        if self._cgroup is not None:
            self._cgroup.kill_all()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._group or self.pid, signal.SIGKILL)
        if not self._contained and not self.alive():
            tree = [*(tree or ()), *_cgroups.strays_in(self.cwd, self.env)]
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
        folder and with its environment. In a container world `_ctrinit --enter` enters
        the container first: its namespaces, root, working directory and capabilities."""
        merged = {**self.env, **(env or {})}
        if self._enter is not None:
            # the command's environment exactly: `_ctrinit --enter` keeps these keys only
            keys = {ENV_KEYS: "=".join(merged), "PYTHONCOERCECLOCALE": "0"}
            return ExecSpec(
                argv=[*self._enter, *argv],
                cwd="/",
                env={**merged, **keys},
                enters=True,
                cgroup=self._cgroup,
            )
        return ExecSpec(argv=list(argv), cwd=self.cwd, env=merged, cgroup=self._cgroup)

    def listen(self, *, replay: bool = False) -> asyncio.Queue[tuple[int, bytes] | None]:
        """Output from now on, as (1 stdout | 2 stderr, bytes); None once per stream at its
        end (one stream with a terminal, two without). With `replay`, the first client also
        gets what the container printed before it came (`remember`).

        A stream that has already ended is said ended at once, from the pumps' count, not
        from `alive()`: the pipes can reach their end before the child watcher records the
        exit (in a container world every exit passes through that moment), and a client
        attached in between would wait for ever for ends the pumps sent before it came."""
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        for item in (self._early or []) if replay else []:
            queue.put_nowait(item)
        self._early = None  # only the first client's
        for _ in range(self._ended):
            queue.put_nowait(None)
        self._listeners.append(queue)
        return queue

    def remember(self, number: int, chunk: bytes) -> None:
        """Keep output printed before the first client attached, for `kubectl run -i`.

        kubectl attaches once it sees the pod Running. A node reports that at its next
        relist (up to a second), so a quick command (`nslookup`, `wget`) has usually ended
        by then and kubectl shows its log; kubesim reports it at once, and the command's
        first lines came before the attach. The first client of a `stdinOnce` container
        (what `kubectl run -i` makes) gets them, so it sees what it would on a node; what
        kubectl already read from the log before attaching is not among them (`log_read`)."""
        if self._early is None:
            return
        self._early.append((number, chunk))
        self._early_bytes += len(chunk)
        if self._early_bytes > EARLY_BYTES:
            self._early = None  # a chatty container: from the attach on, as on a node

    def log_read(self) -> None:
        """Someone read this container's log: kubectl 1.37's `run -i` shows the log before
        it attaches, so its first client is replayed only what came after that read (and
        a line still without its newline is lost, as on a node: "If you don't see a command
        prompt, try pressing enter"), never a line twice."""
        if self._early is not None:
            self._early = []
            self._early_bytes = 0

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
        handler mask (/proc/<pid>/status SigCgt) says which case this is. In a container
        world the kernel applies that rule itself; an image whose real program handles
        SIGTERM but whose stand-in (`sleep`) cannot as PID 1 is ended at once (SIGKILL)."""
        if self.alive():
            catching = catches(self.pid, signal.SIGTERM)
            if self._contained and self._handles_sigterm and not catching:
                self._kill_all()
            elif self._handles_sigterm or catching:
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
        pids = self._pids()
        cpu = _cgroups.cpu_seconds_of(pids) or 0.0
        return Usage(cpu_seconds=cpu, memory_bytes=self._memory(lambda: pids))

    def memory_bytes(self) -> int | None:
        """The memory `usage()` reports, alone: what the eviction manager's 10 s passes and a
        scrape too soon for a CPU rate need. With a cgroup that is one read of memory.current,
        not the list of its processes and a /proc read for each, which a virtual clock at
        50x asked for some twenty times a second per node."""
        return self._memory(self._pids) if self.alive() else None

    def _pids(self) -> list[int]:
        if self._cgroup is not None:
            return self._cgroup.pids() or [self.pid]
        return _cgroups.process_tree(self.pid, fresh=False)

    def _memory(self, pids: Callable[[], list[int]]) -> int:
        """The cgroup's memory.current, else the RSS of the processes (listed only then)."""
        memory = self._cgroup.memory_usage() if self._cgroup is not None else None
        return memory if memory is not None else _cgroups.rss_of(pids()) or 0

    def set_limits(self, limits: Limits) -> str | None:
        """UpdateContainerResources for an in-place resize: the new limits on the running
        container (its cgroup; without cgroups, the memory watch reads them). A memory
        limit below what it uses now is not applied (the kubelet's best effort against an
        OOM kill); returns why, or None."""
        if limits.memory_bytes and limits.memory_bytes < (self._limits.memory_bytes or 0):
            used = self.usage()
            if used is not None and used.memory_bytes > limits.memory_bytes:
                return memory_decrease_refused(limits.memory_bytes, used.memory_bytes)
        if self._cgroup is not None:
            try:
                self._cgroup.limit(memory_bytes=limits.memory_bytes, cpu_millis=limits.cpu_millis)
            except OSError as exc:
                return f"updating the container's cgroup: {exc.strerror or exc}"
        self._limits = limits
        if (
            self._cgroup is None
            and limits.memory_bytes
            and (self._watch is None or self._watch.done())
        ):
            self._watch = asyncio.create_task(self._enforce_memory())
        return None

    async def _enforce_memory(self) -> None:
        """Fallback when cgroups are not writable: kill the process past its memory limit
        (read each time: an in-place resize may change it)."""
        while self.alive():
            limit = self._limits.memory_bytes
            if not limit:
                return
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
    """The pod's network view: for the netshim, and for the container's /etc (hosts,
    hostname, resolv.conf) as the kubelet writes it."""

    pod_ip: str
    hosts_file: Path
    search: tuple[str, ...]
    net_id: int = 0
    hostname: str = ""
    subdomain: str = ""
    # the pod's sandbox in the fabric (kubesim/network/fabric.py): its containers join its
    # network namespace and resolve through /etc/resolv.conf; None: the loopback shim
    sandbox: Sandbox | None = None
    dns: PodDns | None = None  # its dnsPolicy and dnsConfig, for /etc/resolv.conf
    host_aliases: str = ""  # its hostAliases, for /etc/hosts

    def netshim(self) -> dict[str, str]:
        """The shim's configuration, as the KUBESIM_* variables of process mode say it."""
        return {
            "KUBESIM_POD_IP": self.pod_ip,
            "KUBESIM_HOSTS": f"{NETSHIM_DNS_DIR}/{self.hosts_file.name}",
            "KUBESIM_SEARCH": " ".join(self.search),
            "KUBESIM_NET_ID": str(self.net_id),
        }


NETSHIM_DNS_DIR = "/usr/local/lib/kubesim/dns"  # the cluster's DNS records, in the container


class Runtime:
    """Starts containers under `root/pods/<pod uid>/<container>/`."""

    def __init__(
        self,
        root: Path,
        *,
        cgroups: bool | None = None,
        isolation: _world.Isolation | None = None,
    ) -> None:
        self.root = root
        self.cgroups = _cgroups.available() if cgroups is None else cgroups
        self.isolation = _world.probe() if isolation is None else isolation
        # cgroups are machine-wide: a name unique to this runtime keeps two kubesims (or two
        # tests) whose pods share a uid from ever killing each other's processes
        self._cgroup_prefix = uuid.uuid4().hex[:8]

    def sandbox(self, pod_uid: str, container: str) -> Path:
        return self.root / "pods" / pod_uid / container

    def log_path(self, pod_uid: str, container: str, restart_count: int) -> Path:
        return self.sandbox(pod_uid, container) / "logs" / f"{restart_count}.log"

    def termination_log(self, pod_uid: str, container: str, restart_count: int) -> Path | None:
        """An empty file for the container's terminationMessagePath, one per run (the
        kubelet's pods/<uid>/containers/<name>/<id>); None in process mode, where a path in
        the container would be the host's."""
        if not self.isolation.contained:
            return None
        folder = self.sandbox(pod_uid, container) / "termination"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / str(restart_count)
        path.write_bytes(b"")
        path.chmod(0o666)  # whichever user the container runs as may write it
        return path

    def _prepare(self, pod_uid: str, container: str, image: Image) -> Path:
        box = self.sandbox(pod_uid, container)
        (box / "logs").mkdir(parents=True, exist_ok=True)
        if self.isolation.contained:
            return box
        for target, source in image.files.items():
            # process mode: the image's files relative to the sandbox standing in for WORKDIR
            path = Path(target)
            work = Path(image.working_dir or "/")
            relative = (
                path.relative_to(work) if path.is_relative_to(work) else path.relative_to("/")
            )
            link = box / relative
            if not link.exists() and not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(source, target_is_directory=source.is_dir())
        return box

    def warning(self, image: Image) -> str | None:
        """What a pod's events say when this runtime cannot give the image its own world."""
        if self.isolation.contained or image.base == "python":
            return None
        return (
            f"kubesim runs this container in process mode ({self.isolation.reason}): image "
            f"{image.ref.name} stands on busybox, but its commands are this host's own programs "
            "and see the host's filesystem, hostname and processes"
        )

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
        identity: Identity = ROOT,
        pid_of: int | None = None,
    ) -> Running:
        """Start a container. `mounts` are its resolved volumeMounts: the container world
        binds them at their mountPath; process mode has no filesystem of its own to mount
        them into, so it ignores them. `stdin` keeps its standard input open for attach (a
        pipe), `tty` gives it a terminal instead (the spec's `stdin` and `tty`). `pid_of`:
        the container world joins that process's PID namespace (`_world.unshare_argv`)."""
        box = self._prepare(pod_uid, container, image)
        argv = image.command(command, args)
        if not argv:
            raise OSError("no command specified")
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
            if tty and not contained:  # the container world's init takes its terminal itself
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        contained = self.isolation.contained
        log_path = self.log_path(pod_uid, container, restart_count)
        # process mode: a host terminal; the container world makes its own in the container
        master, slave = pty.openpty() if tty and not contained else (None, None)
        piped = stdin and not tty and self.isolation.contained  # process mode: asyncio's pipe
        stdin_read, stdin_write = os.pipe() if piped else (None, None)
        try:
            if self.isolation.contained:
                full_env = {
                    "PATH": _rootfs.image_path(image),
                    "HOSTNAME": env.get("HOSTNAME", ""),
                    "HOME": identity.home,
                    **({"TERM": "xterm"} if tty else {}),
                    **image.env,
                    **env,
                }
                proc, pid, enter, logs, master = await self._start_contained(
                    box, image, argv, full_env, network, mounts, _in_child,
                    cgroup=cgroup, tty=tty, stdin_fd=stdin_read, identity=identity,
                    pid_of=pid_of,
                )  # fmt: skip
                cwd = image.working_dir or "/"
                writer = await _writer(stdin_write) if stdin_write is not None else None
                stdin_write = None
            else:
                full_env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(box),
                    "HOSTNAME": env.get("HOSTNAME", ""),
                    **({"TERM": "xterm"} if tty else {}),
                    **image.env,
                    **env,
                }
                if image.python and network is not None and network.sandbox is None:
                    full_env.update(PYTHONPATH=str(NETSHIM_DIR), **network.netshim())
                    full_env["KUBESIM_HOSTS"] = str(network.hosts_file)
                host = image.host_command(argv)  # argv[0] stays the pod's name for it
                proc = await asyncio.create_subprocess_exec(
                    *argv[:1],
                    *host[1:],
                    executable=host[0] if host else None,
                    cwd=str(box),
                    env=full_env,
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
                pid, enter, cwd = proc.pid, None, str(box)
                logs, writer = None, proc.stdin
        except BaseException:
            if cgroup is not None:
                cgroup.kill_all()
                cgroup.remove()
            if master is not None:
                os.close(master)
            raise
        finally:
            for fd in (slave, stdin_read, stdin_write):
                if fd is not None:
                    os.close(fd)
        running = Running(
            pid=pid,
            started_at=_now(),
            log_path=log_path,
            cwd=cwd,
            env=full_env,
            _proc=proc,
            _cgroup=cgroup,
            _limits=limits,
            _handles_sigterm=image.handles_sigterm,
            tty=tty,
            _stdin=writer,
            _master=master,
            _group=proc.pid,
            _enter=enter,
            _contained=self.isolation.contained,
        )
        if stdin:  # only a container with stdin is attached to by `kubectl run -i`
            running._early = []
        handle = log_path.open("ab", buffering=0)
        if master is not None:
            running._pumps = [asyncio.create_task(_pump_terminal(running, master, handle))]
        else:
            stdout, stderr = logs or (proc.stdout, proc.stderr)
            running._pumps = [
                asyncio.create_task(_pump(stdout, "stdout", handle, running)),
                asyncio.create_task(_pump(stderr, "stderr", handle, running)),
            ]
        if cgroup is None and limits.memory_bytes:
            running._watch = asyncio.create_task(running._enforce_memory())
        return running

    async def _start_contained(
        self,
        box: Path,
        image: Image,
        argv: list[str],
        env: dict[str, str],
        network: Network | None,
        mounts: Sequence[Mount],
        preexec: Callable[[], None],
        *,
        cgroup: _cgroups.Cgroup | None = None,
        tty: bool = False,
        stdin_fd: int | None = None,
        identity: Identity = ROOT,
        pid_of: int | None = None,
    ) -> tuple[
        asyncio.subprocess.Process,
        int,
        list[str],
        tuple[asyncio.StreamReader, asyncio.StreamReader] | None,
        int | None,
    ]:
        """Assemble the container's root filesystem, start `_ctrinit` in fresh namespaces and
        wait until it reports that it is exec'ing the command (or why it cannot). With `tty`
        the init makes the terminal in the container's own devpts and sends its master back
        (the last item), as runc's console socket does."""
        if image.base in ("busybox", "pause") and not _rootfs.BUSYBOX.is_file():
            raise _world.SetupError(
                2,
                f"kubesim's busybox image needs {_rootfs.BUSYBOX}: install Debian's "
                "busybox-static (`apt-get install busybox-static`)",
                argv[0],
            )
        net = network or Network("", Path("/nonexistent/hosts"), ())
        shim = image.python and network is not None and net.sandbox is None
        pod = _rootfs.PodIdentity(
            hostname=net.hostname or env.get("HOSTNAME", "") or "localhost",
            namespace=(net.search[0].split(".")[0] if net.search else "default"),
            pod_ip=net.pod_ip,
            subdomain=net.subdomain,
            search=net.search,
            dns=net.dns,
            host_aliases=net.host_aliases,
        )
        netshim = net.netshim() if shim else None
        dns_dir = net.hosts_file.parent if shim else None

        def build() -> tuple[_rootfs.Layout, Path]:
            layout = _rootfs.plan(image, pod, mounts=mounts, netshim=netshim, dns_dir=dns_dir)
            return layout, layout.materialize_fresh(box / "rootfs", links=self.root / "links")

        try:
            # hundreds of links and folders: written off the loop (the syscalls release the
            # GIL), so the API server answers while a pod's root filesystem is laid out
            layout, rootfs = await asyncio.to_thread(build)
        except (_rootfs.LayoutError, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc  # no host path
            raise _world.SetupError(
                0, f"error mounting into the container: {why}", argv[0]
            ) from exc
        status_read, status_write = os.pipe()
        # a terminal is the container's stdin, stdout and stderr at once; else two log pipes
        out_read, out_write = os.pipe() if not tty else (None, None)
        err_read, err_write = os.pipe() if not tty else (None, None)
        ours, theirs = (
            socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) if tty else (None, None)
        )
        console = theirs.detach() if theirs is not None else None
        stdin = stdin_fd if not tty else None
        spec = box / "init.json"
        _rootfs.InitSpec(
            rootfs=rootfs,
            binds=layout.binds(),
            hostname=pod.hostname,
            working_dir=image.working_dir or "/",
            argv=argv,
            env=env,
            status_fd=status_write,
            stdout_fd=out_write,
            stderr_fd=err_write,
            stdin_fd=stdin,
            console_fd=console,
            identity=identity.init_fields(),
            user_namespace=self.isolation.user_namespace,
        ).write(spec)
        passed = tuple(
            dict.fromkeys(
                fd for fd in (status_write, out_write, err_write, stdin, console) if fd is not None
            )
        )
        init = [
            *self.isolation.unshare_argv(
                netns=net.sandbox.netns if net.sandbox else None,
                userns=net.sandbox.userns if net.sandbox else None,
                pid_of=pid_of,
            ),
            sys.executable, "-I", "-S", str(_world.INIT), str(spec),
        ]  # fmt: skip
        # `preexec` (the cgroup, dying with kubesim) only where `_launch` cannot do it
        launched = _launch.argv(init, cgroup.procs() if cgroup else (), strict=True)
        try:
            proc = await asyncio.create_subprocess_exec(
                *(launched or init),
                cwd="/",
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                preexec_fn=preexec if launched is None else None,
                pass_fds=passed,
            )
        except BaseException:
            for fd in (status_read, out_read, err_read):
                if fd is not None:
                    os.close(fd)
            if ours is not None:
                ours.close()
            raise
        finally:
            for fd in (status_write, out_write, err_write, console):
                if fd is not None:
                    os.close(fd)
        logs = (
            (await _reader(out_read), await _reader(err_read))
            if out_read is not None and err_read is not None
            else None
        )
        pid, error = await _world.read_status(status_read)
        master = None
        if error is None and pid is not None and ours is not None:
            master = _world.receive_console(ours)  # sent before `exec` was reported
            if master is None:
                error = f"{errno.EIO} the container's init sent no terminal"
        if ours is not None:
            ours.close()
        if error is not None or pid is None:
            said = await _said_as_it_ended(proc, cgroup)
            raise _world.setup_error(error or f"0 {said or 'the container did not start'}", argv[0])
        enter = self.isolation.enter_argv(pid, net=net.sandbox is not None)
        enter[-1:-1] = identity.enter_flags()  # before its "--"
        return proc, pid, enter, logs, master


async def _said_as_it_ended(
    proc: asyncio.subprocess.Process, cgroup: _cgroups.Cgroup | None
) -> str:
    """What an init step that failed (or never reported) wrote on its stderr, once it and
    its container's processes are killed; read for at most DRAIN_SECONDS. Not
    `proc.communicate()`: it waits until every holder of the pipe has ended, without a
    bound, and one process still holding it (the init's child, or one the kernel cannot
    kill yet) would leave the pod ContainerCreating for good instead of failing it."""
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    if cgroup is not None:
        cgroup.kill_all()
    said = await _drained(proc.stderr) if proc.stderr is not None else b""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_exited(proc.pid, proc), DRAIN_SECONDS)
    return said.decode("utf-8", "replace").strip()


async def _drained(stream: asyncio.StreamReader) -> bytes:
    """What `stream` gives until its end or for DRAIN_SECONDS, whichever comes first, kept
    as it comes: a process still holding the pipe's other end may never close it."""
    loop = asyncio.get_running_loop()
    until = loop.time() + DRAIN_SECONDS
    said: list[bytes] = []
    with contextlib.suppress(TimeoutError):
        while chunk := await asyncio.wait_for(stream.read(READ_CHUNK), until - loop.time()):
            said.append(chunk)
    return b"".join(said)


async def _writer(fd: int) -> asyncio.StreamWriter:
    """An asyncio writer on a pipe's write end: the container's stdin for attach."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", buffering=0)
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)


async def _reader(fd: int) -> asyncio.StreamReader:
    """An asyncio reader on a pipe's read end (closed by its transport at EOF)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    return reader


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
            running.remember(number, chunk)
            for queue in running._listeners:
                queue.put_nowait((number, chunk))
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                handle.write(cri_line(name, line))
        if partial:
            handle.write(cri_line(name, partial))
    finally:
        running._ended += 1
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
            running.remember(1, chunk)
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
        running._ended += 1
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

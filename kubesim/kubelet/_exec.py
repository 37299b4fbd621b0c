"""A command run inside a running container for `kubectl exec` (and cp, which is tar over exec),
and a client attached to a container's own process (`kubectl attach`, `kubectl run -it`).

The container's `Running.exec_spec` says *how* to run it (process mode: beside the container's
first process, in its sandbox with its environment; the container world: entered into the
container's namespaces); this module only starts it with the streams the client asked for
and hands them over:

* without a TTY, stdin (a pipe, or /dev/null when the client sends none), stdout and stderr
  are three pipes, kept apart as on a node;
* with a TTY, the command gets a pseudo-terminal as its controlling terminal (stdin, stdout
  and stderr on it, stderr merged into stdout as a runtime does), sized by the client's
  resize messages. In a container world the terminal is the container's own (made in its
  devpts by `_ctrinit --enter`, the master sent back over a socket, as runc's console);
  in process mode a host pty.

In a container world a command that cannot start (not in the container's PATH) fails
`spawn` with its OSError before any stream starts, as a runtime fails the exec. The command
joins the container's cgroup (its CPU and memory count there, and it dies with the
container), runs in a session of its own, so `kill()` reaches everything it started, and
dies with kubesim (PR_SET_PDEATHSIG), as the container does.
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
import termios
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from kubesim.kubelet import _world
from kubesim.kubelet._process import ExecSpec, Running, read_terminal

STDOUT, STDERR = 1, 2
READ_CHUNK = 32 * 1024


@dataclass
class ExecProcess:
    """A started exec: `output()` yields (stream, bytes) until both streams end; `wait()`
    gives the exit code (128+N for a signal, as a runtime reports it)."""

    pid: int
    tty: bool
    _proc: asyncio.subprocess.Process
    _master: int | None = None
    _queue: asyncio.Queue[tuple[int, bytes] | None] = field(default_factory=asyncio.Queue)
    _open_streams: int = 0
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        while self._open_streams:
            item = await self._queue.get()
            if item is None:
                self._open_streams -= 1
                continue
            yield item

    def write(self, data: bytes) -> None:
        if self.tty:
            if self._master is not None:
                with contextlib.suppress(OSError):
                    _write_all(self._master, data)
            return
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.write(data)

    async def drain(self) -> None:
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            with contextlib.suppress(ConnectionError):
                await stdin.drain()

    def close_stdin(self) -> None:
        """The client's end of input: EOF for a pipe, ^D (VEOF) for a terminal."""
        if self.tty:
            if self._master is not None:
                with contextlib.suppress(OSError):
                    _write_all(self._master, b"\x04")
            return
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()

    def resize(self, width: int, height: int) -> None:
        if self._master is not None and width > 0 and height > 0:
            with contextlib.suppress(OSError):
                _set_size(self._master, width, height)

    async def wait(self) -> int:
        code = await self._proc.wait()
        return 128 - code if code < 0 else code

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Release the terminal once the output has been read (or the client is gone)."""
        for reader in self._readers:
            reader.cancel()
        if self._master is not None:
            with contextlib.suppress(OSError):
                asyncio.get_running_loop().remove_reader(self._master)
            with contextlib.suppress(OSError):
                os.close(self._master)
            self._master = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _set_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


async def spawn(
    spec: ExecSpec, *, stdin: bool, tty: bool, width: int = 0, height: int = 0
) -> ExecProcess:
    """Start `spec` with the streams asked for. OSError (no such file, not executable) is
    the caller's to report, as a runtime reports a failed exec."""
    if tty:
        return await _spawn_tty(spec, width=width, height=height)
    status_read, status_write = os.pipe() if spec.enters else (None, None)
    argv, preexec = spec.launch(spec.options(status_fd=status_write))
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=spec.cwd,
            env=spec.env,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=preexec,
            pass_fds=(status_write,) if status_write is not None else (),
        )
    except BaseException:
        if status_read is not None:
            os.close(status_read)
        raise
    finally:
        if status_write is not None:
            os.close(status_write)
    if status_read is not None:
        await _started(proc, spec, status_read)
    process = ExecProcess(pid=proc.pid, tty=False, _proc=proc, _open_streams=2)
    process._readers = [
        asyncio.create_task(_pump(proc.stdout, STDOUT, process._queue)),
        asyncio.create_task(_pump(proc.stderr, STDERR, process._queue)),
    ]
    return process


async def _started(proc: asyncio.subprocess.Process, spec: ExecSpec, status: int) -> None:
    """Wait for the container world's word that the command was exec'd; a command that
    cannot start raises SetupError (an OSError whose strerror is runc's reason)."""
    report = await _world.read_exec_status(status)
    if report is None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    await proc.wait()
    command = spec.argv[spec.argv.index("--") + 1 :] if "--" in spec.argv else spec.argv
    raise _world.setup_error(report, command[0] if command else "")


async def _pump(
    stream: asyncio.StreamReader | None,
    number: int,
    queue: asyncio.Queue[tuple[int, bytes] | None],
) -> None:
    try:
        while stream is not None:
            chunk = await stream.read(READ_CHUNK)
            if not chunk:
                break
            await queue.put((number, chunk))
    finally:
        queue.put_nowait(None)


def _controlling_terminal(spec: ExecSpec) -> Callable[[], None]:
    """In the child, after setsid: the terminal on fd 0 becomes the session's."""

    def prepare() -> None:
        spec.join()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return prepare


async def _spawn_tty(spec: ExecSpec, *, width: int, height: int) -> ExecProcess:
    if spec.enters:
        master, proc = await _spawn_console(spec)
    else:
        master, slave = pty.openpty()
        try:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv,
                cwd=spec.cwd,
                env={"TERM": "xterm", **spec.env},
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
                preexec_fn=_controlling_terminal(spec),
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
    if width > 0 and height > 0:
        with contextlib.suppress(OSError):
            _set_size(master, width, height)
    process = ExecProcess(pid=proc.pid, tty=True, _proc=proc, _master=master, _open_streams=1)
    process._readers = [asyncio.create_task(_pump_terminal(read_terminal(master), process._queue))]
    return process


async def _spawn_console(spec: ExecSpec) -> tuple[int, asyncio.subprocess.Process]:
    """The container world's terminal: `_ctrinit --enter --console-fd` opens it in the
    container's /dev/pts and sends the master back before it runs the command."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    status_read, status_write = os.pipe()
    argv, preexec = spec.launch(spec.options(status_fd=status_write, console_fd=theirs.fileno()))
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=spec.cwd,
            env={"TERM": "xterm", **spec.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=preexec,
            pass_fds=(status_write, theirs.fileno()),
        )
    except BaseException:
        os.close(status_read)
        ours.close()
        raise
    finally:
        os.close(status_write)
        theirs.close()
    try:
        await _started(proc, spec, status_read)
        master = _world.receive_console(ours)  # sent before the command was exec'd
    finally:
        ours.close()
    if master is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise _world.SetupError(errno.EIO, "the container sent no terminal", spec.argv[-1])
    return master, proc


async def _pump_terminal(
    chunks: asyncio.Queue[bytes], queue: asyncio.Queue[tuple[int, bytes] | None]
) -> None:
    try:
        while chunk := await chunks.get():
            await queue.put((STDOUT, chunk))
    finally:
        queue.put_nowait(None)


@dataclass
class Attached:
    """A client attached to the container's first process: its output from now on, its
    stdin (kept open by `stdin: true`) and its terminal (`tty: true`). Leaving does not stop
    the container; with `stdinOnce` the first client's leaving closes the container's stdin."""

    running: Running
    stdin_once: bool
    _queue: asyncio.Queue[tuple[int, bytes] | None]

    @property
    def tty(self) -> bool:
        return self.running.tty

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        streams = 1 if self.running.tty else 2
        while streams:
            item = await self._queue.get()
            if item is None:
                streams -= 1
                continue
            yield item

    def write(self, data: bytes) -> None:
        self.running.write_stdin(data)

    async def drain(self) -> None:
        stdin = self.running._stdin
        if stdin is not None and not stdin.is_closing():
            with contextlib.suppress(ConnectionError):
                await stdin.drain()

    def close_stdin(self) -> None:
        self.running.close_stdin()

    def resize(self, width: int, height: int) -> None:
        self.running.resize(width, height)

    async def wait(self) -> int:
        return 0  # attach reports no exit code: the pod's status does

    def kill(self) -> None:
        self.close()

    def close(self) -> None:
        """Leave: the container goes on, and this client's `output()` ends here (it is no
        longer a listener, so the container's own stream ends would never reach it)."""
        self.running.unlisten(self._queue)
        for _ in range(2):
            self._queue.put_nowait(None)
        if self.stdin_once:
            self.running.close_stdin()


def attach(running: Running, *, stdin_once: bool) -> Attached:
    return Attached(running, stdin_once, running.listen(replay=stdin_once))

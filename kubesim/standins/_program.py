"""What every stand-in program shares: its image's files, its signals, its clock in logs.

`image_file` finds a file of the image: at its container path when the container has it
(kubesim's container world binds the image's files there), else the copy shipped in this
package (kubesim's process mode, which has no root filesystem of its own).
"""

from __future__ import annotations

import contextlib
import ctypes
import http.server
import os
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn


class ImageFiles:
    """The files an image holds, rooted at container paths such as `/etc/nginx`."""

    def __init__(self, packaged: Path, roots: Iterable[str]) -> None:
        self.packaged = packaged  # the stand-in's `files/` folder: container paths below it
        self.roots = tuple(roots)  # the container folders the catalog maps to package data

    def path(self, container_path: str) -> Path:
        """Where `container_path` is for this process. In a container world, the path
        itself. In process mode, a path under one of the image's own folders that the host
        does not have is read from the packaged copy; any other path is the path itself."""
        real = Path(container_path)
        if real.exists():
            return real
        for root in self.roots:
            if container_path == root or container_path.startswith(root.rstrip("/") + "/"):
                return self.packaged / container_path.lstrip("/")
        return real


class Server(http.server.ThreadingHTTPServer):
    """The stand-ins' HTTP server: a thread per connection, none of which holds up exit."""

    daemon_threads = True


class AnyMethodHandler(http.server.BaseHTTPRequestHandler):
    """A server that answers every method and path alike, as Node's `http.createServer`
    handler or nginx's Lua content handler does: `answer(body)` gets each request, read
    whole, instead of the `do_<METHOD>` dispatch. Nothing logged: the program logs itself."""

    protocol_version = "HTTP/1.1"

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        length = int(self.headers.get("Content-Length") or 0)
        self.answer(self.rfile.read(length) if length else b"")

    def answer(self, body: bytes) -> None:
        raise NotImplementedError

    def send_chunked(self, body: bytes) -> None:
        """`body` as one chunk and the last one (`Transfer-Encoding: chunked` sent before);
        nothing for HEAD."""
        if self.command != "HEAD":
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        return


class Stopper:
    """Handlers for the stop signals, installed first thing; `wait()` blocks until one came.

    Real handlers, not blocked signals: a container's PID 1 receives from outside its PID
    namespace only the signals it has a handler for, as the program it stands in for does.
    The kernel may hand a process's signal to any of its threads, and Python runs handlers
    only in the main thread, so the handlers' wake-up fd is what the main thread waits on."""

    def __init__(self, signals: Iterable[signal.Signals] = (signal.SIGTERM,)) -> None:
        self.signals = {int(sig) for sig in signals}
        self._read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for sig in self.signals:
            signal.signal(sig, _noted)

    def wait(self) -> signal.Signals:
        while True:
            got = os.read(self._read, 1)
            if got and got[0] in self.signals:
                return signal.Signals(got[0])


def _noted(_signum: int, _frame: object) -> None:
    """The handler: the wake-up fd has already recorded the signal."""


def port(default: int) -> int:
    """The fixed port a program listens on. Tests run stand-ins on this host side by side,
    so they pick a free one with KUBESIM_STANDIN_PORT; the catalog never sets it."""
    return int(os.environ.get("KUBESIM_STANDIN_PORT") or default)


def exit_now(code: int) -> NoReturn:
    """End with `code` as the program's own exit does, without Python's finalization.

    A stand-in's servers answer on daemon threads, and one may be inside a write to stdout
    (its access log) when the stop signal comes. Finalizing then stops that thread holding
    the stream's lock, waits a second for it and aborts the interpreter: SIGABRT where the
    program exits 0. The streams are flushed here first, taking the lock the usual way."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


def die_of(sig: signal.Signals) -> int:
    """End as a Go program without a handler for `sig` does: its runtime resets the signal
    to the default and raises it (so `128+sig`); a container's PID 1 ignores that, and the
    runtime then exits 2. Returns the 2 for the caller to exit with."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    return 2


def name_process(name: str) -> None:
    """Set this process's name (its `comm`, what `killall`, `pidof` and `ps -o comm` read)
    to the program it stands in for, so the docs' `killall -0 nginx` finds it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME


def combined_log(handler: http.server.BaseHTTPRequestHandler, code: int, sent: int) -> str:
    """One request in the combined log format Apache and nginx write by default."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    referer = handler.headers.get("Referer", "-")
    agent = handler.headers.get("User-Agent", "-")
    return (
        f'{handler.client_address[0]} - - [{stamp}] "{handler.requestline}" {code} {sent} '
        f'"{referer}" "{agent}"'
    )


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()

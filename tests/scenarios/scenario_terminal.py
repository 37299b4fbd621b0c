"""A terminal for interactive kubectl (`exec -it`, `attach -it`, `run -it`): the command runs on
a pseudo-terminal of a given size, as in a learner's shell, and the test types into it and
reads what the screen shows. (A module of its own, with a unique name, so tests can import
it.)
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
from collections.abc import Sequence


class Terminal:
    def __init__(
        self, argv: Sequence[str], *, env: dict[str, str], rows: int = 30, cols: int = 100
    ) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: kubectl on the terminal's slave side
            try:
                os.execve(argv[0], list(argv), env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.screen = b""
        self.status: int | None = None

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def read_until(self, marker: str, *, timeout: float = 20.0) -> str:
        """Everything shown so far once `marker` appears; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{marker!r} never appeared; the terminal shows:\n{self.text}")
            if not self._read(0.1) and self.exited():
                raise AssertionError(f"kubectl exited before {marker!r}:\n{self.text}")
        return self.text

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            return False
        self.screen += chunk
        return bool(chunk)

    def exited(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status is not None

    def wait(self, timeout: float = 20.0) -> int:
        """kubectl's exit code, once it has exited (reading the screen meanwhile)."""
        deadline = time.monotonic() + timeout
        while not self.exited():
            if time.monotonic() > deadline:
                raise AssertionError(f"kubectl did not exit; the terminal shows:\n{self.text}")
            self._read(0.1)
        while self._read(0.05):
            pass
        assert self.status is not None
        return self.status

    def close(self) -> None:
        if not self.exited():
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    @property
    def text(self) -> str:
        return self.screen.decode(errors="replace")

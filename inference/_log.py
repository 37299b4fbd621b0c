"""One line per event on stdout, flushed at once, as ``LEVEL: message``.

No timestamps: ``kubectl logs --timestamps`` adds the container runtime's own, and a bare
line is what a learner greps for (``FATAL: MODEL_PATH is not set; ...``).
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_ORDER = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "FATAL": 50}


class Log:
    """A tiny thread-safe line logger with a level threshold."""

    def __init__(self, level: str = "INFO", *, stream: TextIO | None = None) -> None:
        self._threshold = _ORDER.get(level, 20)
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, level: str, message: str) -> None:
        if _ORDER[level] < self._threshold:
            return
        stream = self._stream or sys.stdout
        line = f"{level}: {' '.join(message.split())}\n"  # never more than one line
        with self._lock:
            stream.write(line)
            stream.flush()

    def debug(self, message: str) -> None:
        self("DEBUG", message)

    def info(self, message: str) -> None:
        self("INFO", message)

    def warning(self, message: str) -> None:
        self("WARNING", message)

    def error(self, message: str) -> None:
        self("ERROR", message)

    def fatal(self, message: str) -> None:
        self("FATAL", message)

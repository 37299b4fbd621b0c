"""How a stand-in ends: `exit_now` keeps the program's exit code and its last output while
its server threads are still writing, where Python's own exit could abort (SIGABRT) on the
lock of a stream a daemon thread held."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import sys, threading
from kubesim.standins._program import exit_now

def log():
    while True:
        sys.stdout.write("GET / 200\\n")
        sys.stdout.flush()

for _ in range(4):
    threading.Thread(target=log, daemon=True).start()
sys.stdout.write("stopped\\n")  # not flushed: exit_now must flush it
exit_now(3)
"""


def test_exit_now_keeps_the_code_and_the_last_line_while_threads_write() -> None:
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 3, done.stderr
        assert "stopped\n" in done.stdout
        assert done.stderr == ""

"""`kubelab` commands for the course tests, each forked from a process that has imported
kubelab once.

A `kubelab` command spends most of its CPU importing (typer, rich, pydantic, the official
client: about a second on a slow 2-core machine), and the course tests run hundreds of them
(every lab's reset, solve, break and check). Here one long-lived process, the zygote,
imports what every command imports and forks a child per command: the child runs the same
`kubelab.cli.main(argv)` the console script runs, in a process of its own, with the
command's own environment, working directory, standard streams and exit code. What a test
sees of a command is what it saw when each was started from the venv's `kubelab`; only the
imports are paid once. tests/cli still starts the real console script for what only it
can show (the entry point, a broken install, a closed stdout).

Run as a script, this file is the zygote: it reads one JSON request a line on stdin and
answers on stdout with the child's pid, then with its exit status.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Forked:
    """A command forked and not yet collected: its pid, and the folder of its output."""

    pid: int
    outputs: Path


class ForkedKubelab:
    """A zygote for one environment (started with it, so that anything read from the
    environment at import is read from the same one), and the commands forked from it."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._zygote: subprocess.Popen[bytes] | None = None
        self.last_cpu = 0.0  # CPU seconds (user + system) of the last command's own process

    def _started(self) -> subprocess.Popen[bytes]:
        if self._zygote is None or self._zygote.poll() is not None:
            # unbuffered: `select` then sees every line the zygote wrote, none held in a
            # read-ahead buffer (a quick command's exit line arrives with its pid line)
            self._zygote = subprocess.Popen(
                [sys.executable, __file__],
                env=self._env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
            ready = self._zygote.stdout.readline() if self._zygote.stdout else b""
            if ready.strip() != b"ready":
                raise RuntimeError(f"the kubelab zygote did not start: {ready!r}")
        return self._zygote

    def run(
        self, argv: list[str], *, cwd: Path, timeout: float, on_timeout: int = signal.SIGKILL
    ) -> tuple[int | None, str, str]:
        """(exit code, stdout, stderr); the code is None when the command outlived
        `timeout` and was sent `on_timeout` (then killed)."""
        return self.finish(self.start(argv, cwd=cwd), timeout=timeout, on_timeout=on_timeout)

    def start(self, argv: list[str], *, cwd: Path) -> Forked:
        """Fork the command; `finish` collects it."""
        zygote = self._started()
        assert zygote.stdin and zygote.stdout
        outputs = Path(tempfile.mkdtemp(prefix="kubelab-fork-"))
        request = {"argv": argv, "env": self._env, "cwd": str(cwd),
                   "out": str(outputs / "stdout"), "err": str(outputs / "stderr")}  # fmt: skip
        line = memoryview(json.dumps(request).encode() + b"\n")
        while line:  # a raw pipe may take a long line in parts
            line = line[zygote.stdin.write(line) or 0 :]
        return Forked(int(json.loads(zygote.stdout.readline())["pid"]), outputs)

    def finish(
        self, forked: Forked, *, timeout: float, on_timeout: int = signal.SIGKILL
    ) -> tuple[int | None, str, str]:
        zygote = self._zygote  # the one that forked it: a new one would never answer
        assert zygote is not None and zygote.stdout
        try:
            code: int | None
            if _readable(zygote.stdout, timeout):
                ended = json.loads(zygote.stdout.readline())
                code, self.last_cpu = int(ended["exit"]), float(ended["cpu"])
            else:
                code = None
                for sig in (on_timeout, signal.SIGKILL):
                    os.kill(forked.pid, sig)
                    if _readable(zygote.stdout, 10):
                        break
                json.loads(zygote.stdout.readline())
            out, err = forked.outputs / "stdout", forked.outputs / "stderr"
            return code, out.read_text(errors="replace"), err.read_text(errors="replace")
        finally:
            shutil.rmtree(forked.outputs, ignore_errors=True)

    def close(self) -> None:
        if self._zygote is not None:
            if self._zygote.stdin:
                self._zygote.stdin.close()
            self._zygote.wait(timeout=30)
            self._zygote = None


def _readable(stream: object, timeout: float) -> bool:
    ready, _, _ = select.select([stream], [], [], timeout)
    return bool(ready)


def _serve() -> None:
    """The zygote's loop: import once, then fork a child per request and report on it."""
    from kubelab import cli

    every = cli.modules_for([])
    cli._skip_slow_optional_imports(every)  # as main() does, before jsonschema is imported
    cli._register(every)  # every command module
    import checker._client  # noqa: F401  the official client, which a check loads
    from kubelab._cmd_grading import labs_dir, load_labs

    with contextlib.suppress(Exception):  # a broken lab is the command's to report
        load_labs(labs_dir())  # parsed once (checker's cache); every command loads them

    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "cpu": cpu}), flush=True)


def _child(request: dict[str, object]) -> None:
    """Become the command: its streams, directory and environment, then kubelab's main."""
    code = 70
    try:
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(str(path), flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        argv = [str(arg) for arg in request["argv"]]  # type: ignore[attr-defined]
        sys.argv = [str(BIN / "kubelab"), *argv]
        from kubelab import cli

        code = cli.main(argv)
    except BaseException:  # noqa: BLE001  a bug in this harness: say it, exit as kubelab would
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the code is what counts now
                stream.flush()
        os._exit(code)


if __name__ == "__main__":
    # Run by path, this folder came first on sys.path, where tests/checker would hide the
    # checker package: kubelab must import as it does from the console script.
    sys.path.remove(str(Path(__file__).resolve().parent))
    _serve()

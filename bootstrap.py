#!/usr/bin/env python3
"""Set up kubelab on a machine that has only Python, then run one thing.

    python3 bootstrap.py up      # venv + install + cluster + JupyterLab on the first notebook
        [--backend auto|kind|sim] [--port N] [--ip ADDR] [--no-browser] [--token T | --no-token]
    python3 bootstrap.py test    # venv + install with the test extra + the whole test suite
    python3 bootstrap.py test --fast   # only the unit tier (tests/conftest.py): seconds

Standard library only: this runs before anything is installed. It creates `.venv/` next to
itself once and reuses it while its pip runs (a half-made one is recreated); a changed
pyproject.toml triggers a reinstall.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LIB = "Lib" if os.name == "nt" else "lib"  # site-packages is below it
# pytest-xdist, a test file per worker at a time: tests in one file may build on each other
# (the course end to end grades the whole course after its notebooks) and run in file order;
# tests/conftest.py names the files whose tests may be spread one by one. `--dist loadgroup`
# would be finer, but its groups are lost under pytest 9 (xdist 3.8). Four workers on two
# cores: the course and scenario tests mostly wait on cluster clocks and real processes (the
# suite used about one core of two with three workers), so more workers fill the idle time.
# `test -n 0` runs everything in one process.
PARALLEL = ["-n", "4", "--dist", "loadfile"]


def _run(*cmd: str | Path) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


NO_VENV = (
    "Python could not create a virtual environment with pip in {venv} ({why}). On Debian "
    "and Ubuntu the venv module needs its own package: `sudo apt-get install python3-venv` "
    "(or python3.X-venv for your version), then run this command again. Nothing else was "
    "changed; the half-made .venv was removed."
)


def _venv_works() -> bool:
    """A venv whose Python runs pip: one left half-made (no pip, say, after a failed
    first run) is not reused, or every later run would fail the same way."""
    python = BIN / "python"
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True)
    return probe.returncode == 0


def _create_venv() -> None:
    verb = "recreating the half-made" if VENV.exists() else "creating"
    print(f"{verb} virtual environment in {VENV}", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(VENV, ignore_errors=True)
        sys.exit(NO_VENV.format(venv=VENV, why=exc))


def ensure_venv(extra: str) -> None:
    """Create the venv and install kubelab into it, skipping work already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must run on older Pythons to say so
        sys.exit("kubelab needs Python 3.11 or newer; this is " + sys.version.split()[0] + ".")
    if not _venv_works():
        _create_venv()
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing kubelab and its dependencies (first run takes a few minutes)", flush=True)
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    # pip compiles what it installs to bytecode one file after another, a third of a first
    # install's minute; compileall does the same on every core (only files without current
    # bytecode, so a reinstall is quick)
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--no-compile", "-e", target)
    _run(BIN / "python", "-m", "compileall", "-q", "-j", "0", VENV / LIB)
    stamp.write_text(digest)


# The project's own packages (pyproject's packages.find). pip compiles what it installs to
# bytecode, but not an editable install's sources: where Python writes no bytecode itself
# (PYTHONDONTWRITEBYTECODE, a read-only checkout; CI's machines set the first) every
# `kubelab` command, kubesim, notebook kernel and container `python3 -m inference` compiled
# them anew, a quarter of a `kubelab` command's CPU.
PACKAGES = ("kubelab", "checker", "kubesim", "inference")


def compile_sources() -> None:
    """Bytecode for the project's sources, as pip makes for installed packages; only files
    changed since the last run are compiled again, and stale bytecode is never used (Python
    checks each source's mtime and size on import)."""
    _run(BIN / "python", "-m", "compileall", "-q", *PACKAGES)


# `kubelab course` options that `bootstrap.py up` passes on (the rest go to `kubelab up`)
COURSE_FLAGS = {"--no-browser": 0, "--no-token": 0, "--port": 1, "--ip": 1, "--token": 1}


def split_up_args(args: list[str]) -> tuple[list[str], list[str]]:
    """`up` arguments into (for `kubelab up`, for `kubelab course`); `--port=N` works too."""
    up: list[str] = []
    course: list[str] = []
    i = 0
    while i < len(args):
        name = args[i].split("=", 1)[0]
        takes = COURSE_FLAGS.get(name)
        if takes is None:
            up.append(args[i])
        elif "=" in args[i] or takes == 0:
            course.append(args[i])
        else:
            course += args[i : i + 2]
            i += 1
        i += 1
    return up, course


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "help"
    rest = argv[1:]
    if what == "up":
        ensure_venv("")
        compile_sources()
        up_args, course_args = split_up_args(rest)
        _run(BIN / "kubelab", "up", *up_args)
        # JupyterLab as root (containers, CI) gets --allow-root from `kubelab course` itself
        _run(BIN / "kubelab", "course", *course_args)
    elif what == "test":
        ensure_venv("test")
        compile_sources()
        if "--fast" in rest:
            rest = [a for a in rest if a != "--fast"] + ["-m", "unit"]
        chosen = any(a.startswith("-n") for a in rest) or "no:xdist" in rest
        parallel = [] if chosen else PARALLEL
        # the slowest tests at the end of every run: what CI's time is made of, in its log
        slowest = [] if any(a.startswith("--durations") for a in rest) else ["--durations=25"]
        # the suite runs notebooks in nbval processes of its own (tests/nbval_command.py):
        # loaded in every worker, nbval's plugin only cost each 2.5 s of imports
        plugins = ["-p", "no:nbval"]
        _run(BIN / "python", "-m", "pytest", *parallel, *slowest, *plugins, *rest)
    else:
        print(__doc__)
        sys.exit(0 if what in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main(sys.argv[1:])

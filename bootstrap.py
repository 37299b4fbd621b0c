#!/usr/bin/env python3
"""Set up kubelab on a machine that has only Python, then run one thing.

    python3 bootstrap.py up      # venv + install + cluster + JupyterLab on the first notebook
    python3 bootstrap.py test    # venv + install with the test extra + the whole test suite

Standard library only: this runs before anything is installed. It creates `.venv/` next to
itself once and reuses it; a changed pyproject.toml triggers a reinstall.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
# pytest-xdist, a test file per worker at a time: tests in one file may build on each other
# (the course end to end grades the whole course after its notebooks) and run in file order.
# `--dist loadgroup` would be finer, but its groups are lost under pytest 9 (xdist 3.8).
# `test -n 0` runs everything in one process.
PARALLEL = ["-n", "2", "--dist", "loadfile"]


def _run(*cmd: str | Path) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(extra: str) -> None:
    """Create the venv and install kubelab into it, skipping work already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must run on older Pythons to say so
        sys.exit("kubelab needs Python 3.11 or newer; this is " + sys.version.split()[0] + ".")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing kubelab and its dependencies (first run takes a few minutes)", flush=True)
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "help"
    rest = argv[1:]
    if what == "up":
        ensure_venv("")
        _run(BIN / "kubelab", "up", *rest)
        _run(BIN / "kubelab", "course")
    elif what == "test":
        ensure_venv("test")
        # Two workers: the course and scenario tests mostly wait on clocks and real processes,
        # so the walk of every lab, the notebooks and the unit tests overlap.
        chosen = any(a.startswith("-n") for a in rest) or "no:xdist" in rest
        parallel = [] if chosen else PARALLEL
        _run(BIN / "python", "-m", "pytest", *parallel, *rest)
    else:
        print(__doc__)
        sys.exit(0 if what in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main(sys.argv[1:])

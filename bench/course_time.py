"""Where the course tests' wall time goes: every notebook cell and every walk command, timed.

    .venv/bin/python bench/course_time.py [--notebook NN-slug]... [--walk NN-slug]... [--top N]

Brings up a kubesim the way `tests/course_e2e` does (`kubelab up --backend sim` in a
temporary KUBELAB_HOME, the clock at KUBELAB_COURSE_TIME_SCALE, 4 by default, on virtual time
unless KUBELAB_COURSE_VIRTUAL_TIME=0), then

* `--notebook`: executes the notebook with nbclient, as nbval does (cwd `notebooks/`,
  solutions included), timing each cell; then `kubelab check LAB`, as the nbval test does;
* `--walk`: runs `tests/course_e2e/test_exercises_fail_then_pass.py`'s walk of the lab
  through a cluster whose every `kubelab`/`kubectl` command is timed.

`--save DIR` keeps the executed notebooks, outputs included. Prints each run's total and its slowest cells or commands (`--top`, 12 by default), the
seconds each took and what it was. Several runs share one cluster, in the order given.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WALK = ROOT / "tests" / "course_e2e" / "test_exercises_fail_then_pass.py"


class TimedCluster:
    """The course tests' `LabCluster.run`, each command's wall time kept."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.times: list[tuple[float, str]] = []

    def run(
        self, *args: str, timeout: float = 600, check: bool = True, cwd: Path = ROOT
    ) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        proc = subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.times.append((time.monotonic() - started, " ".join(args)))
        if check and proc.returncode != 0:
            raise SystemExit(
                f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc


@contextmanager
def lab_cluster(scale: str, virtual: str) -> Iterator[TimedCluster]:
    with tempfile.TemporaryDirectory(prefix="course-time-") as tmp:
        home = Path(tmp) / ".kubelab"
        env = {
            **os.environ,
            "KUBELAB_HOME": str(home),
            "KUBECONFIG": str(home / "kubeconfig"),
            "KUBESIM_TIME_SCALE": scale,
            "KUBESIM_VIRTUAL_TIME": virtual,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": tmp,
        }
        cluster = TimedCluster(env)
        cluster.run("kubelab", "up", "--backend", "sim", timeout=180)
        try:
            yield cluster
        finally:
            cluster.run("kubelab", "down", check=False, timeout=120)


def time_notebook(
    cluster: TimedCluster, stem: str, *, save: Path | None = None
) -> list[tuple[float, str]]:
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(cluster.env)  # the kernel inherits it, as under nbval
    times: list[tuple[float, str]] = []
    try:
        client = NotebookClient(
            notebook, timeout=600, resources={"metadata": {"path": str(path.parent)}}
        )
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                started = time.monotonic()
                client.execute_cell(cell, index)
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                lines = [ln for ln in cell.source.splitlines() if ln.startswith("!")]
                what = " | ".join(lines) if lines else first
                times.append((time.monotonic() - started, f"cell {index}: {what[:150]}"))
                print(f"  ... {times[-1][0]:6.1f} s  {times[-1][1][:100]}", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, save / path.name)
    started = time.monotonic()
    graded = cluster.run("kubelab", "check", stem, check=False)
    times.append((time.monotonic() - started, f"kubelab check {stem} -> exit {graded.returncode}"))
    return times


def time_walk(cluster: TimedCluster, lab_id: str) -> list[tuple[float, str]]:
    spec = importlib.util.spec_from_file_location("walk", WALK)
    assert spec and spec.loader
    walk: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(walk)
    cluster.times = []
    walk.test_each_exercise_fails_before_its_solution_and_passes_after(cluster, lab_id)
    return list(cluster.times)


def report(title: str, times: list[tuple[float, str]], top: int) -> None:
    total = sum(t for t, _ in times)
    print(f"\n== {title}: {total:.1f} s in {len(times)} steps", flush=True)
    for seconds, what in sorted(times, reverse=True)[:top]:
        print(f"  {seconds:6.1f} s  {what}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebook", action="append", default=[], metavar="NN-slug")
    parser.add_argument("--walk", action="append", default=[], metavar="NN-slug")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--save", type=Path, metavar="DIR", help="write executed notebooks here")
    args = parser.parse_args(argv)
    scale = os.environ.get("KUBELAB_COURSE_TIME_SCALE", "4")
    # on virtual time, as tests/course_e2e runs it (KUBELAB_COURSE_VIRTUAL_TIME=0: scaled alone)
    virtual = "0" if os.environ.get("KUBELAB_COURSE_VIRTUAL_TIME") == "0" else "1"
    with lab_cluster(scale, virtual) as cluster:
        report("kubelab up", list(cluster.times), args.top)
        for stem in args.notebook:
            started = time.monotonic()
            times = time_notebook(cluster, stem, save=args.save)
            report(f"notebook {stem} ({time.monotonic() - started:.1f} s wall)", times, args.top)
        for lab_id in args.walk:
            started = time.monotonic()
            times = time_walk(cluster, lab_id)
            report(f"walk {lab_id} ({time.monotonic() - started:.1f} s wall)", times, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

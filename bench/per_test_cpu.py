"""The CPU each test costs, with everything it starts: kubesims, containers, kubectl, kernels.

    python3 bench/per_test_cpu.py [--out FILE] [--top N] [PYTEST ARGS...]   (as root)

pytest's durations are wall time, and on a CPU-bound CI machine a test that waits costs
nothing while one that starts a cluster costs more than its seconds say. This runs
`bootstrap.py test -n 1 PYTEST ARGS` inside a cpuacct cgroup (cgroup v1, which these
machines mount), so every process the tests start is counted however it detaches from its
parent (a kubesim daemonizes, a container runs in namespaces of its own; kubesim's own cpu
cgroups for containers are another hierarchy). A plugin of this file reads the cgroup's
counter around each test, setup and teardown included, and writes one JSON line per test to
`--out`; the summary prints the heaviest files and tests. One worker, so a test's figure is
its own: run it on a quiet machine. docs/benchmarks.md, "CI on the machine of stop 33".
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
OUT_ENV = "KUBELAB_TEST_CPU_OUT"
GROUP_ENV = "KUBELAB_TEST_CPU_GROUP"


def _used(group: Path) -> float:
    """CPU seconds the cgroup's processes have used so far."""
    return int((group / "cpuacct.usage").read_text()) / 1e9


# -- the pytest plugin (loaded into the test run with `-p per_test_cpu`) ----------------------


def _hook() -> Any:
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: Any) -> Iterator[None]:
        group = Path(os.environ[GROUP_ENV])
        cpu, wall = _used(group), time.monotonic()
        yield
        row = {
            "id": item.nodeid,
            "cpu": round(_used(group) - cpu, 2),
            "wall": round(time.monotonic() - wall, 2),
        }
        with open(os.environ[OUT_ENV], "a") as out:
            out.write(json.dumps(row) + "\n")

    return pytest_runtest_protocol


# pytest is imported only inside the test run: the runner itself may be any python3
if GROUP_ENV in os.environ:  # imported by pytest as the plugin
    pytest_runtest_protocol = _hook()


# -- the runner ---------------------------------------------------------------------------


def summary(rows: list[dict[str, Any]], top: int) -> str:
    """The totals, then the heaviest files and tests by CPU."""
    by_file: collections.Counter[str] = collections.Counter()
    for row in rows:
        by_file[row["id"].split("::")[0]] += row["cpu"]
    lines = [
        f"{len(rows)} tests: {sum(r['cpu'] for r in rows) / 60:.1f} CPU-minutes, "
        f"{sum(r['wall'] for r in rows) / 60:.1f} minutes of wall time",
        "",
        "CPU-s  file",
        *(f"{cpu:6.1f} {name}" for name, cpu in by_file.most_common(top)),
        "",
        "CPU-s  wall-s  test",
        *(
            f"{r['cpu']:6.1f} {r['wall']:7.1f} {r['id']}"
            for r in sorted(rows, key=lambda r: -r["cpu"])[:top]
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The CPU each test costs, with all it starts.")
    parser.add_argument("--out", type=Path, default=Path("per-test-cpu.jsonl"))
    parser.add_argument("--top", type=int, default=20)
    args, pytest_args = parser.parse_known_args(argv)
    if not (CPUACCT / "cgroup.procs").exists() or not os.access(CPUACCT, os.W_OK):
        print(
            f"bench/per_test_cpu.py needs a writable cgroup v1 cpuacct hierarchy at {CPUACCT} "
            "(as root on these machines); it is not there, so nothing ran.",
            file=sys.stderr,
        )
        return 2
    group = CPUACCT / f"kubelab-test-cpu-{os.getpid()}"
    group.mkdir()
    out = args.out.resolve()
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        GROUP_ENV: str(group),
        OUT_ENV: str(out),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])
        ),
    }
    command = [sys.executable, str(ROOT / "bootstrap.py"), "test", "-n", "1", "-p", "per_test_cpu"]
    try:
        with subprocess.Popen(
            [*command, *pytest_args],
            cwd=ROOT,
            env=env,
            preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),
        ) as run:
            code = run.wait()
    finally:
        for pid in (group / "cgroup.procs").read_text().split():  # stragglers: to the parent
            (CPUACCT / "cgroup.procs").write_text(pid)
        group.rmdir()
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    print(summary(rows, args.top))
    return code


if __name__ == "__main__":
    raise SystemExit(main())

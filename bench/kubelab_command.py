"""What one `kubelab` command costs in CPU: started as a learner starts it (the console
script), and forked from a process that imported kubelab once, as the course tests run it
(tests/kubelab_forks.py).

    .venv/bin/python bench/kubelab_command.py [--runs N] [ARGS...]

ARGS default to `task 01-deploy` (reads every lab.yaml, needs no cluster). Prints the median
and the range of user + system CPU seconds of the command's own process, each way.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from kubelab_forks import ForkedKubelab  # noqa: E402

KUBELAB = Path(sys.executable).parent / "kubelab"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def started(argv: list[str]) -> float:
    before = _children_cpu()
    subprocess.run([str(KUBELAB), *argv], cwd=ROOT, capture_output=True, check=False)
    return _children_cpu() - before


def forked(forks: ForkedKubelab, argv: list[str]) -> float:
    forks.run(argv, cwd=ROOT, timeout=120)
    return forks.last_cpu


def _summary(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.3f} s ({min(seconds):.3f} to {max(seconds):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("argv", nargs="*", default=["task", "01-deploy"])
    args = parser.parse_args()
    forks = ForkedKubelab(os.environ)
    try:
        forked(forks, args.argv)  # the zygote's own start is paid once, not measured
        as_started = [started(args.argv) for _ in range(args.runs)]
        as_forked = [forked(forks, args.argv) for _ in range(args.runs)]
    finally:
        forks.close()
    print(f"kubelab {' '.join(args.argv)}, CPU of the command's process, {args.runs} runs")
    print(f"  started (console script): {_summary(as_started)}")
    print(f"  forked (course tests):    {_summary(as_forked)}")


if __name__ == "__main__":
    main()

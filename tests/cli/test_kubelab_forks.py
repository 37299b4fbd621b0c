"""The course tests' forked `kubelab` (tests/kubelab_forks.py) must be the command a learner
runs: its own environment, directory, output and exit code, command after command."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from kubelab_forks import ForkedKubelab  # noqa: E402


def test_each_forked_command_has_its_own_directory_output_and_exit_code(tmp_path: Path) -> None:
    forks = ForkedKubelab(os.environ)
    try:
        code, out, err = forks.run(
            ["task", "01-deploy", "--labs-dir", "labs"], cwd=ROOT, timeout=60
        )
        assert (code, err) == (0, "") and "Lab 01-deploy" in out
        code, out, err = forks.run(
            ["task", "01-deploy", "--labs-dir", "labs"], cwd=tmp_path, timeout=60
        )
        assert code == 2 and out == "" and str(tmp_path / "labs") in err
        code, _, err = forks.run(["chek"], cwd=ROOT, timeout=60)
        assert code == 2 and "No such command 'chek'" in err
        assert forks.last_cpu > 0
    finally:
        forks.close()


def test_a_forked_command_reads_the_environment_it_was_given(tmp_path: Path) -> None:
    env = {**os.environ, "KUBELAB_LABS": str(tmp_path / "elsewhere")}
    forks = ForkedKubelab(env)
    try:
        code, _, err = forks.run(["task", "01-deploy"], cwd=ROOT, timeout=60)
        assert code == 2 and str(tmp_path / "elsewhere") in err
    finally:
        forks.close()


def test_a_command_collected_after_it_ended_is_collected_at_once() -> None:
    """Its exit line is already in the pipe when the reader looks (a second late here): the
    reader must see it there, not wait out the timeout."""
    forks = ForkedKubelab(os.environ)
    try:
        forked = forks.start(["--no-such-option"], cwd=ROOT)
        time.sleep(1.0)
        started = time.monotonic()
        code, _, err = forks.finish(forked, timeout=5)
        assert code == 2 and "No such option" in err
        assert time.monotonic() - started < 2
    finally:
        forks.close()

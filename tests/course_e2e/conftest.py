"""One lab cluster for the course's end-to-end tests, brought up the way a learner does it.

`kubelab up --backend sim` in a temporary KUBELAB_HOME, with the simulator's clock sped up
(KUBESIM_TIME_SCALE, a test-only knob) so deadlines, probe periods and back-off pass
quickly; every command then runs through the `kubelab` and `kubectl` a learner has.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TIME_SCALE = os.environ.get("KUBELAB_COURSE_TIME_SCALE", "4")


@dataclass
class LabCluster:
    home: Path
    env: dict[str, str]

    def run(
        self, *args: str, timeout: float = 600, check: bool = True, cwd: Path = ROOT
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


@pytest.fixture(scope="session")
def lab_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    home = tmp_path_factory.mktemp("course") / ".kubelab"
    env = dict(os.environ)
    env.update(
        KUBELAB_HOME=str(home),
        KUBECONFIG=str(home / "kubeconfig"),
        KUBESIM_TIME_SCALE=TIME_SCALE,
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home.parent),  # kubectl's caches and anything else stay in the sandbox
    )
    cluster = LabCluster(home=home, env=env)
    cluster.run("kubelab", "up", "--backend", "sim", timeout=120)
    try:
        yield cluster
    finally:
        cluster.run("kubelab", "down", check=False, timeout=120)

"""Fixtures for the classroom tests: the CLI tests' fake machine, a tmp lab home, and (for the
end-to-end assignment test) one simulated lab cluster brought up as a learner does it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE.parent / "cli"))

from _cli_fakes import FakeHost  # noqa: E402

from kubelab import _procs  # noqa: E402


@pytest.fixture
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "lab"
    monkeypatch.setenv("KUBELAB_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBELAB_BACKEND", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return home


@pytest.fixture
def host(lab_home: Path) -> Iterator[FakeHost]:
    fake = FakeHost()
    with _procs.use_host(fake):
        yield fake


@dataclass
class Shell:
    """Runs the `kubelab` and `kubectl` a learner (or the grading workflow) has."""

    env: dict[str, str]

    def run(
        self, *args: str, cwd: Path = ROOT, check: bool = True, timeout: float = 900, **env: str
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            cwd=cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


@pytest.fixture(scope="module")
def sim_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    home = tmp_path_factory.mktemp("classroom") / ".kubelab"
    env = dict(os.environ)
    env.pop("KUBELAB_LABS", None)
    env.update(
        KUBELAB_HOME=str(home),
        KUBECONFIG=str(home / "kubeconfig"),
        KUBESIM_TIME_SCALE=os.environ.get("KUBELAB_COURSE_TIME_SCALE", "4"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home.parent),
    )
    shell = Shell(env)
    shell.run("kubelab", "up", "--backend", "sim", timeout=120)
    try:
        yield shell
    finally:
        shell.run("kubelab", "down", check=False, timeout=120)

"""One lab cluster for the course's end-to-end tests, brought up the way a learner does it.

`kubelab up --backend $KUBELAB_TEST_BACKEND` (sim by default) in a temporary KUBELAB_HOME;
every command then runs through the `kubelab` and `kubectl` a learner has (each `kubelab`
command forked from a process that imported kubelab once: tests/kubelab_forks.py). On sim the
simulator's clock is sped up (KUBESIM_TIME_SCALE, a test-only knob) and virtual
(KUBESIM_VIRTUAL_TIME: it jumps over waits while nothing runs in real time) so deadlines,
probe periods and back-off pass quickly. `KUBELAB_TEST_BACKEND=kind python3 bootstrap.py test
tests/course_e2e` runs the same tests on a real kind cluster (the CI workflow's kind job):
the tests themselves do not know which one is behind the kubeconfig.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubelab_forks import ForkedKubelab

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TIME_SCALE = os.environ.get("KUBELAB_COURSE_TIME_SCALE", "4")
# virtual time on sim: cluster time jumps over waits while nothing runs in real time
# (KUBESIM_VIRTUAL_TIME; KUBELAB_COURSE_VIRTUAL_TIME=0 runs on the scaled clock alone)
VIRTUAL_TIME = "0" if os.environ.get("KUBELAB_COURSE_VIRTUAL_TIME") == "0" else "1"
BACKENDS = ("sim", "kind")


def chosen_backend(value: str | None) -> str:
    """The backend the course is proven on: $KUBELAB_TEST_BACKEND, sim when unset."""
    name = (value or "sim").strip().lower()
    if name not in BACKENDS:
        raise pytest.UsageError(
            f"KUBELAB_TEST_BACKEND={value!r} is not a backend the course tests run on; use "
            "`sim` (the default, kubesim) or `kind` (needs Docker and kind v0.32+)."
        )
    return name


ONE_WORKER = (
    "The course tests on kind share one cluster (kind's `kubelab`, whose nodes lab 03 stops), "
    "so they run on one worker: add `-n 0`, as in `KUBELAB_TEST_BACKEND=kind python3 "
    "bootstrap.py test tests/course_e2e -n 0`."
)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse kind with several xdist workers before any cluster is made."""
    backend = chosen_backend(os.environ.get("KUBELAB_TEST_BACKEND"))
    workers = getattr(config.option, "numprocesses", None)
    if backend == "kind" and workers not in (None, 0, 1):
        raise pytest.UsageError(ONE_WORKER)


@dataclass
class LabCluster:
    home: Path
    env: dict[str, str]
    backend: str = "sim"
    running: bool = False
    forks: ForkedKubelab = field(init=False)

    def __post_init__(self) -> None:
        self.forks = ForkedKubelab(self.env)

    def bring_up(self) -> None:
        # kind: creating 3 nodes and building the images takes minutes on a CI runner
        timeout = 120 if self.backend == "sim" else 1500
        self.run("kubelab", "up", "--backend", self.backend, timeout=timeout)
        self.running = True

    def take_down(self) -> None:
        if self.running:
            self.running = False
            self.run("kubelab", "down", check=False, timeout=120)
        self.forks.close()

    def run(
        self, *args: str, timeout: float = 600, check: bool = True, cwd: Path = ROOT
    ) -> subprocess.CompletedProcess[str]:
        if not self.running and args[:2] not in (("kubelab", "up"), ("kubelab", "down")):
            self.bring_up()  # taken down when this worker left the course tests; back, fresh
        if args[0] == "kubelab":
            proc = self._kubelab(list(args[1:]), cwd=cwd, timeout=timeout)
        else:
            proc = self._process(args, cwd=cwd, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def _kubelab(
        self, argv: list[str], *, cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        code, out, err = self.forks.run(argv, cwd=cwd, timeout=timeout)
        if code is None:
            raise AssertionError(
                f"kubelab {' '.join(argv)} still ran after {timeout:g} s.\nIts output:\n"
                f"{out[-3000:]}\nIts stderr:\n{err[-3000:]}"
            )
        return subprocess.CompletedProcess([str(BIN / "kubelab"), *argv], code, out, err)

    def _process(
        self, args: tuple[str, ...], *, cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        with subprocess.Popen(
            [str(BIN / args[0]), *args[1:]],
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as popen:
            try:
                out, err = popen.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(_stuck(popen, args, timeout)) from None
        return subprocess.CompletedProcess(popen.args, popen.returncode, out, err)

    def exercise(self, lab: str, exercise: str, *, wait: bool = False) -> dict[str, Any]:
        """One exercise's report from `kubelab check LAB EXERCISE --format json`."""
        args = ["kubelab", "check", lab, exercise, "--format", "json"]
        proc = self.run(*args, *([] if wait else ["--no-wait"]), check=False)
        assert proc.returncode in (0, 1), proc.stderr
        return dict(json.loads(proc.stdout)["labs"][0]["exercises"][0])

    @staticmethod
    def assert_zero(exercise: dict[str, Any], *, failing: str | set[str]) -> None:
        """No points, and the checks named `failing` are among those that said why."""
        assert exercise["points"] == 0 and not exercise["passed"], exercise
        failed = {c["name"] for c in exercise["checks"] if not c["passed"]}
        want = {failing} if isinstance(failing, str) else failing
        assert want <= failed, f"{sorted(want)} should fail; failed: {sorted(failed)}"


def _stuck(popen: subprocess.Popen[str], args: tuple[str, ...], timeout: float) -> str:
    """What a command that outlived its timeout was doing: kubectl, like any Go program,
    prints every goroutine's stack on SIGQUIT, which shows what it was waiting for."""
    popen.send_signal(signal.SIGQUIT if args[0] == "kubectl" else signal.SIGKILL)
    try:
        out, err = popen.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        popen.kill()
        out, err = popen.communicate()
    return (
        f"{' '.join(args)} still ran after {timeout:g} s.\nIts output:\n{out[-3000:]}\n"
        f"Its stderr (for kubectl, the stacks of its goroutines):\n{err[-12000:]}"
    )


_MADE: list[LabCluster] = []  # this worker's cluster, once a test asked for it


@pytest.fixture(scope="session")
def lab_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    home = tmp_path_factory.mktemp("course") / ".kubelab"
    env = dict(os.environ)
    env.update(
        KUBELAB_HOME=str(home),
        KUBECONFIG=str(home / "kubeconfig"),
        KUBESIM_TIME_SCALE=TIME_SCALE,
        KUBESIM_VIRTUAL_TIME=VIRTUAL_TIME,
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home.parent),  # kubectl's caches and anything else stay in the sandbox
    )
    backend = chosen_backend(os.environ.get("KUBELAB_TEST_BACKEND"))
    cluster = LabCluster(home=home, env=env, backend=backend)
    cluster.bring_up()
    _MADE.append(cluster)
    try:
        yield cluster
    finally:
        cluster.take_down()


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Take this worker's cluster down as soon as its next test is not a course test.

    The course tests run before every other file (tests/conftest.py), so a worker that
    leaves them does not come back; its cluster (every lab solved, dozens of pods probed on
    the virtual clock) would otherwise idle until the session ends, the last five minutes
    of a CI run (docs/benchmarks.md). Should a course test come later anyway,
    `LabCluster.run` brings a fresh cluster up: each course file resets the labs it uses.
    """
    here = Path(__file__).resolve().parent
    if nextitem is not None and here not in Path(str(nextitem.fspath)).resolve().parents:
        for cluster in _MADE:
            cluster.take_down()

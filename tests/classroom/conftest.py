"""Fixtures for the classroom tests, borrowed rather than copied: the CLI tests' tmp lab home
and fake machine (tests/cli/conftest.py), and the course tests' way of running the `kubelab`
a learner has (`LabCluster`, tests/course_e2e/conftest.py) on one simulated lab cluster."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cli"))  # _cli_fakes, as the CLI tests import it


def _sibling(folder: str) -> ModuleType:
    name = f"_{folder}_conftest"
    spec = importlib.util.spec_from_file_location(name, HERE.parent / folder / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_cli = _sibling("cli")
_course = _sibling("course_e2e")
lab_home = _cli.lab_home  # autouse there and here: each test its own lab home and HOME
host = _cli.host
LabCluster = _course.LabCluster


@pytest.fixture(autouse=True)
def _no_github_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """In GitHub Actions GITHUB_OUTPUT is set; a test that wants one sets its own."""
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)


@pytest.fixture(scope="module")
def sim_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    """`kubelab up --backend sim` in a tmp KUBELAB_HOME, as tests/course_e2e brings it up."""
    home = tmp_path_factory.mktemp("classroom") / ".kubelab"
    env = {k: v for k, v in os.environ.items() if k not in ("KUBELAB_LABS", "GITHUB_OUTPUT")}
    env.update(
        KUBELAB_HOME=str(home),
        KUBECONFIG=str(home / "kubeconfig"),
        KUBESIM_TIME_SCALE=_course.TIME_SCALE,
        KUBESIM_VIRTUAL_TIME=_course.VIRTUAL_TIME,
        PATH=f"{_course.BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home.parent),
    )
    cluster = LabCluster(home=home, env=env)
    cluster.bring_up()
    try:
        yield cluster
    finally:
        cluster.take_down()


@pytest.fixture(scope="module")
def edition(sim_cluster: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The learner edition of the course, built for the simulator."""
    out = tmp_path_factory.mktemp("edition") / "course"
    sim_cluster.run("kubelab", "assignment", "build", str(out), "--backend", "sim")
    return out


@pytest.fixture
def learner(sim_cluster: LabCluster, edition: Path) -> Iterator[LabCluster]:
    """The shared cluster seen from the learner edition (its labs), for one test. Its forked
    `kubelab` zygote ends with the test; the cluster itself stays up for the module."""
    view = LabCluster(
        home=sim_cluster.home, env={**sim_cluster.env, "KUBELAB_LABS": str(edition / "labs")}
    )
    view.running = sim_cluster.running
    try:
        yield view
    finally:
        view.forks.close()

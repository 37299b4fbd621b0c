"""Test tiers, set by folder in this one place, so a new test file is in a tier from birth.

    unit      pure functions, in-process servers, fakes: seconds (`bootstrap.py test --fast`)
    kubesim   a served kubesim driven over HTTP or by the real kubectl
    scenario  the whole simulated cluster (controllers, kubelets) through a tutorial's steps
    course    the course end to end: `kubelab up`, every lab's checks, the notebooks
    browser   JupyterLab on the simulator, driven in headless Chromium

A test that needs a heavier tier than its folder's says so with the marker itself
(`@pytest.mark.kubesim`); the folder's tier is added only when none is set.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
from notebook_parts import PARTS, part_of
from xdist.scheduler import LoadScopeScheduling

TESTS = Path(__file__).resolve().parent
# kubectl is a Go program the suite starts some 4,300 times, each for one short command;
# Go's collector, paced for a long-lived heap, is 10-15% of such a run's CPU (an idle
# machine: `get pods -o json` 80 -> 72 ms, an apply 137 -> 115 ms). GOGC=400 lets the heap
# grow five-fold between collections: a test's kubectl, watches included, stays small.
# Only the suite's processes inherit it; a learner's kubectl is untouched.
os.environ.setdefault("GOGC", "400")
# jsonschema (which nbformat and the checker's tests import) compiles rfc3987_syntax's Lark
# grammar at import, for an `iri` string format nothing here checks: 2.5 s of CPU in each
# worker's collection. Left out, as kubelab/cli.py and the notebook runner leave it out
# (tests/nbval_command.py); `bootstrap.py test` also keeps the suite from loading nbval's
# plugin, which would import it first.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
TIERS = ("unit", "kubesim", "scenario", "course", "browser")
BY_FOLDER = {
    "kubesim/e2e": "kubesim",
    "kubesim/cluster": "kubesim",
    "kubesim/kubelet": "kubesim",
    "kubesim/network": "kubesim",
    "scenarios": "scenario",
    "course_e2e": "course",
    "browser": "browser",
}


@functools.cache
def _resolved(path: str) -> Path:
    """A test file's real path, once per file: collection asks for each of 4,300 tests."""
    return Path(path).resolve()


@functools.cache
def tier_of(path: Path) -> str:
    """The tier of a test file: the longest folder prefix in BY_FOLDER, else unit."""
    relative = _resolved(str(path)).relative_to(TESTS).as_posix()
    matches = [folder for folder in BY_FOLDER if relative.startswith(folder + "/")]
    return BY_FOLDER[max(matches, key=len)] if matches else "unit"


# The longest scopes, started first (longest processing time first): the notebooks run in
# order on one cluster, so their file is the run's critical path, then each lab's walk. xdist
# takes the scopes in collection order (`FileOrTestScheduling` turns off its reordering by
# size, which would start these last, as scopes of few tests).
LONGEST_FIRST = (
    "tests/course_e2e/test_notebooks_nbval.py",
    "tests/course_e2e/test_exercises_fail_then_pass.py",
    "tests/course_e2e/test_shortcuts_score_zero.py",
)


def _start_rank(item: pytest.Item) -> int:
    """LONGEST_FIRST, then the other course files, then the rest: a worker that leaves the
    course tests never comes back to them, so it can take its lab cluster down then
    (tests/course_e2e/conftest.py)."""
    path = _resolved(str(item.fspath)).relative_to(TESTS.parent).as_posix()
    if path in LONGEST_FIRST:
        return LONGEST_FIRST.index(path)
    return len(LONGEST_FIRST) + (0 if tier_of(Path(str(item.fspath))) == "course" else 1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(getattr(pytest.mark, tier_of(Path(str(item.fspath)))))
    items.sort(key=_start_rank)  # stable: every file keeps its own order


# Files whose tests stand alone (each lab resets what it uses), so xdist may hand them to
# different workers one by one; every other file runs whole on one worker, in file order
# (`--dist loadfile`), because its tests may build on each other. Lab 0N's walk is a minute or
# two, and the walk of every lab as one file was the tail that kept CI waiting.
EACH_TEST_ALONE = frozenset({"tests/course_e2e/test_exercises_fail_then_pass.py"})
# ... and the notebooks' file is three scopes, its parts (tests/notebook_parts.py)
IN_PARTS = "tests/course_e2e/test_notebooks_nbval.py"


class FileOrTestScheduling(LoadScopeScheduling):
    """loadfile, except that the tests of EACH_TEST_ALONE's files are scopes of their own
    and the notebooks' file is split in its parts."""

    def schedule(self) -> None:
        self.config.option.loadscopereorder = False  # keep LONGEST_FIRST's order
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if path == IN_PARTS:
            param = nodeid.rsplit("[", 1)[-1].rstrip("]") if nodeid.endswith("]") else ""
            return f"{path}::{param if param in PARTS else part_of(param)}"
        return nodeid if path in EACH_TEST_ALONE else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "loadfile":
        return None
    return FileOrTestScheduling(config, log)

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

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
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


def tier_of(path: Path) -> str:
    """The tier of a test file: the longest folder prefix in BY_FOLDER, else unit."""
    relative = path.resolve().relative_to(TESTS).as_posix()
    matches = [folder for folder in BY_FOLDER if relative.startswith(folder + "/")]
    return BY_FOLDER[max(matches, key=len)] if matches else "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(getattr(pytest.mark, tier_of(Path(str(item.fspath)))))

"""Fixtures for the lab-command tests: a tmp lab home, the fixture labs and the fake host.

The fake machine (`FakeHost`) is the CLI tests' own (tests/cli/_cli_fakes.py), reused here
rather than copied: it records every process kubelab would run and runs none.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # an editable install made before checker/__init__.py existed
    sys.path.insert(0, str(ROOT))  # would make `checker` an empty namespace package
sys.path.insert(0, str(HERE.parent / "cli"))

from _cli_fakes import FakeHost, write_kubeconfig  # noqa: E402

from kubelab import _procs  # noqa: E402

LABS = HERE / "data" / "labs"
FIXTURE = LABS / "01-fixture"


@pytest.fixture(autouse=True)
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own lab home, HOME and labs folder; nothing reads ~/.kube."""
    home = tmp_path / "lab"
    monkeypatch.setenv("KUBELAB_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBELAB_BACKEND", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return home


@pytest.fixture
def host() -> Iterator[FakeHost]:
    fake = FakeHost()
    with _procs.use_host(fake):
        yield fake


@pytest.fixture
def kind_cluster(lab_home: Path) -> Path:
    """A lab kubeconfig for the kind backend (nothing answers at it: the host is fake)."""
    return write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the checker-backed waiter: every wait passes at once; names are recorded."""
    import kubelab._cmd_labs as cmd

    waited: list[str] = []

    def fake_waiter(kubeconfig: Path):
        def wait(lab, check):
            waited.append(check.name)
            return None

        return wait

    monkeypatch.setattr(cmd, "checker_waiter", fake_waiter)
    return waited

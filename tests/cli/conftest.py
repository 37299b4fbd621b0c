"""Fixtures for the CLI tests: a tmp lab home for every test and the fake host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_fakes import FakeHost

from kubelab import _procs


@pytest.fixture(autouse=True)
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own lab home and HOME; nothing reads ~/.kube or $KUBECONFIG."""
    home = tmp_path / "lab"
    monkeypatch.setenv("KUBELAB_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBELAB_BACKEND", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return home


@pytest.fixture
def host() -> Iterator[FakeHost]:
    fake = FakeHost()
    with _procs.use_host(fake):
        yield fake

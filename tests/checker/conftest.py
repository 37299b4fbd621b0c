"""Fixtures for the checker: a recording fake API server, lab kubeconfigs, test labs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` run directly, with an editable install made before
    sys.path.insert(0, str(ROOT))  # checker/__init__.py existed, would see a namespace package

from checker_fakeapi import (  # noqa: E402
    BROKEN_LOGS,
    DATA,
    HEALTHY_PROXY,
    LABS,
    FakeApi,
    FakeClock,
    Server,
    write_kubeconfig,
)

from checker import ReadOnlyClient, discover_labs  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the user's ~/.kube or .kubelab: HOME and KUBELAB_HOME point into tmp."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "kubelab-home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBELAB_LABS", raising=False)
    return home


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    server = Server(api)
    server.start()
    try:
        yield api
    finally:
        server.stop()


@pytest.fixture
def healthy(fake_api: FakeApi) -> FakeApi:
    fake_api.load(DATA / "healthy.yaml")
    fake_api.proxy.update(HEALTHY_PROXY)
    return fake_api


@pytest.fixture
def broken(fake_api: FakeApi) -> FakeApi:
    fake_api.load(DATA / "broken.yaml")
    fake_api.logs.update(BROKEN_LOGS)
    return fake_api


@pytest.fixture
def kubeconfig(fake_api: FakeApi, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubelab-home" / "kubeconfig", fake_api.url)


@pytest.fixture
def client(kubeconfig: Path) -> Iterator[ReadOnlyClient]:
    with ReadOnlyClient.from_kubeconfig(kubeconfig) as c:
        yield c


@pytest.fixture
def labs():
    return discover_labs(LABS)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

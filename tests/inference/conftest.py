"""Fixtures for the inference tests: scratch working directories and real server processes.

The helpers live in ``_inference_harness`` (a uniquely named module, since this folder is
not a package: a package here would shadow the ``inference`` package under test).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _inference_harness import MODELS, Server, launch


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory holding models/, like the image's /app."""
    shutil.copytree(MODELS, tmp_path / "models")
    return tmp_path


@pytest.fixture
def start(workdir: Path) -> Iterator[Callable[..., Server]]:
    """Start servers on demand; every one is killed at the end of the test."""
    servers: list[Server] = []

    def _start(**env: str | None) -> Server:
        server = launch(workdir, **env)
        servers.append(server)
        return server

    yield _start
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ready 2.4.0 server shared by the read-mostly endpoint tests of a module."""
    wd = tmp_path_factory.mktemp("inference")
    shutil.copytree(MODELS, wd / "models")
    s = launch(wd)
    try:
        s.wait_ready()
        yield s
    finally:
        s.close()

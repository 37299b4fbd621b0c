"""Fixtures: `standin` starts a stand-in program (see `standin_process.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from standin_process import Standin, start_standin


@pytest.fixture
def standin(tmp_path: Path) -> Iterator:
    started: list[Standin] = []

    def start(name: str, *args: str, env: dict[str, str] | None = None, port: int | None = None):
        running = start_standin(tmp_path, len(started), name, *args, env=env, port=port)
        started.append(running)
        return running

    yield start
    for running in started:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait()

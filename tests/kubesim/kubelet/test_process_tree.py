"""The fallback meter's process tree (kubesim/kubelet/_cgroups.py, no cgroups): measuring
reuses one scan of /proc for a moment across containers; killing always scans anew."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from kubesim.kubelet import _cgroups


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def test_measuring_reuses_a_recent_scan_and_killing_does_not(children) -> None:
    me = os.getpid()
    children.append(subprocess.Popen(["sleep", "30"]))
    assert children[0].pid in _cgroups.process_tree(me)  # a fresh scan
    children.append(subprocess.Popen(["sleep", "30"]))
    seen = _cgroups.process_tree(me, fresh=False)
    if time.monotonic() - _cgroups._children_seen[0] < _cgroups.TREE_REUSE_SECONDS:  # type: ignore[index]
        assert children[1].pid not in seen  # the scan of a moment ago, reused
    assert children[1].pid in _cgroups.process_tree(me)  # the kill path's: anew
    time.sleep(_cgroups.TREE_REUSE_SECONDS)
    assert children[1].pid in _cgroups.process_tree(me, fresh=False)  # and it ages out

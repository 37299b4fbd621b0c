"""Fixtures: `kubesim_cluster` (session scope) runs one kubesim process for the API
suites; `kubectl` is its kubectl runner. See `kubesim_process.py` for the mechanics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubesim_process import Cluster, start_kubesim, stop_kubesim


@pytest.fixture(scope="session")
def kubesim_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start_kubesim(tmp_path_factory.mktemp("kubesim"))
    yield cluster
    stop_kubesim(cluster)


@pytest.fixture
def kubectl(kubesim_cluster: Cluster):
    return kubesim_cluster.kubectl

"""The store stands in for etcd, so it enforces etcd's --max-request-bytes on what it writes:
a value over 1.5 MiB is refused before it is stored, and the revision does not move."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesim.store.sqlite import MAX_REQUEST_BYTES, Store, TooLarge


def _configmap(size: int) -> dict:
    return {"metadata": {"name": "cm", "namespace": "ns"}, "data": {"k": "x" * size}}


def test_a_value_over_etcds_limit_is_refused_on_create_and_update(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    with pytest.raises(TooLarge):
        store.create("/core/configmaps/ns/cm", _configmap(MAX_REQUEST_BYTES))
    assert store.get("/core/configmaps/ns/cm") is None
    row = store.create("/core/configmaps/ns/cm", _configmap(MAX_REQUEST_BYTES - 1000))
    with pytest.raises(TooLarge):
        store.update(row.key, _configmap(MAX_REQUEST_BYTES + 1))
    assert store.revision == row.rev
    store.delete(row.key)  # a tombstone of a value stored once is never refused
    assert store.get(row.key) is None

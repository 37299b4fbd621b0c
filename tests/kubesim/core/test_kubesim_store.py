"""The kine-style store: revisions, conflicts, watch replay, compaction, durability."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.store.sqlite import Compacted, KeyExists, KeyMissing, RevisionMismatch, Store


def must(value: Any) -> Any:
    """The value, asserting it is there (a None here is a test failure)."""
    assert value is not None
    return value


def cm(name: str, value: str = "v") -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "state.db")
    yield s
    s.close()


def test_every_write_gets_the_next_global_revision(store: Store) -> None:
    a = store.create("/core/configmaps/ns/a", cm("a"))
    b = store.create("/core/configmaps/ns/b", cm("b"))
    a2 = store.update("/core/configmaps/ns/a", cm("a", "2"), expected_rev=a.rev)
    assert (a.rev, b.rev, a2.rev) == (1, 2, 3)
    assert a2.obj["metadata"]["resourceVersion"] == "3"
    assert a2.create_rev == 1


def test_create_of_an_existing_key_fails(store: Store) -> None:
    store.create("/core/configmaps/ns/a", cm("a"))
    with pytest.raises(KeyExists):
        store.create("/core/configmaps/ns/a", cm("a"))


def test_update_from_a_stale_revision_conflicts_and_changes_nothing(store: Store) -> None:
    first = store.create("/core/configmaps/ns/a", cm("a"))
    store.update("/core/configmaps/ns/a", cm("a", "2"), expected_rev=first.rev)
    with pytest.raises(RevisionMismatch):
        store.update("/core/configmaps/ns/a", cm("a", "3"), expected_rev=first.rev)
    assert must(store.get("/core/configmaps/ns/a")).obj["data"] == {"k": "2"}


def test_database_constraint_rejects_two_writers_from_the_same_revision(store: Store) -> None:
    import sqlite3

    store.create("/core/configmaps/ns/a", cm("a"))
    # A second writer that bypasses the in-memory check still hits UNIQUE(name, prev).
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute(
            "INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value)"
            " VALUES ('/core/configmaps/ns/a', 1, 0, 9, 0, '{}')"
        )


def test_delete_removes_the_key_and_records_a_tombstone(store: Store) -> None:
    row = store.create("/core/configmaps/ns/a", cm("a"))
    gone = store.delete("/core/configmaps/ns/a")
    assert store.get("/core/configmaps/ns/a") is None
    assert gone.rev == row.rev + 1
    with pytest.raises(KeyMissing):
        store.delete("/core/configmaps/ns/a")
    again = store.create("/core/configmaps/ns/a", cm("a"))
    assert again.create_rev == again.rev


def test_list_is_sorted_and_scoped_by_prefix(store: Store) -> None:
    for key in (
        "/core/configmaps/b/x",
        "/core/configmaps/a/y",
        "/core/configmaps/a/x",
        "/core/secrets/a/x",
    ):
        store.create(key, cm(key))
    rev, rows = store.list("/core/configmaps/a/")
    assert [r.key for r in rows] == ["/core/configmaps/a/x", "/core/configmaps/a/y"]
    assert rev == 4
    assert len(store.list("/core/configmaps/")[1]) == 3


async def test_watch_replays_from_a_revision_then_streams_live(store: Store) -> None:
    a = store.create("/core/configmaps/ns/a", cm("a"))
    store.update("/core/configmaps/ns/a", cm("a", "2"), expected_rev=a.rev)
    watch = store.watch("/core/configmaps/ns/", after=a.rev)
    store.delete("/core/configmaps/ns/a")
    events = [must(await watch.next(1.0)) for _ in range(2)]
    assert [(e.type, e.row.rev) for e in events] == [("MODIFIED", 2), ("DELETED", 3)]
    assert events[0].prev["data"] == {"k": "v"}
    assert await watch.next(0.05) is None
    watch.close()


async def test_watch_from_now_sees_only_later_writes(store: Store) -> None:
    store.create("/core/configmaps/ns/a", cm("a"))
    watch = store.watch("/core/configmaps/", after=None)
    store.create("/core/configmaps/ns/b", cm("b"))
    event = must(await watch.next(1.0))
    assert (event.type, event.row.key) == ("ADDED", "/core/configmaps/ns/b")
    watch.close()
    assert await watch.next(0.01) is None


async def test_closing_a_watch_wakes_a_waiting_reader(store: Store) -> None:
    watch = store.watch("/core/configmaps/", after=None)
    reader = asyncio.create_task(watch.next(None))
    await asyncio.sleep(0)
    watch.close()
    assert await asyncio.wait_for(reader, 1.0) is None


def test_compaction_keeps_latest_rows_and_expires_old_revisions(store: Store) -> None:
    row = store.create("/core/configmaps/ns/a", cm("a"))
    for i in range(5):
        row = store.update("/core/configmaps/ns/a", cm("a", str(i)), expected_rev=row.rev)
    store.create("/core/configmaps/ns/b", cm("b"))
    store.delete("/core/configmaps/ns/b")
    target = store.compact(keep=2)
    assert target == store.revision - 2
    assert must(store.get("/core/configmaps/ns/a")).obj["data"] == {"k": "4"}
    with pytest.raises(Compacted) as caught:
        store.watch("/core/configmaps/", after=1)
    assert (caught.value.requested, caught.value.oldest) == (1, target)
    count = store._db.execute("SELECT COUNT(*) FROM kine").fetchone()[0]
    assert count < 9


def test_restart_keeps_revisions_and_objects(tmp_path: Path) -> None:
    s = Store(tmp_path / "state.db")
    s.create("/core/configmaps/ns/a", cm("a"))
    s.create("/core/configmaps/ns/b", cm("b"))
    s.delete("/core/configmaps/ns/b")
    s.close()
    again = Store(tmp_path / "state.db")
    assert again.revision == 3
    assert again.get("/core/configmaps/ns/b") is None
    assert again.create("/core/configmaps/ns/c", cm("c")).rev == 4
    again.close()


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    """A writer process prints each revision after the store returns; we SIGKILL it
    mid-stream and every printed (acknowledged) revision must be there on reopen."""
    db = tmp_path / "state.db"
    script = textwrap.dedent(
        f"""
        import sys
        from kubesim.store.sqlite import Store
        s = Store({str(db)!r})
        i = 0
        while True:
            row = s.create(f"/core/configmaps/ns/c{{i}}", {{"metadata": {{"name": f"c{{i}}"}}}})
            print(row.rev, flush=True)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acked = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acked.append(int(line))
        if len(acked) >= 200:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reopened = Store(db)
    try:
        assert reopened.revision >= acked[-1]
        for rev in acked:
            assert reopened.get(f"/core/configmaps/ns/c{rev - 1}") is not None
        assert reopened.create("/core/configmaps/ns/after", cm("x")).rev > acked[-1]
    finally:
        reopened.close()

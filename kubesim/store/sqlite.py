"""The durable store: an append-only log on SQLite whose row id is the global revision.

This is k3s's kine idea (kine: pkg/drivers/sqlite/sqlite.go, pkg/logstructured/): every
create, update and delete appends one row; the row's id is the cluster-wide revision that
clients see as `metadata.resourceVersion`. `UNIQUE(name, prev_revision)` makes two writers
that started from the same revision collide *in the database*, so the loser gets a
conflict instead of silently overwriting. Acknowledged writes are committed before the
call returns (WAL, synchronous=NORMAL: survives `kill -9` of the process).

Reads never touch SQLite: an in-memory index holds the latest row per key, with the
object and its JSON bytes, so GET and a 1000-pod LIST are dictionary work. Watches
subscribe first and then replay the log after the requested revision, dropping anything
at or below the last revision sent (kine: `Watch` in logstructured.go); a revision below
the compaction point raises `Compacted` (the API answers 410 Expired).

All methods except `Watch.next` are synchronous and meant for one thread (the server's
event loop): a write is a single small transaction, measured in tens of microseconds.

Errors (plain, the API layer translates them):
StoreError
  + KeyExists         create of a key that exists
  + KeyMissing        update/delete of a key that does not exist
  + RevisionMismatch  update/delete whose expected revision is not the latest
  + Compacted         watch from a revision that was compacted away
  + NotASnapshot      a file handed to `restore` that is not a copy of this store

Snapshots (the simulator has no etcd; this is its store's equivalent of `etcdctl snapshot
save` and `etcdutl snapshot restore`): `save_snapshot` copies the live database with
SQLite's online backup API, so the copy is consistent while the server keeps writing.
`Store.restore` replaces the log with a snapshot's latest rows and, as `etcdutl snapshot
restore --bump-revision --mark-compacted` does, moves the revision forward past anything a
client has seen and marks it compacted: every open watch ends, and a client that watches
again from an old resourceVersion gets 410 Expired and lists afresh.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    value TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
CREATE INDEX IF NOT EXISTS kine_name_index ON kine (name);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"""


class StoreError(Exception):
    """Base of the store's own errors; the API layer turns them into Status answers."""


class KeyExists(StoreError):
    pass


class KeyMissing(StoreError):
    pass


class TooLarge(StoreError):
    """etcd's "request is too large": the value is over `MAX_REQUEST_BYTES`."""


class RevisionMismatch(StoreError):
    def __init__(self, key: str, *, expected: int, actual: int) -> None:
        super().__init__(f"{key}: expected revision {expected}, latest is {actual}")
        self.expected = expected
        self.actual = actual


class Compacted(StoreError):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"revision {requested} is compacted (oldest kept: {oldest})")
        self.requested = requested
        self.oldest = oldest


class NotASnapshot(StoreError):
    """The file is missing, not SQLite, or SQLite without the store's log."""


# how far a restore moves the revision past the highest one seen (etcdutl's --bump-revision;
# the Kubernetes docs suggest a large bump so that no client sees a revision go back)
RESTORE_BUMP = 1_000_000


def _snapshot_rows(path: Path | str) -> tuple[int, list[tuple[Any, ...]]]:
    """The snapshot's revision and its latest live row per key; NotASnapshot otherwise."""
    where = Path(path)
    if not where.is_file():
        raise NotASnapshot(f"{where} does not exist or is not a file")
    try:
        db = sqlite3.connect(f"{where.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise NotASnapshot(f"{where} cannot be opened: {exc}") from None
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if "kine" not in tables:
            raise NotASnapshot(f"{where} is an SQLite database without kubesim's table kine")
        rows = db.execute(
            "SELECT id, name, created, deleted, create_revision, prev_revision, value FROM kine "
            "WHERE id IN (SELECT MAX(id) FROM kine GROUP BY name) AND deleted = 0"
        ).fetchall()
        seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name='kine'").fetchone()
    except sqlite3.DatabaseError as exc:  # "file is not a database"
        raise NotASnapshot(f"{where} is not a kubesim snapshot ({exc})") from None
    finally:
        db.close()
    revision = max([seq[0] if seq else 0, *(row[0] for row in rows)])
    return revision, rows


def snapshot_revision(path: Path | str) -> int:
    """The revision a snapshot file holds; NotASnapshot when it is not one."""
    return _snapshot_rows(path)[0]


def save_snapshot(database: Path | str, target: Path | str) -> int:
    """Copy the store's live database to `target` with SQLite's online backup API (other
    processes may write meanwhile: the copy is one consistent moment). Returns its revision.
    The copy is written beside `target` and renamed, so a failed save leaves no half file."""
    source_path, target = Path(database), Path(target)
    if not source_path.is_file():
        raise NotASnapshot(f"{source_path} does not exist: there is no store to copy")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    partial.replace(target)
    return snapshot_revision(target)


@dataclass(frozen=True, slots=True)
class Row:
    """One version of one object. `obj` is shared: treat it as read-only."""

    key: str
    rev: int
    create_rev: int
    obj: dict[str, Any]
    raw: bytes


@dataclass(frozen=True, slots=True)
class Event:
    type: str  # ADDED | MODIFIED | DELETED
    row: Row
    prev: dict[str, Any] | None = None


_WAKE: Any = object()  # queued by Watch.close() to wake a waiting reader


# etcd's --max-request-bytes default (1.5 MiB), which a write's value must stay under
MAX_REQUEST_BYTES = 1536 * 1024


def _encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def collection_of(key: str) -> str:
    """`/core/pods/ns/name` -> `/core/pods/`: the index bucket of a key or prefix."""
    parts = key.split("/", 3)
    return f"/{parts[1]}/{parts[2]}/"


class Watch:
    """A subscription: `backlog` (replayed log) first, then live events in order."""

    def __init__(self, store: Store, prefix: str) -> None:
        self._store = store
        self.prefix = prefix
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.backlog: list[Event] = []
        self.last_rev = 0
        self.closed = False

    def _offer(self, event: Event) -> None:
        if event.row.key.startswith(self.prefix):
            self.queue.put_nowait(event)

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event past everything already delivered; None on timeout or close."""
        while True:
            if self.closed:
                return None
            if self.backlog:
                event = self.backlog.pop(0)
            else:
                try:
                    event = await asyncio.wait_for(self.queue.get(), timeout)
                except TimeoutError:
                    return None
            if event is _WAKE:
                continue
            if event.row.rev > self.last_rev:
                self.last_rev = event.row.rev
                return event

    def close(self) -> None:
        """Stop the subscription; a pending `next` returns None."""
        if not self.closed:
            self.closed = True
            self._store._unsubscribe(self)
            self.queue.put_nowait(_WAKE)


class Store:
    """The log, its in-memory index of latest rows, and the watch fan-out."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._latest: dict[str, dict[str, Row]] = {}
        self._tombstones: dict[str, int] = {}
        self._watches: list[Watch] = []
        self.revision = 0
        self.compact_revision = 0
        self._load()

    # -- startup ---------------------------------------------------------------------

    def _load(self) -> None:
        cur = self._db.execute(
            "SELECT k.id, k.name, k.deleted, k.create_revision, k.value FROM kine k "
            "WHERE k.id IN (SELECT MAX(id) FROM kine GROUP BY name)"
        )
        for rev, key, deleted, create_rev, value in cur:
            if deleted:
                self._tombstones[key] = rev
            else:
                obj = json.loads(value)
                self._put_index(Row(key, rev, create_rev, obj, value.encode()))
        seq = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='kine'").fetchone()
        self.revision = seq[0] if seq else 0
        meta = self._db.execute("SELECT v FROM meta WHERE k='compact_rev'").fetchone()
        self.compact_revision = int(meta[0]) if meta else 0

    def close(self) -> None:
        for watch in list(self._watches):
            watch.close()
        self._db.close()

    # -- reads -------------------------------------------------------------------------

    def get(self, key: str) -> Row | None:
        bucket = self._latest.get(collection_of(key))
        return bucket.get(key) if bucket else None

    def list(self, prefix: str) -> tuple[int, list[Row]]:
        """The current revision and every live row under `prefix`, sorted by key."""
        bucket = self._latest.get(collection_of(prefix), {})
        if prefix.count("/") == 3:  # a whole collection
            rows = list(bucket.values())
        else:
            rows = [row for key, row in bucket.items() if key.startswith(prefix)]
        rows.sort(key=lambda row: row.key)
        return self.revision, rows

    def count(self, prefix: str) -> int:
        return len(self.list(prefix)[1])

    def readable(self) -> bool:
        """Whether the database itself (not the in-memory index) answers a read: what the
        API server's etcd health check asks."""
        try:
            self._db.execute("SELECT MAX(id) FROM kine").fetchone()
        except sqlite3.Error:
            return False
        return True

    # -- writes ------------------------------------------------------------------------

    def create(self, key: str, obj: dict[str, Any]) -> Row:
        if self.get(key) is not None:
            raise KeyExists(key)
        prev = self._tombstones.get(key, 0)
        rev = self.revision + 1
        row = self._append(key, obj, rev=rev, create_rev=rev, prev=prev, created=1, deleted=0)
        self._tombstones.pop(key, None)
        self._put_index(row)
        self._publish(Event("ADDED", row))
        return row

    def update(self, key: str, obj: dict[str, Any], *, expected_rev: int | None = None) -> Row:
        """Replace the latest version; `expected_rev` None means unconditionally."""
        old = self.get(key)
        if old is None:
            raise KeyMissing(key)
        if expected_rev is not None and expected_rev != old.rev:
            raise RevisionMismatch(key, expected=expected_rev, actual=old.rev)
        row = self._append(
            key,
            obj,
            rev=self.revision + 1,
            create_rev=old.create_rev,
            prev=old.rev,
            created=0,
            deleted=0,
        )
        self._put_index(row)
        self._publish(Event("MODIFIED", row, old.obj))
        return row

    def delete(
        self, key: str, *, expected_rev: int | None = None, final: dict[str, Any] | None = None
    ) -> Row:
        """Remove a key; the tombstone row carries `final` (default: the last object)."""
        old = self.get(key)
        if old is None:
            raise KeyMissing(key)
        if expected_rev is not None and expected_rev != old.rev:
            raise RevisionMismatch(key, expected=expected_rev, actual=old.rev)
        row = self._append(
            key,
            final if final is not None else old.obj,
            rev=self.revision + 1,
            create_rev=old.create_rev,
            prev=old.rev,
            created=0,
            deleted=1,
        )
        self._latest[collection_of(key)].pop(key, None)
        self._tombstones[key] = row.rev
        self._publish(Event("DELETED", row, old.obj))
        return row

    def _append(
        self,
        key: str,
        obj: dict[str, Any],
        *,
        rev: int,
        create_rev: int,
        prev: int,
        created: int,
        deleted: int,
    ) -> Row:
        obj = dict(obj)
        obj["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(rev)}
        raw = _encode(obj)
        if len(raw) > MAX_REQUEST_BYTES and not deleted:
            raise TooLarge(key)
        try:
            self._db.execute(
                "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision,"
                " value) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (rev, key, created, deleted, create_rev, prev, raw.decode()),
            )
        except sqlite3.IntegrityError as exc:  # another writer got there first
            raise RevisionMismatch(key, expected=prev, actual=-1) from exc
        self.revision = rev
        return Row(key, rev, create_rev, obj, raw)

    def _put_index(self, row: Row) -> None:
        self._latest.setdefault(collection_of(row.key), {})[row.key] = row

    # -- watch ---------------------------------------------------------------------------

    def watch(self, prefix: str, *, after: int | None) -> Watch:
        """Subscribe to `prefix`; with `after`, replay the log past that revision first.

        Subscription and replay happen in one synchronous step, so no write can fall
        between them; the caller may also take `list()` in the same step for a snapshot.
        """
        if after is not None and after < self.compact_revision and after < self.revision:
            raise Compacted(after, self.compact_revision)
        watch = Watch(self, prefix)
        self._watches.append(watch)
        if after is not None:
            watch.backlog = list(self._replay(prefix, after))
            watch.last_rev = after
        else:
            watch.last_rev = self.revision
        return watch

    def _replay(self, prefix: str, after: int) -> Iterable[Event]:
        cur = self._db.execute(
            "SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.value, p.value,"
            " p.deleted FROM kine k LEFT JOIN kine p ON p.id = k.prev_revision"
            " WHERE k.id > ? AND k.name >= ? AND k.name < ? ORDER BY k.id",
            (after, prefix, prefix + "\uffff"),
        )
        for rev, key, created, deleted, create_rev, value, prev_value, prev_deleted in cur:
            row = Row(key, rev, create_rev, json.loads(value), value.encode())
            prev = json.loads(prev_value) if prev_value and not prev_deleted else None
            kind = "DELETED" if deleted else ("ADDED" if created else "MODIFIED")
            yield Event(kind, row, prev)

    def _publish(self, event: Event) -> None:
        for watch in self._watches:
            watch._offer(event)

    def _unsubscribe(self, watch: Watch) -> None:
        if watch in self._watches:
            self._watches.remove(watch)

    # -- restore ---------------------------------------------------------------------------

    def restore(self, snapshot: Path | str, *, bump: int = RESTORE_BUMP) -> int:
        """Replace every key with the snapshot's, keeping each row's own revisions (the
        objects' resourceVersions are the snapshot's), then move the store's revision to
        `bump` past the highest either side has seen and mark everything below compacted.
        Every open watch is closed. Returns the new revision."""
        snap_rev, rows = _snapshot_rows(snapshot)
        target = max(self.revision, snap_rev) + bump
        self._db.execute("BEGIN")
        try:
            self._db.execute("DELETE FROM kine")
            self._db.executemany(
                "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision,"
                " value) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("DELETE FROM sqlite_sequence WHERE name='kine'")
            self._db.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('kine', ?)", (target,)
            )
            self._record_compaction(target)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._latest.clear()
        self._tombstones.clear()
        self._load()
        for watch in list(self._watches):
            watch.close()
        return self.revision

    # -- compaction ------------------------------------------------------------------------

    def _record_compaction(self, revision: int) -> None:
        """The compaction revision, written inside the caller's transaction."""
        self._db.execute(
            "INSERT INTO meta (k, v) VALUES ('compact_rev', ?) "
            "ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            (str(revision),),
        )

    def compact(self, *, keep: int) -> int:
        """Drop history older than the last `keep` revisions, except each key's latest row.

        Returns the new compaction revision; watches from below it get `Compacted`.
        """
        target = self.revision - keep
        if target <= self.compact_revision:
            return self.compact_revision
        self._db.execute("BEGIN")
        try:
            self._db.execute(
                "DELETE FROM kine WHERE id <= ? AND (deleted = 1 OR id NOT IN "
                "(SELECT MAX(id) FROM kine GROUP BY name))",
                (target,),
            )
            self._record_compaction(target)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._tombstones = {k: v for k, v in self._tombstones.items() if v > target}
        self.compact_revision = target
        return target

"""The store: etcd's role, kept as kine keeps it: an append-only log on SQLite.

Owns durability, the global revision (`resourceVersion`), optimistic concurrency and
watches from any revision. May import: `kubesim.core`. Knows nothing of kinds or HTTP.
"""

from kubesim.store.sqlite import NotASnapshot, Store, save_snapshot, snapshot_revision

__all__ = ["NotASnapshot", "Store", "save_snapshot", "snapshot_revision"]

"""Which slice of 127.0.0.0/8 a kubesim's pod network lives in.

Pod IPs look like kind's (10.244.N.H) and cluster IPs like 10.96.X.Y in every kubesim; their
loopback twins must not collide when two kubesims share a machine (a test suite running an
in-process cluster beside a served one, or two checkouts). Each running cluster claims a
network id with an exclusive lock file, and twins carry it in their second octet:
pod 10.244.N.H -> 127.(100+id).N.H, service 10.96.X.Y -> 127.(160+id).X.Y.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path
from typing import IO

MAX_IDS = 60
POD_BASE = 100
SERVICE_BASE = 160


def lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / "kubesim-net"


class NetId:
    """A claimed network id; the lock lives as long as this object (or the process)."""

    def __init__(self, value: int, handle: IO[str] | None) -> None:
        self.value = value
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None


def _shared(folder: Path) -> Path:
    """The lock folder every user of the machine shares (loopback addresses are machine-wide),
    made world-writable and sticky like /tmp; one this user cannot write to (left by an older
    kubesim, 0755) gives way to a folder of this user's own."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.stat().st_uid == os.geteuid():
            folder.chmod(0o1777)
    except OSError:
        pass
    if os.access(folder, os.W_OK | os.X_OK):
        return folder
    own = folder.with_name(f"{folder.name}-{os.geteuid()}")
    own.mkdir(parents=True, exist_ok=True)
    return own


def claim(folder: Path | None = None) -> NetId:
    folder = _shared(folder or lock_dir())
    for value in range(MAX_IDS):
        try:
            handle = open(folder / f"{value}.lock", "a")  # noqa: SIM115 - held while the cluster runs
        except PermissionError:  # another user's cluster holds (or held) this id
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return NetId(value, handle)
    raise RuntimeError(
        f"more than {MAX_IDS} simulated clusters are running on this machine; stop some "
        "(kubelab down) and try again"
    )


def twin(address: str, net_id: int) -> str:
    """The loopback address standing in for a pod or cluster IP; others are unchanged."""
    parts = address.split(".")
    if len(parts) == 4 and parts[0] == "10":
        if parts[1] == "244":
            return f"127.{POD_BASE + net_id}.{parts[2]}.{parts[3]}"
        if parts[1] == "96":
            return f"127.{SERVICE_BASE + net_id}.{parts[2]}.{parts[3]}"
    return address

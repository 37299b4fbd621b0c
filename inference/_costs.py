"""Real resource costs, so that Kubernetes limits and autoscaling have something to act on.

``hold_memory`` makes resident memory really grow (lesson 06's OOMKilled needs the kernel
to see it); ``burn_cpu`` spends real CPU time per prediction (the HPA lesson scales on it).
Neither sleeps: a sleeping server would cost nothing and teach nothing.
"""

from __future__ import annotations

import hashlib
import time

MIB = 1 << 20
_PAGE = 4096
_BLOCK = bytes(range(256)) * 256  # 64 KiB: large enough that hashlib releases the GIL


def hold_memory(mib: int) -> bytearray:
    """Allocate ``mib`` MiB and write one byte per page, so every page is resident."""
    ballast = bytearray(mib * MIB)
    if ballast:
        ballast[::_PAGE] = b"\x01" * len(range(0, len(ballast), _PAGE))
    return ballast


def burn_cpu(ms: float) -> str:
    """Hash data until this thread has used ``ms`` of CPU time; return the digest.

    Measured on the thread's own CPU clock, so under a CFS quota the same work takes
    longer wall time, exactly like real model inference that is being throttled.
    """
    digest = hashlib.sha256()
    deadline = time.thread_time() + ms / 1000.0
    while time.thread_time() < deadline:
        digest.update(_BLOCK)
    return digest.hexdigest()

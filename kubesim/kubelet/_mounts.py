"""What the kubelet hands the runtime to mount into a container: the seam between volumes and
the container world.

The volume manager (`_volumes`) decides *what* each container sees at each mountPath and
materializes it as a folder or file on the node; the runtime (`_process`) only binds it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mount:
    """One volumeMount, resolved: `source` on the node appears at `target` in the container."""

    source: Path  # a folder or a file (subPath) on the node
    target: str  # the container's absolute mountPath
    read_only: bool = False

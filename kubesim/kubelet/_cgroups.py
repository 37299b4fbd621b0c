"""Container limits as real kernel limits (cgroup v1), or as measurements where we cannot.

DESIGN.md: as root on these machines the v1 memory and cpu controllers are mounted at
/sys/fs/cgroup/memory and /sys/fs/cgroup/cpu, so a memory limit is a real kernel limit
(the kernel OOM-kills the process and counts it in memory.oom_control) and a CPU limit a real
CFS quota. Without write access (no root, macOS) the kubelet falls back to polling RSS and
killing the process itself when it passes the limit, and says so in `kubelab status`.

Every container gets its cgroup pair when cgroups are writable, limits or not: the cgroup is
what holds *all* of a container's processes, whatever they do (a child that calls setsid
leaves the process group and session, never the cgroup), so the kubelet ends a container by
killing its cgroup's processes (`kill_all`), as a runtime ends a container's PID namespace.
Without cgroups the fallback is the process tree by parent pid, taken before the kill, and
once the first process has exited (its orphans no longer descend from it) the processes
still working in the container's sandbox with its environment (`strays_in`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000


def available(root: Path = CGROUP_ROOT) -> bool:
    """True when this process can create cgroups under both v1 controllers."""
    for controller in ("memory", "cpu"):
        base = root / controller
        if not (base / "cgroup.procs").exists() or not os.access(base, os.W_OK):
            return False
    return True


@dataclass(frozen=True)
class Cgroup:
    """One container's cgroup pair (memory + cpu), named kubesim/<id>."""

    memory: Path
    cpu: Path

    @classmethod
    def create(cls, name: str, root: Path = CGROUP_ROOT) -> Cgroup:
        group = cls(memory=root / "memory" / "kubesim" / name, cpu=root / "cpu" / "kubesim" / name)
        group.memory.mkdir(parents=True, exist_ok=True)
        group.cpu.mkdir(parents=True, exist_ok=True)
        return group

    def limit(self, *, memory_bytes: int | None, cpu_millis: int | None) -> None:
        if memory_bytes:
            # swap must not hide an overrun: limit memory+swap to the same value where
            # possible. memsw may never be below the memory limit, so a raise (an in-place
            # resize) writes it first and a cut writes it last
            memsw = self.memory / "memory.memsw.limit_in_bytes"
            order = [self.memory / "memory.limit_in_bytes", memsw]
            with contextlib.suppress(OSError, ValueError):
                if memory_bytes > int(memsw.read_text()):
                    order.reverse()
            for path in order:
                if path == memsw:
                    if memsw.exists():
                        with contextlib.suppress(OSError):
                            memsw.write_text(str(memory_bytes))
                else:
                    path.write_text(str(memory_bytes))
        if cpu_millis:
            quota = max(1000, cpu_millis * CFS_PERIOD_US // 1000)
            (self.cpu / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            (self.cpu / "cpu.cfs_quota_us").write_text(str(quota))

    def attach(self, pid: int) -> None:
        for procs in self.procs():
            procs.write_text(str(pid))

    def procs(self) -> tuple[Path, Path]:
        """The files a process writes its pid into to join the pair."""
        return self.memory / "cgroup.procs", self.cpu / "cgroup.procs"

    def oom_kills(self) -> int:
        """How many times the kernel OOM-killed a process in this cgroup."""
        try:
            text = (self.memory / "memory.oom_control").read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def memory_usage(self) -> int | None:
        """Working set as the kubelet reports it: usage minus inactive file cache."""
        try:
            usage = int((self.memory / "memory.usage_in_bytes").read_text())
            stat = (self.memory / "memory.stat").read_text()
        except OSError:
            return None
        inactive = 0
        for line in stat.splitlines():
            key, _, value = line.partition(" ")
            if key == "total_inactive_file":
                inactive = int(value)
        return max(0, usage - inactive)

    def pids(self) -> list[int]:
        """The processes in this cgroup (the memory controller's view of it)."""
        try:
            text = (self.memory / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(x) for x in text.split()]

    def kill_all(self, *, rounds: int = 50) -> int:
        """SIGKILL every process in the cgroup, again until it is empty (a process that forks
        meanwhile is caught on the next round); how many signals were sent."""
        sent = 0
        for n in range(rounds):
            pids = [pid for pid in self.pids() if _alive(pid)]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    sent += 1
            time.sleep(0.001 * min(n + 1, 10))
        return sent

    def remove(self) -> None:
        for path in (self.memory, self.cpu):
            with contextlib.suppress(OSError):
                path.rmdir()


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie is dead, only not yet reaped by its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def process_rss(pid: int) -> int | None:
    """Resident set size of a process and its children, from /proc (the fallback meter)."""
    return rss_of(process_tree(pid, fresh=False))


def rss_of(pids: list[int]) -> int | None:
    total = 0
    found = False
    for candidate in pids:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    found = True
        except OSError:
            continue
    return total if found else None


def cpu_seconds_of(pids: list[int]) -> float | None:
    """User+system CPU seconds of these processes, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    found = False
    for candidate in pids:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
        found = True
    return total if found else None


# One scan of /proc serves every container measured within this many seconds: without
# cgroups the metrics scrape, the eviction manager and the memory fallback each walk the
# tree of every container, and one scan per container made a normal user's kubesim spend
# a third of a core on /proc with a course's pods (virtual time scrapes often).
TREE_REUSE_SECONDS = 0.25
_children_seen: tuple[float, dict[int, list[int]]] | None = None


def _children(*, fresh: bool) -> dict[int, list[int]]:
    global _children_seen
    now = time.monotonic()
    if not fresh and _children_seen is not None and now - _children_seen[0] < TREE_REUSE_SECONDS:
        return _children_seen[1]
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    _children_seen = (now, children)
    return children


def process_tree(pid: int, *, fresh: bool = True) -> list[int]:
    """pid and its descendants by parent pid. `fresh=False` (measuring) may reuse a scan
    up to TREE_REUSE_SECONDS old; killing always scans anew, for a child forked just now."""
    children = _children(fresh=fresh)
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def strays_in(sandbox: str, env: dict[str, str]) -> list[int]:
    """Processes left by a process-mode container whose first process has exited: those
    whose working directory is in its sandbox and whose environment has its HOSTNAME.

    Without a cgroup or a PID namespace nothing else holds them: a child that called setsid
    left the process group, and its parent's exit made init its parent. The kubelet gave
    the container both (its sandbox is its working directory, HOSTNAME its pod's), so what
    kept them is the container's; a process elsewhere, or with another HOSTNAME, is not."""
    root = os.path.realpath(sandbox)
    marker = f"HOSTNAME={env.get('HOSTNAME', '')}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            where = os.readlink(entry / "cwd")
            if where != root and not where.startswith(root + os.sep):
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, a zombie, or not ours to read
            continue
    return found

"""Start kubesim's own container programs without forking kubesim's interpreter.

A `preexec_fn` makes CPython `fork()` the whole interpreter to run Python in the child, and
a fork copies the page tables of every byte kubesim holds: 93 ms of the event loop per
container start with 2,000 pods, during which no request is answered (issue 21). Without
one, `subprocess` starts the child with `vfork()`, whose cost does not grow with kubesim.

What the `preexec_fn` did in the child (join the container's cgroup, die with kubesim) two
small programs do instead, in the same process before the command runs: `sh` writes its
own pid into each `cgroup.procs` (the cgroup holds every process the command will make),
then `exec`s util-linux's `setpriv --pdeathsig KILL`, which `exec`s the command. The pid
never changes, so the command starts in the cgroup with the death signal set, as before.

Only for the kubelet's own programs (`unshare`/`nsenter` into `_ctrinit`, `_ctrinit
--enter`), which always exist: a command of the user's that cannot be executed reports
through `_ctrinit`'s status pipe, never through `setpriv`'s exit code. Where `setpriv` is
missing, callers fall back to the `preexec_fn`.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"

# sh: each argument before "--" is a cgroup.procs file to join; then the command.
# Strict: a container that cannot join its cgroup does not start (its limits would not hold).
_JOIN = 'for f do shift; [ "$f" = -- ] && break; echo $$ >"$f" || exit 126; done; exec "$@"'
# Lenient: a command run in a container that has just ended joins what is left of it.
_JOIN_IF_THERE = (
    'for f do shift; [ "$f" = -- ] && break; { echo $$ >"$f"; } 2>/dev/null; done; exec "$@"'
)


def _tools() -> tuple[str, str] | None:
    sh = shutil.which("sh", path=_PATH)
    setpriv = shutil.which("setpriv", path=_PATH)
    return (sh, setpriv) if sh and setpriv else None


TOOLS = _tools()


def argv(command: Sequence[str], procs: Sequence[Path], *, strict: bool) -> list[str] | None:
    """`command` run after joining the cgroups whose `cgroup.procs` files are `procs`, with
    SIGKILL as its parent-death signal; None where `sh` or `setpriv` is missing."""
    if TOOLS is None:
        return None
    sh, setpriv = TOOLS
    script = _JOIN if strict else _JOIN_IF_THERE
    return [
        sh, "-c", script, "kubesim-launch", *map(str, procs), "--",
        setpriv, "--pdeathsig", "KILL", "--", *command,
    ]  # fmt: skip

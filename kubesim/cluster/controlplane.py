"""The "control plane down" fault: the API server stops listening, the controllers and the
scheduler stop; the kubelets and the pod network (the data plane) keep running.

On a real cluster whose API server is gone, kubectl gets `connection refused`, nothing is
scheduled, scaled or healed, while running pods keep running, each kubelet keeps restarting
its crashed containers, and kube-proxy keeps the last rules it programmed. kubesim is one
process, so the fault is a switch inside it: `ControlPlane.stop()` closes the API port and
every open connection (watches, exec streams) and cancels the controller manager and the
scheduler; `start()` listens on the same port again and starts them afresh, so their
informers list the whole cluster and reconcile what drifted, as a restarted
kube-controller-manager does.

The API port is down, so the switch is not reached through the API: it is kubesim's admin
channel, the same one `python -m kubesim stop` uses (the pid in the state folder and a
signal). SIGUSR1 stops the control plane, SIGUSR2 starts it, and the state is written to
`<state dir>/control-plane` (`up` or `down`) once the switch has acted, which is what
`python -m kubesim control-plane stop|start|status` waits for and reads.

A snapshot restore goes through the same channel (the simulator has no etcd: this restores
its store, `kubesim.store`). `python -m kubesim snapshot restore FILE` checks the file,
stages it as `<state dir>/restore.db` and sends SIGHUP; the server stops its control plane
(as kubeadm's steps stop kube-apiserver before etcd is restored), replaces the store's
content with the snapshot's, starts the control plane again (its loops list everything
afresh, as restarted components do) and writes `<state dir>/restore-result`. The nodes'
running containers are not touched: a restore rewinds the API's state, not the machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kubesim.store import NotASnapshot, snapshot_revision
from kubesim.store.sqlite import StoreError

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api
    from kubesim.apiserver.hooks import BackgroundTask

log = logging.getLogger("kubesim")

STATE_FILE = "control-plane"
UP, DOWN = "up", "down"
STOP_SIGNAL, START_SIGNAL = signal.SIGUSR1, signal.SIGUSR2
RESTORE_SIGNAL = signal.SIGHUP
RESTORE_STAGED, RESTORE_RESULT = "restore.db", "restore-result"
# how long an open request (a watch, an exec stream) may finish before it is cut
CLOSE_GRACE = 0.5


def state_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def read_state(state_dir: Path) -> str | None:
    """`up`, `down`, or None when no kubesim has recorded one in `state_dir`."""
    try:
        text = state_path(state_dir).read_text().strip()
    except OSError:
        return None
    return text if text in (UP, DOWN) else None


def _write_state(state_dir: Path, value: str) -> None:
    tmp = state_path(state_dir).with_name(STATE_FILE + ".tmp")
    tmp.write_text(value + "\n")
    tmp.replace(state_path(state_dir))


class ControlPlane:
    """The API server's listeners plus the control loops (controller manager, scheduler).

    `listen` binds and serves the API port; `unlisten` closes it and every connection
    open on it. `loops` are the control-plane background tasks, started afresh each time."""

    def __init__(
        self,
        api: Api,
        *,
        state_dir: Path,
        loops: list[BackgroundTask],
        listen: Callable[[], Awaitable[None]],
        unlisten: Callable[[], Awaitable[None]],
    ) -> None:
        self.api = api
        self.state_dir = state_dir
        self._loops = loops
        self._listen = listen
        self._unlisten = unlisten
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self.up = False
        self._was_down = False

    async def start(self) -> None:
        async with self._lock:
            if self.up:
                _write_state(self.state_dir, UP)
                return
            await self._listen()
            self._tasks = [asyncio.create_task(loop(self.api)) for loop in self._loops]
            self.up = True
            _write_state(self.state_dir, UP)
            if self._was_down:
                log.info("kubesim: control plane up again")

    async def stop(self) -> None:
        async with self._lock:
            if not self.up:
                _write_state(self.state_dir, DOWN)
                return
            await self._unlisten()
            await self._cancel_loops()
            self.up = False
            self._was_down = True
            _write_state(self.state_dir, DOWN)
            log.info("kubesim: control plane down (API server, controller manager, scheduler)")

    async def shutdown(self) -> None:
        """kubesim is stopping: end the loops (the server's cleanup closes the port)."""
        await self._cancel_loops()
        with contextlib.suppress(FileNotFoundError):
            state_path(self.state_dir).unlink()

    async def _cancel_loops(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def restore(self) -> None:
        """Restore the staged snapshot: control plane down, store replaced, control plane up.
        Writes `restored REVISION` or `failed: WHY` to the result file; no staged file (a
        stray SIGHUP) does nothing."""
        staged = self.state_dir / RESTORE_STAGED
        if not staged.is_file():
            return
        was_up = self.up
        try:
            await self.stop()
            revision = self.api.store.restore(staged)
            result = f"restored {revision}"
            log.info("kubesim: store restored from a snapshot (revision now %d)", revision)
        except (StoreError, OSError, sqlite3.Error) as exc:
            result = f"failed: {exc}"
            log.warning("kubesim: restoring a snapshot failed: %s", exc)
        finally:
            staged.unlink(missing_ok=True)
            if was_up:
                await self.start()
        tmp = self.state_dir / (RESTORE_RESULT + ".tmp")
        tmp.write_text(result + "\n")
        tmp.replace(self.state_dir / RESTORE_RESULT)

    def handle_signals(self) -> None:
        """SIGUSR1 stops the control plane, SIGUSR2 starts it (the admin channel)."""
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task[None]] = set()

        def on(action: Callable[[], Awaitable[None]]) -> Callable[[], None]:
            def fire() -> None:
                task = asyncio.ensure_future(self._logged(action))
                pending.add(task)
                task.add_done_callback(pending.discard)

            return fire

        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(STOP_SIGNAL, on(self.stop))
            loop.add_signal_handler(START_SIGNAL, on(self.start))
            loop.add_signal_handler(RESTORE_SIGNAL, on(self.restore))

    async def _logged(self, action: Callable[[], Awaitable[None]]) -> None:
        try:
            await action()
        except Exception:  # the switch failing must not take the data plane with it
            log.exception("kubesim: switching the control plane failed")


# --- the client side: `python -m kubesim control-plane stop|start|status` --------------


class SwitchError(Exception):
    """The switch could not be reached or did not act; the message says why and what next."""


def switch(state_dir: Path, action: str, *, timeout: float = 20.0) -> str:
    """Signal the kubesim serving `state_dir` to stop or start its control plane and wait
    until it says it did; `status` only reads. Returns the state (`up` or `down`)."""
    pid = _server_pid(state_dir)
    if action == "status":
        return read_state(state_dir) or UP
    want = DOWN if action == "stop" else UP
    os.kill(pid, STOP_SIGNAL if action == "stop" else START_SIGNAL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_state(state_dir) == want:
            return want
        time.sleep(0.05)  # another process acting: there is nothing to wait on but its file
    raise SwitchError(
        f"kubesim (pid {pid}) did not report its control plane {want} within {timeout:.0f} s; "
        f"its log is {state_dir / 'kubesim.log'}"
    )


def restore(state_dir: Path, snapshot: Path, *, timeout: float = 60.0) -> str:
    """Hand `snapshot` to the kubesim serving `state_dir` and wait until it has restored it.
    The file is checked here first, so a wrong file never reaches the server."""
    try:
        snapshot_revision(snapshot)
    except NotASnapshot as exc:
        raise SwitchError(
            f"{exc}. A snapshot is the file `kubelab snapshot save FILE` (`python -m kubesim "
            "snapshot save`) wrote; nothing was restored."
        ) from None
    pid = _server_pid(state_dir)
    if read_state(state_dir) == DOWN:
        raise SwitchError(
            "the control plane is down (the control-plane-down fault); bring it back with "
            "`kubelab fix control-plane-down` first, then restore; nothing was restored"
        )
    result = state_dir / RESTORE_RESULT
    result.unlink(missing_ok=True)
    staged = state_dir / (RESTORE_STAGED + ".tmp")
    staged.write_bytes(snapshot.read_bytes())
    staged.replace(state_dir / RESTORE_STAGED)
    os.kill(pid, RESTORE_SIGNAL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            said = result.read_text().strip()
            if said.startswith("restored "):
                return said
            if said:
                raise SwitchError(f"kubesim (pid {pid}) could not restore {snapshot}: {said}")
        time.sleep(0.05)  # another process acting: there is nothing to wait on but its file
    raise SwitchError(
        f"kubesim (pid {pid}) did not report the restore within {timeout:.0f} s; "
        f"its log is {state_dir / 'kubesim.log'}"
    )


def _server_pid(state_dir: Path) -> int:
    pid_file = state_dir / "kubesim.pid"
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        raise SwitchError(
            f"no kubesim is running with state in {state_dir} (no live pid in {pid_file}); "
            "start the lab cluster with `kubelab up`"
        ) from None
    # a stale pid file whose pid now belongs to another program: SIGUSR1 would kill it
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        argv = []  # no /proc (macOS): the live pid from kubesim's own file is all there is
    if argv and not (b"kubesim" in argv and b"serve" in argv):
        raise SwitchError(
            f"process {pid} named in {pid_file} is not a kubesim server (the file is left from "
            "an earlier run); start the lab cluster with `kubelab up`"
        )
    return pid

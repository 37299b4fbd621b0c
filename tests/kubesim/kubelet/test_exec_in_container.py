"""`kubectl exec` in the container world, at the runtime: a terminal from the container's own
devpts, a command missing in the container refused before any stream starts (the runtime's
OCI exec error), and exec'd processes in the container's cgroup."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kubesim.kubelet import _cgroups
from kubesim.kubelet._exec import ExecProcess, spawn
from kubesim.kubelet._images import pull
from kubesim.kubelet._process import Limits, Network, Running, Runtime, read_log
from kubesim.kubelet._world import INIT, SetupError, probe

ROOT = Path(__file__).resolve().parents[3]

BUSYBOX = pull("busybox:1.36")
world = pytest.mark.skipif(not probe().contained, reason="no namespaces on this machine")
cgroups = pytest.mark.skipif(not _cgroups.available(), reason="cgroups are not writable here")


async def _sleeper(runtime: Runtime, command: list[str] | None = None) -> Running:
    running = await runtime.start(
        pod_uid="uid-x",
        container="c",
        restart_count=0,
        image=BUSYBOX,
        command=command or ["sh", "-c", "echo up; sleep 300"],
        args=None,
        env={"HOSTNAME": "pod-x"},
        limits=Limits(),
        network=Network("10.244.1.9", Path("/nonexistent/hosts"), ("lab.svc.cluster.local",)),
    )
    for _ in range(100):
        if command or read_log(running.log_path):
            break
        await asyncio.sleep(0.05)
    return running


async def _output_of(running: Running, argv: list[str]) -> bytes:
    """All that an exec of `argv` in `running` printed, once it ended."""
    process = await spawn(running.exec_spec(argv), stdin=False, tty=False)
    shown = b""
    async with asyncio.timeout(20):
        async for _number, data in process.output():
            shown += data
    await process.wait()
    process.close()
    return shown


async def _shown(process: ExecProcess, until: bytes) -> bytes:
    shown = b""
    async with asyncio.timeout(20):
        async for _number, data in process.output():
            shown += data
            if until in shown:
                break
    return shown


@world
async def test_exec_tty_is_a_terminal_of_the_containers_own_devpts(tmp_path: Path) -> None:
    """runc makes the console inside the container: `tty` names the container's /dev/pts/0
    (its own devpts instance), job control works, and resize reaches it."""
    running = await _sleeper(Runtime(tmp_path))
    try:
        process = await spawn(running.exec_spec(["sh"]), stdin=True, tty=True, width=100, height=30)
        process.write(b"tty; stty size; ls /dev/pts; echo $((6*7))\n")
        shown = await _shown(process, b"42\r\n/ # ")  # and the next prompt
        assert b"/dev/pts/0\r\n" in shown  # the host's numbering would be any N
        assert b"30 100\r\n" in shown
        process.resize(120, 40)
        process.write(b"stty size; sleep 30 & jobs; kill -KILL %1; exit 6\n")
        shown = b""
        async with asyncio.timeout(20):
            async for _number, data in process.output():
                shown += data
        assert b"40 120" in shown
        assert b"[1]+  Running" in shown  # job control: the shell owns the terminal
        assert await process.wait() == 6
        process.close()
    finally:
        await running.stop(0.5)


@world
@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "tty"])
async def test_a_command_missing_in_the_container_fails_before_it_runs(
    tmp_path: Path, tty: bool
) -> None:
    """The runtime's OCI exec error: the exec fails to start (kubectl exits 1 with the
    message), not a shell's exit 127 after the stream started."""
    running = await _sleeper(Runtime(tmp_path))
    try:
        with pytest.raises(SetupError) as caught:
            await spawn(running.exec_spec(["no-such-command"]), stdin=False, tty=tty)
        assert caught.value.strerror == "executable file not found in $PATH"
        assert caught.value.filename == "no-such-command"
        # a command that does exist still runs, and its code comes back
        process = await spawn(running.exec_spec(["sh", "-c", "exit 3"]), stdin=False, tty=False)
        assert await asyncio.wait_for(process.wait(), 20) == 3
        process.close()
    finally:
        await running.stop(0.5)


@world
async def test_an_exec_gets_exactly_the_containers_environment(tmp_path: Path) -> None:
    """As runc's exec: the container's variables and nothing that starting it added (the
    shell's PWD, Python's coerced LC_CTYPE, the wrapper's own), so `kubectl exec POD -- env`
    prints what PID 1 (no shell here) has."""
    running = await _sleeper(Runtime(tmp_path), ["sleep", "300"])
    try:
        shown = await _output_of(running, ["env"])
        pid1 = await _output_of(running, ["cat", "/proc/1/environ"])
    finally:
        await running.stop(0.5)
    exec_env = sorted(shown.decode().splitlines())
    assert exec_env == sorted(pid1.decode().split("\0")[:-1])
    assert "HOSTNAME=pod-x" in exec_env
    assert not [
        v for v in exec_env if v.split("=")[0] in ("PWD", "LC_CTYPE", "PYTHONCOERCECLOCALE")
    ]


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


async def _exec_sleep(running: Running) -> tuple[list[int], ExecProcess]:
    """Exec `sleep 301` in the container; the host pids of it found in its cgroup."""
    assert running._cgroup is not None
    process = await spawn(running.exec_spec(["sleep", "301"]), stdin=False, tty=False)
    for _ in range(200):
        found = [p for p in running._cgroup.pids() if _cmdline(p) == ["sleep", "301"]]
        if found:
            return found, process
        await asyncio.sleep(0.05)
    return [], process


@cgroups
@pytest.mark.parametrize(
    "isolation",
    [pytest.param("namespaces", marks=world, id="container-world"), pytest.param("process")],
)
async def test_an_exec_runs_in_the_containers_cgroup_and_dies_with_it(
    tmp_path: Path, isolation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exec'd `sleep` shows in the container's cgroup.procs (its CPU and memory count
    there) and is killed when the container is stopped, as a runtime ends a container."""
    if isolation == "process":
        monkeypatch.setenv("KUBESIM_ISOLATION", "process")
    running = await _sleeper(Runtime(tmp_path, cgroups=True, isolation=probe()))
    cgroup = running._cgroup
    assert cgroup is not None
    try:
        sleeps, process = await _exec_sleep(running)
        assert sleeps, f"no exec'd sleep in {cgroup.memory}/cgroup.procs"
    finally:
        await running.stop(0.5)
    for _ in range(100):
        if not any(_cgroups._alive(pid) for pid in sleeps):
            break
        await asyncio.sleep(0.05)
    assert not any(_cgroups._alive(pid) for pid in sleeps), "the exec'd sleep outlived its pod"
    assert await asyncio.wait_for(process.wait(), 20) == 137  # the exec ended by SIGKILL
    process.close()


@pytest.mark.parametrize(
    "signum, code", [(signal.SIGKILL, 137), (signal.SIGTERM, 143)], ids=["SIGKILL", "SIGTERM"]
)
def test_the_enter_wrapper_ends_as_its_command_did_even_by_sigkill(signum: int, code: int) -> None:
    """`_ctrinit --enter` ends as its command ended, so the exec reports 128+N. A command the
    kernel SIGKILLed (the container's init gone first, under load) once ended the wrapper with
    Python's exit 1: SIGKILL's handler cannot be reset."""
    program = (
        "import os, signal, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from kubesim.kubelet import _ctrinit\n"
        "child = os.fork()\n"
        f"if child == 0: os.kill(os.getpid(), {int(signum)})\n"
        "_, status = os.waitpid(child, 0)\n"
        "sys.exit(_ctrinit.end_as(status))\n"
    )
    ended = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert ended.stderr == ""
    assert ended.returncode == -signum  # killed by the same signal: 128+N to a runtime
    assert 128 - ended.returncode == code


def test_an_exec_into_a_container_that_just_ended_is_refused_in_runcs_words() -> None:
    """The kubelet saw the container running, then it ended before `_ctrinit --enter` opened
    its namespaces: a refusal on stderr, never a traceback."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(INIT), "--enter", str(ended.pid), "--", "true"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 127
    assert "Traceback" not in done.stderr
    assert "cannot exec in a stopped container" in done.stderr

"""A command started inside a container for `kubectl exec`: separate stdout and stderr, stdin
and its end, a terminal with the client's size, exit codes, and kill reaching the command's
children; and a client attached to a container started with `stdin`/`tty` (kubectl attach,
run -it). kubesim/kubelet/_exec.py and _process.py, process mode."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from kubesim.kubelet._exec import ExecProcess, attach, spawn
from kubesim.kubelet._images import Image, ImageRef
from kubesim.kubelet._process import ExecSpec, Limits, Running, Runtime, read_log
from kubesim.kubelet._world import PROCESS, Isolation


def _spec(tmp_path: Path, *argv: str) -> ExecSpec:
    return ExecSpec(
        argv=list(argv), cwd=str(tmp_path), env={"PATH": os.environ["PATH"], "WHO": "c"}
    )


async def _collect(process: ExecProcess) -> dict[int, bytes]:
    out: dict[int, bytes] = {1: b"", 2: b""}
    async for number, data in process.output():
        out[number] += data
    return out


async def test_pipes_keep_stdout_and_stderr_apart_and_report_the_exit_code(tmp_path: Path) -> None:
    process = await spawn(
        _spec(tmp_path, "sh", "-c", "echo $WHO; pwd; echo oops >&2; exit 7"), stdin=False, tty=False
    )
    out = await _collect(process)
    assert out == {1: f"c\n{tmp_path}\n".encode(), 2: b"oops\n"}
    assert await process.wait() == 7


async def test_stdin_reaches_the_command_and_its_end_is_eof(tmp_path: Path) -> None:
    process = await spawn(_spec(tmp_path, "sh", "-c", "wc -c"), stdin=True, tty=False)
    process.write(b"x" * 100_000)
    await process.drain()
    process.close_stdin()
    out = await _collect(process)
    assert out[1].split() == [b"100000"]
    assert await process.wait() == 0


async def test_a_terminal_has_the_clients_size_and_follows_resizes(tmp_path: Path) -> None:
    process = await spawn(_spec(tmp_path, "sh"), stdin=True, tty=True)
    process.resize(120, 40)
    process.write(b"stty size; exit 3\n")
    out = await asyncio.wait_for(_collect(process), 10)
    process.close()
    assert b"40 120" in out[1] and out[2] == b""  # a terminal has one output stream
    assert await process.wait() == 3


async def test_kill_ends_the_command_and_what_it_started(tmp_path: Path) -> None:
    process = await spawn(
        _spec(tmp_path, "sh", "-c", "sleep 300 & echo $!; wait"), stdin=False, tty=False
    )
    first = await process._queue.get()
    assert first is not None
    child = int(first[1].split()[0])
    process.kill()
    assert await asyncio.wait_for(process.wait(), 5) == 137  # 128 + SIGKILL, as a runtime says
    for _ in range(100):
        if not Path(f"/proc/{child}").exists() or "Z" in _state(child):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the command's child outlived the kill")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (OSError, IndexError):
        return "Z"


SHELL = Image(ImageRef("docker.io/library/busybox", "latest"), [], ["sh"], "/", {})


async def _container(
    tmp_path: Path, script: str, *, stdin: bool, tty: bool, runtime: Runtime | None = None
) -> Running:
    return await (runtime or Runtime(tmp_path)).start(
        pod_uid="uid-1",
        container="c",
        restart_count=0,
        image=SHELL,
        command=None,
        args=["/bin/sh", "-c", script] if script else None,
        env={},
        limits=Limits(),
        network=None,
        stdin=stdin,
        tty=tty,
    )


async def test_a_container_with_stdin_waits_for_it_and_an_attached_client_feeds_it(
    tmp_path: Path,
) -> None:
    running = await _container(tmp_path, "read x; echo got $x; exit 2", stdin=True, tty=False)
    session = attach(running, stdin_once=True)
    await asyncio.sleep(0.2)
    assert running.alive()  # `stdin: true` keeps input open instead of /dev/null
    session.write(b"hello\n")
    out: dict[int, bytes] = {1: b"", 2: b""}
    async for number, data in session.output():
        out[number] += data
    assert out == {1: b"got hello\n", 2: b""}
    assert (await running.wait()).exit_code == 2
    assert read_log(running.log_path) == ["got hello"]  # what attach saw is logged too


async def test_stdin_once_closes_the_containers_input_when_the_client_leaves(
    tmp_path: Path,
) -> None:
    running = await _container(tmp_path, "cat; echo eof", stdin=True, tty=False)
    session = attach(running, stdin_once=True)
    session.write(b"line\n")
    session.kill()  # the client went away: the container goes on, with its stdin closed
    assert (await asyncio.wait_for(running.wait(), 5)).exit_code == 0
    assert read_log(running.log_path) == ["line", "eof"]


async def test_a_tty_container_is_a_shell_on_a_terminal_that_attach_can_drive(
    tmp_path: Path,
) -> None:
    running = await _container(tmp_path, "", stdin=True, tty=True)  # the image's `sh`
    session = attach(running, stdin_once=False)
    session.resize(90, 20)
    session.write(b"stty size; tty; exit 5\n")
    shown = b""
    async for number, data in session.output():
        assert number == 1
        shown += data
    assert b"20 90" in shown and b"/dev/pts/" in shown
    assert (await running.wait()).exit_code == 5
    # a terminal's output, echoed input and prompt included, is the stdout log
    assert any(line.endswith("20 90") for line in read_log(running.log_path))


async def test_a_client_attached_after_the_output_ended_is_told_so_at_once(
    tmp_path: Path,
) -> None:
    """The container's output pipes can end before its exit is recorded (here, in process
    mode, it closes them and lives on): a client attached then must not wait for ends
    that were sent before it came."""
    runtime = Runtime(tmp_path, isolation=Isolation(PROCESS, reason="pipes end first"))
    script = "echo bye; exec >/dev/null 2>&1; sleep 1"
    running = await _container(tmp_path, script, stdin=False, tty=False, runtime=runtime)
    await asyncio.wait_for(asyncio.wait(running._pumps), 5)
    assert running.alive()
    session = attach(running, stdin_once=False)
    shown = [item async for item in _within(session.output(), 2)]
    assert shown == []  # nothing more to show, and said at once rather than never
    assert (await running.wait()).exit_code == 0


async def test_the_first_client_of_a_stdin_once_container_sees_what_it_printed_before(
    tmp_path: Path,
) -> None:
    """`kubectl run -i` attaches once the pod is Running; a node reports that at its next
    relist, when a quick command has printed, so kubectl shows all of it: kubesim gives its
    first client what came before the attach. A later client sees from its attach on."""
    running = await _container(tmp_path, "echo early; read x; echo got $x", stdin=True, tty=False)
    await _wait_for(lambda: read_log(running.log_path) == ["early"])
    first = attach(running, stdin_once=True)
    later = attach(running, stdin_once=False)
    first.write(b"in\n")
    first.close_stdin()
    assert [data async for _, data in first.output()] == [b"early\n", b"got in\n"]
    assert [data async for _, data in later.output()] == [b"got in\n"]


async def test_what_kubectl_read_from_the_log_before_attaching_is_not_replayed(
    tmp_path: Path,
) -> None:
    """kubectl 1.37's `run -i` GETs the log, then attaches: the attach replays only what
    came after that read, so no line shows twice."""
    running = await _container(tmp_path, "echo early; read x; echo got $x", stdin=True, tty=False)
    await _wait_for(lambda: read_log(running.log_path) == ["early"])
    running.log_read()  # what KubeletLogs.open does for the current run's log
    first = attach(running, stdin_once=True)
    first.write(b"in\n")
    first.close_stdin()
    assert [data async for _, data in first.output()] == [b"got in\n"]


async def _wait_for(condition) -> None:  # type: ignore[no-untyped-def]
    for _ in range(250):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_a_client_that_leaves_stops_reading_and_the_container_goes_on(
    tmp_path: Path,
) -> None:
    running = await _container(
        tmp_path, "while true; do echo tick; sleep 0.1; done", stdin=False, tty=False
    )
    session = attach(running, stdin_once=False)
    reading = asyncio.ensure_future(_drain(session.output()))
    await asyncio.sleep(0.3)
    session.close()  # the API server's side when kubectl goes away
    assert await asyncio.wait_for(reading, 2) > 0
    assert running.alive()
    await running.stop(0)


async def _drain(items) -> int:  # type: ignore[no-untyped-def]
    return len([item async for item in items])


async def _within(items, seconds: float):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(seconds):
        async for item in items:
            yield item

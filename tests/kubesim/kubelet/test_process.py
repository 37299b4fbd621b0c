"""The runtime reports what real processes did: exit codes, logs, OOM kills, stops, in a
container world of its own and in process mode alike."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from kubesim.kubelet._images import (
    Image,
    ImageRef,
    InvalidImageName,
    PullError,
    normalize,
    pull,
)
from kubesim.kubelet._probes import http_get, tcp_socket
from kubesim.kubelet._process import Limits, Network, Runtime, read_log
from kubesim.kubelet._world import PROCESS, Isolation, probe
from kubesim.network import claim
from kubesim.network.fabric import LoopbackNet

SHELL = Image(ImageRef("docker.io/library/busybox", "latest"), [], ["sh"], "/", {})
PYTHON = Image(
    ImageRef("docker.io/test/python", "1"), [], ["python3"], "/", {}, python=True, base="python"
)
PROCESS_MODE = Isolation(PROCESS, reason="forced by the test")


@pytest.fixture(params=["world", "process"])
def runtime(request, tmp_path: Path) -> Runtime:
    """Each behaviour, in this machine's container world and in the process-mode fallback."""
    if request.param == "world" and not probe().contained:
        pytest.skip("no namespaces here: the container world is not available")
    return Runtime(tmp_path, isolation=None if request.param == "world" else PROCESS_MODE)


def _host_pid(running, pid: int) -> int:
    """The host PID of the container's process `pid` as the container sees it (its NSpid)."""
    if not running._contained:
        return pid
    ns = Path(f"/proc/{running.pid}/ns/pid").readlink()
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or (entry / "ns/pid").readlink() != ns:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("NSpid:") and int(line.split()[-1]) == pid:
                    return int(entry.name)
        except OSError:
            continue
    raise AssertionError(f"no process {pid} in the container's PID namespace")


async def _run(runtime: Runtime, image: Image, args: list[str], **kw):
    running = await runtime.start(
        pod_uid="uid-1",
        container="c",
        restart_count=kw.pop("restart", 0),
        image=image,
        command=None,
        args=args,
        env=kw.pop("env", {}),
        limits=kw.pop("limits", Limits()),
        network=kw.pop("network", None),
    )
    return running


@pytest.mark.parametrize(
    "script, code, reason",
    [
        pytest.param("exit 0", 0, "Completed", id="success"),
        pytest.param("exit 3", 3, "Error", id="failure"),
        pytest.param("sh -c 'kill -9 $$'; exit $?", 137, "Error", id="child-sigkill-is-137"),
    ],
)
async def test_exit_codes_and_reasons_come_from_the_process(runtime, script, code, reason):
    running = await _run(runtime, SHELL, ["/bin/sh", "-c", script])
    done = await running.wait()
    assert (done.exit_code, done.reason) == (code, reason)


async def test_death_by_sigkill_from_outside_is_137(runtime):
    """The kernel or a runtime SIGKILLs the container's first process: 137 and signal 9,
    whatever stands between kubesim and it (`unshare` in a world)."""
    running = await _run(runtime, SHELL, ["/bin/sh", "-c", "echo up; while :; do sleep 0.05; done"])
    await _wait_for_log(running.log_path, "up")
    os.kill(running.pid, signal.SIGKILL)
    done = await asyncio.wait_for(running.wait(), 10)
    assert (done.exit_code, done.reason, done.signal) == (137, "Error", 9)


async def test_a_segfault_is_139(runtime):
    """A fault kills even a PID 1 (the kernel forces it): 128 + SIGSEGV."""
    running = await _run(runtime, PYTHON, ["python3", "-c", "import ctypes; ctypes.string_at(0)"])
    done = await asyncio.wait_for(running.wait(), 20)
    assert (done.exit_code, done.signal) == (139, signal.SIGSEGV)


async def test_logs_are_kept_per_restart_in_cri_format(runtime):
    first = await _run(runtime, SHELL, ["/bin/sh", "-c", "echo one; echo err >&2"])
    await first.wait()
    second = await _run(runtime, SHELL, ["/bin/sh", "-c", "echo two"], restart=1)
    await second.wait()
    raw = first.log_path.read_text().splitlines()
    assert raw[0].endswith(" stdout F one") and "Z stdout F" in raw[0]
    assert sorted(read_log(first.log_path)) == ["err", "one"]
    assert read_log(second.log_path) == ["two"]
    assert read_log(second.log_path, tail_lines=0) == []
    assert read_log(second.log_path, timestamps=True)[0].split(" ", 1)[1] == "two"


async def test_stop_sends_sigterm_then_sigkill_after_grace(runtime):
    trapping = await _run(
        runtime,
        SHELL,
        ["/bin/sh", "-c", "trap 'echo term; exit 0' TERM; echo up; while :; do sleep 0.05; done"],
    )
    await _wait_for_log(trapping.log_path, "up")
    done = await trapping.stop(5)
    assert done.exit_code == 0
    stubborn = await _run(
        runtime,
        SHELL,
        ["/bin/sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.05; done"],
        restart=1,
    )
    await _wait_for_log(stubborn.log_path, "up")
    done = await stubborn.stop(0.3)
    assert done.exit_code == 137


async def test_a_pid_1_without_a_sigterm_handler_waits_out_the_grace_period(runtime):
    """`sleep` as a container's first process never sees SIGTERM (pid_namespaces(7)): the
    stop takes the whole grace period and ends in SIGKILL, 137."""
    import time

    sleeper = await _run(runtime, SHELL, ["sleep", "30"])
    await asyncio.sleep(0.2)
    started = time.monotonic()
    done = await sleeper.stop(1.0)
    assert time.monotonic() - started >= 0.9
    assert done.exit_code == 137


def _alive(pid: int) -> bool:
    """Whether `pid` is a live process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


DAEMONIZING = "setsid sleep 7773 & echo pid=$!; sleep 7775"


@pytest.mark.parametrize(
    "cgroups", [pytest.param(None, id="cgroup"), pytest.param(False, id="tree")]
)
async def test_stop_ends_a_child_that_left_the_session_within_the_grace_period(tmp_path, cgroups):
    """A child that calls setsid leaves the process group and still holds the log pipe: the
    stop kills it with the container (its cgroup, or its process tree without cgroups)
    instead of waiting for EOF on the pipe forever. Process mode: in a world, the PID
    namespace ends it anyway."""
    import time

    runtime = Runtime(tmp_path, cgroups=cgroups, isolation=PROCESS_MODE)
    running = await _run(runtime, SHELL, ["/bin/sh", "-c", DAEMONIZING])
    await _wait_for_log(running.log_path, "pid=")
    child = int(read_log(running.log_path)[0].removeprefix("pid="))
    assert _alive(child)
    started = time.monotonic()
    done = await asyncio.wait_for(running.stop(1.0), 10)
    assert time.monotonic() - started < 1.0 + 2.0
    assert done.exit_code == 137
    # SIGKILL is delivered when the target next runs: give a loaded machine a moment
    deadline = time.monotonic() + 2.0
    while _alive(child) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not _alive(child), "the setsid child outlived its container"


async def test_a_container_whose_first_process_exits_takes_its_strays_with_it(runtime):
    """As when PID 1 of a container's PID namespace exits: the rest of it is killed."""
    running = await _run(
        runtime, SHELL, ["/bin/sh", "-c", "setsid sleep 7771 & echo $!; sleep 0.3"]
    )
    await _wait_for_log(running.log_path, "\n")
    child = _host_pid(running, int(read_log(running.log_path)[0]))
    done = await asyncio.wait_for(running.wait(), 10)
    assert done.exit_code == 0
    # SIGKILL is delivered when the target next runs: give a loaded machine a moment
    for _ in range(100):
        if not _alive(child):
            break
        await asyncio.sleep(0.02)
    assert not _alive(child), "the setsid child outlived its container"


async def test_memory_limit_kills_with_oomkilled(runtime):
    hog = "b = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nimport time; time.sleep(30)"
    running = await _run(
        runtime, PYTHON, ["python3", "-c", hog], limits=Limits(memory_bytes=64 * 1024 * 1024)
    )
    done = await running.wait()
    assert (done.exit_code, done.reason) == (137, "OOMKilled")


async def test_memory_fallback_without_cgroups_also_kills(tmp_path):
    runtime = Runtime(tmp_path, cgroups=False, isolation=PROCESS_MODE)
    hog = "b = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nimport time; time.sleep(30)"
    running = await _run(
        runtime, PYTHON, ["python3", "-c", hog], limits=Limits(memory_bytes=64 * 1024 * 1024)
    )
    done = await running.wait()
    assert (done.exit_code, done.reason) == (137, "OOMKilled")


async def test_python_containers_get_their_pod_ip_and_cluster_dns(runtime, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("10.96.7.8 web.lab.svc.cluster.local\n")
    server = (
        "import http.server, socket\n"
        "print(socket.gethostbyname('web'), flush=True)\n"
        "http.server.HTTPServer(('0.0.0.0', 18080), http.server.SimpleHTTPRequestHandler).serve_forever()\n"
    )
    netid = claim()
    dial = LoopbackNet(netid.value).open_connection  # process mode's node network
    net = Network(
        pod_ip="10.244.1.77",
        hosts_file=hosts,
        search=("lab.svc.cluster.local", "svc.cluster.local"),
        net_id=netid.value,
    )
    running = await _run(runtime, PYTHON, ["python3", "-c", server], network=net)
    try:
        await _wait_for_log(running.log_path, "10.96.7.8")
        for _ in range(50):
            result = await http_get(
                {"port": 18080, "path": "/"}, "10.244.1.77", {}, timeout=1, dial=dial
            )
            if result.ok:
                break
            import asyncio

            await asyncio.sleep(0.05)
        assert result.ok
        refused = await tcp_socket({"port": 18081}, "10.244.1.77", {}, timeout=1, dial=dial)
        assert refused.message == "dial tcp 10.244.1.77:18081: connect: connection refused"
        wrong = await http_get(
            {"port": 18081, "path": "/ready"}, "10.244.1.77", {}, timeout=1, dial=dial
        )
        assert (
            wrong.message
            == 'Get "http://10.244.1.77:18081/ready": dial tcp 10.244.1.77:18081: connect: connection refused'
        )
    finally:
        await running.stop(1)
        netid.release()


async def _wait_for_log(path: Path, text: str, seconds: float = 5.0) -> None:
    import asyncio

    for _ in range(int(seconds / 0.05)):
        if path.exists() and text in path.read_text():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.mark.parametrize(
    "image, repository, tag",
    [
        pytest.param("busybox", "docker.io/library/busybox", "latest", id="bare"),
        pytest.param(
            "kubelab/inference:2.4.0", "docker.io/kubelab/inference", "2.4.0", id="user-repo"
        ),
        pytest.param("registry.k8s.io/pause:3.10", "registry.k8s.io/pause", "3.10", id="registry"),
        pytest.param("localhost:5000/app", "localhost:5000/app", "latest", id="local-registry"),
        pytest.param("docker.io/redis:6.0.5", "docker.io/library/redis", "6.0.5", id="docker-io"),
        pytest.param(
            "index.docker.io/library/nginx", "docker.io/library/nginx", "latest", id="index"
        ),
        pytest.param(
            "busybox:1.28@sha256:" + "a" * 64, "docker.io/library/busybox", "1.28", id="digest"
        ),
    ],
)
def test_image_names_normalize_like_the_runtime(image, repository, tag):
    ref = normalize(image)
    assert (ref.repository, ref.tag) == (repository, tag)


@pytest.mark.parametrize(
    "image, says",
    [
        ("myClientImage", "invalid reference format: repository name must be lowercase"),
        ("nginx:two words", "invalid reference format"),
        ("nginx::1", "invalid reference format"),
        ("", "invalid reference format"),
    ],
)
def test_a_name_the_reference_grammar_refuses_is_invalid_not_missing(image, says):
    with pytest.raises(InvalidImageName) as err:
        pull(image)
    assert str(err.value) == says


def test_unknown_tag_fails_to_pull_with_the_runtime_message():
    with pytest.raises(PullError) as err:
        pull("kubelab/inference:2.4.1")
    assert str(err.value).endswith("docker.io/kubelab/inference:2.4.1: not found")


def test_command_and_args_follow_the_kubernetes_rule():
    image = Image(ImageRef("r/x", "1"), ["/entry"], ["default-cmd"], "/", {})
    assert image.command(None, None) == ["/entry", "default-cmd"]
    assert image.command(None, ["a"]) == ["/entry", "a"]
    assert image.command(["/bin/other"], None) == ["/bin/other"]
    assert image.command(["/bin/other"], ["a"]) == ["/bin/other", "a"]
    inference = pull("kubelab/inference:2.5.0")
    assert inference.command(None, None) == ["python3", "-m", "inference"]
    assert inference.host_command(inference.command(None, None)) == [
        sys.executable,
        "-m",
        "inference",
    ]


async def test_an_http_probe_that_gets_no_answer_says_eof_about_the_pod_ip():
    """A server that closes without answering: Go's client says EOF; no loopback twin or
    Python exception text reaches the learner's `kubectl describe`."""
    from kubesim.network import twin

    netid = claim()
    dial = LoopbackNet(netid.value).open_connection

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, twin("10.244.1.78", netid.value), 18082)
    try:
        result = await http_get(
            {"port": 18082, "path": "/healthz"}, "10.244.1.78", {}, timeout=1, dial=dial
        )
    finally:
        server.close()
        netid.release()
    assert result.message == 'Get "http://10.244.1.78:18082/healthz": EOF'


def test_a_failed_init_step_is_read_and_left_though_a_stray_holds_its_stderr():
    """A container start that failed must fail the pod: what its init step said is read for
    a bounded time after the kill, even while a process it left behind keeps the pipe open
    (`communicate()` would wait for that process for good)."""
    from kubesim.kubelet._process import DRAIN_SECONDS, _said_as_it_ended

    async def run() -> tuple[str, float]:
        proc = await asyncio.create_subprocess_exec(
            "sh", "-c", "sleep 60 & echo 'unshare: cannot mount' >&2; exec sleep 60",
            stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        await asyncio.sleep(0.3)
        started = asyncio.get_running_loop().time()
        said = await _said_as_it_ended(proc, None)
        took = asyncio.get_running_loop().time() - started
        os.killpg(proc.pid, signal.SIGKILL)  # the stray
        await proc.communicate()  # every pipe closed before the loop is
        return said, took

    said, took = asyncio.run(run())
    assert said == "unshare: cannot mount"
    assert took < 2 * DRAIN_SECONDS + 1


@pytest.mark.parametrize(
    "cgroups", [pytest.param(None, id="cgroup"), pytest.param(False, id="tree")]
)
async def test_memory_alone_reads_what_usage_reports_and_nothing_once_ended(tmp_path, cgroups):
    """The eviction manager and a scrape too soon for a CPU rate read `memory_bytes()`: the
    same working set `usage()` reports (a container holding 48 MiB), and None once it ended."""
    runtime = Runtime(tmp_path, cgroups=cgroups, isolation=PROCESS_MODE)
    hold = (
        "b = bytearray(48 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
        "print('held', flush=True)\nimport time; time.sleep(30)"
    )
    running = await _run(runtime, PYTHON, ["python3", "-c", hold])
    try:
        await _wait_for_log(running.log_path, "held")
        alone, usage = running.memory_bytes(), running.usage()
        assert usage is not None and alone is not None
        assert alone >= 48 << 20
        assert abs(alone - usage.memory_bytes) < 8 << 20, (alone, usage)
    finally:
        await asyncio.wait_for(running.stop(1.0), 10)
    assert running.memory_bytes() is None

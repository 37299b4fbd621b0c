"""Lifecycle hook handlers as handlers.go runs them: exec fails on a non-zero exit (a signal
as 128+N) with the kubelet's message, httpGet only without an answer, sleep waits, and a
tcpSocket handler is refused as invalid."""

from __future__ import annotations

import asyncio

import pytest

from kubesim.kubelet._hooks import run
from kubesim.kubelet._probes import ProbeResult

POD = "lifecycle-demo_default(1234)"


def _run(
    handler: dict, *, code: int | None = 0, output: bytes = b"", answer: ProbeResult | None = None
):
    seen: dict = {}

    async def exec_in(argv: list[str], timeout: float | None):
        seen["exec"] = (argv, timeout)
        return code, output

    async def http_get(request: dict, timeout: float | None):
        seen["http"] = request
        return answer or ProbeResult(True)

    async def sleep(seconds: float):
        seen["sleep"] = seconds

    message = asyncio.run(
        run(
            handler,
            container="c",
            pod=POD,
            timeout=30.0,
            exec_in=exec_in,
            http_get=http_get,
            sleep=sleep,
        )
    )
    return message, seen


def test_an_exec_hook_that_exits_0_succeeds_in_the_container() -> None:
    message, seen = _run({"exec": {"command": ["/bin/sh", "-c", "echo hi > /usr/share/message"]}})
    assert message is None
    assert seen["exec"] == (["/bin/sh", "-c", "echo hi > /usr/share/message"], 30.0)


@pytest.mark.parametrize(("code", "shown"), [(1, 1), (-9, 137)])
def test_a_failed_exec_hook_says_what_the_kubelet_says(code: int, shown: int) -> None:
    message, _ = _run({"exec": {"command": ["/bin/false"]}}, code=code, output=b"no\n")
    assert message == (
        'Exec lifecycle hook ([/bin/false]) for Container "c" in Pod "lifecycle-demo_default(1234)" '
        f"failed - error: command '/bin/false' exited with {shown}: , message: \"no\\n\""
    )


def test_an_http_hook_fails_only_without_an_answer() -> None:
    handler = {"httpGet": {"path": "/shutdown", "port": 8080}}
    assert _run(handler)[0] is None
    refused = ProbeResult(
        False,
        'Get "http://10.244.1.5:8080/shutdown": dial tcp 10.244.1.5:8080: connect: connection refused',
    )
    message, seen = _run(handler, answer=refused)
    assert seen["http"] == handler["httpGet"]
    assert message == (
        'HTTP lifecycle hook (/shutdown) for Container "c" in Pod "lifecycle-demo_default(1234)" '
        f"failed - error: {refused.message}"
    )


def test_a_sleep_hook_waits_its_seconds_and_a_tcp_socket_hook_is_invalid() -> None:
    message, seen = _run({"sleep": {"seconds": 5}})
    assert (message, seen["sleep"]) == (None, 5.0)
    message, _ = _run({"tcpSocket": {"port": 80}})
    assert message is not None and message.startswith("invalid handler")

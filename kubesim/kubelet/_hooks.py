"""Lifecycle hooks, postStart and preStop, run as the kubelet's handlerRunner runs them
(pkg/kubelet/lifecycle/handlers.go), with its failure messages.

An `exec` hook runs in the container as `kubectl exec` does and fails on a non-zero exit;
an `httpGet` hook fails only when no answer comes (any status will do); a `sleep` hook
waits its seconds on the cluster's clock. `tcpSocket` is not a hook handler (the API keeps
it for old objects): the kubelet refuses it as an invalid handler. The caller decides what a
failure means: a failed postStart kills the container (FailedPostStartHook), a failed
preStop is an event (FailedPreStopHook) and the stop goes on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from kubesim.kubelet._probes import ProbeResult

Obj = dict[str, Any]
# the container's exec: exit code (None: timed out) and output; raises OSError
ExecIn = Callable[[list[str], float | None], Awaitable[tuple[int | None, bytes]]]
HttpGet = Callable[[Obj, float | None], Awaitable[ProbeResult]]
Sleep = Callable[[float], Awaitable[object]]


async def run(
    handler: Obj,
    *,
    container: str,
    pod: str,
    timeout: float | None,
    exec_in: ExecIn,
    http_get: HttpGet,
    sleep: Sleep,
) -> str | None:
    """Run one hook; None when it succeeded, else the kubelet's message for it. `pod` is
    format.Pod's `name_namespace(uid)`; `timeout` (real seconds) bounds exec and HTTP."""
    if "exec" in handler:
        command = [str(c) for c in (handler["exec"] or {}).get("command") or []]
        try:
            code, output = await exec_in(command, timeout)
        except OSError as exc:
            code, output = 126, str(exc.strerror or exc).encode()
        if code == 0:
            return None
        if code is not None and code < 0:
            code = 128 - code  # killed by a signal, as the runtime reports it (137: SIGKILL)
        joined = " ".join(command)
        error = (
            f"command {json.dumps(joined)} timed out"
            if code is None
            else f"command '{joined}' exited with {code}: "
        )
        text = output.decode("utf-8", "replace")
        return (
            f"Exec lifecycle hook ([{joined}]) for Container {json.dumps(container)} in Pod "
            f"{json.dumps(pod)} failed - error: {error}, message: {json.dumps(text)}"
        )
    if "httpGet" in handler:
        result = await http_get(handler["httpGet"] or {}, timeout)
        if result.ok:
            return None
        path = (handler["httpGet"] or {}).get("path") or ""
        return (
            f"HTTP lifecycle hook ({path}) for Container {json.dumps(container)} in Pod "
            f"{json.dumps(pod)} failed - error: {result.message}"
        )
    if "sleep" in handler:
        await sleep(float((handler["sleep"] or {}).get("seconds") or 0))
        return None
    return f"invalid handler: {json.dumps(handler, separators=(',', ':'))}"

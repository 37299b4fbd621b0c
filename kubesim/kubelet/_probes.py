"""httpGet, tcpSocket and exec probes, run as the kubelet runs them, with its messages.

A probe targets the pod IP (10.244.X.Y) from the node, through the `dial` it is given: the
kubelet's node network, which goes through the fabric's sockets when the fabric runs and to
the address's loopback twin otherwise (`LoopbackNet`, kubesim/network/fabric.py). Messages are the kubelet's, because learners read them in
`kubectl describe pod` events: "Readiness probe failed: HTTP probe failed with statuscode: 503".
Success for httpGet is a status in [200, 400), as in the kubelet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

USER_AGENT = "kube-probe/1.37"  # kube-probe/<major>.<minor>, the kubelet's prober's
Dial = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str = ""


def _port(value: Any, ports: dict[str, int]) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return ports.get(str(value))


async def http_get(
    spec: dict[str, Any],
    pod_ip: str,
    ports: dict[str, int],
    timeout: float,
    *,
    dial: Dial,
    any_status: bool = False,
) -> ProbeResult:
    """`any_status`: a lifecycle hook's request, which fails only when no answer comes
    (handlers.go runHTTPHandler returns the client's error, whatever the status)."""
    port = _port(spec.get("port"), ports)
    path = spec.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    host = spec.get("host") or pod_ip
    scheme = (spec.get("scheme") or "HTTP").lower()
    url = f"{scheme}://{host}:{port}{path}"
    if port is None:
        return ProbeResult(False, f"unable to find port {spec.get('port')!r} in container ports")
    try:
        status = await asyncio.wait_for(_http_status(dial, host, port, path, spec), timeout)
    except TimeoutError:
        return ProbeResult(
            False,
            f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        )
    except ConnectionRefusedError:
        return ProbeResult(
            False, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
        )
    except (ConnectionResetError, asyncio.IncompleteReadError):
        return ProbeResult(False, f'Get "{url}": EOF')
    except OSError as exc:  # Go's words about the pod IP, never the loopback twin dialed
        reason = os.strerror(exc.errno).lower() if exc.errno else type(exc).__name__
        return ProbeResult(False, f'Get "{url}": dial tcp {host}:{port}: connect: {reason}')
    except ValueError:
        return ProbeResult(
            False,
            f'Get "{url}": net/http: HTTP/1.x transport connection broken: malformed HTTP response',
        )
    if any_status or 200 <= status < 400:
        return ProbeResult(True)
    return ProbeResult(False, f"HTTP probe failed with statuscode: {status}")


async def _http_status(dial: Dial, address: str, port: int, path: str, spec: dict[str, Any]) -> int:
    reader, writer = await dial(address, port)
    try:
        headers = {
            "Host": f"{address}:{port}",
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Connection": "close",
        }
        for header in spec.get("httpHeaders") or []:
            headers[header["name"]] = header["value"]
        request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write((request + "\r\n").encode())
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.decode("latin-1").split()
        if len(parts) < 2 or not parts[1].isdigit():
            raise ValueError("malformed HTTP response")
        return int(parts[1])
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def tcp_socket(
    spec: dict[str, Any],
    pod_ip: str,
    ports: dict[str, int],
    timeout: float,
    *,
    dial: Dial,
) -> ProbeResult:
    port = _port(spec.get("port"), ports)
    host = spec.get("host") or pod_ip
    if port is None:
        return ProbeResult(False, f"unable to find port {spec.get('port')!r} in container ports")
    try:
        _reader, writer = await asyncio.wait_for(dial(host, port), timeout)
    except TimeoutError:
        return ProbeResult(False, f"dial tcp {host}:{port}: i/o timeout")
    except ConnectionRefusedError:
        return ProbeResult(False, f"dial tcp {host}:{port}: connect: connection refused")
    except OSError as exc:
        return ProbeResult(False, f"dial tcp {host}:{port}: {exc.strerror or exc}")
    writer.close()
    return ProbeResult(True)


async def run_command(
    command: list[str],
    cwd: str,
    env: dict[str, str],
    timeout: float | None,
    *,
    preexec: Callable[[], None] | None = None,
) -> tuple[int | None, bytes]:
    """Run `command` to its end: its exit code (None when `timeout` passed first and it was
    killed) and its output, stdout and stderr together as RunInContainer returns them.
    Raises OSError when it cannot start."""
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=preexec,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()  # reaped, not left to a closed loop
        return None, b""
    return proc.returncode, output


async def exec_command(
    command: list[str],
    cwd: str,
    env: dict[str, str],
    timeout: float,
    *,
    shown: list[str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> ProbeResult:
    """Run `command` (the probe's, or the runtime's way into the container around it);
    messages name `shown`, the probe's own command, as the kubelet does. `preexec`: the
    container's (`ExecSpec.join`: its cgroup, dying with kubesim)."""
    try:
        code, output = await run_command(command, cwd, env, timeout, preexec=preexec)
    except OSError as exc:
        return ProbeResult(False, f"exec: {exc.strerror or exc}")
    if code is None:
        # remote_runtime.go: fmt.Errorf("command %q timed out", strings.Join(cmd, " "))
        return ProbeResult(False, f"command {json.dumps(' '.join(shown or command))} timed out")
    if code == 0:
        return ProbeResult(True)
    return ProbeResult(False, output.decode("utf-8", "replace"))

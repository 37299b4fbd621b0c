"""`pods/exec` and `pods/attach` over WebSocket: the remote command channel protocols.

What kubectl 1.37 and the official Python client speak (client-go tools/remotecommand,
apimachinery's wsstream, apiserver's util/proxy/websocket.go), served here directly instead of
being translated to SPDY for a kubelet:

* The client asks with a WebSocket upgrade, offering `v5.channel.k8s.io` (kubectl) or
  `v4.channel.k8s.io` (the Python client), or the older `channel.k8s.io` and the base64 forms.
* Every message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize
  (JSON `{"Width":W,"Height":H}`); the base64 protocols send text frames whose first
  character is the channel digit and the rest base64. v5 adds channel 255, "close": the
  client's `[255, 0]` is the end of stdin.
* Once upgraded the server sends an empty message on the lowest channel it writes, then the
  output; when the command ends, the error channel carries a `metav1.Status` (v4, v5):
  `Success`, or `NonZeroExitCode` with the code as the `ExitCode` cause, which kubectl turns
  into `command terminated with exit code N` and its own exit code. The older protocols
  carry the message as plain text, and nothing on success.
* Refusals before the upgrade are the API server's Status (`container x is not valid for pod
  y`) or the kubelet's plain text (`container not found ("app")`). kubectl answers a failed
  WebSocket upgrade by retrying over SPDY; kubesim gives that retry the same answer, so
  kubectl prints `unable to upgrade connection: container not found ("app")` as on a node.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from kubesim.apiserver import request as _http
from kubesim.apiserver.hooks import ContainerSession, StreamUnavailable
from kubesim.core.errors import BadRequest

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

log = logging.getLogger("kubesim.streaming")
Obj = dict[str, Any]

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
V1 = "channel.k8s.io"
V1_BASE64 = "base64.channel.k8s.io"
REMOTECOMMAND_PROTOCOLS = (V5, V4, V4_BASE64, V1, V1_BASE64)
MAX_MESSAGE = 64 * 1024 * 1024
CLOSE_TIMEOUT = 10.0


class Channels:
    """One upgraded WebSocket and its negotiated channel framing."""

    def __init__(self, ws: web.WebSocketResponse, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.base64 = "base64" in protocol
        self._lock = asyncio.Lock()

    async def send(self, channel: int, data: bytes) -> None:
        async with self._lock:
            if self.base64:
                await self.ws.send_str(str(channel) + base64.b64encode(data).decode())
            else:
                await self.ws.send_bytes(bytes([channel]) + data)

    def decode(self, msg: Any) -> tuple[int, bytes] | None:
        """(channel, payload) of a client message, or None for one that carries nothing."""
        if not self.base64 and msg.type in (WSMsgType.BINARY, WSMsgType.TEXT):
            # wsstream reads a text frame's bytes as they are (the Python client sends
            # str stdin as text frames with the channel as its first character)
            data: bytes = msg.data if msg.type == WSMsgType.BINARY else msg.data.encode()
            return (data[0], data[1:]) if data else None
        if msg.type == WSMsgType.TEXT and self.base64:
            text: str = msg.data
            if not text or not text[0].isdigit():
                return None
            return int(text[0]), base64.b64decode(text[1:])
        return None


def negotiate(request: web.Request, offered: tuple[str, ...]) -> web.WebSocketResponse | None:
    """A WebSocketResponse for a WebSocket upgrade request, None for anything else."""
    ws = web.WebSocketResponse(
        protocols=offered, max_msg_size=MAX_MESSAGE, autoping=True, timeout=CLOSE_TIMEOUT
    )
    ready = ws.can_prepare(request)
    return ws if ready.ok else None


# kubectl retries a refused WebSocket upgrade over SPDY at once (client-go's fallback
# executor); a refusal older than this belongs to an earlier command
RETRY_SECONDS = 5.0
# (pod uid, container, subresource) -> (time.monotonic(), the kubelet's refusal)
_refused: dict[tuple[str, str, str], tuple[float, StreamUnavailable]] = {}


def refuse(key: tuple[str, str, str], err: StreamUnavailable) -> web.Response:
    """The kubelet's refusal, remembered for kubectl's SPDY retry (`not_upgraded`). A real
    API server serves that retry over SPDY, which kubesim does not speak for exec; judged
    afresh, a retry that found a crash-looping container up again was told so, in words
    about a protocol the learner never chose. The first attempt's verdict is what a node
    most likely gives the retry too, a moment later."""
    now = time.monotonic()
    for old, (at, _) in list(_refused.items()):
        if now - at > RETRY_SECONDS:
            del _refused[old]
    _refused[key] = (now, err)
    return kubelet_refusal(err)


def not_upgraded(request: web.Request, key: tuple[str, str, str] | None = None) -> web.Response:
    """A plain request, or kubectl's SPDY retry of a WebSocket upgrade: the refusal the
    WebSocket attempt got a moment ago (`refuse`), else what kube-apiserver says to a
    request that does not upgrade (kubesim answers a successful upgrade over WebSocket, so
    a retry never follows one)."""
    if request.headers.get("Upgrade", "").lower().startswith("spdy"):
        recent = _refused.get(key) if key is not None else None
        if recent is not None and time.monotonic() - recent[0] <= RETRY_SECONDS:
            return kubelet_refusal(recent[1])
        return web.Response(
            status=400,
            text="kubesim serves exec, attach and port-forward over WebSocket only "
            "(v5.channel.k8s.io, SPDY/3.1+portforward.k8s.io); this client offered SPDY/3.1\n",
        )
    return web.Response(status=400, text="Upgrade request required\n")


def kubelet_refusal(err: StreamUnavailable) -> web.Response:
    return web.Response(status=err.code, text=err.message, content_type="text/plain")


# -- which container --------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamOptions:
    container: str
    command: list[str]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


def stream_options(request: web.Request, *, exec_: bool) -> StreamOptions:
    q = request.query
    opts = StreamOptions(
        container=q.get("container", ""),
        command=q.getall("command", []),
        stdin=_http.parse_bool(q.get("stdin")),
        stdout=_http.parse_bool(q.get("stdout")),
        stderr=_http.parse_bool(q.get("stderr")),
        tty=_http.parse_bool(q.get("tty")),
    )
    if not (opts.stdin or opts.stdout or opts.stderr):
        raise BadRequest("you must specify at least 1 of stdin, stdout, stderr")
    if exec_ and not opts.command:
        raise BadRequest("you must specify at least one command for the container")
    return opts


def pick_container(pod: Obj, name: str, container: str) -> str:
    """The apiserver's streamLocation: the container named, or the pod's only one."""
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    inits = [c["name"] for c in spec.get("initContainers") or []]
    ephemeral = [c["name"] for c in spec.get("ephemeralContainers") or []]
    if not container:
        if len(names) == 1:
            container = names[0]
        elif not names:
            raise BadRequest(f"a container name must be specified for pod {name}")
        else:
            message = (
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(names)}]"
            )
            if inits:
                message += f" or one of the init containers: [{' '.join(inits)}]"
            raise BadRequest(message)
    elif container not in names + inits + ephemeral:
        raise BadRequest(f"container {container} is not valid for pod {name}")
    if not spec.get("nodeName"):
        raise BadRequest(f"pod {name} does not have a host assigned")
    return container


# -- exec and attach --------------------------------------------------------------------------


def exit_status(code: int, command: list[str]) -> Obj:
    """The error channel's Status for a finished command, as the kubelet writes it (the
    message wraps containerd's exit error; kubectl reads the code from the cause)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing command "
        f"[{' '.join(command)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


SUCCESS: Obj = {"metadata": {}, "status": "Success"}


def internal_error(message: str) -> Obj:
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {message}",
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


async def serve(api: Api, request: web.Request, namespace: str, name: str, sub: str) -> Any:
    """`pods/exec` or `pods/attach`: validate, find the container, upgrade, run."""
    pods = api.resource("", "v1", "pods")
    pod = api.get(pods, namespace, name)
    opts = stream_options(request, exec_=sub == "exec")
    container = pick_container(pod, name, opts.container)
    key = (pod["metadata"].get("uid", ""), container, sub)
    try:
        target = api.hooks.streams.container(pod, container)
    except StreamUnavailable as err:
        return refuse(key, err)
    ws = negotiate(request, REMOTECOMMAND_PROTOCOLS)
    if ws is None:
        return not_upgraded(request, key)
    await ws.prepare(request)
    channels = Channels(ws, ws.ws_protocol or V1)
    await channels.send(STDOUT if opts.stdout else STDERR if opts.stderr else ERROR, b"")
    try:
        if sub == "exec":
            session = await target.exec(opts.command, stdin=opts.stdin, tty=opts.tty)
        else:
            session = await target.attach(stdin=opts.stdin, tty=opts.tty)
    except OSError as exc:
        # containerd's exec id, then runc's exec.LookPath error, as kind's runtime words them
        command = opts.command[0] if opts.command else ""
        reason = exc.strerror or str(exc)
        reason = reason[:1].lower() + reason[1:]
        if "/" not in command and isinstance(exc, (FileNotFoundError, PermissionError)):
            # Go's LookPath passes over a PATH entry it may not read or run and reports
            # the name not found; Python's search reports the first permission error
            reason = "executable file not found in $PATH"
        elif isinstance(exc, FileNotFoundError):
            reason = f"stat {command}: no such file or directory"
        await _finish(
            channels,
            internal_error(
                "error executing command in container: failed to exec in container: failed "
                f'to start exec "{secrets.token_hex(32)}": OCI runtime exec failed: exec failed: '
                f'unable to start container process: exec: "{command}": {reason}: unknown'
            ),
        )
        return ws
    await _run(channels, session, opts)
    return ws


async def _run(channels: Channels, session: ContainerSession, opts: StreamOptions) -> None:
    inbound = asyncio.create_task(_inbound(channels, session, opts))
    outbound = asyncio.create_task(_outbound(channels, session, opts))
    try:
        done, _ = await asyncio.wait({inbound, outbound}, return_when=asyncio.FIRST_COMPLETED)
        if inbound in done and not outbound.done():
            # the client went away: an exec dies with its session, an attach lets go
            session.kill()
            with contextlib.suppress(asyncio.CancelledError):
                await outbound
            return
        await outbound
        code = await session.wait()
        await _finish(channels, exit_status(code, opts.command) if opts.command else SUCCESS)
    finally:
        inbound.cancel()
        session.close()


async def _inbound(channels: Channels, session: ContainerSession, opts: StreamOptions) -> None:
    """stdin, resize and close messages until the client closes the WebSocket."""
    async for msg in channels.ws:
        decoded = channels.decode(msg)
        if decoded is None:
            continue
        channel, data = decoded
        if channel == STDIN and opts.stdin:
            session.write(data)
            await session.drain()
        elif channel == RESIZE:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                size = json.loads(data)
                session.resize(int(size.get("Width", 0)), int(size.get("Height", 0)))
        elif channel == CLOSE and channels.protocol == V5 and data[:1] == bytes([STDIN]):
            session.close_stdin()


async def _outbound(channels: Channels, session: ContainerSession, opts: StreamOptions) -> None:
    async for number, data in session.output():
        if number == STDOUT and opts.stdout:
            await channels.send(STDOUT, data)
        elif number == STDERR and opts.stderr:
            await channels.send(STDERR, data)


async def _finish(channels: Channels, status: Obj) -> None:
    """Write the error channel as the protocol wants it, then close the WebSocket."""
    with contextlib.suppress(ConnectionError):
        if channels.protocol in (V5, V4, V4_BASE64):
            await channels.send(ERROR, json.dumps(status, separators=(",", ":")).encode())
        elif status.get("status") != "Success":
            await channels.send(ERROR, str(status.get("message", "")).encode())
        await channels.ws.close()

"""`pods/portforward`: the two WebSocket protocols clients speak, over the pod's network.

* **kubectl 1.30+**: a WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` carrying a
  SPDY/3.1 connection (`spdy.py`, apiserver's util/proxy/streamtunnel.go). For each local
  connection kubectl opens two streams with headers `streamtype: error|data`, `port` and
  `requestid`; the server replies to each, forwards the data stream to the port, and closes
  both when done, having written the reason to the error stream if the port could not be
  reached (kubectl prints `an error occurred forwarding 8080 -> 80: <reason>`). One
  WebSocket carries every connection of one `kubectl port-forward`.
* **The Python client** (`kubernetes.stream.portforward`): the channel protocol
  (`v4.channel.k8s.io`), one connection per port of the `ports` query, data on channel 2i
  and errors on 2i+1, each channel first sending its port as two little-endian bytes
  (kubelet's cri/streaming/portforward/websocket.go).

The reason texts are the kubelet's around the runtime's (containerd): `error forwarding port
80 to pod <sandbox>, uid : failed to execute portforward in network namespace ...`. As in
containerd, once one direction of a connection ends the other gets up to a second to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from kubesim.apiserver import spdy
from kubesim.apiserver.hooks import StreamSource, StreamUnavailable
from kubesim.apiserver.streaming import (
    V4,
    V4_BASE64,
    Channels,
    negotiate,
    not_upgraded,
    refuse,
)
from kubesim.core.errors import BadRequest

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

log = logging.getLogger("kubesim.portforward")
Obj = dict[str, Any]
TUNNEL = "SPDY/3.1+portforward.k8s.io"
READ_CHUNK = 32 * 1024
LINGER_SECONDS = 1.0  # containerd's wait for the second direction once the first ends


async def serve(api: Api, request: web.Request, namespace: str, name: str) -> Any:
    pod = api.get(api.resource("", "v1", "pods"), namespace, name)
    if not (pod.get("spec") or {}).get("nodeName"):
        raise BadRequest(f"pod {name} does not have a host assigned")
    source = api.hooks.streams
    key = (pod["metadata"].get("uid", ""), "", "portforward")
    try:
        sandbox = source.sandbox_id(pod)
    except StreamUnavailable as err:
        return refuse(key, err)
    ws = negotiate(request, (TUNNEL, V4, V4_BASE64))
    if ws is None:
        return not_upgraded(request, key)
    forward = Forwarder(source, pod, sandbox)
    if (ws.can_prepare(request).protocol or "") == TUNNEL:
        await ws.prepare(request)
        await SpdyPortForward(ws, forward).run()
        return ws
    try:
        ports = _ports(request.query.getall("ports", []))
    except ValueError as exc:
        return web.Response(status=400, text=str(exc))
    await ws.prepare(request)
    await _channel_port_forward(Channels(ws, ws.ws_protocol or V4), forward, ports)
    return ws


def _ports(values: list[str]) -> list[int]:
    if not values:
        raise ValueError('query parameter "port" is required')
    ports = []
    for value in values:
        for part in value.split(","):
            if not part.isdigit() or not 0 < int(part) < 65536:
                raise ValueError(f'unable to parse "{value}" as a port')
            ports.append(int(part))
    return ports


@dataclass
class Forwarder:
    """Dials the pod's ports and words a failure as the kubelet and runtime do."""

    source: StreamSource
    pod: Obj
    sandbox: str

    async def dial(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await self.source.dial(self.pod, port)

    def reason(self, port: int, err: Exception) -> str:
        text = err.message if isinstance(err, StreamUnavailable) else str(err)
        return f"error forwarding port {port} to pod {self.sandbox}, uid : {text}"


async def _pipe(reader: asyncio.StreamReader, send: Callable[[bytes], Awaitable[None]]) -> None:
    while chunk := await reader.read(READ_CHUNK):
        await send(chunk)


async def _linger(first: asyncio.Task[None], second: asyncio.Task[None]) -> None:
    """Both directions of one connection: once either ends, the other gets a second."""
    done, pending = await asyncio.wait({first, second}, return_when=asyncio.FIRST_COMPLETED)
    if pending:
        await asyncio.wait(pending, timeout=LINGER_SECONDS)
    for task in (first, second):
        task.cancel()
    await asyncio.gather(first, second, return_exceptions=True)


# -- the channel protocol (the Python client) -----------------------------------------------


async def _channel_port_forward(channels: Channels, forward: Forwarder, ports: list[int]) -> None:
    for index, port in enumerate(ports):
        for channel in (2 * index, 2 * index + 1):
            await channels.send(channel, port.to_bytes(2, "little"))
    writers: dict[int, asyncio.StreamWriter] = {}
    pumps: list[asyncio.Task[None]] = []
    for index, port in enumerate(ports):
        try:
            reader, writers[index] = await forward.dial(port)
        except (OSError, StreamUnavailable) as err:
            await channels.send(2 * index + 1, forward.reason(port, err).encode())
            continue

        async def send(data: bytes, channel: int = 2 * index) -> None:
            await channels.send(channel, data)

        pumps.append(asyncio.create_task(_pipe(reader, send)))
    inbound = asyncio.create_task(_channel_inbound(channels, writers))
    try:
        if pumps:
            waiters: list[asyncio.Future[Any]] = [inbound, asyncio.gather(*pumps)]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        inbound.cancel()
        for task in pumps:
            task.cancel()
        for writer in writers.values():
            writer.close()
        with contextlib.suppress(ConnectionError):
            await channels.ws.close()


async def _channel_inbound(channels: Channels, writers: dict[int, asyncio.StreamWriter]) -> None:
    async for msg in channels.ws:
        decoded = channels.decode(msg)
        if decoded is None:
            continue
        channel, data = decoded
        writer = writers.get(channel // 2)
        if channel % 2 == 0 and writer is not None and data:
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()


# -- SPDY through the WebSocket (kubectl) ---------------------------------------------------


@dataclass
class _Pair:
    """One forwarded connection: kubectl's error and data streams for one request id."""

    port: int
    error_stream: int = 0
    data_stream: int = 0
    inbox: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    reset: bool = False


class SpdyPortForward:
    def __init__(self, ws: web.WebSocketResponse, forward: Forwarder) -> None:
        self.ws = ws
        self.forward = forward
        self.codec = spdy.Codec()
        self.pairs: dict[str, _Pair] = {}
        self.by_stream: dict[int, _Pair] = {}
        self.last_stream = 0
        self._lock = asyncio.Lock()

    async def send(self, frame: bytes) -> None:
        async with self._lock:
            await self.ws.send_bytes(frame)

    async def run(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != WSMsgType.BINARY:
                    continue
                for frame in self.codec.feed(msg.data):
                    if not await self._handle(frame):
                        return
        except spdy.SpdyError as exc:
            log.info("kubesim: port-forward client broke SPDY framing: %s", exc)
            with contextlib.suppress(ConnectionError):
                await self.send(self.codec.goaway(self.last_stream, spdy.RST_PROTOCOL_ERROR))
        finally:
            tasks = [p.task for p in self.pairs.values() if p.task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(ConnectionError):
                await self.ws.close()

    async def _handle(self, frame: spdy.Frame) -> bool:
        """Act on one frame; False once the client says goodbye."""
        if frame.type == spdy.SYN_STREAM:
            await self._open(frame)
        elif frame.type == 0:
            pair = self.by_stream.get(frame.stream_id)
            if pair is not None and frame.stream_id == pair.data_stream:
                if frame.data:
                    pair.inbox.put_nowait(frame.data)
                if frame.fin:
                    pair.inbox.put_nowait(None)
        elif frame.type == spdy.RST_STREAM:
            pair = self.by_stream.get(frame.stream_id)
            if pair is not None:
                pair.reset = True
                if pair.task is not None:
                    pair.task.cancel()
        elif frame.type == spdy.PING:
            await self.send(self.codec.ping(frame.ping_id))
        elif frame.type == spdy.GOAWAY:
            return False
        return True

    async def _open(self, frame: spdy.Frame) -> None:
        headers = frame.headers
        self.last_stream = max(self.last_stream, frame.stream_id)
        kind = headers.get("streamtype", "")
        port_text = headers.get("port", "")
        if kind not in ("error", "data") or not port_text.isdigit():
            await self.send(self.codec.rst_stream(frame.stream_id, spdy.RST_REFUSED_STREAM))
            return
        await self.send(self.codec.syn_reply(frame.stream_id))
        # kubectl names the pair; without a request id, the error stream is 2 below its data
        request_id = headers.get("requestid") or str(
            frame.stream_id if kind == "error" else frame.stream_id - 2
        )
        pair = self.pairs.setdefault(request_id, _Pair(port=int(port_text)))
        if kind == "error":
            pair.error_stream = frame.stream_id
        else:
            pair.data_stream = frame.stream_id
        self.by_stream[frame.stream_id] = pair
        if pair.error_stream and pair.data_stream and pair.task is None:
            pair.task = asyncio.create_task(self._forward(request_id, pair))

    async def _forward(self, request_id: str, pair: _Pair) -> None:
        try:
            try:
                reader, writer = await self.forward.dial(pair.port)
            except (OSError, StreamUnavailable) as err:
                reason = self.forward.reason(pair.port, err)
                await self.send(self.codec.data(pair.error_stream, reason.encode()))
                return
            try:
                await _linger(
                    asyncio.create_task(self._to_client(reader, pair)),
                    asyncio.create_task(self._to_pod(writer, pair)),
                )
            finally:
                writer.close()
        finally:
            with contextlib.suppress(ConnectionError):
                if not pair.reset:
                    await self.send(self.codec.data(pair.data_stream, b"", fin=True))
                    await self.send(self.codec.data(pair.error_stream, b"", fin=True))
            self.pairs.pop(request_id, None)
            self.by_stream.pop(pair.data_stream, None)
            self.by_stream.pop(pair.error_stream, None)

    async def _to_client(self, reader: asyncio.StreamReader, pair: _Pair) -> None:
        async def send(data: bytes) -> None:
            for at in range(0, len(data), spdy.MAX_DATA):
                await self.send(self.codec.data(pair.data_stream, data[at : at + spdy.MAX_DATA]))

        await _pipe(reader, send)

    async def _to_pod(self, writer: asyncio.StreamWriter, pair: _Pair) -> None:
        while (data := await pair.inbox.get()) is not None:
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

"""The kubelet's gRPC probe: grpc.health.v1.Health/Check over HTTP/2, as pkg/probe/grpc does.

The real prober dials with `grpc.WithBlock()` inside the probe's timeout, so a port where
nothing speaks gRPC (refused, closed, or an HTTP/1 server) is retried with gRPC's back-off
until the timeout ends: `timeout: failed to connect service "IP:PORT" within 1s: context
deadline exceeded`. Once connected, one unary Check (`kube-probe/1.37` as user agent):
SERVING passes ("service healthy"); another status fails ("service unhealthy (responded
with "NOT_SERVING")"); an Unimplemented status is a server without the health protocol;
any other status is `rpc error: code = ... desc = ...`, as grpc-go prints it.

The HTTP/2 framing is h2's (python-hyper); the two protobuf messages are one field each,
so they are written and read here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from kubesim.kubelet._probes import Dial, ProbeResult

PATH = "/grpc.health.v1.Health/Check"
STATUS_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
# google.golang.org/grpc/codes, as `code = Name` in an rpc error
CODE_NAMES = {
    1: "Canceled", 2: "Unknown", 3: "InvalidArgument", 4: "DeadlineExceeded", 5: "NotFound",
    6: "AlreadyExists", 7: "PermissionDenied", 8: "ResourceExhausted", 9: "FailedPrecondition",
    10: "Aborted", 11: "OutOfRange", 12: "Unimplemented", 13: "Internal", 14: "Unavailable",
    15: "DataLoss", 16: "Unauthenticated",
}  # fmt: skip
UNIMPLEMENTED = 12
BACKOFF_BASE, BACKOFF_FACTOR = 1.0, 1.6  # grpc-go's connection back-off


class _NotReady(Exception):
    """The connection never became an HTTP/2 one (refused, closed, not HTTP/2)."""


def request_message(service: str) -> bytes:
    """HealthCheckRequest{service}, length-prefixed as a gRPC message."""
    data = service.encode()
    body = (b"\x0a" + _varint(len(data)) + data) if data else b""
    return b"\x00" + len(body).to_bytes(4, "big") + body


def response_status(message: bytes) -> int:
    """HealthCheckResponse.status (field 1, a varint) from a length-prefixed message."""
    body, status, at = message[5:], 0, 0
    while at < len(body):
        key, at = _read_varint(body, at)
        if key >> 3 == 1 and key & 7 == 0:
            status, at = _read_varint(body, at)
        elif key & 7 == 0:
            _, at = _read_varint(body, at)
        elif key & 7 == 2:
            size, at = _read_varint(body, at)
            at += size
        else:
            break
    return status


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while at < len(data):
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return value, at


def go_duration(seconds: float) -> str:
    return f"{seconds:g}s"


async def check(
    host: str, port: int, service: str, timeout: float, *, dial: Dial, user_agent: str
) -> ProbeResult:
    """One gRPC probe of `host:port`, all of it within `timeout` seconds."""
    addr = f"{host}:{port}"
    deadline = time.monotonic() + timeout
    backoff = BACKOFF_BASE
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return ProbeResult(
                False,
                f'timeout: failed to connect service "{addr}" within {go_duration(timeout)}: '
                "context deadline exceeded",
            )
        try:
            link = await asyncio.wait_for(_connect(host, port, dial), left)
        except (_NotReady, OSError, TimeoutError):
            await asyncio.sleep(max(0.0, min(backoff, deadline - time.monotonic())))
            backoff *= BACKOFF_FACTOR
            continue
        break
    reader, writer, conn = link
    try:
        left = deadline - time.monotonic()
        return await asyncio.wait_for(
            _call(reader, writer, conn, addr, service, user_agent), max(left, 0.0)
        )
    except TimeoutError:
        return ProbeResult(
            False, f"timeout: health rpc did not complete within {go_duration(timeout)}"
        )
    except (OSError, h2.exceptions.ProtocolError) as exc:
        return ProbeResult(
            False, f"error: health rpc probe failed: rpc error: code = Unavailable desc = {exc}"
        )
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _connect(
    host: str, port: int, dial: Dial
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, h2.connection.H2Connection]:
    """A TCP connection whose peer answered the HTTP/2 preface with its SETTINGS."""
    reader, writer = await dial(host, port)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    try:
        writer.write(conn.data_to_send())
        await writer.drain()
        while True:
            data = await reader.read(65536)
            if not data:
                raise _NotReady("closed")
            try:
                events = conn.receive_data(data)
            except h2.exceptions.ProtocolError as exc:
                raise _NotReady(str(exc)) from None
            writer.write(conn.data_to_send())
            if any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events):
                await writer.drain()
                return reader, writer, conn
    except BaseException:
        writer.close()
        raise


async def _call(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    conn: h2.connection.H2Connection,
    authority: str,
    service: str,
    user_agent: str,
) -> ProbeResult:
    stream = conn.get_next_available_stream_id()
    conn.send_headers(
        stream,
        [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", PATH),
            (":authority", authority),
            ("content-type", "application/grpc"),
            ("user-agent", f"{user_agent} grpc-go/1.72.1"),  # WithUserAgent, then grpc-go's
            ("te", "trailers"),
        ],
    )
    conn.send_data(stream, request_message(service), end_stream=True)
    writer.write(conn.data_to_send())
    await writer.drain()
    body, trailers = b"", {}
    while True:
        data = await reader.read(65536)
        if not data:
            raise OSError("connection closed before the response ended")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream)
            elif isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                trailers.update(_text(event.headers))
            elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream:
                raise OSError(f"stream reset ({event.error_code})")
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                return _verdict(body, trailers)
        writer.write(conn.data_to_send())
        await writer.drain()


def _text(headers: Iterable[tuple[bytes | str, bytes | str]]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in headers
    }


def _verdict(body: bytes, trailers: dict[str, str]) -> ProbeResult:
    code = int(trailers.get("grpc-status", "2") or 2)
    message = trailers.get("grpc-message", "")
    if code == UNIMPLEMENTED:
        return ProbeResult(
            False,
            "error: this server does not implement the grpc health protocol "
            f"(grpc.health.v1.Health): {message}",
        )
    if code != 0:
        name = CODE_NAMES.get(code, f"Code({code})")
        return ProbeResult(
            False, f"error: health rpc probe failed: rpc error: code = {name} desc = {message}"
        )
    status = response_status(body)
    if status != 1:
        return ProbeResult(
            False, f'service unhealthy (responded with "{STATUS_NAMES.get(status, status)}")'
        )
    return ProbeResult(True, "service healthy")

"""A gRPC server of grpc.health.v1.Health/Check, over cleartext HTTP/2 (h2), one thread per
connection: what a program with grpc-go's health service answers a kubelet's gRPC probe.

`status(service)` says each service's status (1 SERVING, 2 NOT_SERVING) or None for a
service the server does not know (NOT_FOUND, "unknown service", as grpc-go's health server
answers); any other method is Unimplemented, in grpc-go's words.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import h2.config
import h2.connection
import h2.events
import h2.exceptions

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CHECK = "/grpc.health.v1.Health/Check"

Status = Callable[[str], int | None]


def requested_service(message: bytes) -> str:
    """HealthCheckRequest.service (field 1) from a length-prefixed gRPC message."""
    body = message[5:]
    if body[:1] != b"\x0a":
        return ""
    size, at, shift = 0, 1, 0
    while at < len(body):
        byte = body[at]
        at += 1
        size |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return body[at : at + size].decode(errors="replace")


def response_message(status: int) -> bytes:
    body = b"\x08" + bytes([status])
    return b"\x00" + len(body).to_bytes(4, "big") + body


def serve(sock: socket.socket, status: Status, first: bytes = b"") -> None:
    """Answer one HTTP/2 connection until the client leaves (`first`: bytes already read)."""
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
    )
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    paths: dict[int, str] = {}
    bodies: dict[int, bytes] = {}
    data = first
    try:
        while True:
            if not data:
                data = sock.recv(65536)
                if not data:
                    return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    headers = {_text(k): _text(v) for k, v in event.headers or []}
                    paths[event.stream_id] = headers.get(":path", "")
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    sid = event.stream_id
                    _answer(conn, sid, paths.pop(sid, ""), bodies.pop(sid, b""), status)
            data = b""
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _answer(
    conn: h2.connection.H2Connection, sid: int, path: str, body: bytes, status: Status
) -> None:
    headers = [(":status", "200"), ("content-type", "application/grpc")]
    if path != CHECK:
        service, _, method = path.strip("/").partition("/")
        message = (
            f"unknown method {method} for service {service}"
            if service == "grpc.health.v1.Health"
            else f"unknown service {service}"
        )
        conn.send_headers(
            sid, [*headers, ("grpc-status", "12"), ("grpc-message", message)], end_stream=True
        )
        return
    state = status(requested_service(body))
    if state is None:
        conn.send_headers(
            sid,
            [*headers, ("grpc-status", "5"), ("grpc-message", "unknown service")],
            end_stream=True,
        )
        return
    conn.send_headers(sid, headers)
    conn.send_data(sid, response_message(state))
    conn.send_headers(sid, [("grpc-status", "0"), ("grpc-message", "")], end_stream=True)

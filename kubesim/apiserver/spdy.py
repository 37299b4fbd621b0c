"""SPDY/3.1 framing, as much of it as `kubectl port-forward` uses (the server's side).

kubectl 1.30+ tunnels a SPDY/3.1 connection through a WebSocket (subprotocol
`SPDY/3.1+portforward.k8s.io`, the SPDY bytes as binary messages); the streams inside are
the port-forward protocol's (`portforward.py`). The frame layouts are the SPDY/3 draft's
(draft-mbelshe-httpbis-spdy-00 section 2.2, SPDY/3.1's flow control aside):

    control frame   C=1 | version (15 bits) | type (16) | flags (8) | length (24) | data
    data frame      C=0 | stream id (31)              | flags (8) | length (24) | data

    SYN_STREAM (1)  stream id, associated stream id, priority (3 bits) + slot (8), headers
    SYN_REPLY (2)   stream id, headers
    RST_STREAM (3)  stream id, status code
    SETTINGS (4), WINDOW_UPDATE (9), HEADERS (8)   read and ignored here
    PING (6)        id, echoed back by the receiver
    GOAWAY (7)      last good stream id, status code

A header block is `count, (name length, name, value length, value)*` with 32-bit big-endian
lengths, deflated with one zlib stream per direction per connection, primed with SPDY/3's
dictionary and sync-flushed after each block (section 2.6.10.1).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM = 1, 2, 3
PING, GOAWAY, HEADERS = 6, 7, 8  # SETTINGS (4) and WINDOW_UPDATE (9) are read and ignored
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_REFUSED_STREAM = 1, 3
MAX_DATA = 0xFFFFFF


class SpdyError(Exception):
    """The peer broke the framing (the connection ends with a GOAWAY)."""


def _dictionary() -> bytes:
    """SPDY/3's header compression dictionary (section 2.6.10.1): length-prefixed header
    names and values, then a run of common values."""
    words = [
        "options",
        "head",
        "post",
        "put",
        "delete",
        "trace",
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-ranges",
        "age",
        "allow",
        "authorization",
        "cache-control",
        "connection",
        "content-base",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "date",
        "etag",
        "expect",
        "expires",
        "from",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "pragma",
        "proxy-authenticate",
        "proxy-authorization",
        "range",
        "referer",
        "retry-after",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "method",
        "get",
        "status",
    ]
    words += ["200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive"]
    words += ["origin"]
    tail = (
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417"
        "502504505203 Non-Authoritative Information204 No Content301 Moved Permanently"
        "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error"
        "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct "
        "Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,"
        "image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
        "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
    )
    return b"".join(struct.pack(">I", len(w)) + w.encode() for w in words) + tail.encode()


DICTIONARY = _dictionary()


def header_block(deflate: zlib._Compress, headers: dict[str, str]) -> bytes:
    """A header block, deflated in the connection's context and sync-flushed."""
    raw = struct.pack(">I", len(headers))
    for name, value in headers.items():
        raw += struct.pack(">I", len(name)) + name.encode()
        raw += struct.pack(">I", len(value)) + value.encode()
    return deflate.compress(raw) + deflate.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True)
class Frame:
    """One parsed frame: `control` type (0 for a data frame), flags, and its fields."""

    type: int
    flags: int
    stream_id: int = 0
    data: bytes = b""  # a data frame's payload
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0  # RST_STREAM / GOAWAY
    ping_id: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Codec:
    """Parses the peer's frames from a byte stream and encodes this side's; holds the two
    header compression contexts of one connection."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zdict=DICTIONARY)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            length = int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < 8 + length:
                break
            head = bytes(self._buffer[:8])
            body = bytes(self._buffer[8 : 8 + length])
            del self._buffer[: 8 + length]
            try:
                frame = self._parse(head, body)
            except (struct.error, IndexError, UnicodeDecodeError) as exc:
                raise SpdyError(f"malformed frame: {exc}") from exc
            if frame is not None:
                frames.append(frame)
        return frames

    def _parse(self, head: bytes, body: bytes) -> Frame | None:
        word, flags = struct.unpack(">I", head[:4])[0], head[4]
        if not word & 0x80000000:
            return Frame(0, flags, stream_id=word & 0x7FFFFFFF, data=body)
        version, kind = (word >> 16) & 0x7FFF, word & 0xFFFF
        if version != VERSION:
            raise SpdyError(f"unsupported SPDY version {version}")
        if kind == SYN_STREAM:
            if len(body) < 10:
                raise SpdyError("short SYN_STREAM")
            stream_id = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
            return Frame(kind, flags, stream_id=stream_id, headers=self._headers(body[10:]))
        if kind in (SYN_REPLY, HEADERS):
            stream_id = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
            return Frame(kind, flags, stream_id=stream_id, headers=self._headers(body[4:]))
        if kind == RST_STREAM:
            stream_id, status = struct.unpack(">II", body[:8])
            return Frame(kind, flags, stream_id=stream_id & 0x7FFFFFFF, status=status)
        if kind == PING:
            return Frame(kind, flags, ping_id=struct.unpack(">I", body[:4])[0])
        if kind == GOAWAY:
            last, status = struct.unpack(">II", body[:8].ljust(8, b"\0"))
            return Frame(kind, flags, stream_id=last & 0x7FFFFFFF, status=status)
        return None  # SETTINGS, WINDOW_UPDATE, NOOP, CREDENTIAL: nothing to do for them

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as exc:
            raise SpdyError(f"bad header block: {exc}") from exc
        count = struct.unpack(">I", raw[:4])[0]
        headers, at = {}, 4
        for _ in range(count):
            (size,) = struct.unpack(">I", raw[at : at + 4])
            name = raw[at + 4 : at + 4 + size].decode()
            at += 4 + size
            (size,) = struct.unpack(">I", raw[at : at + 4])
            value = raw[at + 4 : at + 4 + size].decode()
            at += 4 + size
            headers[name] = value  # several values would be NUL-separated; none are here
        return headers

    # -- frames this side sends -----------------------------------------------------------

    @staticmethod
    def _control(kind: int, flags: int, body: bytes) -> bytes:
        return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(body)) + body

    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None) -> bytes:
        body = struct.pack(">I", stream_id) + header_block(self._deflate, headers or {})
        return self._control(SYN_REPLY, 0, body)

    def rst_stream(self, stream_id: int, status: int) -> bytes:
        return self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def ping(self, ping_id: int) -> bytes:
        return self._control(PING, 0, struct.pack(">I", ping_id))

    def goaway(self, last_stream_id: int, status: int = 0) -> bytes:
        return self._control(GOAWAY, 0, struct.pack(">II", last_stream_id, status))

    @staticmethod
    def data(stream_id: int, payload: bytes, *, fin: bool = False) -> bytes:
        head = struct.pack(">II", stream_id, ((FLAG_FIN if fin else 0) << 24) | len(payload))
        return head + payload

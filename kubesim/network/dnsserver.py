"""The cluster DNS server: kube-dns at 10.96.0.10:53, UDP and TCP, on sockets it is given.

The fabric creates the sockets inside the cluster's network namespace (a socket keeps
the namespace it was made in) and hands them over; this server only speaks DNS on them with
asyncio, answering from `dnsrecords` (CoreDNS's `kubernetes` plugin). `objects` is called
for every query, so answers follow the cluster at once: return the same `Cluster` object
while nothing changed and the index is built once per change (the SOA serial is the time of
that change, as CoreDNS's is its informers' last modification).

On the wire it behaves as CoreDNS (miekg/dns) does:
* UDP replies fit the client's buffer: 512 bytes without EDNS, else the advertised size;
  what does not fit is cut record by record and the TC bit set, so the client asks again
  over TCP (miekg/dns `Msg.Truncate`, used by CoreDNS's `Scrub`).
* TCP messages carry a two-byte length prefix; a connection may send several queries and
  is closed after `IDLE_TIMEOUT` seconds without one.
* a packet that does not parse gets FORMERR when its header is readable, a packet too short
  for a header or one that is itself a response is dropped; nothing crashes the server.
* `loadbalance`: the addresses in an answer come in a random order each time.

Wiring it (the fabric makes the sockets inside the cluster's network namespace):

    udp = fabric.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("10.96.0.10", 53))
    tcp = fabric.socket(socket.AF_INET, socket.SOCK_STREAM); tcp.bind(("10.96.0.10", 53))
    tcp.listen()
    dns = ClusterDNS(lambda: informers.cluster)   # a Cluster, replaced on every change
    await dns.start(udp=udp, tcp=tcp)
    ...
    await dns.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
import time
from collections.abc import Callable
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from kubesim.network.dnsanswer import respond
from kubesim.network.dnsrecords import TTL, Cluster, Records

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 8.0  # miekg/dns: a TCP connection idle this long is closed
_HEADER = struct.Struct("!HHHHHH")
_QR = 0x8000
# Replies kept per snapshot of the objects (dropped at any change, so answers never go
# stale: kind's Corefile disables CoreDNS's cache for cluster.local, and this is no cache
# in that sense); it spares dnspython's parsing and rendering for a pod's repeated names.
_CACHED_REPLIES = 4096


class ClusterDNS:
    """Serves the cluster DNS on a bound UDP socket and a listening TCP socket."""

    def __init__(
        self,
        objects: Callable[[], Cluster],
        *,
        ttl: int = TTL,
        shuffle: bool = True,
        cache: bool = True,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._objects = objects
        self._ttl = ttl
        self._shuffle = shuffle
        self._cache = cache
        self._clock = clock
        self._rng = rng or random.Random()
        self._seen: Cluster | None = None
        self._records: Records | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._replies: dict[tuple[bytes, int | None], bytes] = {}

    async def start(self, *, udp: socket.socket | None, tcp: socket.socket | None) -> None:
        """Serve on the given sockets: `udp` bound (SOCK_DGRAM), `tcp` bound and listening.
        The server owns them from here on: `close` closes them."""
        loop = asyncio.get_running_loop()
        if udp is not None:
            udp.setblocking(False)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self), sock=udp)
            self._udp = transport
        if tcp is not None:
            tcp.setblocking(False)
            self._tcp = await asyncio.start_server(self._stream, sock=tcp)

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._tcp.wait_closed()
            self._tcp = None

    # -- one message ----------------------------------------------------------------------

    def handle(self, wire: bytes, *, limit: int | None = None) -> bytes | None:
        """The reply to one query message, or None to drop it. `limit` is None over TCP."""
        if len(wire) < _HEADER.size:
            return None  # not even a header: nothing to answer to
        ident, flags, *_ = _HEADER.unpack_from(wire)
        if flags & _QR:
            return None  # a response sent to us: ignored, as miekg/dns does
        try:
            records: Records | None = self._current()
        except Exception:
            log.exception("the cluster DNS could not read the cluster's objects")
            records = None
        key = (wire[2:], limit)
        if records is not None and (cached := self._replies.get(key)) is not None:
            return wire[:2] + cached  # the same question while nothing changed: same reply
        try:
            request = dns.message.from_wire(wire)
        except Exception:  # any malformed packet: FORMERR, never a crash
            return _formerr(ident, flags)
        if records is None:
            return _servfail(request)
        try:
            response = respond(request, records)
        except Exception:  # an object the answer cannot be made from: SERVFAIL, and say why
            log.exception("the cluster DNS failed to answer %s", request.question)
            return _servfail(request)
        rotated = self._shuffle and any(_rotates(rrset) for rrset in response.answer)
        if rotated:
            response.answer = [self._rotate(rrset) for rrset in response.answer]
        if limit is None:
            reply = response.to_wire()
        else:
            size = max(512, request.payload) if request.edns >= 0 else 512
            reply = _fit(response, min(size, limit))
        if self._cache and not rotated:
            if len(self._replies) >= _CACHED_REPLIES:
                self._replies.clear()
            self._replies[key] = reply[2:]
        return reply

    def _current(self) -> Records:
        cluster = self._objects()
        if cluster is not self._seen or self._records is None:
            self._records = Records.build(cluster, serial=int(self._clock()), ttl=self._ttl)
            self._seen = cluster
            self._replies.clear()
        return self._records

    def _rotate(self, rrset: dns.rrset.RRset) -> dns.rrset.RRset:
        if not _rotates(rrset):
            return rrset
        rdatas = list(rrset)
        self._rng.shuffle(rdatas)
        return dns.rrset.from_rdata_list(rrset.name, rrset.ttl, rdatas)

    # -- TCP --------------------------------------------------------------------------------

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    prefix = await asyncio.wait_for(reader.readexactly(2), IDLE_TIMEOUT)
                    (length,) = struct.unpack("!H", prefix)
                    wire = await asyncio.wait_for(reader.readexactly(length), IDLE_TIMEOUT)
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                reply = self.handle(wire, limit=None)
                if reply is None:
                    continue
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, server: ClusterDNS) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = self._server.handle(data, limit=65535)
        except Exception:  # the server must outlive any one packet
            log.exception("the cluster DNS failed to answer a packet from %s", addr)
            return
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("cluster DNS UDP socket error: %s", exc)


def _rotates(rrset: dns.rrset.RRset) -> bool:
    return rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and len(rrset) > 1


def _fit(response: dns.message.Message, limit: int) -> bytes:
    """miekg/dns `Msg.Truncate`: as many records as fit, answer then authority then
    additional, and TC set when any was left out."""
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        pass
    sections = [response.answer, response.authority, response.additional]
    flat = [
        (index, rrset, rdata)
        for index, section in enumerate(sections)
        for rrset in section
        for rdata in rrset
    ]

    def build(count: int) -> dns.message.Message:
        kept: list[list[dns.rrset.RRset]] = [[], [], []]
        for index, rrset, rdata in flat[:count]:
            same = [r for r in kept[index] if r.name == rrset.name and r.rdtype == rrset.rdtype]
            if same:
                same[0].add(rdata)
            else:
                kept[index].append(dns.rrset.from_rdata_list(rrset.name, rrset.ttl, [rdata]))
        message = dns.message.Message(id=response.id)
        message.flags = response.flags | dns.flags.TC
        message.set_rcode(response.rcode())
        message.question = response.question
        message.answer, message.authority, message.additional = kept
        if response.edns >= 0:
            message.use_edns(response.edns, response.ednsflags, response.payload)
        return message

    low, high = 0, len(flat)  # build(low) fits; find the most records that still fit
    while low < high:
        middle = (low + high + 1) // 2
        try:
            build(middle).to_wire(max_size=limit)
            low = middle
        except dns.exception.TooBig:
            high = middle - 1
    return build(low).to_wire(max_size=limit)


def _formerr(ident: int, flags: int) -> bytes:
    opcode_and_rd = flags & 0x7900  # keep the opcode and RD bits, as SetRcodeFormatError
    return _HEADER.pack(ident, _QR | opcode_and_rd | dns.rcode.FORMERR, 0, 0, 0, 0)


def _servfail(request: dns.message.Message) -> bytes:
    response = dns.message.make_response(request)
    response.flags &= ~dns.flags.RA
    response.set_rcode(dns.rcode.SERVFAIL)
    return response.to_wire()

"""SPDY/3.1 frames as kubectl's port-forward sends them, parsed by kubesim's codec, and the
frames kubesim answers with, read back by the layout of the SPDY/3 draft (section 2.2).
(That the real kubectl understands them is tests/scenarios/test_port_forward.py.)"""

from __future__ import annotations

import struct
import zlib

import pytest

from kubesim.apiserver import spdy


def _client_syn_stream(deflate: zlib._Compress, stream_id: int, headers: dict[str, str]) -> bytes:
    """What spdystream writes for a new stream: ids, priority and slot, the header block."""
    body = struct.pack(">IIH", stream_id, 0, 0) + spdy.header_block(deflate, headers)
    return struct.pack(">HHI", 0x8003, spdy.SYN_STREAM, len(body)) + body


def test_the_dictionary_is_spdy3s() -> None:
    assert len(spdy.DICTIONARY) == 1423  # the draft's dictionary, byte for byte in length
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


def test_streams_headers_and_data_parse_across_split_reads() -> None:
    deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
    wire = (
        _client_syn_stream(deflate, 1, {"streamtype": "error", "port": "80", "requestid": "0"})
        + spdy.Codec.data(1, b"", fin=True)
        + _client_syn_stream(deflate, 3, {"streamtype": "data", "port": "80", "requestid": "0"})
        + spdy.Codec.data(3, b"GET / HTTP/1.1\r\n\r\n")
        + struct.pack(">HHII", 0x8003, spdy.PING, 4, 7)
    )
    codec = spdy.Codec()
    frames = []
    for at in range(0, len(wire), 5):  # a WebSocket message boundary can fall anywhere
        frames += codec.feed(wire[at : at + 5])
    assert [(f.type, f.stream_id) for f in frames] == [
        (spdy.SYN_STREAM, 1),
        (0, 1),
        (spdy.SYN_STREAM, 3),
        (0, 3),
        (spdy.PING, 0),
    ]
    assert frames[0].headers == {"streamtype": "error", "port": "80", "requestid": "0"}
    assert frames[1].fin and not frames[3].fin
    assert frames[2].headers["streamtype"] == "data"  # the second block shares the context
    assert frames[3].data == b"GET / HTTP/1.1\r\n\r\n"
    assert frames[4].ping_id == 7


def test_replies_are_framed_as_the_draft_says() -> None:
    codec = spdy.Codec()
    reply = codec.syn_reply(5)
    version, kind, flags_length = struct.unpack(">HHI", reply[:8])
    assert (version, kind, flags_length >> 24) == (0x8003, spdy.SYN_REPLY, 0)
    assert flags_length & 0xFFFFFF == len(reply) - 8
    assert struct.unpack(">I", reply[8:12])[0] == 5
    inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)
    assert inflate.decompress(reply[12:]) == b"\x00\x00\x00\x00"  # no headers

    assert codec.data(5, b"hi", fin=True) == struct.pack(">II", 5, 0x01000002) + b"hi"
    assert codec.rst_stream(5, spdy.RST_REFUSED_STREAM) == struct.pack(">HHIII", 0x8003, 3, 8, 5, 3)
    assert codec.ping(9) == struct.pack(">HHII", 0x8003, 6, 4, 9)
    assert codec.goaway(7) == struct.pack(">HHIII", 0x8003, 7, 8, 7, 0)


def test_another_spdy_version_is_refused() -> None:
    frame = struct.pack(">HHII", 0x8002, spdy.PING, 4, 1)
    with pytest.raises(spdy.SpdyError, match="unsupported SPDY version 2"):
        spdy.Codec().feed(frame)


def test_a_truncated_control_frame_is_a_framing_error_not_a_crash() -> None:
    frame = struct.pack(">HHI", 0x8003, spdy.RST_STREAM, 2) + b"\x00\x01"  # 8 bytes expected
    with pytest.raises(spdy.SpdyError, match="malformed frame"):
        spdy.Codec().feed(frame)

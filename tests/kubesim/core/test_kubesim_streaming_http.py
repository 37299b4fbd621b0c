"""The streaming subresources' wire protocols, spoken by hand to an in-process server whose
`Hooks.streams` runs real commands on this host and dials a local echo server: every remote
command protocol's framing and error channel (v5, v4, v1 and base64), refusals before the
upgrade, the port-forward channel protocol and kubectl's SPDY tunnel.
(tests/scenarios drive the same paths with the real kubectl and Python client.)"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from kubesim.apiserver import spdy
from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.hooks import ContainerSession, StreamUnavailable
from kubesim.apiserver.server import Server
from kubesim.core.clock import FrozenClock
from kubesim.kubelet._exec import spawn
from kubesim.kubelet._process import ExecSpec
from kubesim.store.sqlite import Store

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXEC = "/api/v1/namespaces/default/pods/p/exec"


class HostContainer:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    async def exec(self, command: list[str], *, stdin: bool, tty: bool) -> ContainerSession:
        spec = ExecSpec(argv=command, cwd=str(self.cwd), env={"PATH": os.environ["PATH"]})
        return await spawn(spec, stdin=stdin, tty=tty)

    async def attach(self, *, stdin: bool, tty: bool) -> ContainerSession:
        raise OSError("not in this test")


class HostStreams:
    """The node: `app` runs commands here; `down` is a container that is not running."""

    def __init__(self, cwd: Path, echo_port: int) -> None:
        self.cwd = cwd
        self.echo_port = echo_port

    def container(self, pod: dict[str, Any], container: str) -> HostContainer:
        if container == "down":
            raise StreamUnavailable(f'container not found ("{container}")')
        return HostContainer(self.cwd)

    async def dial(
        self, pod: dict[str, Any], port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if port != 7:
            raise StreamUnavailable(f"failed to connect to localhost:{port}: connection refused")
        return await asyncio.open_connection("127.0.0.1", self.echo_port)

    def sandbox_id(self, pod: dict[str, Any]) -> str:
        return "f" * 64


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=FrozenClock())
    bootstrap(a)
    pods = a.resource("", "v1", "pods")
    for name, node in (("p", "kubelab-worker"), ("pending", "")):
        spec: dict[str, Any] = {
            "containers": [
                {"name": "app", "image": "busybox"},
                {"name": "down", "image": "busybox"},
            ]
        }
        if node:
            spec["nodeName"] = node
        a.create(pods, "default", {"metadata": {"name": name}, "spec": spec})
    yield a
    store.close()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest.fixture
async def client(api: Api, tmp_path: Path) -> AsyncIterator[TestClient]:
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    api.hooks.streams = HostStreams(tmp_path, echo.sockets[0].getsockname()[1])
    test_client = TestClient(TestServer(Server(api, token=TOKEN).app()))
    await test_client.start_server()
    yield test_client
    await test_client.close()
    echo.close()


async def _messages(ws: aiohttp.ClientWebSocketResponse) -> list[Any]:
    out = []
    async for msg in ws:
        out.append(msg.data)
    return out


def _query(command: str, **flags: str) -> str:
    words = "&".join(f"command={word}" for word in command.split())
    return f"{EXEC}?container=app&{words}&" + "&".join(f"{k}={v}" for k, v in flags.items())


@pytest.mark.parametrize(
    "protocol, status",
    [
        pytest.param(
            "v5.channel.k8s.io",
            {
                "metadata": {},
                "status": "Failure",
                "message": "command terminated with non-zero exit code: error executing "
                "command [sh -c echo out; echo err >&2; exit 3], exit code 3",
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
            },
            id="v5-status",
        ),
        pytest.param("v4.channel.k8s.io", "json", id="v4-status"),
        pytest.param(
            "channel.k8s.io",
            "command terminated with non-zero exit code: error executing command "
            "[sh -c echo out; echo err >&2; exit 3], exit code 3",
            id="v1-plain-text",
        ),
    ],
)
async def test_binary_protocols_frame_by_channel_and_end_with_the_error_channel(
    client: TestClient, protocol: str, status: Any
) -> None:
    url = _query("sh -c echo+out;+echo+err+>%262;+exit+3", stdout="true", stderr="true")
    async with client.ws_connect(url, headers=AUTH, protocols=[protocol]) as ws:
        assert ws.protocol == protocol
        frames = await _messages(ws)
    assert frames[0] == b"\x01"  # an empty message on stdout: the session is open
    by_channel: dict[int, bytes] = {}
    for frame in frames[1:]:
        by_channel[frame[0]] = by_channel.get(frame[0], b"") + frame[1:]
    assert by_channel[1] == b"out\n" and by_channel[2] == b"err\n"
    error = by_channel[3].decode()
    if status == "json":
        assert json.loads(error)["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    elif isinstance(status, dict):
        assert json.loads(error) == status
    else:
        assert error == status


async def test_base64_protocol_sends_text_frames_and_nothing_on_success(
    client: TestClient,
) -> None:
    url = _query("cat", stdin="true", stdout="true")
    async with client.ws_connect(url, headers=AUTH, protocols=["base64.channel.k8s.io"]) as ws:
        await ws.send_str("0" + base64.b64encode(b"hi there\n").decode())
        first = await ws.receive_str()
        assert first == "1"  # stdout's empty opening message
        echoed = await ws.receive_str()
        assert echoed[0] == "1" and base64.b64decode(echoed[1:]) == b"hi there\n"
        await ws.close()


async def test_v5_close_ends_stdin_and_a_success_status_follows(client: TestClient) -> None:
    url = _query("wc -c", stdin="true", stdout="true", stderr="true")
    async with client.ws_connect(url, headers=AUTH, protocols=["v5.channel.k8s.io"]) as ws:
        await ws.send_bytes(b"\x00" + b"x" * 1000)
        await ws.send_bytes(b"\xff\x00")  # close stdin
        frames = await _messages(ws)
    out = b"".join(f[1:] for f in frames if f[0] == 1)
    assert out.split() == [b"1000"]
    assert [f[1:] for f in frames if f[0] == 3] == [b'{"metadata":{},"status":"Success"}']


async def test_refusals_before_the_upgrade_use_the_servers_and_kubelets_words(
    client: TestClient,
) -> None:
    plain = await client.get(_query("true", stdout="true"), headers=AUTH)
    assert (plain.status, await plain.text()) == (400, "Upgrade request required\n")

    down = await client.get(
        _query("true", stdout="true").replace("container=app", "container=down"),
        headers={**AUTH, "Connection": "Upgrade", "Upgrade": "SPDY/3.1"},
    )
    assert (down.status, await down.text()) == (500, 'container not found ("down")')

    cases = {
        f"{EXEC}?command=true&stdout=true": "a container name must be specified for pod p, "
        "choose one of: [app down]",
        f"{EXEC}?container=nope&command=true&stdout=true": "container nope is not valid for pod p",
        f"{EXEC}?container=app&stdout=true": "you must specify at least one command for the "
        "container",
        f"{EXEC}?container=app&command=true": "you must specify at least 1 of stdin, stdout, stderr",
        "/api/v1/namespaces/default/pods/pending/exec?container=app&command=true&stdout=true": (
            "pod pending does not have a host assigned"
        ),
    }
    for url, message in cases.items():
        answer = await client.get(url, headers=AUTH)
        assert answer.status == 400, url
        assert (await answer.json())["message"] == message


async def test_kubectls_spdy_retry_gets_the_refusal_its_websocket_attempt_got(
    client: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kubectl retries a refused WebSocket upgrade over SPDY at once, and a crash-looping
    container may be up again by then (CI saw kubectl print kubesim's "WebSocket only"
    instead of `container not found`). On a node both attempts get the kubelet's verdict:
    so does the retry here, for a few seconds and for that container only."""
    streams = api.hooks.streams
    assert isinstance(streams, HostStreams)
    came_up = False
    refuse_down = streams.container

    def container(pod: dict[str, Any], name: str) -> HostContainer:
        return HostContainer(streams.cwd) if came_up else refuse_down(pod, name)

    monkeypatch.setattr(streams, "container", container)
    url = _query("true", stdout="true").replace("container=app", "container=down")
    spdy_retry = {**AUTH, "Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(url, headers=AUTH, protocols=("v5.channel.k8s.io",))
    assert refused.value.status == 500
    came_up = True  # the container's next start, between the two attempts

    retry = await client.get(url, headers=spdy_retry)
    assert (retry.status, await retry.text()) == (500, 'container not found ("down")')
    other = await client.get(url.replace("container=down", "container=app"), headers=spdy_retry)
    assert other.status == 400 and "WebSocket only" in await other.text()
    monkeypatch.setattr("kubesim.apiserver.streaming.RETRY_SECONDS", 0.0)
    later = await client.get(url, headers=spdy_retry)  # a new command, not a retry
    assert later.status == 400 and "WebSocket only" in await later.text()


async def test_a_command_that_cannot_start_is_an_internal_error_on_the_error_channel(
    client: TestClient,
) -> None:
    url = _query("no-such-command", stdout="true")
    async with client.ws_connect(url, headers=AUTH, protocols=["v4.channel.k8s.io"]) as ws:
        frames = await _messages(ws)
    status = json.loads(frames[-1][1:])
    assert status["reason"] == "InternalError" and status["code"] == 500
    assert 'exec: "no-such-command": executable file not found in $PATH' in status["message"]
    # containerd names its exec (64 hex digits) and its gRPC code ends the text, as on kind
    assert re.search(
        r'failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to '
        r'start container process: exec: "no-such-command": executable file not found in '
        r"\$PATH: unknown$",
        status["message"],
    ), status["message"]


async def test_a_name_found_only_where_it_cannot_run_is_not_found_in_path(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """runc looks the name up with Go's LookPath, which passes over a file it may not run
    (or a PATH entry it may not read, as a normal user with root's PATH has) and reports
    the name not found; Python's own search would say permission denied."""
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "no-such-command").write_text("#!/bin/sh\n")  # no execute bit
    monkeypatch.setenv("PATH", f"{shelf}{os.pathsep}{os.environ['PATH']}")
    url = _query("no-such-command", stdout="true")
    async with client.ws_connect(url, headers=AUTH, protocols=["v4.channel.k8s.io"]) as ws:
        frames = await _messages(ws)
    message = json.loads(frames[-1][1:])["message"]
    assert message.endswith(
        'exec: "no-such-command": executable file not found in $PATH: unknown'
    ), message


async def test_port_forward_channels_announce_the_port_and_carry_bytes(
    client: TestClient,
) -> None:
    url = "/api/v1/namespaces/default/pods/p/portforward?ports=7,8"
    async with client.ws_connect(url, headers=AUTH, protocols=["v4.channel.k8s.io"]) as ws:
        opening = [await ws.receive_bytes() for _ in range(4)]
        assert opening == [b"\x00\x07\x00", b"\x01\x07\x00", b"\x02\x08\x00", b"\x03\x08\x00"]
        refused = await ws.receive_bytes()
        assert refused[0] == 3
        assert refused[1:].decode() == (
            f"error forwarding port 8 to pod {'f' * 64}, uid : failed to connect to "
            "localhost:8: connection refused"
        )
        await ws.send_bytes(b"\x00ping")
        assert await ws.receive_bytes() == b"\x00ping"


async def test_spdy_tunnel_pairs_streams_by_request_and_closes_them_when_done(
    client: TestClient,
) -> None:
    url = "/api/v1/namespaces/default/pods/p/portforward"
    deflate = zlib.compressobj(zdict=spdy.DICTIONARY)

    def syn(stream_id: int, kind: str, port: int) -> bytes:
        headers = {"streamtype": kind, "port": str(port), "requestid": "0"}
        body = struct.pack(">IIH", stream_id, 0, 0) + spdy.header_block(deflate, headers)
        return struct.pack(">HHI", 0x8003, spdy.SYN_STREAM, len(body)) + body

    async with client.ws_connect(
        url, headers=AUTH, protocols=["SPDY/3.1+portforward.k8s.io"]
    ) as ws:
        assert ws.protocol == "SPDY/3.1+portforward.k8s.io"
        codec = spdy.Codec()  # parses the server's frames the same way it parses ours
        await ws.send_bytes(syn(1, "error", 7) + spdy.Codec.data(1, b"", fin=True))
        await ws.send_bytes(syn(3, "data", 7) + spdy.Codec.data(3, b"hello", fin=True))
        frames: list[spdy.Frame] = []
        while not any(f.type == 0 and f.stream_id == 1 and f.fin for f in frames):
            message = await asyncio.wait_for(ws.receive_bytes(), 5)
            frames += codec.feed(message)
        await ws.send_bytes(spdy.Codec().ping(1))
        pong = codec.feed(await asyncio.wait_for(ws.receive_bytes(), 5))
    assert [(f.type, f.stream_id) for f in frames if f.type == spdy.SYN_REPLY] == [(2, 1), (2, 3)]
    data = b"".join(f.data for f in frames if f.type == 0 and f.stream_id == 3)
    assert data == b"hello"  # echoed, then the data stream closed
    assert [f.fin for f in frames if f.type == 0 and f.stream_id == 3][-1]
    assert [f.data for f in frames if f.type == 0 and f.stream_id == 1] == [b""]  # no error
    assert [(f.type, f.ping_id) for f in pong] == [(spdy.PING, 1)]

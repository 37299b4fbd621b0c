"""Process lifecycle: state folder, TLS, store, HTTP server, kubeconfig, pid file, stop.

`serve()` runs in the foreground until SIGTERM/SIGINT: it prepares `DIR` (CA, server
certificate, token, `state.db`), binds (port 0 picks a free port, preferring the one the
previous run used), bootstraps a fresh cluster, writes the lab kubeconfig and
`DIR/kubesim.pid`, prints `kubesim: state in ...` and `kubesim: ready on https://...`, and
runs `Api.hooks.tasks` (the kubelets and the network that `kubesim.cluster.components.install`
plugs in) as asyncio tasks beside the server. The API port and `Api.hooks.control_plane`
(the controller manager and the scheduler) are one `ControlPlane`, which the
control-plane-down fault stops and starts (`kubesim.cluster.controlplane`, SIGUSR1/SIGUSR2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.certs import ensure_tls
from kubesim.apiserver.server import Server
from kubesim.apiserver.serviceaccount import service_account_key
from kubesim.apiserver.signer import ClusterSigner
from kubesim.client import timers
from kubesim.cluster import collector, components, controlplane
from kubesim.core.clock import UNOBSERVED_AFTER, Clock, VirtualClock, revision_hold
from kubesim.core.clusterconfig import control_plane_ip
from kubesim.store.sqlite import Store

log = logging.getLogger("kubesim")
NAME = "kubesim-kubelab"
COMPACT_EVERY = 60.0

Extension = Callable[[Api], None]

# kube-apiserver's http.Server (secure_serving.go): IdleTimeout 90 s, ReadHeaderTimeout
# 32 s (which in Go also bounds the TLS handshake), MaxHeaderBytes 1 MiB; and its
# --request-timeout (60 s) for a body that never finishes arriving.
IDLE_TIMEOUT = 90.0
HEADER_TIMEOUT = 32.0
APISERVER_PORT = 6443  # the in-cluster address's port, as kube-apiserver's --secure-port on kind
MAX_HEADER_BYTES = 1 << 20
REQUEST_TIMEOUT = 60.0


class _Site(web.SockSite):
    """A SockSite whose TLS handshake and first request line and headers must arrive
    within `header_timeout`, or the connection is closed (Go's ReadHeaderTimeout)."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        handler = self._runner.server
        assert handler is not None
        timeout = self._header_timeout

        def protocol() -> asyncio.Protocol:
            proto = handler()
            loop.call_later(timeout, _close_if_no_request, proto)
            return proto

        self._server = await loop.create_server(
            protocol,
            sock=self._sock,
            ssl=self._ssl_context,
            backlog=self._backlog,
            ssl_handshake_timeout=timeout,
        )


def _close_if_no_request(proto: Any) -> None:
    """A connection that has not sent one complete request head in time: dropped."""
    transport = getattr(proto, "transport", None)
    if transport is None or transport.is_closing():
        return
    # aiohttp's RequestHandler counts the request heads it has parsed; should a later
    # aiohttp not, leave the connection alone rather than guess
    count = getattr(proto, "_request_count", None)
    if count == 0 and not getattr(proto, "_messages", None):
        transport.close()


class _ClientFaults(logging.Filter):
    """aiohttp logs a malformed request (bad request line, headers too long) or a client
    that hangs up mid-stream with a traceback; both are the client's doing and normal on
    any server. Kept as one line, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            words = " ".join(str(getattr(exc, "message", "") or type(exc).__name__).split())
            record.msg = "kubesim: bad request refused (%s): %s"
            record.args = (exc.code, words[:200])
        elif isinstance(exc, ConnectionError | asyncio.CancelledError):
            record.msg, record.args = "kubesim: client hung up (%s)", (type(exc).__name__,)
        else:
            return True
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _quiet_client_faults() -> None:
    target = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _ClientFaults) for f in target.filters):
        target.addFilter(_ClientFaults())


def write_kubeconfig(path: Path, *, server: str, ca_pem: str, token: str) -> None:
    import base64

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": NAME,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem.encode()).decode(),
                },
            }
        ],
        "users": [{"name": NAME, "user": {"token": token}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": NAME}}],
        "current-context": NAME,
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _bind(host: str, port: int, state_dir: Path) -> socket.socket:
    """A listening socket: `port`, or (port 0) the previous run's port if free, else any."""
    candidates = [port]
    if port == 0:
        with contextlib.suppress(OSError, ValueError):
            candidates.insert(0, int((state_dir / "port").read_text()))
    last_error: OSError | None = None
    for candidate in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
            sock.listen(512)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    raise OSError(f"kubesim cannot listen on {host}:{port}: {last_error}")


def _default_extensions() -> list[Extension]:
    return [components.install]


async def serve(
    *,
    state_dir: Path,
    kubeconfig: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    time_scale: float = 1.0,
    virtual_time: bool = False,
    request_timeout: float = REQUEST_TIMEOUT,
    extensions: list[Extension] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    started = time.monotonic()
    state_dir.mkdir(parents=True, exist_ok=True)
    tls = ensure_tls(state_dir)
    db = state_dir / "state.db"
    print(f"kubesim: state in {db}", flush=True)
    store = Store(db)
    clock = (
        VirtualClock(scale=time_scale, unobserved_after=UNOBSERVED_AFTER)
        if virtual_time
        else Clock(scale=time_scale)
    )
    api = Api(
        store,
        clock=clock,
        root_ca=tls.ca_pem,
        service_account_key=service_account_key(state_dir),
        signer=ClusterSigner(tls.ca_cert, state_dir / "ca.key"),
    )
    bootstrap(api)
    for extend in extensions if extensions is not None else _default_extensions():
        extend(api)
    sock = _bind(host, port, state_dir)
    actual_port = sock.getsockname()[1]
    (state_dir / "port").write_text(str(actual_port))
    url = f"https://{host}:{actual_port}"
    server = Server(
        api,
        token=tls.token,
        # the advertise address, as kube-apiserver's /api says (the kubeconfig's port is the host's)
        server_address=f"{control_plane_ip()}:{APISERVER_PORT}",
        request_timeout=request_timeout,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls.server_cert, tls.server_key)
    # --client-ca-file: a client certificate the cluster CA signed names its user (the
    # CSR API issues them); kubectl's own kubeconfig still carries a token.
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(tls.ca_cert)
    runner = web.AppRunner(
        server.app(),
        # A client that hangs up ends its request, as Go's net/http cancels the request's
        # context for kube-apiserver: a watch or `logs -f` whose client left would otherwise
        # stay open until its next event or timeout, up to minutes on a quiet object (every
        # `kubectl wait` that returned), and hold the virtual clock observed all that while
        # (aiohttp's test server, which the in-process tests use, does the same)
        handler_cancellation=True,
        access_log=None,
        shutdown_timeout=2.0,
        keepalive_timeout=IDLE_TIMEOUT,
        max_field_size=MAX_HEADER_BYTES,
        max_line_size=MAX_HEADER_BYTES,
    )
    await runner.setup()
    _quiet_client_faults()
    sites: list[_Site] = []
    fresh = [sock]  # the first listen uses the socket bound above; a later one binds again
    in_cluster = _InCluster(runner, ctx, sites)
    in_cluster.install(api)

    async def listen() -> None:
        bound = fresh.pop() if fresh else _bind(host, actual_port, state_dir)
        site = _Site(runner, bound, ssl_context=ctx, header_timeout=HEADER_TIMEOUT)
        await site.start()
        sites.append(site)
        await in_cluster.listen()

    async def unlisten() -> None:
        # the ports close first (a new connection is refused, from the host and from pods),
        # then every open connection
        while sites:
            await sites.pop().stop()
        if runner.server is not None:
            await runner.server.shutdown(controlplane.CLOSE_GRACE)

    control_plane = controlplane.ControlPlane(
        api,
        state_dir=state_dir,
        loops=api.hooks.control_plane,
        listen=listen,
        unlisten=unlisten,
    )
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(t(api)) for t in api.hooks.tasks]
    tasks.append(asyncio.create_task(_compactor(api)))
    tasks.append(asyncio.create_task(collector.run()))  # short full GC passes
    if isinstance(clock, VirtualClock):
        clock.add_hold("store", revision_hold(lambda: store.revision))
        tasks.append(asyncio.create_task(timers.run_skipper(clock)))
    control_plane.handle_signals()  # before the pid file names us: SIGUSR1 must not kill
    await control_plane.start()
    write_kubeconfig(kubeconfig, server=url, ca_pem=tls.ca_pem, token=tls.token)
    (state_dir / "kubesim.pid").write_text(str(os.getpid()))
    print(f"kubesim: ready on {url} ({time.monotonic() - started:.2f}s)", flush=True)
    threading.Thread(target=_warm_schemas, name="kubesim-warmup", daemon=True).start()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await control_plane.shutdown()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
        store.close()
        with contextlib.suppress(FileNotFoundError):
            (state_dir / "kubesim.pid").unlink()
        print("kubesim: stopped", flush=True)


class _InCluster:
    """When the cluster network (the fabric) starts, the API server listens in it too, at the
    control-plane node's InternalIP:6443 (what the `kubernetes` Service's endpoints say, as on
    kind), with the same TLS: `kubernetes.default` then works from a pod. It listens only
    while the control plane is up, so a pod, like kubectl, is refused during an outage."""

    def __init__(self, runner: web.AppRunner, ctx: ssl.SSLContext, sites: list[_Site]) -> None:
        self.runner, self.ctx, self.sites = runner, ctx, sites
        self.fabric: Any = None

    def install(self, api: Api) -> None:
        listeners = getattr(getattr(api, "cluster", None), "fabric_listeners", None)
        if listeners is not None:
            listeners.append(self._fabric_started)

    async def _fabric_started(self, fabric: Any) -> None:
        self.fabric = fabric
        if self.sites:  # the control plane is up: listen now (else its next start does)
            await self.listen()

    async def listen(self) -> None:
        if self.fabric is None:
            return
        sock = self.fabric.listening_socket(control_plane_ip(), APISERVER_PORT)
        site = _Site(self.runner, sock, ssl_context=self.ctx, header_timeout=HEADER_TIMEOUT)
        await site.start()
        self.sites.append(site)


def _warm_schemas() -> None:
    """Load the 1.37 schema and build the OpenAPI documents off the event loop, so the
    first `kubectl apply` does not pay for them (they take seconds on a cold start)."""
    from kubesim.apiserver import admission as _admission
    from kubesim.apiserver import openapi as _openapi

    try:
        _openapi.index()
        _admission.validate(
            ("", "v1", "ConfigMap"),
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
            old=None,
            field_validation="Strict",
        )
    except Exception:  # warming is an optimisation; a real request reports real errors
        log.exception("kubesim: warming the schema failed")


async def _compactor(api: Api) -> None:
    while True:
        await asyncio.sleep(COMPACT_EVERY)
        try:
            api.compact()
        except Exception:  # a failed compaction must not stop the server
            log.exception("kubesim: compaction failed")


def _alive(pid: int) -> bool:
    """True while `pid` runs; an exited child not yet reaped (a zombie) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def stop_server(state_dir: Path, *, timeout: float = 10.0) -> bool:
    """SIGTERM the server recorded in `state_dir` and wait for it to exit."""
    pid_file = state_dir / "kubesim.pid"
    try:
        pid = int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    print(f"kubesim: process {pid} did not stop within {timeout:.0f}s", file=sys.stderr)
    return False

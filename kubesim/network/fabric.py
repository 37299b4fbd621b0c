"""The fabric: the cluster network, one network namespace that kubesim owns.

When the container world is on (`kubesim/kubelet/_world.py`) and `ip` and `nft` exist,
kubesim starts one long-lived agent (`_fabricagent.py`) with `unshare --net --mount --fork`
(plus `--user --map-root-user` when kubesim is not root). Its network namespace is the
cluster network, with **no uplink**: nothing in it has a route to the host's network or the
internet. In it:

* a bridge `kind0` with no ports, standing in for kind's docker network, holds every node's
  InternalIP (172.18.0.x) and the pods' gateway 169.254.1.1; the Service CIDR 10.96.0.0/16
  is routed locally (`local 10.96.0.0/16 dev kind0`), so a ClusterIP is an address here;
  `net.ipv4.ip_forward=1`;
* every pod has a sandbox, a process in a network namespace of its own (the pause
  container), wired Calico style with a **routed veth** and no bridge: the pod's `eth0`
  holds `POD_IP/32` with `169.254.1.1 dev eth0 scope link` and `default via 169.254.1.1`;
  the fabric's `veth<hash>` has `proxy_arp=1` and `POD_IP/32 dev veth<hash>`. So all
  pod-to-pod and pod-to-Service traffic is routed through the fabric namespace, where
  nftables' prerouting, forward and postrouting hooks see it. hostNetwork pods share the
  fabric namespace itself.

kubesim reaches in through sockets the agent creates in the fabric (or in one pod's sandbox)
and passes back over a unix socketpair (SCM_RIGHTS): probes, port-forward, the API server's
service and pod proxy and the in-cluster API address dial and listen with ordinary asyncio
code on them. `apply` replaces nftables tables inside the fabric (`nft -f -`), so the rules
keep working while the API server is down.

Errors (a tree, under OSError so callers that handle dial failures handle these):

    FabricError           the fabric could not be started, or a step in it failed
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from kubesim.network._netid import twin

AGENT = Path(__file__).resolve().parent / "_fabricagent.py"
BRIDGE = "kind0"
GATEWAY = "169.254.1.1"
SERVICE_CIDR = "10.96.0.0/16"
START_TIMEOUT = 20.0
TOOLS = ("unshare", "nsenter", "ip", "nft", "sleep")
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# Fabric sockets fetched per round trip to the agent. Every probe and Service dial a node
# makes needs one, and the round trip (a JSON request, SCM_RIGHTS, the agent's thread) was
# a fifth of an idle course cluster's CPU (docs/benchmarks.md); an unused socket is an
# idle descriptor, bound to the namespace it was made in like any other.
SPARE_SOCKETS = 16
FORCE_ENV = "KUBESIM_NETWORK"
LOOPBACK = "loopback"
FABRIC_DESCRIPTION = (
    "a cluster network of its own: every pod in its own network namespace with its pod IP "
    "on eth0 (a routed veth), no route out of the cluster network"
)
LOOPBACK_LOSS = (
    "pod and cluster IPs are loopback twins on this host's network: only Python programs "
    "see them (through a shim), a busybox pod cannot reach a Service or resolve its name, "
    "and a connection to any other address leaves for the host's real network"
)
# names for the class body, where the method `Fabric.socket` hides the module
Socket: TypeAlias = socket.socket
AF_INET = socket.AF_INET
SOCK_STREAM = socket.SOCK_STREAM


class FabricError(OSError):
    """The cluster network could not do what was asked; the message says what and why."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.strerror)


@dataclass(frozen=True)
class Sandbox:
    """A pod's network: the process holding its network namespace, and the fabric's user
    namespace a container must join first when kubesim is not root (only the namespace
    that owns the sandbox grants the rights to enter it)."""

    pid: int
    netns: str
    userns: str | None = None


def _which(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path=SYSTEM_PATH)


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if _which(tool) is None]


def unavailable_reason(contained: bool) -> str:
    """Why the fabric cannot be used here ("" when it can): it needs the container world
    (network namespaces) and the `ip` (iproute2) and `nft` (nftables) tools.
    `KUBESIM_NETWORK=loopback` keeps the shim (the benchmarks compare the two)."""
    if os.environ.get(FORCE_ENV) == LOOPBACK:
        return f"{FORCE_ENV}={LOOPBACK}"
    if not contained:
        return "the container world is off (process mode), so pods cannot have namespaces"
    missing = missing_tools()
    if missing:
        packages = {"ip": "iproute2", "nft": "nftables", "unshare": "util-linux"}
        names = ", ".join(f"`{t}` ({packages.get(t, 'coreutils')})" for t in missing)
        return f"{names} not installed"
    return ""


def describe(reason: str) -> dict[str, str]:
    """The network in force, for `/kubesim/v1/status` (`kubelab status`, `kubelab doctor`):
    the fabric, or the loopback shim with why and what that costs."""
    if not reason:
        return {"mode": "fabric", "description": FABRIC_DESCRIPTION}
    return {
        "mode": LOOPBACK,
        "reason": reason,
        "description": f"loopback shim ({reason}): {LOOPBACK_LOSS}",
    }


def veth_name(pod_uid: str) -> str:
    """The fabric side of a pod's veth: `veth` and 11 hex digits (IFNAMSIZ is 16)."""
    return "veth" + hashlib.sha256(pod_uid.encode()).hexdigest()[:11]


class Fabric:
    """The cluster network namespace and its agent; see the module docstring."""

    def __init__(self, *, node_ips: list[str], user_namespace: bool | None = None) -> None:
        self.node_ips = list(node_ips)
        self.user_namespace = os.geteuid() != 0 if user_namespace is None else user_namespace
        self.agent_pid = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        self._sockets: socket.socket | None = None
        self._control_lock = asyncio.Lock()
        self._socket_lock = threading.Lock()
        self._spare: dict[tuple[int, int], list[Socket]] = {}  # made in the fabric, unused
        self._sandboxes: dict[str, Sandbox] = {}
        self._pending: set[str] = set()  # pods whose sandbox was asked for
        self._tools = {tool: _which(tool) or tool for tool in TOOLS}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        control, control_agent = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sockets, sockets_agent = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ready_read, ready_write = os.pipe()
        user = ["--user", "--map-root-user"] if self.user_namespace else []
        passed = (control_agent.fileno(), sockets_agent.fileno(), ready_write)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                self._tools["unshare"], *user, "--net", "--mount", "--fork",
                "--kill-child=SIGKILL",
                sys.executable, "-I", "-S", str(AGENT), *map(str, passed),
                cwd="/",
                env={"PATH": SYSTEM_PATH},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                pass_fds=passed,
            )  # fmt: skip
        finally:
            control_agent.close()
            sockets_agent.close()
            os.close(ready_write)
        try:
            said = await asyncio.wait_for(_read_line(ready_read), START_TIMEOUT)
        except TimeoutError:
            said = ""
        if not said.startswith("ready "):
            await self._abort()
            control.close()
            sockets.close()
            raise FabricError(
                0,
                "the cluster network namespace could not be created: "
                + (await self._stderr() or "its agent did not start"),
            )
        self.agent_pid = int(said.split()[1])
        control.setblocking(False)
        self._control, self._sockets = control, sockets
        addresses = "".join(f"addr add {ip}/32 dev {BRIDGE}\n" for ip in self.node_ips)
        await self._ip(
            "link set lo up\n"
            f"link add {BRIDGE} type bridge\n"
            f"link set {BRIDGE} up\n"
            f"{addresses}"
            f"addr add {GATEWAY}/32 dev {BRIDGE}\n"
            f"route add local {SERVICE_CIDR} dev {BRIDGE}\n"
        )
        for name, value in (("net.ipv4.ip_forward", 1), ("net.ipv4.icmp_ratelimit", 0)):
            # no rate limit on "network unreachable": every pod's dial out fails at once
            await self._request({"op": "sysctl", "name": name, "value": value})

    async def close(self) -> None:
        for sock in (self._control, self._sockets):
            if sock is not None:
                sock.close()
        self._control = self._sockets = None
        with self._socket_lock:
            for spare in self._spare.values():
                for unused in spare:
                    unused.close()
            self._spare.clear()
        self._sandboxes.clear()
        await self._abort()

    async def _abort(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            await self._proc.wait()

    async def _stderr(self) -> str:
        if self._proc is None or self._proc.stderr is None:
            return ""
        with contextlib.suppress(TimeoutError):
            data = await asyncio.wait_for(self._proc.stderr.read(), 2.0)
            return data.decode("utf-8", "replace").strip()
        return ""

    # -- the control channel ---------------------------------------------------------------

    async def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._control is None:
            raise FabricError(0, "the cluster network is not running")
        control = self._control
        loop = asyncio.get_running_loop()

        async def exchange() -> bytes:
            async with self._control_lock:
                await loop.sock_sendall(control, json.dumps(request).encode())
                return await loop.sock_recv(control, 1 << 20)

        # shielded: a caller cancelled mid-way must not leave its reply for the next caller
        data = await asyncio.shield(asyncio.ensure_future(exchange()))
        if not data:
            raise FabricError(0, "the cluster network's agent has stopped")
        reply: dict[str, Any] = json.loads(data)
        if not reply.get("ok"):
            raise FabricError(0, str(reply.get("error") or "failed").strip())
        return reply

    async def _run(self, tool: str, *args: str, script: str, failure: str) -> None:
        """`tool args` inside the fabric with `script` on its stdin; its error after `failure`."""
        try:
            await self._request({"op": "run", "argv": [self._tools[tool], *args], "input": script})
        except FabricError as exc:
            raise FabricError(0, f"{failure}: {exc.strerror}") from exc

    async def _ip(self, script: str) -> None:
        await self._run(
            "ip", "-batch", "-", script=script, failure="configuring the cluster network failed"
        )

    async def apply(self, script: str) -> None:
        """Run an nftables transaction (`nft -f -`) inside the fabric; its error is nft's."""
        await self._run("nft", "-f", "-", script=script, failure="nft refused the rules")

    async def sandbox(self, pod_uid: str, pod_ip: str) -> Sandbox:
        """A network namespace for the pod with its routed veth: one agent round trip."""
        self._pending.add(pod_uid)  # a release from now on reaches the agent after this
        reply = await self._request(
            {
                "op": "sandbox",
                "uid": pod_uid,
                "ip": pod_ip,
                "veth": veth_name(pod_uid),
                "sleep": self._tools["sleep"],
                "ip_tool": self._tools["ip"],
            }
        )
        pid = int(reply["pid"])
        box = Sandbox(pid=pid, netns=f"/proc/{pid}/ns/net", userns=self._userns())
        self._sandboxes[pod_uid] = box
        return box

    def host_sandbox(self) -> Sandbox:
        """hostNetwork pods share the fabric namespace itself (their node's address)."""
        return Sandbox(
            pid=self.agent_pid, netns=f"/proc/{self.agent_pid}/ns/net", userns=self._userns()
        )

    def _userns(self) -> str | None:
        return f"/proc/{self.agent_pid}/ns/user" if self.user_namespace else None

    async def release(self, pod_uid: str) -> None:
        """End the pod's sandbox; its namespace, veth and route go with its last process."""
        known = self._sandboxes.pop(pod_uid, None) is not None or pod_uid in self._pending
        self._pending.discard(pod_uid)
        if not known or self._control is None:
            return
        with contextlib.suppress(FabricError):
            await self._request({"op": "release", "uid": pod_uid})

    # -- sockets inside ----------------------------------------------------------------------

    def socket(
        self,
        family: int = AF_INET,
        type: int = SOCK_STREAM,  # noqa: A002 - socket.socket's own name for it
        *,
        pod_uid: str | None = None,
    ) -> Socket:
        """A socket created inside the fabric (or inside pod `pod_uid`'s sandbox): the
        fabric's own come from a spare few fetched at once, a pod's one at a time (only
        port-forward asks for them)."""
        with self._socket_lock:
            if pod_uid:
                return self._fetch(int(family), int(type), pod_uid, 1)[0]
            spare = self._spare.setdefault((int(family), int(type)), [])
            if not spare:
                spare.extend(self._fetch(int(family), int(type), "", SPARE_SOCKETS))
            return spare.pop()

    def _fetch(self, family: int, type: int, pod_uid: str, count: int) -> list[Socket]:  # noqa: A002
        """`count` new sockets from the agent, in one round trip (under the socket lock)."""
        if self._sockets is None:
            raise FabricError(0, "the cluster network is not running")
        request = json.dumps({"family": family, "type": type, "uid": pod_uid, "count": count})
        self._sockets.send(request.encode())
        data, fds, _flags, _addr = socket.recv_fds(self._sockets, 4096, count)
        if not data:
            raise FabricError(0, "the cluster network's agent has stopped")
        reply = json.loads(data)
        if not reply.get("ok"):
            code = int(reply.get("errno") or 0)
            raise FabricError(code, os.strerror(code) if code else "no socket")
        for fd in fds:
            os.set_inheritable(fd, False)
        return [socket.socket(fileno=fd) for fd in fds]

    def socket_factory(self, addrinfo: tuple[Any, ...]) -> Socket:
        """For aiohttp's `TCPConnector(socket_factory=...)`: its sockets, made inside."""
        return self.socket(addrinfo[0], addrinfo[1])

    async def open_connection(
        self, host: str, port: int, *, pod_uid: str | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect from the fabric (a node) or from inside a pod's sandbox (port-forward's
        `localhost`) to `host:port`."""
        sock = self.socket(socket.AF_INET, socket.SOCK_STREAM, pod_uid=pod_uid)
        try:
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
        except BaseException:
            sock.close()
            raise
        return await asyncio.open_connection(sock=sock)

    def listening_socket(
        self,
        host: str,
        port: int,
        *,
        type: int = SOCK_STREAM,  # noqa: A002
    ) -> Socket:
        """A socket bound to `host:port` inside the fabric (listening, for TCP)."""
        return _listening(self.socket(socket.AF_INET, type), (host, port))


class PodNet(Protocol):
    """How kubesim dials and listens on the pod network: `Fabric` or `LoopbackNet`."""

    async def open_connection(
        self, host: str, port: int, *, pod_uid: str | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]: ...

    def listening_socket(self, host: str, port: int, *, type: int = ...) -> Socket: ...  # noqa: A002


class LoopbackNet:
    """Process mode's pod network (no fabric): pod and cluster IPs at their loopback twins
    (see _netid), with the same methods kubesim dials through as `Fabric`."""

    def __init__(self, net_id: int) -> None:
        self.net_id = net_id

    async def open_connection(
        self, host: str, port: int, *, pod_uid: str | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if pod_uid is not None and host == "127.0.0.1":
            raise FabricError(0, "process mode has no pod-local loopback")
        return await asyncio.open_connection(twin(host, self.net_id), port)

    def listening_socket(
        self,
        host: str,
        port: int,
        *,
        type: int = SOCK_STREAM,  # noqa: A002
    ) -> Socket:
        return _listening(socket.socket(socket.AF_INET, type), (twin(host, self.net_id), port))

    def address(self, host: str) -> str:
        return twin(host, self.net_id)


def _listening(sock: Socket, address: tuple[str, int]) -> Socket:
    """`sock` bound to `address`, listening if it is a stream, non-blocking for the event
    loop; closed if any step fails, so a refused bind leaks no descriptor."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if sock.type == socket.SOCK_STREAM:
            sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


async def _read_line(fd: int) -> str:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        return (await reader.readline()).decode("utf-8", "replace")
    finally:
        transport.close()


def _die_with_parent() -> None:
    """The fabric must not outlive a `kill -9`ed kubesim."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL

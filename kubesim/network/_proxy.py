"""kube-proxy for one host: a TCP forwarder per Service port, balancing over ready endpoints.

Each Service port gets a listener on its cluster IP inside the cluster network (the fabric's
sockets) or, in process mode, on the loopback twin of it (see _netid); each accepted connection goes to one ready endpoint, chosen at random as
kube-proxy's iptables mode does, and bytes are copied both ways. A Service with no ready
endpoint refuses the connection (kube-proxy's REJECT rule: "connection refused").
The API server's service proxy resolves through `pick` too, so both paths agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from kubesim.network.fabric import LoopbackNet, PodNet


@dataclass(frozen=True)
class Endpoint:
    ip: str  # the pod IP as Kubernetes shows it (10.244.X.Y)
    port: int


Key = tuple[str, int]  # (cluster IP, service port)


class ServiceProxy:
    """Listeners for every Service port; `sync` makes them match the desired table."""

    def __init__(
        self,
        *,
        net_id: int = 0,
        choose: Callable[[list[Endpoint]], Endpoint] | None = None,
        net: PodNet | None = None,
    ) -> None:
        self.net_id = net_id
        # where listeners bind and connections go: the fabric's sockets, or loopback twins
        self.net: PodNet = net or LoopbackNet(net_id)
        self._servers: dict[Key, asyncio.Server] = {}
        self._endpoints: dict[Key, list[Endpoint]] = {}
        self._choose = choose or random.choice

    def pick(self, cluster_ip: str, port: int) -> Endpoint | None:
        ready = self._endpoints.get((cluster_ip, port)) or []
        return self._choose(ready) if ready else None

    async def sync(self, table: dict[Key, list[Endpoint]], *, listen: bool = True) -> None:
        """Open listeners for new service ports, close removed ones, swap endpoint lists.
        Without `listen` only the table is kept (for `pick`): kernel rules carry the traffic."""
        self._endpoints = {key: list(eps) for key, eps in table.items()}
        for key in list(self._servers):
            if key not in table or not listen:
                server = self._servers.pop(key)
                server.close()
        for key in table if listen else ():
            if key not in self._servers:
                ip, port = key
                with contextlib.suppress(OSError):
                    sock = self.net.listening_socket(ip, port)
                    self._servers[key] = await asyncio.start_server(self._handler(key), sock=sock)

    def _handler(self, key: Key):  # type: ignore[no-untyped-def]
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            endpoint = self.pick(*key)
            if endpoint is None:
                writer.close()
                return
            try:
                up_reader, up_writer = await self.net.open_connection(endpoint.ip, endpoint.port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))

        return handle

    async def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()

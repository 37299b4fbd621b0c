"""The pod network for a Python container process, loaded at interpreter start-up.

kubesim runs every pod on this one host, so it cannot give pods real network namespaces
without root. Linux routes all of 127.0.0.0/8 to loopback, which gives each pod an address of
its own instead: pod IP 10.244.X.Y lives at 127.244.X.Y, and a Service's cluster IP
10.96.X.Y at 127.96.X.Y, where kubesim's kube-proxy stand-in listens and forwards to ready
endpoints. This shim (on PYTHONPATH as `sitecustomize`) makes the process see the pod's view:
binding to 0.0.0.0 binds the pod's address, connecting to a pod or cluster IP reaches its
loopback twin, and service names resolve through the cluster DNS records kubesim writes.

Its configuration: in a container world, `netshim.json` beside this file in the image's site
dir (the container's environment stays exactly the pod's); in process mode, the KUBESIM_*
variables. Nothing here runs unless one of them names the pod's IP.
"""

from __future__ import annotations

import json
import os
import socket


def _config() -> dict[str, str]:
    try:
        with open(os.path.join(os.path.dirname(__file__), "netshim.json"), encoding="utf-8") as f:
            return dict(json.load(f))
    except (OSError, ValueError):
        return dict(os.environ)


_CONFIG = _config()
_POD_IP = _CONFIG.get("KUBESIM_POD_IP", "")
_HOSTS_FILE = _CONFIG.get("KUBESIM_HOSTS", "")
_SEARCH = _CONFIG.get("KUBESIM_SEARCH", "").split()
_NET_ID = int(_CONFIG.get("KUBESIM_NET_ID", "0") or 0)


# Kept standalone (a twin of kubesim.network._netid.twin): sitecustomize runs before any
# package can be imported, in a process that must not pay for importing kubesim.
def _loopback_twin(address: str) -> str:
    parts = address.split(".")
    if len(parts) == 4 and parts[0] == "10":
        if parts[1] == "244":
            return f"127.{100 + _NET_ID}.{parts[2]}.{parts[3]}"
        if parts[1] == "96":
            return f"127.{160 + _NET_ID}.{parts[2]}.{parts[3]}"
    return address


def _records() -> dict[str, str]:
    records: dict[str, str] = {}
    try:
        with open(_HOSTS_FILE, encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                for name in fields[1:]:
                    records[name.lower()] = fields[0]
    except OSError:
        pass
    return records


def _resolve(host: str) -> str | None:
    name = host.lower().rstrip(".")
    records = _records()
    if name in records:
        return records[name]
    for suffix in _SEARCH:
        candidate = f"{name}.{suffix}"
        if candidate in records:
            return records[candidate]
    return None


def _install() -> None:
    pod_loopback = _loopback_twin(_POD_IP)
    real_bind = socket.socket.bind
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname

    def _map_bind(address):  # type: ignore[no-untyped-def]
        if isinstance(address, tuple) and address and address[0] in ("", "0.0.0.0", _POD_IP):
            return (pod_loopback, *address[1:])
        return address

    def _map_connect(address):  # type: ignore[no-untyped-def]
        if isinstance(address, tuple) and address and isinstance(address[0], str):
            return (_loopback_twin(address[0]), *address[1:])
        return address

    def bind(self, address):  # type: ignore[no-untyped-def]
        if (
            self.family == socket.AF_INET6
            and isinstance(address, tuple)
            and address[0] in ("", "::")
        ):
            raise OSError(97, "IPv6 is not available in this pod network (kubesim); bind 0.0.0.0")
        return real_bind(self, _map_bind(address))

    def connect(self, address):  # type: ignore[no-untyped-def]
        return real_connect(self, _map_connect(address))

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        return real_connect_ex(self, _map_connect(address))

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str):
            ip = _resolve(host)
            if ip is not None:
                host = ip
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):  # type: ignore[no-untyped-def]
        ip = _resolve(host)
        return ip if ip is not None else real_gethostbyname(host)

    socket.socket.bind = bind  # type: ignore[method-assign]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname


if _POD_IP:
    _install()

"""A throwaway cluster network for testing nftables rules: run as a script inside
``unshare --user --map-root-user --net --mount --fork`` (see `NetLab`), it makes its own
network namespace the fabric and each pod a further namespace behind a routed veth, the
way issue 16's design lays them out:

    pod netns: lo, eth0 = POD_IP/32, 169.254.1.1 dev eth0 scope link, default via 169.254.1.1
    fabric:    veth<n> (proxy_arp=1) with POD_IP/32 dev veth<n>, ip_forward=1, and kind0 (a
               bridge without ports: this kernel has no dummy device) holding the node IPs,
               169.254.1.1, 10.96.0.10 (the cluster DNS kubesim serves itself) and the
               route to the Service CIDR

It has no uplink: nothing it does reaches the host's network. It reads one JSON command a
line on stdin and answers one JSON line on stdout:

    {"op": "pod", "name": "web-1", "ip": "10.244.1.5"}
    {"op": "listen", "pod": "web-1" | null, "port": 8080, "proto": "tcp", "host": "0.0.0.0"}
                                                       answers "<pod or fabric> <peer ip>"
    {"op": "apply", "script": "..."}                                 nft -f - in the fabric
    {"op": "connect", "pod": "client" | null, "ip": ..., "port": ..., "proto": "tcp"}
                                                       null: from the fabric itself
Standard library only.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
pods: dict[str, tuple[subprocess.Popen[bytes], str]] = {}


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def in_pod(pod: str | None, fn: Callable[[], T]) -> T:
    """fn() on a fresh thread that has entered the pod's network namespace first."""
    if pod is None:
        return fn()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            with open(f"/proc/{pods[pod][0].pid}/ns/net") as ns:
                if _libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def fabric() -> None:
    with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
        f.write("1")
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "name", "kind0", "type", "bridge")
    sh("ip", "link", "set", "kind0", "up")
    for address in ("172.18.0.2", "172.18.0.3", "172.18.0.4", "169.254.1.1", "10.96.0.10"):
        sh("ip", "addr", "add", f"{address}/32", "dev", "kind0")
    sh("ip", "route", "add", "10.96.0.0/16", "dev", "kind0")


def add_pod(name: str, ip: str) -> dict[str, Any]:
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])
    veth = f"veth{len(pods)}"
    for _ in range(100):  # until unshare has made the namespace
        if os.readlink(f"/proc/{holder.pid}/ns/net") != os.readlink("/proc/self/ns/net"):
            break
        threading.Event().wait(0.01)
    sh(
        "ip",
        "link",
        "add",
        "name",
        veth,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        str(holder.pid),
    )
    sh("ip", "link", "set", veth, "up")
    sh("ip", "route", "add", f"{ip}/32", "dev", veth)
    with open(f"/proc/sys/net/ipv4/conf/{veth}/proxy_arp", "w") as f:
        f.write("1")
    pod_side = [
        "ip link set lo up",
        f"ip addr add {ip}/32 dev eth0",
        "ip link set eth0 up",
        "ip route add 169.254.1.1 dev eth0 scope link",
        "ip route add default via 169.254.1.1 dev eth0",
    ]
    for command in pod_side:
        sh("nsenter", "-t", str(holder.pid), "-n", *command.split())
    pods[name] = (holder, ip)
    return {"ok": True}


def listen(pod: str | None, port: int, proto: str, host: str) -> dict[str, Any]:
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM

    def make() -> socket.socket:
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        if proto == "tcp":
            sock.listen(64)
        return sock

    sock = in_pod(pod, make)  # the socket keeps the pod's namespace
    me = pod or "fabric"

    def serve() -> None:
        while True:
            if proto == "tcp":
                conn, peer = sock.accept()
                with conn:
                    conn.sendall(f"{me} {peer[0]}".encode())
            else:
                _data, peer = sock.recvfrom(512)
                sock.sendto(f"{me} {peer[0]}".encode(), peer)

    threading.Thread(target=serve, daemon=True).start()
    return {"ok": True}


def connect(pod: str | None, ip: str, port: int, proto: str, timeout: float) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect((ip, port))
                if proto == "udp":
                    sock.send(b"hello")
                return {"ok": sock.recv(512).decode()}
            except TimeoutError:
                return {"error": "timeout"}
            except OSError as exc:
                return {"error": errno.errorcode.get(exc.errno or 0, str(exc))}

    return in_pod(pod, attempt)


def apply(script: str) -> dict[str, Any]:
    done = subprocess.run(["nft", "-f", "-"], input=script, text=True, capture_output=True)
    return {"ok": done.returncode == 0, "stderr": done.stderr}


def main() -> None:
    fabric()
    print(json.dumps({"ok": "ready"}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd.pop("op")
        try:
            if op == "pod":
                answer = add_pod(cmd["name"], cmd["ip"])
            elif op == "listen":
                answer = listen(
                    cmd.get("pod"), cmd["port"], cmd.get("proto", "tcp"), cmd.get("host", "0.0.0.0")
                )
            elif op == "apply":
                answer = apply(cmd["script"])
            elif op == "connect":
                answer = connect(
                    cmd.get("pod"),
                    cmd["ip"],
                    cmd["port"],
                    cmd.get("proto", "tcp"),
                    cmd.get("timeout", 1.0),
                )
            else:
                answer = {"error": f"unknown op {op}"}
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else ""
            answer = {"error": f"{exc} {detail!r}"}
        print(json.dumps(answer), flush=True)
    for holder, _ip in pods.values():
        holder.kill()
        holder.wait()


if __name__ == "__main__":
    main()

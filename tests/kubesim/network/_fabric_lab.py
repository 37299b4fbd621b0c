"""A throwaway fabric for data-plane tests: real namespaces, routed veths, nftables.

`FabricLab()` starts this file as a program inside ``unshare --user --map-root-user --net
--mount --pid --fork``; its network namespace becomes the fabric and each pod a further
namespace behind a routed veth, the way issue 16's design lays them out:

    pod netns: lo, eth0 = POD_IP/32, 169.254.1.1 dev eth0 scope link, default via 169.254.1.1
    fabric:    veth<n> (proxy_arp=1) with POD_IP/32 dev veth<n>, ip_forward=1, and kind0 (a
               bridge without ports: this kernel has no dummy device) holding the node IPs
               172.18.0.2-4, 169.254.1.1, 10.96.0.10 (the cluster DNS kubesim serves itself)
               and the route to the Service CIDR 10.96.0.0/16

It has no uplink: nothing it does reaches the host's network. Then, from the test:

    lab.add_pod("web-1", "10.244.1.5")
    lab.listen("web-1", 8080, proto="tcp")   None for the fabric's own sockets; a listener
                                             answers "<its name> <peer ip>", then echoes
    lab.apply(script)                        nft -f - in the fabric (RuntimeError if refused)
    lab.connect("client", ip, port)          -> the answer, or "timeout", "ECONNREFUSED", ...
    lab.probe([(src, dst, port, proto)])     -> "ok:<who answered>" | "timeout" | "refused"
    nft_check(script)                        `nft -c` alone, without a lab

`probe` runs its connections concurrently, so a batch of dropped ones costs one timeout; its
`proto` "hold" opens a TCP connection and keeps it, and "poke" then sends a byte more on it
(answered by the echo), to show what happens to established connections. Sockets are made
by threads that enter the pod's network namespace (setns), so every pod is one `sleep`.
Standard library only: this file is also the program that runs inside the namespaces.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
TOOLS = ("unshare", "nsenter", "ip", "nft", "sleep")
FABRIC_ADDRESSES = ("172.18.0.2", "172.18.0.3", "172.18.0.4", "169.254.1.1", "10.96.0.10")
SERVICE_CIDR = "10.96.0.0/16"
CLONE_NEWNET = 0x40000000


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool, path=SBIN_PATH) is None]


def nft_check(script: str) -> subprocess.CompletedProcess[str]:
    """`nft -c` on the script in a throwaway network namespace: whether the kernel takes it."""
    argv = ["unshare", "--user", "--map-root-user", "--net", "nft", "-c", "-f", "-"]
    env = {**os.environ, "PATH": SBIN_PATH}
    return subprocess.run(argv, input=script, capture_output=True, text=True, timeout=30, env=env)


class FabricLab:
    """The test's handle on the lab process (one JSON request and answer a line)."""

    def __init__(self) -> None:
        argv = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork"]
        argv += ["--mount-proc", "--kill-child", sys.executable, "-u", str(Path(__file__))]
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PATH": SBIN_PATH},
        )
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if line.strip() != '{"ok": "ready"}':
            self.close()
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise RuntimeError(f"the fabric lab did not start: {line!r} {err.strip()}")

    def _ask(self, op: str, **args: Any) -> dict[str, Any]:
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the fabric lab ended early")
        answer: dict[str, Any] = json.loads(line)
        if "failed" in answer:
            raise RuntimeError(f"the fabric lab could not {op}: {answer['failed']}")
        return answer

    def add_pod(self, name: str, ip: str) -> None:
        self._ask("pod", name=name, ip=ip)

    def listen(
        self,
        pod: str | None,
        port: int,
        *,
        proto: str = "tcp",
        host: str = "0.0.0.0",
        name: str | None = None,
    ) -> None:
        """Serve `port` in the pod (None: in the fabric), answering as `name` (by default
        the pod's name, or "fabric")."""
        self._ask("listen", pod=pod, port=port, proto=proto, host=host, name=name)

    def apply(self, script: str) -> None:
        answer = self._ask("apply", script=script)
        if answer["stderr"]:
            raise RuntimeError(f"nft refused the script: {answer['stderr']}")

    def ruleset(self) -> str:
        return str(self._ask("list")["ruleset"])

    def connect(
        self, pod: str | None, ip: str, port: int, *, proto: str = "tcp", timeout: float = 1.0
    ) -> str:
        """One connection: the listener's answer, or what went wrong ("timeout", an errno name)."""
        answer = self._ask("connect", pod=pod, ip=ip, port=port, proto=proto, timeout=timeout)
        return str(answer.get("ok") or answer.get("error"))

    def probe(self, probes: list[tuple[str, str, int, str]], *, timeout: float = 1.0) -> list[str]:
        """Connections at once, each `(src, dst, port, proto)` with src a pod or "node" (the
        fabric's own sockets, as kubelet probes are): "ok:<who answered>" or the failure."""
        results = self._ask("probe", probes=probes, timeout=timeout)["results"]
        return [_verdict(r) for r in results]

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> FabricLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _verdict(result: dict[str, str]) -> str:
    if "ok" in result:
        return "ok:" + result["ok"].split(" ")[0]
    error = result["error"]
    return {"timeout": "timeout", "ECONNREFUSED": "refused"}.get(error, f"error:{error}")


# --- inside the namespaces ---------------------------------------------------------------


_libc = ctypes.CDLL(None, use_errno=True)
pods: dict[str, subprocess.Popen[bytes]] = {}
held: dict[tuple[str | None, str, int], socket.socket] = {}


def sh(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise OSError(f"{' '.join(argv)}: {done.stderr.strip()}")


def in_pod(pod: str | None, fn: Callable[[], T]) -> T:
    """fn() on a fresh thread that has entered the pod's network namespace first."""
    if pod is None:
        return fn()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            with open(f"/proc/{pods[pod].pid}/ns/net") as ns:
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
    for address in FABRIC_ADDRESSES:
        sh("ip", "addr", "add", f"{address}/32", "dev", "kind0")
    sh("ip", "route", "add", SERVICE_CIDR, "dev", "kind0")


def add_pod(name: str, ip: str) -> dict[str, Any]:
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])
    veth = f"veth{len(pods)}"
    for _ in range(100):  # until unshare has made the namespace
        if os.readlink(f"/proc/{holder.pid}/ns/net") != os.readlink("/proc/self/ns/net"):
            break
        threading.Event().wait(0.01)
    sh("ip", "link", "add", "name", veth, "type", "veth", "peer", "name", "eth0", "netns", str(holder.pid))  # fmt: skip
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
    pods[name] = holder
    return {}


def listen(pod: str | None, port: int, proto: str, host: str, name: str | None) -> dict[str, Any]:
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM

    def make() -> socket.socket:
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        if proto == "tcp":
            sock.listen(64)
        return sock

    sock = in_pod(pod, make)  # the socket keeps the pod's namespace
    me = name or pod or "fabric"

    def talk(conn: socket.socket, peer: str) -> None:
        """Say who answers and who asked, then echo until the client hangs up (a held one)."""
        with conn:
            conn.sendall(f"{me} {peer}".encode())
            while data := conn.recv(100):
                conn.sendall(data)

    def serve() -> None:
        while True:
            if proto == "tcp":
                conn, peer = sock.accept()
                threading.Thread(target=talk, args=(conn, peer[0]), daemon=True).start()
            else:
                _data, peer = sock.recvfrom(512)
                sock.sendto(f"{me} {peer[0]}".encode(), peer)

    threading.Thread(target=serve, daemon=True).start()
    return {}


def connect(pod: str | None, ip: str, port: int, proto: str, timeout: float) -> dict[str, str]:
    """{"ok": the answer} or {"error": "timeout" or the errno's name}; "hold" keeps the TCP
    connection open and "poke" sends a byte more on the held one."""

    def attempt() -> str:
        if proto == "poke":
            sock = held[(pod, ip, port)]
            sock.sendall(b"x")
            return sock.recv(512).decode()
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.settimeout(timeout)
            sock.connect((ip, port))
            if proto == "udp":
                sock.send(b"hello")
            answer = sock.recv(512).decode()
        except BaseException:
            sock.close()
            raise
        if proto == "hold":
            held[(pod, ip, port)] = sock
        else:
            sock.close()
        return answer

    try:
        return {"ok": in_pod(pod, attempt)}
    except TimeoutError:
        return {"error": "timeout"}
    except OSError as exc:
        return {"error": errno.errorcode.get(exc.errno or 0, str(exc))}


def probe(probes: list[list[Any]], timeout: float) -> dict[str, Any]:
    results: list[dict[str, str]] = [{}] * len(probes)

    def run(i: int, src: str, dst: str, port: int, proto: str) -> None:
        results[i] = connect(None if src == "node" else src, dst, port, proto, timeout)

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(probes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"results": results}


def handle(cmd: dict[str, Any]) -> dict[str, Any]:
    op = cmd.pop("op")
    if op == "pod":
        return add_pod(cmd["name"], cmd["ip"])
    if op == "listen":
        return listen(cmd["pod"], cmd["port"], cmd["proto"], cmd["host"], cmd["name"])
    if op == "apply":
        done = subprocess.run(
            ["nft", "-f", "-"], input=cmd["script"], text=True, capture_output=True
        )
        return {"stderr": done.stderr.strip() if done.returncode else ""}
    if op == "list":
        done = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True)
        return {"ruleset": done.stdout}
    if op == "connect":
        return connect(cmd["pod"], cmd["ip"], cmd["port"], cmd["proto"], cmd["timeout"])
    if op == "probe":
        return probe(cmd["probes"], cmd["timeout"])
    return {"failed": f"unknown op {op}"}


def main() -> None:
    os.environ.pop("PYTHONSTARTUP", None)
    fabric()
    print(json.dumps({"ok": "ready"}), flush=True)
    for line in sys.stdin:
        try:
            answer = handle(json.loads(line))
        except OSError as exc:
            answer = {"failed": str(exc)}
        print(json.dumps(answer), flush=True)
    for holder in pods.values():
        holder.kill()
        holder.wait()


if __name__ == "__main__":
    main()

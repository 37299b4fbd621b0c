"""A throwaway routed pod network for data-plane tests: real namespaces, veths, nftables.

`NetnsLab(pods, local=[...])` starts one process in a new user + network namespace (the
"fabric": ip_forward on, one `/32` route per pod, as the cluster network routes them). Each
pod is a child process in a network namespace of its own, holding its pod IP on `eth0` with a
default route via 169.254.1.1 over a veth pair (Calico style, no bridge), and listening on
the ports it is given (TCP: answers its name and closes; UDP: answers its name). Addresses in
`local` are served by the fabric itself (like the cluster DNS on 10.96.0.10). Then:

    lab.apply(script)                  -> runs `nft -f -` inside the fabric (raises on error)
    lab.probe([(src, dst, port, proto)]) -> "ok:<name>" | "timeout" | "refused" | "error:..."

`proto` is "tcp" or "udp"; "hold" opens a TCP connection and keeps it, and "poke" then sends a
byte more on it (answered by an echo), to show what happens to established connections.

`src` is a pod name or "node" (a socket of the fabric itself, as kubelet probes are). Probes
run concurrently, so a batch of denied connections costs one timeout. Standard library
only: this file is also the program that runs inside the namespaces.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

GATEWAY = "169.254.1.1"


def missing_tools() -> list[str]:
    return [tool for tool in ("unshare", "nsenter", "ip", "nft") if shutil.which(tool) is None]


class NetnsLab:
    def __init__(self, pods: list[dict], *, local: list[dict] | None = None) -> None:
        setup = {"pods": pods, "local": local or []}
        argv = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--fork"]
        self._proc = subprocess.Popen(
            [*argv, sys.executable, "-u", str(Path(__file__)), "fabric", json.dumps(setup)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if line.strip() != "ready":
            self.close()
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise RuntimeError(f"the namespace lab did not start: {line!r} {err.strip()}")

    def _ask(self, request: dict) -> dict:
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        return json.loads(self._proc.stdout.readline())

    def apply(self, script: str) -> None:
        answer = self._ask({"op": "apply", "script": script})
        if answer.get("error"):
            raise RuntimeError(f"nft refused the script: {answer['error']}")

    def ruleset(self) -> str:
        return str(self._ask({"op": "list"})["ruleset"])

    def probe(self, probes: list[tuple[str, str, int, str]], *, timeout: float = 1.0) -> list[str]:
        answer = self._ask({"op": "probe", "probes": probes, "timeout": timeout})
        return list(answer["results"])

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> NetnsLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- inside the namespaces ---------------------------------------------------------------


def _serve(name: str, host: str, tcp: list[int], udp: list[int]) -> list[socket.socket]:
    socks = []
    for port in tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(64)
        threading.Thread(target=_accept, args=(s, name), daemon=True).start()
        socks.append(s)
    for port in udp:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((host, port))
        threading.Thread(target=_answer_udp, args=(u, name), daemon=True).start()
        socks.append(u)
    return socks


def _accept(s: socket.socket, name: str) -> None:
    while True:
        conn, _ = s.accept()
        threading.Thread(target=_talk, args=(conn, name), daemon=True).start()


def _talk(conn: socket.socket, name: str) -> None:
    """Say the pod's name, then echo until the client hangs up (a held connection)."""
    with conn:
        conn.sendall(name.encode())
        while data := conn.recv(100):
            conn.sendall(data)


def _answer_udp(u: socket.socket, name: str) -> None:
    while True:
        _, peer = u.recvfrom(512)
        u.sendto(name.encode(), peer)


def _connect(dst: str, port: int, proto: str, timeout: float) -> str:
    kind = socket.SOCK_STREAM if proto.lower() == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(timeout)
    try:
        s.connect((dst, port))
        if kind == socket.SOCK_DGRAM:
            s.send(b"?")
        return "ok:" + s.recv(100).decode()
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        return f"error:{exc.strerror}"
    finally:
        s.close()


def _pod_main(spec: dict) -> None:
    """A pod: serve its ports, then connect wherever the fabric asks (one thread each)."""
    socks = _serve(spec["name"], "0.0.0.0", spec.get("tcp", []), spec.get("udp", []))
    lock = threading.Lock()
    held: dict[str, socket.socket] = {}
    print("ready", flush=True)

    def run(req: dict) -> None:
        key = f"{req['dst']}:{req['port']}"
        if req["proto"] == "hold":  # open a TCP connection and keep it
            s = socket.create_connection((req["dst"], req["port"]), timeout=req["timeout"])
            held[key] = s
            result = "ok:" + s.recv(100).decode()
        elif req["proto"] == "poke":  # a packet more on the held connection
            try:
                held[key].sendall(b"x")
                result = "ok:" + held[key].recv(100).decode()
            except TimeoutError:
                result = "timeout"
        else:
            result = _connect(req["dst"], req["port"], req["proto"], req["timeout"])
        with lock:
            print(json.dumps({"id": req["id"], "result": result}), flush=True)

    for line in sys.stdin:
        threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()
    del socks


def _sh(*argv: str, pid: int | None = None) -> None:
    cmd = ["nsenter", "-t", str(pid), "-n", *argv] if pid else list(argv)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")


def _fabric_main(setup: dict) -> None:
    _sh("ip", "link", "set", "lo", "up")
    Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
    # the pods' gateway: owning the address makes the fabric answer their ARP for it
    _sh("ip", "addr", "add", f"{GATEWAY}/32", "dev", "lo")
    keep = []
    for local in setup["local"]:
        _sh("ip", "addr", "add", f"{local['ip']}/32", "dev", "lo")
        keep += _serve(local["name"], local["ip"], local.get("tcp", []), local.get("udp", []))
    pods: dict[str, subprocess.Popen] = {}
    results: dict[str, queue.Queue] = {}
    for n, pod in enumerate(setup["pods"]):
        proc = subprocess.Popen(
            ["unshare", "--net", sys.executable, "-u", __file__, "pod", json.dumps(pod)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout and proc.stdout.readline().strip() == "ready"
        veth = f"veth{n}"
        _sh(
            "ip",
            "link",
            "add",
            veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            str(proc.pid),
        )
        _sh("ip", "link", "set", veth, "up")
        Path(f"/proc/sys/net/ipv4/conf/{veth}/proxy_arp").write_text("1\n")
        _sh("ip", "route", "add", f"{pod['ip']}/32", "dev", veth)
        for argv in (
            ("ip", "link", "set", "lo", "up"),
            ("ip", "addr", "add", f"{pod['ip']}/32", "dev", "eth0"),
            ("ip", "link", "set", "eth0", "up"),
            ("ip", "route", "add", GATEWAY, "dev", "eth0", "scope", "link"),
            ("ip", "route", "add", "default", "via", GATEWAY, "dev", "eth0"),
        ):
            _sh(*argv, pid=proc.pid)
        pods[pod["name"]] = proc
        results[pod["name"]] = queue.Queue()
        threading.Thread(target=_collect, args=(proc, results[pod["name"]]), daemon=True).start()
    print("ready", flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        print(json.dumps(_handle(req, pods, results)), flush=True)
    for proc in pods.values():
        if proc.stdin:
            proc.stdin.close()
        proc.kill()
        proc.wait()
    del keep


def _collect(proc: subprocess.Popen, into: queue.Queue) -> None:
    assert proc.stdout
    for line in proc.stdout:
        into.put(json.loads(line))


def _handle(req: dict, pods: dict[str, subprocess.Popen], results: dict[str, queue.Queue]) -> Any:
    if req["op"] == "apply":
        done = subprocess.run(
            ["nft", "-f", "-"], input=req["script"], capture_output=True, text=True
        )
        return {"error": done.stderr.strip() if done.returncode else ""}
    if req["op"] == "list":
        done = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True)
        return {"ruleset": done.stdout}
    answers: list[str] = [""] * len(req["probes"])
    node_threads = []
    waiting: dict[str, list[int]] = {}
    for i, (src, dst, port, proto) in enumerate(req["probes"]):
        if src == "node":

            def run(i: int = i, dst: str = dst, port: int = port, proto: str = proto) -> None:
                answers[i] = _connect(dst, port, proto, req["timeout"])

            node_threads.append(threading.Thread(target=run))
            node_threads[-1].start()
            continue
        proc = pods[src]
        assert proc.stdin
        msg = {"id": i, "dst": dst, "port": port, "proto": proto, "timeout": req["timeout"]}
        proc.stdin.write(json.dumps(msg) + "\n")
        proc.stdin.flush()
        waiting.setdefault(src, []).append(i)
    for src, ids in waiting.items():
        for _ in ids:
            got = results[src].get(timeout=req["timeout"] + 10)
            answers[got["id"]] = got["result"]
    for t in node_threads:
        t.join()
    return {"results": answers}


if __name__ == "__main__":
    mode, arg = sys.argv[1], json.loads(sys.argv[2])
    os.environ.pop("PYTHONSTARTUP", None)
    if mode == "pod":
        _pod_main(arg)
    else:
        _fabric_main(arg)

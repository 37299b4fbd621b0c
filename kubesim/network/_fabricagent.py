"""The fabric's agent: the long-lived process that holds the cluster network namespace.

kubesim starts it with `unshare --net --mount --fork` (plus `--user --map-root-user` when
kubesim is not root), so it lives in a network namespace of its own with no uplink (see
`kubesim/network/fabric.py`). It runs with `python -I -S` (standard library only) and
serves two SOCK_SEQPACKET channels, one JSON message a request and one a reply:

* the control channel (the main thread, one request at a time):
  `{"op": "run", "argv": [...], "input": "..."}` runs a command here (`ip -batch -`,
  `nft -f -`) and answers its exit code and stderr; `{"op": "sandbox", "uid", "ip",
  "veth"}` starts a pod's sandbox (a process in a network namespace of its own, like the
  pause container, started by a thread that stepped into a fresh namespace) and wires its
  routed veth in one `ip -batch` on each side;
  `{"op": "release", "uid"}` ends it (the kernel then removes its veth and route);
* the socket channel (its own thread, so a dial never waits behind a sandbox):
  `{"family", "type", "uid", "count"}` creates `count` sockets (1 when absent) here, or in
  the sandbox of pod `uid`, and passes their descriptors back in one message (SCM_RIGHTS).
  A socket keeps the network namespace it was created in, so kubesim then connects or
  listens with it as with any other.

End of file on the control channel (kubesim is gone) ends every sandbox and the agent.
"""

import concurrent.futures
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
MAX_MESSAGE = 1 << 20
MAX_FDS = 64  # descriptors in one reply (the kernel allows 253 per SCM_RIGHTS message)

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_agent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Agent:
    def __init__(self, control: socket.socket, sockets: socket.socket) -> None:
        self.control = control
        self.sockets = sockets
        self.sandboxes: dict[str, subprocess.Popen] = {}  # type: ignore[type-arg]
        self.netns: dict[str, int] = {}  # pod uid -> an open fd on its network namespace
        self.lock = threading.Lock()
        self.own_netns = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.builder = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.ops = {
            "run": self.op_run,
            "sysctl": self.op_sysctl,
            "sandbox": self.op_sandbox,
            "release": self.op_release,
        }

    # -- the control channel ------------------------------------------------------------

    def serve(self) -> None:
        threading.Thread(target=self.serve_sockets, daemon=True).start()
        try:
            while True:
                data = self.control.recv(MAX_MESSAGE)
                if not data:
                    return
                request = json.loads(data)
                try:
                    reply = self.ops[request["op"]](request)
                except Exception as exc:  # every failure is an answer, never a dead agent
                    reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                self.control.send(json.dumps(reply).encode())
        finally:
            for proc in self.sandboxes.values():
                proc.kill()

    def op_run(self, request: dict) -> dict:  # type: ignore[type-arg]
        done = subprocess.run(
            request["argv"],
            input=request.get("input", ""),
            capture_output=True,
            text=True,
            check=False,
        )
        return {"ok": done.returncode == 0, "code": done.returncode, "error": done.stderr}

    def op_sysctl(self, request: dict) -> dict:  # type: ignore[type-arg]
        with open("/proc/sys/" + request["name"].replace(".", "/"), "w", encoding="ascii") as f:
            f.write(str(request["value"]))
        return {"ok": True}

    def op_sandbox(self, request: dict) -> dict:  # type: ignore[type-arg]
        self.op_release({"uid": request["uid"]})
        # one long-lived thread builds every sandbox: it steps into each new namespace and
        # back, and its children (the sandboxes) die with it, i.e. with the agent
        return self.builder.submit(self.build_sandbox, request).result()

    def build_sandbox(self, request: dict) -> dict:  # type: ignore[type-arg]
        uid, ip, veth, tool = request["uid"], request["ip"], request["veth"], request["ip_tool"]
        try:  # the same pod's previous sandbox, whose namespace the kernel is still tearing down
            socket.if_nametoindex(veth)
            subprocess.run([tool, "link", "del", veth], capture_output=True, check=False)
        except OSError:
            pass
        if _libc.unshare(CLONE_NEWNET) != 0:  # this thread only: a namespace for the pod
            code = ctypes.get_errno()
            return {"ok": False, "error": f"unshare(CLONE_NEWNET): {os.strerror(code)}"}
        try:
            fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            proc = subprocess.Popen(  # the pause container, born in the pod's namespace
                [request["sleep"], "infinity"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_die_with_agent,
            )
        finally:
            _libc.setns(self.own_netns, CLONE_NEWNET)
        fabric_side = (
            f"link add {veth} type veth peer name eth0 netns {proc.pid}\n"
            f"link set {veth} up\n"
            f"route replace {ip}/32 dev {veth}\n"
        )
        pod_side = (
            "link set lo up\n"
            f"addr add {ip}/32 dev eth0\n"
            "link set eth0 up\n"
            "route add 169.254.1.1 dev eth0 scope link\n"
            "route add default via 169.254.1.1 dev eth0\n"
        )
        for inside, script in ((False, fabric_side), (True, pod_side)):
            if inside:
                _libc.setns(fd, CLONE_NEWNET)
            try:
                done = subprocess.run(
                    [tool, "-batch", "-"], input=script, capture_output=True, text=True, check=False
                )
            finally:
                _libc.setns(self.own_netns, CLONE_NEWNET)
            if done.returncode != 0:
                proc.kill()
                proc.wait()
                os.close(fd)
                return {"ok": False, "error": done.stderr.strip()}
        with open(f"/proc/sys/net/ipv4/conf/{veth}/proxy_arp", "w", encoding="ascii") as f:
            f.write("1")
        with self.lock:
            self.sandboxes[uid] = proc
            self.netns[uid] = fd
        return {"ok": True, "pid": proc.pid}

    def op_release(self, request: dict) -> dict:  # type: ignore[type-arg]
        with self.lock:
            proc = self.sandboxes.pop(request["uid"], None)
            fd = self.netns.pop(request["uid"], None)
        if fd is not None:
            os.close(fd)
        if proc is not None:
            proc.kill()
            proc.wait()
        return {"ok": True}

    # -- the socket channel -------------------------------------------------------------

    def serve_sockets(self) -> None:
        while True:
            data = self.sockets.recv(4096)
            if not data:
                return
            request = json.loads(data)
            made: list[socket.socket] = []
            try:
                for _ in range(max(1, min(int(request.get("count") or 1), MAX_FDS))):
                    made.append(self.make_socket(request))
            except OSError as exc:
                for sock in made:
                    sock.close()
                self.sockets.send(json.dumps({"ok": False, "errno": exc.errno or 0}).encode())
                continue
            try:
                socket.send_fds(self.sockets, [b'{"ok": true}'], [m.fileno() for m in made])
            finally:
                for sock in made:
                    sock.close()

    def make_socket(self, request: dict) -> socket.socket:  # type: ignore[type-arg]
        uid = request.get("uid")
        if not uid:
            return socket.socket(request["family"], request["type"])
        with self.lock:
            fd = self.netns.get(uid)
            if fd is None:
                raise OSError(2, "no such pod sandbox")
            target = os.dup(fd)
        try:  # a network namespace is a thread's: enter it, make the socket, come back
            if _libc.setns(target, CLONE_NEWNET) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code))
            try:
                return socket.socket(request["family"], request["type"])
            finally:
                _libc.setns(self.own_netns, CLONE_NEWNET)
        finally:
            os.close(target)


def main() -> int:
    control = socket.socket(fileno=int(sys.argv[1]))
    sockets = socket.socket(fileno=int(sys.argv[2]))
    _die_with_agent()
    os.write(int(sys.argv[3]), f"ready {os.getpid()}\n".encode())
    os.close(int(sys.argv[3]))
    Agent(control, sockets).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())

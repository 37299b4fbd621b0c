"""docker.io/library/redis: a small in-memory Redis speaking RESP on port 6379.

Enough of Redis for the docs' sidecar and guestbook-style uses and for a client library's
hand-shake: PING, ECHO, SET (EX/PX/NX/XX), GET, DEL, EXISTS, INCR/INCRBY/DECR/DECRBY,
APPEND, KEYS, EXPIRE/TTL, MGET/MSET, DBSIZE, FLUSHALL/FLUSHDB, SELECT 0, INFO (server),
CLIENT/HELLO 2, COMMAND (empty), QUIT; inline commands too (`PING` over a bare TCP
connection, as a tcpSocket probe or `nc` would send). Data lives in memory only. Start-up and
SIGTERM shutdown are logged in redis-server's format (`1:M 05 Dec 2026 06:37:03.123 * ...`).
Unknown commands get Redis's own error (`ERR unknown command 'X', with args beginning with:`).
"""

from __future__ import annotations

import fnmatch
import os
import signal
import socketserver
import sys
import threading
import time
from collections.abc import Callable

from kubesim.standins._program import Stopper, out
from kubesim.standins._program import port as standin_port

Reply = bytes


def simple(text: str) -> Reply:
    return f"+{text}\r\n".encode()


def error(text: str) -> Reply:
    return f"-{text}\r\n".encode()


def integer(n: int) -> Reply:
    return f":{n}\r\n".encode()


def bulk(value: bytes | None) -> Reply:
    if value is None:
        return b"$-1\r\n"
    return b"$%d\r\n%s\r\n" % (len(value), value)


def array(items: list[Reply]) -> Reply:
    return b"*%d\r\n" % len(items) + b"".join(items)


def log(role: str, mark: str, text: str) -> None:
    now = time.time()
    stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
    out(f"{os.getpid()}:{role} {stamp} {mark} {text}")


class Store:
    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.expires: dict[bytes, float] = {}
        self.lock = threading.Lock()

    def commands(self) -> dict[str, Callable[[list[bytes]], Reply]]:
        return {
            "ping": self.cmd_ping,
            "echo": self.cmd_echo,
            "select": self.cmd_select,
            "client": self.cmd_client,
            "command": self.cmd_command,
            "info": self.cmd_info,
            "dbsize": self.cmd_dbsize,
            "flushall": self.cmd_flushall,
            "get": self.cmd_get,
            "set": self.cmd_set,
            "mget": self.cmd_mget,
            "mset": self.cmd_mset,
            "append": self.cmd_append,
            "incr": self.cmd_incr,
            "decr": self.cmd_decr,
            "incrby": self.cmd_incrby,
            "decrby": self.cmd_decrby,
            "del": self.cmd_del,
            "exists": self.cmd_exists,
            "keys": self.cmd_keys,
            "expire": self.cmd_expire,
            "ttl": self.cmd_ttl,
            "flushdb": self.cmd_flushall,
        }

    def _alive(self, key: bytes) -> bool:
        deadline = self.expires.get(key)
        if deadline is not None and deadline <= time.monotonic():
            self.data.pop(key, None)
            self.expires.pop(key, None)
        return key in self.data

    def run(self, args: list[bytes]) -> Reply:
        name = args[0].decode(errors="replace").lower()
        handler = self.commands().get(name)
        if handler is None:
            rest = " ".join(f"'{a.decode(errors='replace')}'" for a in args[1:])
            return error(
                f"ERR unknown command '{args[0].decode(errors='replace')}', "
                f"with args beginning with: {rest}"
            )
        with self.lock:
            try:
                return handler(args[1:])
            except (IndexError, ValueError):
                return error(f"ERR wrong number of arguments for '{name}' command")

    # -- connection --
    def cmd_ping(self, a: list[bytes]) -> Reply:
        return bulk(a[0]) if a else simple("PONG")

    def cmd_echo(self, a: list[bytes]) -> Reply:
        return bulk(a[0])

    def cmd_select(self, a: list[bytes]) -> Reply:
        return simple("OK") if a[0] == b"0" else error("ERR DB index is out of range")

    def cmd_client(self, a: list[bytes]) -> Reply:
        return simple("OK")

    def cmd_command(self, a: list[bytes]) -> Reply:
        return array([])

    def cmd_info(self, a: list[bytes]) -> Reply:
        text = (
            f"# Server\r\nredis_mode:standalone\r\nprocess_id:{os.getpid()}\r\ntcp_port:{PORT}\r\n"
        )
        return bulk(text.encode())

    def cmd_dbsize(self, a: list[bytes]) -> Reply:
        return integer(sum(1 for k in list(self.data) if self._alive(k)))

    def cmd_flushall(self, a: list[bytes]) -> Reply:
        self.data.clear()
        self.expires.clear()
        return simple("OK")

    # -- strings --
    def cmd_get(self, a: list[bytes]) -> Reply:
        return bulk(self.data[a[0]] if self._alive(a[0]) else None)

    def cmd_set(self, a: list[bytes]) -> Reply:
        key, value, opts = a[0], a[1], [o.upper() for o in a[2:]]
        ttl = None
        if b"EX" in opts:
            ttl = float(opts[opts.index(b"EX") + 1])
        if b"PX" in opts:
            ttl = float(opts[opts.index(b"PX") + 1]) / 1000
        exists = self._alive(key)
        if (b"NX" in opts and exists) or (b"XX" in opts and not exists):
            return bulk(None)
        self.data[key] = value
        self.expires.pop(key, None)
        if ttl is not None:
            self.expires[key] = time.monotonic() + ttl
        return simple("OK")

    def cmd_mget(self, a: list[bytes]) -> Reply:
        return array([bulk(self.data[k] if self._alive(k) else None) for k in a])

    def cmd_mset(self, a: list[bytes]) -> Reply:
        if not a or len(a) % 2:
            raise ValueError
        for key, value in zip(a[::2], a[1::2], strict=True):
            self.data[key] = value
            self.expires.pop(key, None)
        return simple("OK")

    def cmd_append(self, a: list[bytes]) -> Reply:
        self.data[a[0]] = (self.data[a[0]] if self._alive(a[0]) else b"") + a[1]
        return integer(len(self.data[a[0]]))

    def _add(self, key: bytes, by: int) -> Reply:
        current = self.data[key] if self._alive(key) else b"0"
        try:
            value = int(current) + by
        except ValueError:
            return error("ERR value is not an integer or out of range")
        self.data[key] = str(value).encode()
        return integer(value)

    def cmd_incr(self, a: list[bytes]) -> Reply:
        return self._add(a[0], 1)

    def cmd_decr(self, a: list[bytes]) -> Reply:
        return self._add(a[0], -1)

    def cmd_incrby(self, a: list[bytes]) -> Reply:
        return self._add(a[0], int(a[1]))

    def cmd_decrby(self, a: list[bytes]) -> Reply:
        return self._add(a[0], -int(a[1]))

    # -- keys --
    def cmd_del(self, a: list[bytes]) -> Reply:
        gone = 0
        for key in a:
            if self._alive(key):
                del self.data[key]
                self.expires.pop(key, None)
                gone += 1
        return integer(gone)

    def cmd_exists(self, a: list[bytes]) -> Reply:
        return integer(sum(1 for k in a if self._alive(k)))

    def cmd_keys(self, a: list[bytes]) -> Reply:
        pattern = a[0].decode(errors="replace")
        keys = [k for k in list(self.data) if self._alive(k)]
        return array(
            [bulk(k) for k in keys if fnmatch.fnmatchcase(k.decode(errors="replace"), pattern)]
        )

    def cmd_expire(self, a: list[bytes]) -> Reply:
        if not self._alive(a[0]):
            return integer(0)
        self.expires[a[0]] = time.monotonic() + int(a[1])
        return integer(1)

    def cmd_ttl(self, a: list[bytes]) -> Reply:
        if not self._alive(a[0]):
            return integer(-2)
        deadline = self.expires.get(a[0])
        return integer(-1 if deadline is None else max(0, round(deadline - time.monotonic())))


PORT = 6379
STORE = Store()


def read_command(rfile) -> list[bytes] | None:  # type: ignore[no-untyped-def]
    """One command: a RESP array of bulk strings, or an inline line."""
    line = rfile.readline()
    if not line:
        return None
    if line.startswith(b"*"):
        count = int(line[1:].strip())
        args = []
        for _ in range(count):
            header = rfile.readline()
            if not header.startswith(b"$"):
                return None
            size = int(header[1:].strip())
            args.append(rfile.read(size + 2)[:size])
        return args
    return line.split()


class Connection(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            try:
                args = read_command(self.rfile)
            except (ValueError, OSError):
                return
            if args is None:
                return
            if not args:
                continue
            if args[0].lower() == b"quit":
                self.wfile.write(simple("OK"))
                return
            self.wfile.write(STORE.run(args))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv: list[str] | None = None) -> int:
    """The image's docker-entrypoint.sh: `redis-server [--port N] ...` or another program."""
    global PORT
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0].startswith("-") or args[0].endswith(".conf")):
        args = ["redis-server", *args]
    if args and args[0] != "redis-server":
        os.execvp(args[0], args)  # the entrypoint's `exec "$@"`
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    if "--port" in args[:-1]:
        PORT = int(args[args.index("--port") + 1])
    PORT = standin_port(PORT)
    log("C", "*", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    log(
        "C",
        "#",
        "Warning: no config file specified, using the default config. In order to specify a "
        "config file use redis-server /path/to/redis.conf",
    )
    try:
        server = _Server(("0.0.0.0", PORT), Connection)
    except OSError as exc:
        log(
            "M",
            "#",
            f"Warning: Could not create server TCP listening socket *:{PORT}: bind: {exc.strerror}",
        )
        log("M", "#", f"Failed listening on port {PORT} (tcp), aborting.")
        return 1
    log("M", "*", f"Running mode=standalone, port={PORT}.")
    log("M", "*", "Server initialized")
    log("M", "*", "Ready to accept connections tcp")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got = stopper.wait()
    out(
        f"{os.getpid()}:signal-handler ({int(time.time())}) Received {got.name} scheduling shutdown..."
    )
    log("M", "*", "User requested shutdown...")
    log("M", "#", "Redis is now ready to exit, bye bye...")
    return 0


if __name__ == "__main__":
    sys.exit(main())

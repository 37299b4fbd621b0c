"""docker.io/library/redis: a small in-memory Redis speaking RESP on port 6379.

Enough of Redis for the docs' sidecar and guestbook-style uses and for a client library's
hand-shake: PING, ECHO, SET (EX/PX/NX/XX), GET, DEL, EXISTS, INCR/INCRBY/DECR/DECRBY,
APPEND, KEYS, EXPIRE/TTL, MGET/MSET, DBSIZE, FLUSHALL/FLUSHDB, SELECT 0, INFO (server),
CLIENT/HELLO 2, COMMAND (empty), QUIT; inline commands too (`PING` over a bare TCP
connection, as a tcpSocket probe or `nc` would send). Data lives in memory only. Start-up and
SIGTERM shutdown are logged in redis-server's format (`1:M 05 Dec 2026 06:37:03.123 * ...`).
Unknown commands get Redis's own error (`ERR unknown command 'X', with args beginning with:`).

Replication, for the Guestbook's followers: `--replicaof HOST PORT` (or `--slaveof`) makes a
read-only replica (`-READONLY You can't write against a read only replica.`) that connects
to its master, asks `PSYNC ? -1`, loads the master's keys and then applies every write the
master propagates, retrying each second while the master cannot be reached; both sides log
the steps in redis-server's words (`Connecting to MASTER`, `MASTER <-> REPLICA sync:
Finished with success`, `Synchronization with replica ... succeeded`). The full resync's
payload is the keys as SET commands, not an RDB file: only these stand-ins read it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable

from kubesim.standins._program import Stopper, exit_now, out
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


# the commands that change data: refused on a replica, propagated by a master
WRITES = frozenset(
    {"set", "mset", "append", "incr", "decr", "incrby", "decrby", "del", "expire",
     "flushall", "flushdb"}
)  # fmt: skip
READONLY = "READONLY You can't write against a read only replica."


class Store:
    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.expires: dict[bytes, float] = {}
        self.lock = threading.Lock()
        self.replica_of: tuple[str, int] | None = None
        self.replicas: list[socket.socket] = []
        self.replid = secrets.token_hex(20)

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
            "replconf": self.cmd_replconf,
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
        if name in WRITES and self.replica_of is not None:
            return error(READONLY)
        with self.lock:
            try:
                reply = handler(args[1:])
            except (IndexError, ValueError):
                return error(f"ERR wrong number of arguments for '{name}' command")
            if name in WRITES and not reply.startswith(b"-"):
                self._propagate(args)
            return reply

    def apply(self, args: list[bytes]) -> None:
        """A write the master propagated: a replica's only way to change its data."""
        handler = self.commands().get(args[0].decode(errors="replace").lower())
        if handler is not None:
            with self.lock, contextlib.suppress(IndexError, ValueError):
                handler(args[1:])

    def _propagate(self, args: list[bytes]) -> None:
        command = array([bulk(a) for a in args])
        for replica in list(self.replicas):
            try:
                replica.sendall(command)
            except OSError:
                self.replicas.remove(replica)

    def full_resync(self, replica: socket.socket) -> None:
        """`+FULLRESYNC`, then every key as a SET and a PING that ends the snapshot; from
        then on the replica gets each write as it happens (under the same lock, so none is
        lost between the two)."""
        with self.lock:
            snapshot = b"".join(
                array([bulk(b"SET"), bulk(k), bulk(self.data[k])])
                for k in list(self.data)
                if self._alive(k)
            )
            replica.sendall(
                simple(f"FULLRESYNC {self.replid} 0") + snapshot + array([bulk(b"PING")])
            )
            self.replicas.append(replica)

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
        if self.replica_of is None:
            role = f"role:master\r\nconnected_slaves:{len(self.replicas)}\r\n"
        else:
            host, port = self.replica_of
            role = f"role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\n"
        return bulk((text + "\r\n# Replication\r\n" + role).encode())

    def cmd_replconf(self, a: list[bytes]) -> Reply:
        return simple("OK")

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
            command = args[0].lower()
            if command == b"quit":
                self.wfile.write(simple("OK"))
                return
            if command == b"replconf" and len(args) > 2 and args[1].lower() == b"listening-port":
                self.replica_port = args[2].decode(errors="replace")
            if command in (b"psync", b"sync"):
                self._serve_replica()
                return
            self.wfile.write(STORE.run(args))

    def _serve_replica(self) -> None:
        """This connection is a replica's: resync it, then keep it for propagation until
        the replica goes."""
        peer = f"{self.client_address[0]}:{getattr(self, 'replica_port', PORT)}"
        log("M", "*", f"Replica {peer} asks for synchronization")
        log("M", "*", f"Full resync requested by replica {peer}")
        STORE.full_resync(self.connection)
        log("M", "*", f"Synchronization with replica {peer} succeeded")
        with contextlib.suppress(OSError, ValueError):
            while self.rfile.readline():  # REPLCONF ACKs, until the replica goes
                pass
        with STORE.lock:
            if self.connection in STORE.replicas:
                STORE.replicas.remove(self.connection)
        log("M", "#", f"Connection with replica {peer} lost.")


def replicate(host: str, port: int) -> None:
    """A replica's link to its master, for ever: connect, resync, apply what comes."""
    while True:
        log("S", "*", f"Connecting to MASTER {host}:{port}")
        try:
            link = socket.create_connection((host, port), timeout=5)
        except OSError as exc:
            why = "Connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
            log("S", "#", f"Error condition on socket for SYNC: {why}")
            time.sleep(1)
            continue
        with link:
            _follow(link, host, port)
        log("S", "#", "Connection with master lost.")
        log("S", "*", "Caching the disconnected master state.")
        time.sleep(1)


def _follow(link: socket.socket, host: str, port: int) -> None:
    log("S", "*", "MASTER <-> REPLICA sync started")
    rfile = link.makefile("rb")
    try:
        link.sendall(array([bulk(b"PING")]))
        if rfile.readline().strip() != b"+PONG":
            return
        log("S", "*", "Master replied to PING, replication can continue...")
        link.sendall(array([bulk(b"REPLCONF"), bulk(b"listening-port"), bulk(b"%d" % PORT)]))
        rfile.readline()
        link.sendall(array([bulk(b"PSYNC"), bulk(b"?"), bulk(b"-1")]))
        answer = rfile.readline().decode(errors="replace").strip()
        if not answer.startswith("+FULLRESYNC"):
            return
        replid, offset = answer.split()[1:3]
        log("S", "*", f"Full resync from master: {replid}:{offset}")
        link.settimeout(None)
        with STORE.lock:
            STORE.data.clear()
            STORE.expires.clear()
        synced = False
        while (args := read_command(rfile)) is not None:
            if args and args[0].lower() == b"ping":
                if not synced:
                    synced = True
                    log("S", "*", "MASTER <-> REPLICA sync: Finished with success")
                continue
            if args:
                STORE.apply(args)
    except (OSError, ValueError):
        return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def replica_of(args: list[str]) -> tuple[str, int] | None:
    """`--replicaof HOST PORT` (or `--slaveof`, or both words in one argument, as a
    config line would put them)."""
    for flag in ("--replicaof", "--slaveof"):
        if flag in args:
            rest = args[args.index(flag) + 1 :]
            words = rest[0].split() if rest and " " in rest[0] else rest[:2]
            if len(words) == 2 and words[1].isdigit():
                return words[0], int(words[1])
    return None


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
    STORE.replica_of = replica_of(args)
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
    role = "M" if STORE.replica_of is None else "S"
    log(role, "*", f"Running mode=standalone, port={PORT}.")
    log(role, "*", "Server initialized")
    log(role, "*", "Ready to accept connections tcp")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if STORE.replica_of is not None:
        threading.Thread(target=replicate, args=STORE.replica_of, daemon=True).start()
    got = stopper.wait()
    out(
        f"{os.getpid()}:signal-handler ({int(time.time())}) Received {got.name} scheduling shutdown..."
    )
    log(role, "*", "User requested shutdown...")
    log(role, "#", "Redis is now ready to exit, bye bye...")
    return 0


if __name__ == "__main__":
    exit_now(main())

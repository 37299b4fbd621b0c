"""The images of the docs' "Example: Deploying PHP Guestbook application with Redis".

`follower` (gb-redis-follower:v2): Redis started as a replica of the leader, `redis-leader`
by DNS (`GET_HOSTS_FROM=dns`, the default) or `$REDIS_LEADER_SERVICE_HOST` (`env`), port
6379; the replication is the redis stand-in's (`kubesim.standins.redis`).

`frontend` (gb-frontend:v5): PHP on Apache, port 80. `guestbook.php?cmd=set&key=K&value=V`
writes to the leader and answers `{"message": "Updated"}`; `guestbook.php?cmd=get&key=K`
reads from a follower and answers `{"data": "V"}` (the value as it is, unescaped, as the PHP
prints it); the hosts come from DNS or the Services' environment variables, as above. `/`
is a guestbook page of our own (a list of messages and a Submit button, through the same
`guestbook.php` calls): the real one loads AngularJS and Bootstrap from CDNs, which a
cluster without internet cannot reach. A Redis that cannot be reached is PHP's uncaught
Predis ConnectionException, shown because the page turns display_errors on. Apache's
notices and access log as `kubesim.standins._apache` writes them.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse

from kubesim.standins import _apache, redis
from kubesim.standins._program import exit_now

PAGE = b"""<html>
  <head>
    <title>Guestbook</title>
    <script src="controllers.js"></script>
  </head>
  <body>
    <div style="width: 50%; margin-left: 20px">
      <h2>Guestbook</h2>
      <form onsubmit="guestbook.submit(); return false;">
        <input id="msg" placeholder="Messages" type="text" name="input"><br>
        <button type="submit">Submit</button>
      </form>
      <div id="messages"></div>
      <p><small>kubesim's stand-in for gb-frontend: the same guestbook.php calls as the
      real page, without its AngularJS from the internet.</small></p>
    </div>
  </body>
</html>
"""

CONTROLLERS = b"""// The messages live in Redis under the key "messages", joined by commas.
var guestbook = {
  messages: [],
  show: function () {
    var list = document.getElementById("messages");
    list.textContent = "";
    guestbook.messages.forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      list.appendChild(line);
    });
  },
  submit: function () {
    var input = document.getElementById("msg");
    guestbook.messages.push(input.value);
    input.value = "";
    var value = encodeURIComponent(guestbook.messages.join());
    fetch("guestbook.php?cmd=set&key=messages&value=" + value).then(guestbook.show);
  },
  load: function () {
    fetch("guestbook.php?cmd=get&key=messages")
      .then(function (reply) { return reply.json(); })
      .then(function (data) {
        guestbook.messages = data.data ? data.data.split(",") : [];
        guestbook.show();
      });
  },
};
window.addEventListener("load", guestbook.load);
"""

PHPINFO = b"""<html><head><title>guestbook.php</title></head><body>
<p>kubesim's stand-in for gb-frontend runs no PHP, so it has no phpinfo() to show.
guestbook.php answers <code>?cmd=get&amp;key=K</code> and
<code>?cmd=set&amp;key=K&amp;value=V</code>.</p>
</body></html>
"""


def host(name: str) -> str:
    """The guestbook's way to find a Redis Service: its name, or with GET_HOSTS_FROM=env
    the Service's environment variable."""
    if os.environ.get("GET_HOSTS_FROM") == "env":
        return os.environ.get(f"{name.upper().replace('-', '_')}_SERVICE_HOST", "")
    return name


class RedisUnreachable(Exception):
    pass


def ask(server: str, *args: str) -> bytes | None:
    """One command to the Redis at `server`:6379: a bulk reply's value, or None."""
    try:
        with socket.create_connection((server, 6379), timeout=10) as link:
            link.sendall(redis.array([redis.bulk(a.encode()) for a in args]))
            rfile = link.makefile("rb")
            head = rfile.readline()
    except socket.gaierror:
        raise RedisUnreachable(
            f"php_network_getaddresses: getaddrinfo for {server} failed: Name or service not known"
        ) from None
    except OSError as exc:
        raise RedisUnreachable(exc.strerror or str(exc)) from None
    if head.startswith(b"$") and not head.startswith(b"$-1"):
        return rfile.read(int(head[1:]))
    if head.startswith(b"-"):
        raise RedisUnreachable(head[1:].decode(errors="replace").strip())
    return None


class Frontend(_apache.Handler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path, _, query = self.path.partition("?")
        if path in ("/", "/index.html"):
            self.reply(200, PAGE, "text/html")
        elif path == "/controllers.js":
            self.reply(200, CONTROLLERS, "application/javascript")
        elif path == "/guestbook.php":
            self._php(urllib.parse.parse_qs(query))
        else:
            self.not_found(path)

    def _php(self, q: dict[str, list[str]]) -> None:
        if "cmd" not in q:
            self.reply(200, PHPINFO, "text/html; charset=UTF-8")
            return
        key = q.get("key", [""])[0]
        server = host("redis-leader") if q["cmd"][0] == "set" else host("redis-follower")
        try:
            if q["cmd"][0] == "set":
                ask(server, "SET", key, q.get("value", [""])[0])
                body = b'{"message": "Updated"}'
            else:
                value = ask(server, "GET", key) or b""
                body = b'{"data": "' + value + b'"}'
        except RedisUnreachable as exc:
            body = (
                "<br />\n<b>Fatal error</b>:  Uncaught Predis\\Connection\\ConnectionException: "
                f"{exc} [tcp://{server}:6379]"
            ).encode()
        self.reply(200, body, "application/json")


def main(argv: list[str]) -> int:
    if argv[:1] == ["follower"]:
        return redis.main(["redis-server", "--replicaof", host("redis-leader"), "6379"])
    return _apache.serve(Frontend)


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))

"""The nginx stand-in answers, logs and stops as the official nginx image does.

Each test runs `python3 -m kubesim.standins.nginx nginx -c <conf>` on a free port: the
configuration is the image's own `nginx.conf` with a `conf.d` of the test's, as a configMap
mounted over /etc/nginx/conf.d would give.
"""

from __future__ import annotations

import http.client
import http.server
import re
import signal
import threading
import time
from pathlib import Path

import pytest
from standin_process import free_port

from kubesim.standins.nginx._server import FILES

IMAGE_CONF = FILES.packaged / "etc/nginx/nginx.conf"
WELCOME = (FILES.packaged / "usr/share/nginx/html/index.html").read_bytes()
ACCESS = re.compile(
    r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET / HTTP/1\.1" 200 615 '
    r'"-" "kubelab-test" "-"$',
    re.M,
)


def conf(tmp_path: Path, server: str) -> Path:
    """The image's nginx.conf, including the test's conf.d instead of the image's."""
    confd = tmp_path / "conf.d"
    confd.mkdir(exist_ok=True)
    (confd / "default.conf").write_text(server)
    main = IMAGE_CONF.read_text().replace("/etc/nginx/conf.d/*.conf", f"{confd}/*.conf")
    path = tmp_path / "nginx.conf"
    path.write_text(main)
    return path


def default_server(port: int) -> str:
    """The image's default.conf, on the test's port."""
    text = (FILES.packaged / "etc/nginx/conf.d/default.conf").read_text()
    return text.replace("listen       80;", f"listen       {port};")


def get(port: int, path: str = "/", method: str = "GET", **headers: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={"User-Agent": "kubelab-test", **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_the_welcome_page_with_nginx_headers_and_a_main_format_access_log(standin, tmp_path):
    port = free_port()
    nginx = standin(
        "nginx",
        "nginx",
        "-g",
        "daemon off;",
        "-c",
        str(conf(tmp_path, default_server(port))),
        env={"NGINX_VERSION": "1.27"},
        port=port,
    )
    response, body = get(port)
    assert response.status == 200
    assert body == WELCOME
    assert response.getheader("Server") == "nginx/1.27.5"
    assert response.getheader("Content-Type") == "text/html"
    assert response.getheader("Content-Length") == "615"
    assert response.getheader("Connection") == "keep-alive"
    assert re.fullmatch(r'"[0-9a-f]+-267"', response.getheader("ETag") or "")
    assert ACCESS.search(nginx.wait_for_output('"GET / HTTP/1.1" 200'))


def test_a_missing_page_is_nginx_404_and_an_error_log_line(standin, tmp_path):
    port = free_port()
    nginx = standin("nginx", "nginx", "-c", str(conf(tmp_path, default_server(port))), port=port)
    response, body = get(port, "/missing.html")
    assert response.status == 404
    assert body == (
        b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
        b"<center><h1>404 Not Found</h1></center>\r\n"
        b"<hr><center>nginx/1.29.3</center>\r\n</body>\r\n</html>\r\n"
    )
    errors = nginx.wait_for_output("open()", stream="stderr")
    assert re.search(
        r'\[error\] \d+#\d+: \*\d+ open\(\) "/usr/share/nginx/html/missing.html" failed '
        r"\(2: No such file or directory\), client: 127.0.0.1, server: localhost, "
        r'request: "GET /missing.html HTTP/1.1", host: "127.0.0.1:\d+"',
        errors,
    )


def test_post_to_a_static_file_is_405_not_allowed(standin, tmp_path):
    port = free_port()
    standin("nginx", "nginx", "-c", str(conf(tmp_path, default_server(port))), port=port)
    response, body = get(port, "/index.html", method="POST")
    assert (response.status, response.reason) == (405, "Not Allowed")
    assert b"<title>405 Not Allowed</title>" in body


def test_start_up_prints_the_entrypoint_lines_then_nginx_notices(standin, tmp_path):
    port = free_port()
    nginx = standin(
        "nginx", "nginx", "-c", str(conf(tmp_path, default_server(port))),
        env={"NGINX_VERSION": "1.25"}, port=port,
    )  # fmt: skip
    assert nginx.stdout.splitlines()[:3] == [
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform "
        "configuration",
        "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    ]
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in nginx.stdout
    notices = nginx.wait_for_output("start worker process ", stream="stderr")
    assert re.search(r"\[notice\] (\d+)#\1: nginx/1\.25\.5\n", notices)
    pid = nginx.proc.pid
    assert f'[notice] {pid}#{pid}: using the "epoll" event method' in notices


def test_the_docs_old_tags_start_silently_as_their_images_did(standin, tmp_path):
    """nginx:1.14.2 (the docs' Deployment) predates the entrypoint scripts and logged at warn."""
    port = free_port()
    nginx = standin(
        "nginx", "nginx", "-c", str(conf(tmp_path, default_server(port))),
        env={"NGINX_VERSION": "1.14.2"}, port=port,
    )  # fmt: skip
    response, _ = get(port)
    assert response.getheader("Server") == "nginx/1.14.2"
    assert nginx.stop() == 0
    assert "docker-entrypoint" not in nginx.stdout
    assert "[notice]" not in nginx.stderr


@pytest.mark.parametrize(
    "sig, lines",
    [
        pytest.param(
            signal.SIGQUIT,
            ["signal 3 (SIGQUIT) received, shutting down", "gracefully shutting down"],
            id="sigquit-the-image-stopsignal",
        ),
        pytest.param(signal.SIGTERM, ["signal 15 (SIGTERM) received, exiting"], id="sigterm"),
    ],
)
def test_stop_signals_exit_0_with_nginx_notices(standin, tmp_path, sig, lines):
    port = free_port()
    nginx = standin("nginx", "nginx", "-c", str(conf(tmp_path, default_server(port))), port=port)
    assert nginx.stop(sig) == 0
    for line in [*lines, "exiting", "exit"]:
        assert re.search(rf"\[notice\] \d+#\d+: {re.escape(line)}\n", nginx.stderr), line
    assert nginx.stderr.rstrip().endswith(f"[notice] {nginx.proc.pid}#{nginx.proc.pid}: exit")


def test_a_conf_d_server_block_with_return_locations_and_error_page(standin, tmp_path):
    port = free_port()
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "index.html").write_text("docs\n")
    (site / "bare").mkdir()
    (site / "oops.html").write_text("custom 404\n")
    server = f"""
    server {{
        listen {port};
        server_name example;
        root {site};
        location = /healthz {{ return 200 'ok\\n'; }}
        location /old {{ return 301 http://example/new; }}
        location ^~ /gone {{ return 410; }}
        error_page 404 /oops.html;
    }}
    """
    standin("nginx", "nginx", "-c", str(conf(tmp_path, server)), port=port)
    response, body = get(port, "/healthz")
    assert (response.status, body) == (200, b"ok\n")
    assert response.getheader("Content-Type") == "application/octet-stream"  # http's default_type
    response, _ = get(port, "/old/page")
    assert (response.status, response.getheader("Location")) == (301, "http://example/new")
    response, _ = get(port, "/docs", Host="example")
    assert (response.status, response.getheader("Location")) == (301, "http://example/docs/")
    assert get(port, "/docs/")[1] == b"docs\n"
    assert get(port, "/bare/")[0].status == 403
    assert get(port, "/gone/x")[0].status == 410
    response, body = get(port, "/nothing")
    assert (response.status, body) == (404, b"custom 404\n")


class _Upstream(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = f"upstream saw {self.path} host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_proxy_pass_forwards_and_a_refused_upstream_is_502(standin, tmp_path):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    dead = free_port()
    port = free_port()
    server = f"""
    server {{
        listen {port};
        location /api/ {{ proxy_pass http://127.0.0.1:{upstream.server_port}/v1/; }}
        location /down {{ proxy_pass http://127.0.0.1:{dead}; }}
    }}
    """
    try:
        nginx = standin("nginx", "nginx", "-c", str(conf(tmp_path, server)), port=port)
        response, body = get(port, "/api/items?x=1")
        assert response.status == 200
        assert body == f"upstream saw /v1/items?x=1 host=127.0.0.1:{upstream.server_port}".encode()
        assert response.getheader("Server") == "nginx/1.29.3"
        response, body = get(port, "/down")
        assert response.status == 502
        assert b"<title>502 Bad Gateway</title>" in body
        errors = nginx.wait_for_output("Connection refused", stream="stderr")
        assert f'upstream: "http://127.0.0.1:{dead}/down"' in errors
    finally:
        upstream.shutdown()


def test_a_broken_configuration_stops_start_up_with_nginx_emerg(standin, tmp_path):
    nginx = standin("nginx", "nginx", "-c", str(conf(tmp_path, "server { listen 80;\n")))
    assert nginx.proc.wait(timeout=20) == 1
    assert 'nginx: [emerg] unexpected end of file, expecting ";" or "}"' in nginx.stderr


def test_an_unknown_upstream_host_stops_start_up_as_nginx_does(standin, tmp_path):
    server = "server {\n listen 8080;\n location / { proxy_pass http://no-such-backend.invalid:80; }\n}\n"
    nginx = standin("nginx", "nginx", "-c", str(conf(tmp_path, server)))
    assert nginx.proc.wait(timeout=20) == 1
    assert 'host not found in upstream "no-such-backend.invalid:80" in ' in nginx.stderr
    assert "default.conf:3" in nginx.stderr


def test_nginx_t_checks_the_configuration(standin, tmp_path):
    path = conf(tmp_path, default_server(free_port()))
    nginx = standin("nginx", "nginx", "-t", "-c", str(path))
    assert nginx.proc.wait(timeout=20) == 0
    assert nginx.stderr.splitlines() == [
        f"nginx: the configuration file {path} syntax is ok",
        f"nginx: configuration file {path} test is successful",
    ]


def test_another_command_runs_instead_of_nginx_as_the_entrypoint_execs_it(standin):
    echo = standin("nginx", "echo", "hello from the entrypoint")
    assert echo.proc.wait(timeout=20) == 0
    assert echo.stdout == "hello from the entrypoint\n"


def test_sighup_reloads_the_configuration_and_a_broken_one_keeps_the_old(standin, tmp_path):
    """What `nginx -s reload` does after a configMap update: new server blocks, new ports."""
    port, second = free_port(), free_port()
    path = conf(tmp_path, f"server {{ listen {port}; return 200 'one'; }}\n")
    nginx = standin("nginx", "nginx", "-c", str(path), port=port)
    assert get(port)[1] == b"one"
    (tmp_path / "conf.d" / "default.conf").write_text(
        f"server {{ listen {port}; return 200 'two'; }}\nserver {{ listen {second}; return 200 'new'; }}\n"
    )
    nginx.proc.send_signal(signal.SIGHUP)
    nginx.wait_for_output("reconfiguring\n", stream="stderr")
    deadline = time.monotonic() + 10
    while get(port)[1] != b"two":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert get(second)[1] == b"new"
    (tmp_path / "conf.d" / "default.conf").write_text("server { listen 1; \n")
    nginx.proc.send_signal(signal.SIGHUP)
    nginx.wait_for_output("[emerg]", stream="stderr")
    assert get(port)[1] == b"two"
    assert "signal 1 (SIGHUP) received, reconfiguring" in nginx.stderr


def test_nginx_s_reload_without_a_running_master_says_so_as_nginx_does(standin, tmp_path):
    nginx = standin("nginx", "nginx", "-s", "reload", "-c", str(conf(tmp_path, "")))
    assert nginx.proc.wait(timeout=20) == 1
    assert nginx.stderr.endswith(
        'nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)\n'
    )

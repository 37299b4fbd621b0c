"""hpa-example answers `OK!` after burning real CPU per request, as its index.php does."""

from __future__ import annotations

import http.client
import signal
import time
from pathlib import Path

from standin_process import free_port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def get(port: int, path: str = "/"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"User-Agent": "Wget"})
    response = conn.getresponse()
    return response, response.read()


def test_each_request_burns_cpu_and_answers_ok(standin):
    port = free_port()
    php = standin("hpa_example", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    before = cpu_seconds(php.proc.pid)
    for _ in range(20):
        response, body = get(port)
        assert (response.status, body) == (200, b"OK!")
    burnt = cpu_seconds(php.proc.pid) - before
    assert burnt > 0.2, f"20 requests cost only {burnt:.2f} s of CPU"
    assert response.getheader("Content-Type") == "text/html; charset=UTF-8"
    deadline = time.monotonic() + 10
    while php.stdout.count('"GET / HTTP/1.1" 200 3 "-" "Wget"\n') < 20:  # the combined format
        assert time.monotonic() < deadline, php.stdout
        time.sleep(0.05)


def test_another_path_is_apache_404_and_sigterm_is_a_clean_exit(standin):
    port = free_port()
    php = standin("hpa_example", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    response, body = get(port, "/nothing")
    assert response.status == 404
    assert b"<p>The requested URL /nothing was not found on this server.</p>" in body
    assert php.stop(signal.SIGTERM) == 0
    assert "AH00169: caught SIGTERM, shutting down" in php.stderr
    assert "AH00094: Command line: 'apache2 -D FOREGROUND'" in php.stderr

"""A stand-in process for a cluster component's container (CoreDNS and the like).

kubesim itself does these components' work; their pods still run, so `kubectl get pods -n
kube-system` shows them as on kind. This process answers HTTP 200 on the ports named in
KUBESIM_STANDIN_PORTS (health and readiness endpoints the pods' probes call), skips ports it
may not bind, and exits 0 on SIGTERM.
"""

from __future__ import annotations

import http.server
import os
import signal
import sys
import threading


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b"OK"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet, like a healthy component
        return


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for port in filter(None, os.environ.get("KUBESIM_STANDIN_PORTS", "").split(",")):
        try:
            server = http.server.ThreadingHTTPServer(("0.0.0.0", int(port)), _Ok)
        except OSError:
            continue
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        "stand-in for a cluster component started (kubesim does this component's work)", flush=True
    )
    stop.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()

"""registry.k8s.io/hpa-example: the HorizontalPodAutoscaler walkthrough's php-apache server.

The real image is `php:5-apache` serving one `index.php` that burns CPU on every request
and answers `OK!`:

    $x = 0.0001;
    for ($i = 0; $i <= 1000000; $i++) { $x += sqrt($x); }
    echo "OK!";

This stand-in runs the same loop per request (a real CPU cost, which kubesim's metrics read
from the process, so the walkthrough's load generator drives the HPA up), on port 80, with
Apache's combined access log on stdout and its start-up and SIGTERM notices on stderr.
Versions of Apache and PHP are not claimed in headers or logs: the stand-in is neither.
"""

from __future__ import annotations

import math

from kubesim.standins import _apache
from kubesim.standins._program import exit_now

PORT = 80


def burn() -> float:
    """index.php's loop, as PHP runs it: a million and one square roots."""
    x = 0.0001
    sqrt = math.sqrt
    for _ in range(1000001):
        x += sqrt(x)
    return x


class Handler(_apache.Handler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = self.path.split("?", 1)[0]
        if path not in ("/", "/index.php"):
            self.not_found(path)
            return
        burn()
        self.reply(200, b"OK!", "text/html; charset=UTF-8")

    do_POST = do_GET  # noqa: N815 - PHP answers any method the same


def main() -> int:
    return _apache.serve(Handler, PORT)


if __name__ == "__main__":
    exit_now(main())

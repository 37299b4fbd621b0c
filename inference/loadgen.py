"""``python -m inference.loadgen URL --rps N --seconds S``: load the inference service.

Works the same from a laptop (http://127.0.0.1:8080) and as a Kubernetes Job
(http://inference-service:8080). Prints achieved requests per second, errors, and
p50/p90/p99 latency; exits 0 whenever the run happened (errors are results, not failures),
2 on bad arguments. With `--fail-on-errors` a run with any failed request exits 1, so a Job
running it records whether the service answered every request (lab 05 uses this).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ._loadgen import parse_target, run_load


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type that rejects zero and negatives with a readable message."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the load, print the summary; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m inference.loadgen",
        description="Send requests at a fixed rate and report throughput and latency.",
    )
    parser.add_argument("url", help="base URL, e.g. http://inference-service:8080")
    parser.add_argument("--rps", type=_positive(float), required=True, help="requests/second")
    parser.add_argument("--seconds", type=_positive(float), required=True, help="run length")
    parser.add_argument(
        "--concurrency", type=_positive(int), default=10, help="worker threads (default 10)"
    )
    parser.add_argument(
        "--path", default=None, help="path to hit (default: the URL's path, else /predict)"
    )
    parser.add_argument(
        "--timeout", type=_positive(float), default=10.0, help="per-request timeout in seconds"
    )
    parser.add_argument(
        "--fail-on-errors",
        action="store_true",
        help="exit 1 if any request failed (for Jobs that prove the service kept answering)",
    )
    args = parser.parse_args(argv)
    try:
        target = parse_target(args.url, path=args.path)
    except ValueError as exc:
        parser.error(str(exc))
    print(
        f"loadgen: starting {target.method} {target.url}, {args.rps:g} rps for {args.seconds:g} s",
        flush=True,
    )
    summary = run_load(
        target,
        rps=args.rps,
        seconds=args.seconds,
        concurrency=int(args.concurrency),
        timeout=args.timeout,
    )
    print(summary.render(), flush=True)
    if args.fail_on_errors and summary.sent != summary.ok:
        print(f"loadgen: {summary.sent - summary.ok} request(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

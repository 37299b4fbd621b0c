"""`python -m kubesim serve|stop`: run the simulated cluster in the foreground, or stop it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from kubesim._serve import serve, stop_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubesim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the API server in the foreground")
    run.add_argument("--state-dir", type=Path, required=True)
    run.add_argument("--kubeconfig", type=Path, required=True)
    run.add_argument("--port", type=int, default=0)
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--time-scale", type=float, default=1.0)
    run.add_argument(
        "--no-controllers",
        action="store_true",
        help="serve the API alone (no scheduler, kubelet or controllers): for API tests",
    )
    halt = commands.add_parser("stop", help="stop the server recorded in --state-dir")
    halt.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.command == "serve":
        asyncio.run(
            serve(
                state_dir=args.state_dir.resolve(),
                kubeconfig=args.kubeconfig.resolve(),
                host=args.host,
                port=args.port,
                time_scale=args.time_scale,
                extensions=[] if args.no_controllers else None,
            )
        )
        return 0
    return 0 if stop_server(args.state_dir.resolve()) else 1


if __name__ == "__main__":
    sys.exit(main())

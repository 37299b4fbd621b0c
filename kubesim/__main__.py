"""`python -m kubesim serve|stop|control-plane|images`: run the simulated cluster, stop it,
switch its control plane off and on, or ask its catalog.

`control-plane stop|start|status --state-dir DIR` is the control-plane-down fault's switch
(`kubesim.cluster.controlplane`): it reaches the server through its pid and a signal, not
through the API port, which the fault closes; it prints `up` or `down`.

`snapshot save|restore FILE --state-dir DIR`: the simulator has no etcd; this is its store's
snapshot (SQLite's online backup of `state.db` while serving) and its restore (through the
admin channel: control plane down, store replaced, control plane up; the nodes' containers
keep running). It prints the revision saved or restored.

`images IMAGE...` prints, as JSON, which image references kubesim's kubelet could run
(`null`) and the runtime's message for each it could not: `kubelab lint` asks here, so
kubelab learns the catalog from the simulator's own answer without importing it. `images`
alone lists the catalog: each repository with its tags.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import sys
from pathlib import Path

from kubesim.cluster import components, controlplane
from kubesim.cluster.event_ttl import KIND_EVENT_TTL, parse_duration
from kubesim.cluster.eventloop import PriorityLoop
from kubesim.cluster.serve import serve, stop_server
from kubesim.kubelet import PullError, catalog, pull
from kubesim.store import NotASnapshot, save_snapshot

# Tests run `kubelab up --backend sim` fast without a CLI flag a learner could find.
TIME_SCALE_ENV = "KUBESIM_TIME_SCALE"
VIRTUAL_TIME_ENV = "KUBESIM_VIRTUAL_TIME"


def _env_time_scale() -> float:
    """`--time-scale`'s default: $KUBESIM_TIME_SCALE when set, else real time."""
    text = os.environ.get(TIME_SCALE_ENV, "").strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise SystemExit(
            f"kubesim: {TIME_SCALE_ENV}={text!r} is not a number; set it to a factor such as "
            "10 (ten times faster) or unset it for real time"
        ) from None
    if value <= 0:
        raise SystemExit(f"kubesim: {TIME_SCALE_ENV} must be above 0, got {text!r}")
    return value


def _env_virtual_time() -> bool:
    """`--virtual-time`'s default: $KUBESIM_VIRTUAL_TIME=1 (tests only), else off."""
    text = os.environ.get(VIRTUAL_TIME_ENV, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(
        f"kubesim: {VIRTUAL_TIME_ENV}={text!r} is not a switch; set it to 1 to let cluster "
        "time jump over idle waits (tests only), or unset it for real time"
    )


def _event_ttl(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubesim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the API server in the foreground")
    run.add_argument("--state-dir", type=Path, required=True)
    run.add_argument("--kubeconfig", type=Path, required=True)
    run.add_argument("--port", type=int, default=0)
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument(
        "--time-scale",
        type=float,
        default=_env_time_scale(),
        help=(
            "run cluster time this many times faster than wall time (default 1.0: real "
            f"time; from ${TIME_SCALE_ENV} when set). For tests only: kubelab never turns "
            "it on by default, and a learner's cluster runs in real time"
        ),
    )
    run.add_argument(
        "--virtual-time",
        action="store_true",
        default=_env_virtual_time(),
        help=(
            "let cluster time jump to the next timer whenever nothing runs in real time (no "
            "request served, no pod starting, terminating or probed); on top of "
            f"--time-scale; from ${VIRTUAL_TIME_ENV}=1 when set. For tests only: a "
            "learner's cluster runs in real time"
        ),
    )
    run.add_argument(
        "--event-ttl",
        type=_event_ttl,
        default=KIND_EVENT_TTL,
        help=(
            "how long an Event lives after its last write, as kube-apiserver's --event-ttl "
            "(a Go duration; default 24h, what the course's kind cluster sets; upstream's "
            "own default is 1h)"
        ),
    )
    run.add_argument(
        "--no-controllers",
        action="store_true",
        help="serve the API alone (no scheduler, kubelet or controllers): for API tests",
    )
    run.add_argument(
        "--request-timeout",
        type=float,
        default=60.0,
        help="seconds a request may take to arrive, as kube-apiserver's --request-timeout "
        "(default 60)",
    )
    halt = commands.add_parser("stop", help="stop the server recorded in --state-dir")
    halt.add_argument("--state-dir", type=Path, required=True)
    switch = commands.add_parser(
        "control-plane",
        help="stop or start the API server's listeners, the controllers and the scheduler "
        "(the data plane keeps running); status prints up or down",
    )
    switch.add_argument("action", choices=("stop", "start", "status"))
    switch.add_argument("--state-dir", type=Path, required=True)
    snap = commands.add_parser(
        "snapshot",
        help="save or restore a snapshot of the simulator's store (it has no etcd: this is "
        "the SQLite store's snapshot, the equivalent of etcdctl snapshot save / etcdutl "
        "snapshot restore)",
    )
    snap.add_argument("action", choices=("save", "restore"))
    snap.add_argument("file", type=Path)
    snap.add_argument("--state-dir", type=Path, required=True)
    images = commands.add_parser("images", help="which image references the kubelet can run")
    images.add_argument("image", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "images":
        if not args.image:  # the catalog itself, as a learner asks which images exist
            for repository, tags in sorted(catalog().items()):
                print(f"{repository}: {', '.join(tags)}")
            return 0
        print(json.dumps({image: _pull_error(image) for image in args.image}, indent=2))
        return 0
    if args.command == "control-plane":
        try:
            print(controlplane.switch(args.state_dir.resolve(), args.action))
        except controlplane.SwitchError as exc:
            print(f"kubesim: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "snapshot":
        return _snapshot(args.action, args.state_dir.resolve(), args.file)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.command == "serve":
        # the API's requests before the cluster's own work (kubesim/cluster/eventloop.py)
        with asyncio.Runner(loop_factory=PriorityLoop) as runner:
            runner.run(
                serve(
                    state_dir=args.state_dir.resolve(),
                    kubeconfig=args.kubeconfig.resolve(),
                    host=args.host,
                    port=args.port,
                    time_scale=args.time_scale,
                    virtual_time=args.virtual_time,
                    request_timeout=args.request_timeout,
                    extensions=[]
                    if args.no_controllers
                    else [functools.partial(components.install, event_ttl=args.event_ttl)],
                )
            )
        return 0
    return 0 if stop_server(args.state_dir.resolve()) else 1


def _snapshot(action: str, state_dir: Path, file: Path) -> int:
    try:
        if action == "save":
            if (
                controlplane.read_state(state_dir) is None
                and not (state_dir / "state.db").is_file()
            ):
                raise controlplane.SwitchError(
                    f"there is no kubesim store in {state_dir} (no state.db); start the lab "
                    "cluster with `kubelab up`"
                )
            revision = save_snapshot(state_dir / "state.db", file)
            print(f"saved {revision}")
        else:
            print(controlplane.restore(state_dir, file))
    except (controlplane.SwitchError, NotASnapshot, OSError) as exc:
        print(f"kubesim: {exc}", file=sys.stderr)
        return 1
    return 0


def _pull_error(image: str) -> str | None:
    try:
        pull(image)
    except PullError as exc:
        return str(exc)
    return None


if __name__ == "__main__":
    sys.exit(main())

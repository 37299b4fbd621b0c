"""The sim backend: kubesim, a simulated Kubernetes 1.37 cluster, as a local background process.

kubelab talks to it exactly as to kind: it starts the process, waits for the kubeconfig
kubesim writes and for `/readyz` to answer through the venv's kubectl, and from then on
knows only the kubeconfig. kubesim brings its own nodes, images (its catalog) and metrics
API, so there is nothing to build, load or install here.

    start:  <python> -m kubesim serve --state-dir <lab_home>/sim --kubeconfig <kubeconfig>
            (stdout and stderr to <lab_home>/sim/kubesim.log)
    stop:   SIGTERM to the process kubelab started (recorded in <lab_home>/sim/kubelab-serve.json
            with its start time, so a reused pid is never signalled), and after STOP_GRACE
            seconds SIGKILL of its whole process tree; `kubelab down` says which it took.
    node:   POST <server>/kubesim/v1/nodes/<name>/stop|start (server, CA and token as the
            guard resolved them: `require_lab_kubeconfig()`)
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelab import _outage, _procs, _simprocess
from kubelab._backend_base import OK, WARN, LabPaths, Row, run_kubectl, tail, wait_nodes_ready
from kubelab._errors import BackendMissing, ClusterError, KubelabError
from kubelab._kubeconfig import LabKubeconfig, require_lab_kubeconfig
from kubelab._progress import Progress

START_TIMEOUT = 15.0
# kubesim's own shutdown (aiohttp's 2 s, then the store) takes well under this
STOP_GRACE = 10.0
POLL = 0.2
PORT_IN_USE_MARKERS = ("address already in use", "errno 98", "errno 48", "eaddrinuse")

NOT_BUILT = (
    "The simulator is not built yet: this copy of kubelab has no `kubesim` program "
    "(`python -m kubesim` does not exist), so the sim backend cannot start. Use the kind "
    "backend (`kubelab up --backend kind`, which needs Docker and kind; `kubelab doctor` "
    "says what is missing), or update your copy of the course and run `pip install -e .` again."
)


def simulator_built() -> bool:
    """Whether `python -m kubesim` exists in this installation."""
    try:
        return importlib.util.find_spec("kubesim.__main__") is not None
    except ModuleNotFoundError:
        return False


@dataclass(frozen=True)
class SimMachine:
    """What `kubelab doctor` finds for the simulator: that it is built, and how well it can
    isolate pods here (namespaces, busybox, the cluster network's tools)."""

    built: bool
    # "namespaces", "rootless namespaces", or why not ("process mode: ...")
    isolation: str = "namespaces"
    busybox: bool = True  # Debian's busybox-static at /bin/busybox
    # the tools kubesim's cluster network needs (`ip`, `nft`) that are missing; without them
    # (or in process mode) pods share a loopback shim
    network_missing: tuple[str, ...] = ()

    def usable(self) -> bool:
        return self.built

    def preferred(self) -> bool:
        return True  # `auto`'s fallback whenever kind cannot run

    def needs(self) -> str:
        return "" if self.built else "the simulator is not built yet"

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        if self.built:
            rows.append(Row("simulator (kubesim)", OK, "built"))
        else:
            rows.append(
                Row(
                    "simulator (kubesim)", WARN, "not built yet",
                    "Update your copy of the course and run `pip install -e .` again.",
                )
            )  # fmt: skip
        process_mode = self.isolation.startswith("process")
        if process_mode:
            rows.append(
                Row(
                    "simulator isolation", WARN, "process mode",
                    f"{self.isolation}. kubesim then runs pods as plain processes that see this "
                    "machine's files, hostname and processes (`ls /` in a pod is your root). On "
                    "Linux, install util-linux and allow unprivileged user namespaces "
                    "(`sysctl kernel.unprivileged_userns_clone=1`, or "
                    "`user.max_user_namespaces` above 0); elsewhere use the kind backend.",
                )
            )  # fmt: skip
        else:
            rows.append(Row("simulator isolation", OK, self.isolation))
        if process_mode or self.network_missing:
            why = "process mode" if process_mode else f"{', '.join(self.network_missing)} missing"
            rows.append(
                Row(
                    "simulator network", WARN, f"loopback shim ({why})",
                    "kubesim then gives pods no network of their own: only Python programs see "
                    "pod and Service addresses, a busybox pod cannot reach a Service or resolve "
                    "its name, and its connections leave for this machine's network. Install "
                    "Debian's `nftables` and `iproute2` (and allow namespaces, above).",
                )
            )  # fmt: skip
        else:
            rows.append(Row("simulator network", OK, "a cluster network namespace (nftables)"))
        if self.busybox:
            rows.append(Row("busybox", OK, "/bin/busybox"))
        else:
            rows.append(
                Row(
                    "busybox", WARN, "missing",
                    "kubesim's busybox image (`kubectl run --image=busybox`) needs Debian's "
                    "busybox-static: `sudo apt-get install busybox-static`.",
                )
            )  # fmt: skip
        return rows


def machine() -> SimMachine:
    """Look at this machine for the simulator (only through `kubelab._procs`)."""
    return SimMachine(
        built=simulator_built(),
        isolation=_isolation(),
        busybox=Path("/bin/busybox").is_file(),
        network_missing=tuple(
            tool for tool in ("ip", "nft") if _procs.which(tool) is None and not _in_sbin(tool)
        ),
    )


def _in_sbin(tool: str) -> bool:
    """`ip` and `nft` live in /usr/sbin, which a user's PATH may not hold."""
    return any(Path(folder, tool).is_file() for folder in ("/usr/sbin", "/sbin"))


def _isolation() -> str:
    """Whether kubesim can give containers their own namespaces here: the same `unshare`
    kubesim's kubelet tries (kubesim/kubelet/_world.py), run once."""
    if not sys.platform.startswith("linux"):
        return f"process mode: no Linux namespaces on {sys.platform}"
    unshare = _procs.which("unshare")
    if unshare is None:
        return "process mode: util-linux's `unshare` is not installed"
    rootless = not (hasattr(os, "geteuid") and os.geteuid() == 0)
    user = ["--user", "--map-root-user"] if rootless else []
    out = _procs.run(
        [unshare, *user, "--fork", "--pid", "--mount", "--uts", "--ipc", "true"], timeout=20
    )
    if not out.ok:
        said = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]
        return f"process mode: namespaces cannot be created ({said})"
    return "rootless namespaces" if rootless else "namespaces"


def serve_argv(paths: LabPaths) -> list[str]:
    return _simprocess.serve_argv(paths.sim_dir, paths.kubeconfig)


def log_path(paths: LabPaths) -> Path:
    return paths.sim_dir / "kubesim.log"


def record_path(paths: LabPaths) -> Path:
    """Which process kubelab started: pid and start time (kubesim's own pid file is written
    only once it serves, so a kubesim stuck loading its state would be missed)."""
    return paths.sim_dir / "kubelab-serve.json"


def record(paths: LabPaths, pid: int) -> None:
    proc = _procs.process(pid)
    started = proc.started if proc else ""
    record_path(paths).write_text(json.dumps({"pid": pid, "started": started}) + "\n")


def started_process(paths: LabPaths) -> _procs.Process | None:
    """The kubesim kubelab started, if it still runs (the same process, not a reused pid).

    Falls back to kubesim's own pid file when kubelab kept no record (a kubesim started by
    an older kubelab), and then accepts only a process whose command line is kubesim's.
    """
    try:
        data = json.loads(record_path(paths).read_text())
        pid, started = int(data["pid"]), str(data.get("started") or "")
    except (OSError, ValueError, KeyError, TypeError):
        pid, started = 0, ""
    if pid:
        proc = _procs.process(pid)
        if proc is not None and (not started or not proc.started or proc.started == started):
            return proc
        return None
    try:
        pid = int((paths.sim_dir / "kubesim.pid").read_text())
    except (OSError, ValueError):
        return None
    proc = _procs.process(pid)
    if proc is not None and "kubesim" in proc.argv and "serve" in proc.argv:
        return proc
    return None


def says_port_in_use(log_text: str) -> bool:
    lowered = log_text.lower()
    return any(marker in lowered for marker in PORT_IN_USE_MARKERS)


NODE_ADMIN_PATH = "/kubesim/v1/nodes/{name}/{action}"


def node_request(access: LabKubeconfig, name: str, action: str) -> urllib.request.Request:
    """The POST that stops or starts a simulated node (pure: builds, does not send)."""
    path = NODE_ADMIN_PATH.format(name=urllib.parse.quote(name), action=action)
    return _admin_request(access, path, method="POST")


def _admin_request(access: LabKubeconfig, path: str, *, method: str) -> urllib.request.Request:
    """A request to kubesim's own API. Server and token are the guard's resolution of the
    lab kubeconfig, nothing read anew."""
    headers = {"Accept": "application/json"}
    if access.token:
        headers["Authorization"] = f"Bearer {access.token}"
    data = b"" if method == "POST" else None
    return urllib.request.Request(access.server + path, data=data, headers=headers, method=method)


def _admin_opener(access: LabKubeconfig) -> urllib.request.OpenerDirector:
    """HTTPS trusting the lab's CA only, and no proxy from the environment: the bearer token
    goes to the guard's server only."""
    context = ssl.create_default_context(cadata=access.ca_pem) if access.ca_pem else None
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )


class SimBackend:
    name = "sim"

    def __init__(self, paths: LabPaths) -> None:
        self.paths = paths

    def steps(self) -> int:
        # start, nodes
        return 2

    def answering(self) -> bool:
        if not self.paths.kubeconfig.exists():
            return False
        return run_kubectl(self.paths, "get", "--raw", "/readyz", timeout=10).ok

    def up(self, progress: Progress) -> None:
        paths = self.paths
        title = "Start kubesim, the simulated Kubernetes 1.37 cluster"
        if not simulator_built():
            raise BackendMissing(NOT_BUILT)
        if self.answering():
            require_lab_kubeconfig(paths.kubeconfig)
            progress.skip(title, "already running")
        elif (stuck := started_process(paths)) is not None:
            if (outage := self._outage()) is not None:
                raise ClusterError(outage)
            raise ClusterError(
                f"A kubesim that kubelab started (pid {stuck.pid}) is running but does not "
                f"answer, so a second one would only fight it for the port. Run `kubelab down` "
                "(it stops that process, with SIGKILL if it must) and then `kubelab up` again; "
                f"its log is {log_path(paths)}."
            )
        else:
            progress.step(title)
            self._start()
        wait_nodes_ready(paths, progress, timeout="60s")
        facts = simulator_status(require_lab_kubeconfig(paths.kubeconfig))
        for text in cautions(facts, busybox=Path("/bin/busybox").is_file()):
            progress.warn(text)

    def _outage(self) -> str | None:
        """The paragraph saying a fault of ours stopped the control plane, if it did."""
        if not _outage.stopped_by_us(self.paths):
            return None
        try:
            info = require_lab_kubeconfig(self.paths.kubeconfig)
        except KubelabError:
            return None
        down = _outage.backend_says_down(self.paths, self)
        return _outage.down_message(self.paths, info) if down else None

    def _start(self) -> None:
        paths = self.paths
        paths.sim_dir.mkdir(parents=True, exist_ok=True)
        log = log_path(paths)
        pid = _procs.spawn(serve_argv(paths), env=_procs.lab_env(paths.kubeconfig), log=log)
        record(paths, pid)
        deadline = _procs.monotonic() + START_TIMEOUT
        while _procs.monotonic() < deadline:
            if paths.kubeconfig.exists() and self.answering():
                require_lab_kubeconfig(paths.kubeconfig)
                return
            _procs.sleep(POLL)
        last = tail(log)
        if says_port_in_use(last):
            raise ClusterError(
                "kubesim could not start because the port it serves on is already in use "
                "(probably another kubesim, or an earlier lab that is still running). Run "
                "`kubelab down` to stop a kubesim kubelab started, or find what holds the port "
                f"with `ss -ltnp`, then `kubelab up` again. The end of {log}:\n{last}"
            )
        raise ClusterError(
            f"kubesim did not become ready within {START_TIMEOUT:.0f} s (no kubeconfig at "
            f"{paths.kubeconfig} answering /readyz). Its log, {log}, ends with:\n{last}\n"
            "Run `kubelab down` and `kubelab up --backend sim` to start over."
        )

    def describe(self, info: LabKubeconfig) -> list[tuple[str, str]]:
        rows = [("backend", f"{self.name}: kubesim — a simulated cluster (test double)")]
        facts = simulator_status(info)
        limits = limits_text(facts)
        if limits:
            rows.append(("limits", limits))
        isolation = (facts.get("isolation") or {}).get("description")
        if isolation:
            rows.append(("isolation", str(isolation)))
        network = (facts.get("network") or {}).get("description")
        if network:
            rows.append(("network", str(network)))
        time_row = time_text(facts)
        if time_row:
            rows.append(("time", time_row))
        return rows

    def node(self, name: str, action: str) -> None:
        """Ask kubesim to stop or start a simulated node (its kubelet stops heartbeating), or
        to start or end a process on it outside any pod (`fill-memory`, `free-memory`)."""
        if action not in ("stop", "start", "fill-memory", "free-memory"):
            raise ValueError(
                f"node action is stop, start, fill-memory or free-memory, not {action!r}"
            )
        access = require_lab_kubeconfig(self.paths.kubeconfig)
        request = node_request(access, name, action)
        try:
            with _admin_opener(access).open(request, timeout=30) as reply:
                reply.read()
        except urllib.error.HTTPError as exc:
            said = exc.read().decode(errors="replace").strip()[:500]
            if exc.code == 404 and not said.startswith("{"):
                said = "this kubesim has no node admin endpoint; update the course checkout"
            raise ClusterError(
                f"kubesim refused to {action} node {name} ({exc.code}: {said}). Check the "
                f"name with `kubectl get nodes`; the simulator's log is {log_path(self.paths)}."
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ClusterError(
                f"Could not reach kubesim at {access.server} to {action} node {name} "
                f"({getattr(exc, 'reason', exc)}). Run `kubelab status`; `kubelab up` starts "
                "the simulator again."
            ) from exc

    def control_plane(self, action: str) -> str:
        """Stop or start kubesim's control plane (the API port, the controllers, the
        scheduler; the nodes and the pod network keep running), or ask (`status`); returns
        `up` or `down`. kubesim does the waiting: it answers once it has switched."""
        if action not in ("stop", "start", "status"):
            raise ValueError(f"control plane action is stop, start or status, not {action!r}")
        if started_process(self.paths) is None:
            raise ClusterError(
                "No kubesim that kubelab started is running, so there is no control plane to "
                f"{action}. Run `kubelab up` to start the lab cluster."
            )
        done = _procs.run(
            _simprocess.control_plane_argv(self.paths.sim_dir, action),
            env=_procs.lab_env(self.paths.kubeconfig),
            timeout=60,
        )
        said = done.stdout.strip()
        if not done.ok or said not in ("up", "down"):
            raise ClusterError(
                f"kubesim could not {action} its control plane: "
                f"{(done.stderr or done.stdout).strip() or f'exit code {done.returncode}'} "
                f"Its log is {log_path(self.paths)}."
            )
        return said

    def snapshot(self, action: str, file: Path) -> str:
        """The simulator has no etcd: save or restore its SQLite store (`python -m kubesim
        snapshot`); a restore stops the control plane, replaces the store and starts it
        again, while the nodes' containers keep running."""
        if action not in ("save", "restore"):
            raise ValueError(f"snapshot action is save or restore, not {action!r}")
        if started_process(self.paths) is None:
            raise ClusterError(
                f"No kubesim that kubelab started is running, so there is no store to {action}. "
                "Run `kubelab up` to start the lab cluster, then try again."
            )
        done = _procs.run(
            _simprocess.snapshot_argv(self.paths.sim_dir, action, file.resolve()),
            env=_procs.lab_env(self.paths.kubeconfig),
            timeout=120,
        )
        said = done.stdout.strip()
        if not done.ok or not said.startswith(("saved ", "restored ")):
            why = (done.stderr or done.stdout).strip().removeprefix("kubesim: ")
            raise ClusterError(
                f"Could not {action} the snapshot {file}: {why or f'exit code {done.returncode}'}"
            )
        revision = said.split()[-1]
        if action == "save":
            return (
                f"Saved a snapshot of the simulator's store to {file} (revision {revision}). "
                "The simulator has no etcd: this is its SQLite store's snapshot."
            )
        return (
            f"Restored the simulator's store from {file}; the API now continues at revision "
            f"{revision}. The pods' containers on the nodes kept running."
        )

    def running(self) -> bool:
        """Whether a kubesim kubelab started still runs (even with no kubeconfig written)."""
        return started_process(self.paths) is not None

    def down(self, progress: Progress, *, force: bool) -> None:
        """Stop the kubesim kubelab started, whatever it is doing: SIGTERM, then SIGKILL of
        its whole process tree after STOP_GRACE seconds; say which it took. Then delete its
        cluster (`delete_cluster_state`), as `kind delete cluster` does."""
        paths = self.paths
        progress.step("Stop kubesim and delete its cluster")
        target = started_process(paths)
        if target is None:
            progress.note("no kubesim started by kubelab is running: nothing to stop")
        else:
            stopped = _procs.terminate(target, grace=STOP_GRACE)
            progress.note(stopped.describe("kubesim"))
            if stopped.remaining:
                raise ClusterError(
                    f"kubesim's processes {', '.join(map(str, stopped.remaining))} are still "
                    "running even after SIGKILL (they may belong to another user, or be stuck "
                    "in the kernel). Look at them with `ps -o pid,user,stat,cmd -p "
                    f"{','.join(map(str, stopped.remaining))}`; the lab's state is in "
                    f"{paths.sim_dir}."
                )
        record_path(paths).unlink(missing_ok=True)
        if target is not None:  # a SIGKILLed kubesim leaves its pid file behind
            (paths.sim_dir / "kubesim.pid").unlink(missing_ok=True)
        progress.note(delete_cluster_state(paths.sim_dir))


# what `kind delete cluster` takes with the node containers: the store (every object), the
# nodes' folders (pod logs, volumes, container roots) and the pod network's files. The CA,
# keys, port and log stay, so the next `up` keeps the same server address and a readable log.
CLUSTER_STATE = ("state.db", "state.db-wal", "state.db-shm", "kubelet", "network", "control-plane")


def delete_cluster_state(sim_dir: Path) -> str:
    """Delete the stopped simulator's cluster, so the next `up` starts an empty one, as on
    kind; returns what to tell the learner."""
    failed = []
    for name in CLUSTER_STATE:
        path = sim_dir / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            failed.append(f"{path} ({exc.strerror or exc})")
    if failed:
        return (
            "could not delete " + ", ".join(failed) + "; the next `kubelab up` may show "
            "objects of this cluster. Delete them by hand once nothing uses them."
        )
    return "deleted its objects, pod logs and volumes: the next `kubelab up` starts empty"


def simulator_status(info: LabKubeconfig) -> dict[str, Any]:
    """kubesim's own account of itself (/kubesim/v1/status): limits, isolation, nodes.
    Through the standard library, as the node requests go: `kubelab up` asks it on every
    start, and the official client's import would cost more than the question."""
    request = _admin_request(info, "/kubesim/v1/status", method="GET")
    try:
        with _admin_opener(info).open(request, timeout=5) as reply:
            facts = json.loads(reply.read() or b"{}")
    # an older kubesim without the endpoint, or one that stopped answering: say nothing
    # rather than guess (urllib's HTTPError and URLError are OSErrors)
    except (OSError, ValueError, http.client.HTTPException):
        return {}
    return facts if isinstance(facts, dict) else {}


def cautions(facts: dict[str, Any], *, busybox: bool) -> list[str]:
    """What `kubelab up` says when the cluster it started is less than a learner expects:
    the running kubesim's own account (process mode, the loopback shim), and busybox. A
    cluster that came up this way answers every `kubectl` command, so without these lines
    the difference shows only later, as a pod that sees this machine's files or a `wget`
    that cannot reach a Service."""
    said: list[str] = []
    isolation = facts.get("isolation") or {}
    network = facts.get("network") or {}
    doctor = "`kubelab doctor` says what to install."
    if isolation.get("mode") == "process":
        said.append(
            "Pods run as plain processes here, not containers: they see this machine's "
            f"files, hostname and processes. {doctor}"
        )
    elif network.get("mode") == "loopback":
        why = f": {network['reason']}" if network.get("reason") else ""
        said.append(
            f"Pods have no network of their own here (kubesim's loopback shim{why}): a busybox "
            f"pod cannot reach a Service or resolve its name. {doctor}"
        )
    if not busybox:
        said.append(
            "Debian's busybox-static is not installed, so busybox images (`kubectl run "
            "--image=busybox`) cannot start: `sudo apt-get install busybox-static`."
        )
    return said


def time_text(facts: dict[str, Any]) -> str:
    """The cluster's clock when it is not real time (a test setting, never a learner's)."""
    scale = facts.get("timeScale", 1.0)
    virtual = bool(facts.get("virtualTime"))
    if not isinstance(scale, int | float) or (scale == 1 and not virtual):
        return ""
    text = f"{scale:g}x real time" if scale != 1 else "real time"
    if virtual:
        text += ", virtual: it jumps to the next timer whenever nothing runs in real time"
    return text + " (a test setting)"


def limits_text(facts: dict[str, Any]) -> str:
    """How kubesim enforces memory and CPU limits here (DESIGN.md: say so in status)."""
    if not facts:
        return ""
    if facts.get("cgroups"):
        return "kernel cgroup v1 limits (memory over the limit is OOM-killed by the kernel)"
    return "measured: no writable cgroups here, so the kubelet polls memory and kills over-limit containers itself"

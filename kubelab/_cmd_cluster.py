"""Cluster lifecycle commands: `doctor`, `up`, `down`, `status`, `course`.

Every command that changes the cluster or hands it to someone (up on an existing cluster,
down, course) passes the kubeconfig guard *before* running any process, so a kubeconfig that
points anywhere but the lab's own cluster never reaches docker, kind, kubectl or Jupyter.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table

from kubelab import _procs
from kubelab._app import app
from kubelab._backend_base import LabPaths, lab_paths
from kubelab._backends import (
    control_plane_down,
    forget,
    make_backend,
    pick,
    remember,
    remembered,
)
from kubelab._doctor import diagnose, gather
from kubelab._errors import ClusterError, UsageError
from kubelab._jupyter import (
    CourseOptions,
    is_loopback_ip,
    lab_argv,
    lab_environment,
    running_as_root,
    write_config,
)
from kubelab._kubeconfig import LabKubeconfig, api_client, require_lab_kubeconfig
from kubelab._outage import down_message, forget_down
from kubelab._progress import Progress


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


# --- doctor ---------------------------------------------------------------------------


@app.command()
def doctor() -> None:
    """Check Python, Docker, kind, kubectl and memory; say how to fix what is missing."""
    report = diagnose(gather())
    _console().print(report)
    raise typer.Exit(report.exit_code)


# --- up / down ------------------------------------------------------------------------


def _guard_existing(paths: LabPaths) -> LabKubeconfig | None:
    """Refuse early when a lab kubeconfig exists but points at someone else's cluster."""
    if paths.kubeconfig.exists():
        return require_lab_kubeconfig(paths.kubeconfig)
    return None


@app.command()
def up(
    backend: str | None = typer.Option(
        None,
        "--backend",
        help="auto (kind when Docker and kind are ready, else sim), kind, or sim. "
        "Default: $KUBELAB_BACKEND or auto.",
        show_default=False,
    ),
    from_bundle: Annotated[
        Path | None,
        typer.Option(
            "--from-bundle",
            help="A workshop bundle (`kubelab bundle DIR`): its images replace every pull. "
            "Implies the kind backend.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create the lab cluster, or finish it: only missing steps are redone."""
    paths = lab_paths()
    _guard_existing(paths)
    name = pick(backend or ("kind" if from_bundle else None), paths)
    impl = make_backend(name, paths, bundle=from_bundle.resolve() if from_bundle else None)
    console = _console()
    console.print(f"Bringing up the lab cluster on the [bold]{name}[/] backend.")
    remember(paths, name)
    impl.up(Progress(impl.steps(), console=console))
    console.print(
        f"[green]The lab cluster is ready.[/] kubeconfig: {paths.kubeconfig}\n"
        "Next: `kubelab status`, or `kubelab course` to open the notebooks."
    )


def _started_and_running(name: str | None, paths: LabPaths) -> bool:
    """Whether a backend `up` started is provably still running without its kubeconfig:
    `up` stopped before the kubeconfig was written (kubesim stuck loading its state), and
    the backend recorded the process it started. A kind cluster without the lab's
    kubeconfig is not provably ours, so deleting it stays behind `--force`."""
    if name is None:
        return False
    running = getattr(make_backend(name, paths), "running", None)
    return bool(running and running())


@app.command()
def down(
    force: bool = typer.Option(
        False,
        "--force",
        help="Also delete a kind cluster named kubelab when the lab's kubeconfig is gone.",
    ),
) -> None:
    """Delete the lab cluster and its kubeconfig."""
    paths = lab_paths()
    info = _guard_existing(paths)
    started = remembered(paths)
    if info is None and not force and not _started_and_running(started, paths):
        # a second `down`, or never `up`: nothing is wrong, so say so and succeed
        forget(paths)
        _console().print(
            f"There is no lab cluster to take down: no lab kubeconfig at {paths.kubeconfig} "
            "and no backend that kubelab started, so there is nothing to delete. (If `kind get "
            "clusters` still lists a leftover `kubelab` cluster, `kubelab down --force` "
            "deletes it.)"
        )
        return
    name = started or (info.backend if info else "kind")
    impl = make_backend(name, paths)
    console = _console()
    impl.down(Progress(1, console=console), force=force)
    forget(paths)
    forget_down(paths)  # a control plane a fault stopped went with the cluster
    console.print(f"[green]The lab cluster is gone[/] ({name} backend).")


# --- status ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeRow:
    name: str
    status: str
    roles: str
    version: str


def node_row(node: dict[str, Any]) -> NodeRow:
    """One node as `kubectl get nodes` prints it (NAME, STATUS, ROLES, VERSION)."""
    meta = node.get("metadata") or {}
    status = node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    text = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (ready or {}).get("status") not in ("True", "False"):
        text = "Unknown" if ready else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k[len(prefix) :] for k in (meta.get("labels") or {}) if k.startswith(prefix))
    version = (status.get("nodeInfo") or {}).get("kubeletVersion", "")
    return NodeRow(meta.get("name", ""), text, ",".join(r for r in roles if r) or "<none>", version)


@dataclass(frozen=True)
class StatusReport:
    backend: str
    context: str
    server: str
    server_version: str
    kubectl_version: str
    nodes: tuple[NodeRow, ...]
    about: tuple[tuple[str, str], ...] = ()  # what the backend says of itself

    def __rich__(self) -> RenderableType:
        about = Table(show_header=False, box=None, pad_edge=False)
        about.add_column(style="bold")
        about.add_column()
        said = dict(self.about)
        for key, value in (
            ("backend", said.pop("backend", self.backend)),
            ("context", self.context),
            ("server", self.server),
            ("Kubernetes", self.server_version),
            ("kubectl", self.kubectl_version),
            *said.items(),
        ):
            about.add_row(key, value)
        nodes = Table(title="nodes", title_justify="left")
        for column in ("NAME", "STATUS", "ROLES", "VERSION"):
            nodes.add_column(column)
        for row in self.nodes:
            nodes.add_row(row.name, row.status, row.roles, row.version)
        return Group(about, nodes)


def read_cluster(info: LabKubeconfig) -> tuple[str, list[dict[str, Any]]]:
    """Server version and nodes, read with the official Python client on the lab kubeconfig."""
    from kubernetes import client

    def not_answering(exc: Exception) -> ClusterError:
        return ClusterError(
            f"The lab cluster is not answering at {info.server} (context {info.context}): "
            f"{exc.__class__.__name__}. Run `kubelab up` to start it (it only redoes what is "
            "missing), then `kubelab status` again."
        )

    try:
        with api_client(info) as api:
            api.configuration.retries = 0
            version = client.VersionApi(api).get_code(_request_timeout=5)
            raw: Any = client.CoreV1Api(api).list_node(_preload_content=False, _request_timeout=5)
            body = raw.read() if hasattr(raw, "read") else raw.data
            nodes = json.loads(body).get("items") or []
    except Exception as exc:  # urllib3, ssl, ApiException, config errors: all mean "not there"
        raise not_answering(exc) from exc
    return str(getattr(version, "git_version", "") or ""), nodes


def kubectl_version() -> str:
    out = _procs.run([_procs.kubectl_binary(), "version", "--client", "-o", "json"], timeout=30)
    try:
        return str(json.loads(out.stdout)["clientVersion"]["gitVersion"])
    except (ValueError, KeyError, TypeError):
        return "unknown (the venv's kubectl did not run)"


@app.command()
def status() -> None:
    """Show the backend, context, server, nodes and versions of the lab cluster."""
    paths = lab_paths()
    info = require_lab_kubeconfig(paths.kubeconfig)
    try:
        server_version, nodes = read_cluster(info)
    except ClusterError as exc:
        if control_plane_down(paths, info):
            raise ClusterError(down_message(paths, info)) from exc
        raise
    backend = remembered(paths) or info.backend
    report = StatusReport(
        backend=backend,
        context=info.context,
        server=info.server,
        server_version=server_version,
        kubectl_version=kubectl_version(),
        nodes=tuple(node_row(n) for n in nodes),
        about=tuple(make_backend(backend, paths).describe(info)),
    )
    _console().print(report)


# --- course ---------------------------------------------------------------------------


def course_command(
    paths: LabPaths, *, no_browser: bool = False, options: CourseOptions | None = None
) -> tuple[list[str], dict[str, str]]:
    """The JupyterLab argv and environment (pure: writes nothing; see `_jupyter`)."""
    options = options or CourseOptions(open_browser=not no_browser)
    venv_bin = Path(sys.executable).parent
    argv = lab_argv(venv_bin=venv_bin, notebooks=paths.notebooks, options=options)
    env = lab_environment(
        dict(os.environ), venv_bin=venv_bin, kubeconfig=paths.kubeconfig, home=paths.home
    )
    return argv, env


ROOT_NOTE = (
    "You are root, so kubelab starts JupyterLab with --allow-root (JupyterLab refuses root "
    "otherwise; common in containers, WSL, Codespaces and CI). Its kernels and terminals run "
    "as root too: keep it on this machine (the default) or behind a token."
)


@app.command()
def course(
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
    port: int | None = typer.Option(
        None,
        "--port",
        min=1,
        max=65535,
        help="Serve on this port (default: 8888 or the next free).",
    ),
    ip: str | None = typer.Option(
        None, "--ip", help="Listen on this address (default: localhost; 0.0.0.0 for a container)."
    ),
    token: str | None = typer.Option(
        None, "--token", help="Log in with this token (default: JupyterLab makes a random one)."
    ),
    no_token: bool = typer.Option(
        False,
        "--no-token",
        help="No token at all: for local use only (refused with a non-local --ip).",
    ),
) -> None:
    """Open the course: JupyterLab on notebooks/, with the lab's KUBECONFIG, the venv's kubectl
    and kubelab in kernels and terminals; works as root too."""
    paths = lab_paths()
    require_lab_kubeconfig(paths.kubeconfig)
    if not paths.notebooks.is_dir():
        raise UsageError(
            f"The course notebooks are not here: {paths.notebooks} does not exist. Run "
            "`kubelab course` from a clone of the kubelab repository (where `pip install -e .` "
            "was run), so the notebooks come with it."
        )
    if no_token and token is not None:
        raise UsageError("Give either --token TEXT or --no-token, not both.")
    if no_token and not is_loopback_ip(ip):
        raise UsageError(
            f"Refusing --no-token with --ip {ip}: anyone who reaches that address could run "
            "code on this machine through JupyterLab. Keep a token (`--token TEXT`, or none of "
            "the two options for a random one), or listen on this machine only (no --ip)."
        )
    if port is not None and not _procs.port_free(port):
        raise UsageError(
            f"Port {port} is already in use, so JupyterLab cannot listen there. Pick another "
            "with --port, or leave --port out and JupyterLab takes the next free one from 8888."
        )
    options = CourseOptions(
        port=port,
        ip=ip,
        open_browser=not no_browser,
        token="" if no_token else token,
        as_root=running_as_root(),
    )
    if options.as_root:
        _console().print(ROOT_NOTE)
    argv, env = course_command(paths, options=options)
    write_config(home=paths.home, kubeconfig=paths.kubeconfig, venv_bin=Path(sys.executable).parent)
    code = _procs.foreground(argv, env=env, cwd=paths.notebooks)
    if code:
        raise typer.Exit(code)


# --- snapshot -------------------------------------------------------------------------

snapshot_app = typer.Typer(
    help="Save or restore a snapshot of the lab cluster's store. kind: etcd's own snapshot "
    "(etcdctl snapshot save in the etcd pod; etcdutl snapshot restore into a new data dir). "
    "The simulator has no etcd: there this is a snapshot of its SQLite store, taken and put "
    "back the same way. A restore rewinds everything stored in the API; the pods' "
    "containers on the nodes keep running.",
    no_args_is_help=True,
)
app.add_typer(snapshot_app, name="snapshot")

FileArg = Annotated[Path, typer.Argument(help="The snapshot file.", show_default=False)]


def _snapshot(action: str, file: Path) -> None:
    paths = lab_paths()
    info = require_lab_kubeconfig(paths.kubeconfig)
    backend = make_backend(remembered(paths) or info.backend, paths)
    _console().print(backend.snapshot(action, file))


@snapshot_app.command("save")
def snapshot_save(file: FileArg) -> None:
    """Save a snapshot of the cluster's store to FILE (kind: etcd; the simulator: its SQLite
    store, it has no etcd)."""
    if file.is_dir():
        raise UsageError(f"{file} is a folder: name the snapshot file, e.g. {file / 'lab.db'}.")
    if not file.parent.is_dir():
        raise UsageError(f"There is no folder {file.parent} to save the snapshot {file.name} in.")
    _snapshot("save", file)


@snapshot_app.command("restore")
def snapshot_restore(file: FileArg) -> None:
    """Restore the cluster's store from FILE: the API server stops, the store is replaced,
    the API server starts again. Everything stored in the API goes back to the snapshot's
    moment; the pods' containers keep running."""
    if not file.is_file():
        raise UsageError(
            f"There is no snapshot at {file}: nothing was restored. Save one first with "
            "`kubelab snapshot save FILE`."
        )
    _snapshot("restore", file)

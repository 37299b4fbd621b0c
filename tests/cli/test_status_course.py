"""`kubelab status` reads the cluster with the official client; `kubelab course` opens JupyterLab
with the lab's KUBECONFIG. Status talks to a tiny local API server (the transport swapped, not
the code path); course runs through the fake host."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, ok, write_kubeconfig

from kubelab._backend_base import LabPaths
from kubelab._cmd_cluster import course_command, node_row
from kubelab.cli import main

VERSION = {
    "major": "1",
    "minor": "37",
    "gitVersion": "v1.37.0-kubesim",
    "gitCommit": "0000000",
    "gitTreeState": "clean",
    "buildDate": "2026-11-24T00:00:00Z",
    "goVersion": "python3.11",
    "compiler": "kubesim",
    "platform": "linux/amd64",
}


def node(name: str, roles: list[str], ready: str = "True", unschedulable: bool = False) -> dict:
    return {
        "metadata": {
            "name": name,
            "labels": {f"node-role.kubernetes.io/{r}": "" for r in roles},
        },
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "conditions": [{"type": "Ready", "status": ready}],
            "nodeInfo": {"kubeletVersion": "v1.37.0"},
        },
    }


NODES = [node("kubelab-control-plane", ["control-plane"]), node("kubelab-worker", [])]


class FakeApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0].rstrip("/")
        body = {
            "/version": VERSION,
            "/api/v1/nodes": {"kind": "NodeList", "apiVersion": "v1", "items": NODES},
        }.get(path)
        data = json.dumps(body or {"kind": "Status", "code": 404}).encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_status_shows_backend_context_nodes_and_versions(
    host: FakeHost, lab_home: Path, api: str, capsys
):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", api)
    (lab_home / "backend").write_text("sim\n")
    host.rules["kubectl version --client -o json"] = ok(
        json.dumps({"clientVersion": {"gitVersion": "v1.37.1"}})
    )

    assert main(["status"]) == 0

    out = capsys.readouterr().out
    assert "kubesim — a simulated cluster (test double)" in out
    assert "kubesim-kubelab" in out and api in out
    assert "v1.37.0-kubesim" in out and "v1.37.1" in out
    assert "kubelab-control-plane" in out and "control-plane" in out
    assert "kubelab-worker" in out and "<none>" in out


def test_status_of_a_cluster_that_is_down_is_one_paragraph(host: FakeHost, lab_home: Path, capsys):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", f"http://127.0.0.1:{port}")

    assert main(["status"]) == 5

    err = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in err
    assert f"not answering at http://127.0.0.1:{port}" in err and "kubelab up" in err


@pytest.mark.parametrize(
    "given, status, roles",
    [
        pytest.param(node("a", ["control-plane"]), "Ready", "control-plane", id="ready-cp"),
        pytest.param(node("b", []), "Ready", "<none>", id="worker-no-roles"),
        pytest.param(node("c", [], ready="False"), "NotReady", "<none>", id="not-ready"),
        pytest.param(node("d", [], ready="Unknown"), "Unknown", "<none>", id="unknown"),
        pytest.param(node("e", ["worker"], unschedulable=True), "Ready,SchedulingDisabled",
                     "worker", id="cordoned"),
    ],
)  # fmt: skip
def test_node_rows_read_like_kubectl_get_nodes(given, status, roles):
    row = node_row(given)
    assert (row.status, row.roles, row.version) == (status, roles, "v1.37.0")


def test_course_opens_jupyterlab_with_the_lab_kubeconfig(host: FakeHost, lab_home: Path):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")

    assert main(["course", "--no-browser"]) == 0

    (call,) = host.calls
    venv_bin = str(Path(sys.executable).parent)
    assert call.kind == "foreground"
    assert call.argv[:4] == [f"{venv_bin}/python", "-P", "-m", "kubelab._lab_server"]
    assert any(a.startswith("--ServerApp.root_dir=") and a.endswith("notebooks") for a in call.argv)
    assert call.argv[-1] == "--no-browser"
    assert call.env is not None
    assert call.env["KUBECONFIG"] == str(lab_home / "kubeconfig")
    assert call.env["KUBELAB_HOME"] == str(lab_home)
    assert call.env["PATH"].split(":")[0] == venv_bin, "!kubectl cells find the venv's kubectl"


@pytest.mark.parametrize(
    "present, opens",
    [
        pytest.param(("course.ipynb", "00-welcome.ipynb"), "course.ipynb", id="landing-page"),
        pytest.param(("00-welcome.ipynb",), "00-welcome.ipynb", id="welcome-only"),
        pytest.param((), None, id="neither"),
    ],
)
def test_course_opens_the_landing_page_else_the_welcome_notebook(
    tmp_path: Path, present: tuple[str, ...], opens: str | None
):
    (tmp_path / "notebooks").mkdir()
    for name in present:
        (tmp_path / "notebooks" / name).write_text("{}")
    argv, _env = course_command(LabPaths(home=tmp_path / "lab", repo=tmp_path), no_browser=False)
    urls = [a for a in argv if a.startswith("--LabApp.default_url=")]
    assert urls == ([f"--LabApp.default_url=/lab/tree/{opens}"] if opens else [])
    assert "--no-browser" not in argv

"""`kubelab course` starts JupyterLab anywhere (issue 18 item 1, issue 19 item 5): as root,
on a chosen port and address, with a token or none, the lab's environment in kernels *and*
terminals, no news popup, and the authoring files out of the learner's file browser."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, write_kubeconfig

import kubelab._cmd_cluster as cluster
from kubelab._backend_base import REPO_ROOT
from kubelab.cli import main

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def lab(lab_home: Path) -> Path:
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    return lab_home


def jupyter_call(host: FakeHost):
    (call,) = [c for c in host.calls if c.kind == "foreground"]
    return call


@pytest.mark.parametrize("root", [True, False], ids=["root", "user"])
def test_root_gets_allow_root_and_is_told_once(host: FakeHost, lab, monkeypatch, capsys, root):
    monkeypatch.setattr(cluster, "running_as_root", lambda: root)
    assert main(["course", "--no-browser"]) == 0
    assert ("--allow-root" in jupyter_call(host).argv) is root
    assert capsys.readouterr().out.count("--allow-root") == (1 if root else 0)


def test_port_ip_and_token_reach_jupyterlab(host: FakeHost, lab):
    argv = ["course", "--no-browser", "--port", "9123", "--ip", "0.0.0.0", "--token", "abc"]
    assert main(argv) == 0
    args = jupyter_call(host).argv
    assert "--ServerApp.port=9123" in args and "--ServerApp.port_retries=0" in args
    assert "--ServerApp.ip=0.0.0.0" in args and "--IdentityProvider.token=abc" in args
    assert "--no-browser" in args


def test_no_token_is_an_empty_token_on_this_machine_only(host: FakeHost, lab, capsys):
    assert main(["course", "--no-browser", "--no-token"]) == 0
    assert "--IdentityProvider.token=" in jupyter_call(host).argv

    host.calls.clear()
    assert main(["course", "--no-token", "--ip", "0.0.0.0"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Refusing --no-token with --ip 0.0.0.0" in err and "Traceback" not in err
    assert host.calls == []


def test_a_busy_port_is_refused_before_starting(host: FakeHost, lab, capsys):
    host.busy_ports.add(9124)
    assert main(["course", "--port", "9124"]) == 2
    assert "Port 9124 is already in use" in capsys.readouterr().err
    assert host.calls == []


def test_the_environment_and_config_live_in_the_lab_home(host: FakeHost, lab, tmp_path):
    assert main(["course", "--no-browser"]) == 0
    env = jupyter_call(host).env
    assert env is not None
    assert env["PATH"].split(os.pathsep)[0] == str(VENV_BIN)
    assert env["KUBECONFIG"] == str(lab / "kubeconfig") and env["KUBELAB_HOME"] == str(lab)
    assert env["JUPYTER_CONFIG_DIR"] == str(lab / "jupyter")

    config = json.loads((lab / "jupyter" / "jupyter_server_config.json").read_text())
    assert {"src", "build.py"} <= set(config["ContentsManager"]["hide_globs"])
    shell = config["ServerApp"]["terminado_settings"]["shell_command"]
    assert "-l" not in shell, "a login shell would reset PATH from /etc/profile"
    assert config["LabApp"]["news_url"] is None
    rc = (lab / "jupyter" / "terminal-rc.sh").read_text()
    assert f"export PATH={VENV_BIN}:" in rc and f"export KUBECONFIG={lab / 'kubeconfig'}" in rc
    news = lab / "jupyter/lab-user-settings/@jupyterlab/apputils-extension"
    assert (
        json.loads((news / "notification.jupyterlab-settings").read_text())["fetchNews"] == "false"
    )
    assert not (tmp_path / "home" / ".jupyter").exists(), "the user's ~/.jupyter is never written"


# --- the real JupyterLab -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TOKEN = "kubelab-test-token"


def get(port: int, path: str) -> tuple[int, bytes]:
    sep = "&" if "?" in path else "?"
    url = f"http://127.0.0.1:{port}{path}{sep}token={TOKEN}"
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - our own test server
        return reply.status, reply.read()


async def terminal_says(port: int, command: str, marker: str) -> str:
    """Open a JupyterLab terminal over the REST API and its websocket; run one command."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    made = await AsyncHTTPClient().fetch(
        f"http://127.0.0.1:{port}/api/terminals?token={TOKEN}", method="POST", body="{}"
    )
    name = json.loads(made.body)["name"]
    ws = await websocket_connect(
        HTTPRequest(f"ws://127.0.0.1:{port}/terminals/websocket/{name}?token={TOKEN}")
    )
    await ws.write_message(json.dumps(["stdin", command + "\r"]))
    out = ""
    deadline = time.monotonic() + 20
    while marker not in out and time.monotonic() < deadline:
        message = await asyncio.wait_for(ws.read_message(), 20)
        if message is None:
            break
        kind, *rest = json.loads(message)
        if kind == "stdout":
            out += rest[0]
    ws.close()
    return out


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str], Path]]:
    home = tmp_path / "lab"
    write_kubeconfig(home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    port = free_port()
    env = {
        **os.environ,
        "KUBELAB_HOME": str(home),
        "HOME": str(tmp_path / "home"),
        "PATH": "/usr/bin:/bin",  # no venv on PATH: kubelab must put it there itself
    }
    env.pop("KUBECONFIG", None)
    argv = [str(VENV_BIN / "kubelab"), "course", "--no-browser", "--port", str(port)]
    proc = subprocess.Popen(
        [*argv, "--token", TOKEN],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    began = time.monotonic()
    while time.monotonic() - began < 90:
        if proc.poll() is not None:
            pytest.fail(f"kubelab course exited {proc.returncode}: {proc.stdout.read()}")  # type: ignore[union-attr]
        try:
            if get(port, "/api/status")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail("JupyterLab did not answer /api/status within 90 s")
    try:
        yield port, proc, home
    finally:
        proc.send_signal(signal.SIGTERM)  # kubelab passes it on to JupyterLab
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.mark.kubesim
def test_real_jupyterlab_starts_and_hands_the_lab_environment_to_terminals(jupyterlab):
    port, proc, home = jupyterlab

    marker = "KL-END"
    out = asyncio.run(
        terminal_says(
            port,
            'echo "KL<$KUBECONFIG|$(command -v kubectl)|$(command -v kubelab)|$KUBELAB_HOME>" '
            f"{marker[:2]}''{marker[2:]}",  # the echoed command line must not hold the marker
            marker,
        )
    )
    expected = f"KL<{home / 'kubeconfig'}|{VENV_BIN / 'kubectl'}|{VENV_BIN / 'kubelab'}|{home}>"
    assert expected in out, out

    listing = json.loads(get(port, "/api/contents/")[1])
    names = {item["name"] for item in listing["content"]}
    assert "00-welcome.ipynb" in names and not names & {"src", "build.py"}

    news = json.loads(get(port, "/lab/api/settings/@jupyterlab/apputils-extension:notification")[1])
    assert news["settings"]["fetchNews"] == "false"
    assert b'"news": {"disabled": true}' in get(port, "/lab")[1]

    # the server process itself, whose environment kernels inherit too
    server = [
        p
        for p in os.listdir("/proc")
        if p.isdigit()
        and _cmdline(p).startswith(str(VENV_BIN))
        and "kubelab._lab_server" in _cmdline(p)
        and f"--ServerApp.port={port}" in _cmdline(p)
    ]
    assert len(server) == 1, server
    environ = dict(
        item.split("=", 1)
        for item in Path(f"/proc/{server[0]}/environ").read_text().split("\0")
        if "=" in item
    )
    assert environ["KUBECONFIG"] == str(home / "kubeconfig")
    assert environ["PATH"].split(":")[0] == str(VENV_BIN)
    if os.geteuid() == 0:
        assert "--allow-root" in _cmdline(server[0])

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0 or proc.returncode in (-15, 143)
    assert not Path(f"/proc/{server[0]}").exists() or _zombie(server[0])
    if os.geteuid() == 0:
        assert proc.stdout is not None
        assert proc.stdout.read().count("--allow-root") == 1


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _zombie(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return True


def test_readme_and_doctor_mention_root():
    from dataclasses import replace

    from kubelab._backend_kind import KindMachine
    from kubelab._backend_sim import SimMachine
    from kubelab._doctor import Facts, diagnose

    assert "--allow-root" in (REPO_ROOT / "README.md").read_text()
    facts = Facts(
        python=(3, 11, 7),
        kubectl_path="/venv/bin/kubectl",
        kubectl="v1.37.1",
        backends={
            "kind": KindMachine(docker_cli=None, docker_daemon=False, kind=None, free_memory=None),
            "sim": SimMachine(built=True),
        },
    )
    (user,) = [r for r in diagnose(replace(facts, root=True)).rows if r.item == "user"]
    assert user.found == "root" and "--allow-root" in user.fix
    (user,) = [r for r in diagnose(facts).rows if r.item == "user"]
    assert user.found == "not root"

"""Crafted lab kubeconfigs (issue 21, finding 3): each is refused with one paragraph, and no
request, and no token, ever leaves for a server the guard did not judge.

The bypass this guards against: two `clusters` entries with the same name, the guard reading
one and the Python client or the node admin call using the other, so `kubelab break
node-down` sent the lab's bearer token to a non-loopback address.
"""

from __future__ import annotations

import contextlib
import copy
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubelab._backend_base import LabPaths
from kubelab._errors import ForeignContextError
from kubelab._kubeconfig import api_client, require_lab_kubeconfig, resolve_kubeconfig

LAB = "kubesim-kubelab"
TOKEN = "lab-secret-token-1234"


def lab_config(server: str = "https://127.0.0.1:6443") -> dict[str, Any]:
    """What kubesim writes: one cluster, context and user, all named kubesim-kubelab."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": LAB,
        "contexts": [{"name": LAB, "context": {"cluster": LAB, "user": LAB}}],
        "clusters": [{"name": LAB, "cluster": {"server": server}}],
        "users": [{"name": LAB, "user": {"token": TOKEN}}],
    }


def crafted(change) -> dict[str, Any]:
    data = copy.deepcopy(lab_config())
    change(data)
    return data


FOREIGN = "https://203.0.113.7:6443"


def _dup_cluster_foreign_first(d):
    d["clusters"].insert(0, {"name": LAB, "cluster": {"server": FOREIGN}})


def _dup_cluster_foreign_last(d):
    d["clusters"].append({"name": LAB, "cluster": {"server": FOREIGN}})


CASES = [
    pytest.param(
        _dup_cluster_foreign_first, "more than once in `clusters`", id="dup-cluster-foreign-first"
    ),
    pytest.param(
        _dup_cluster_foreign_last, "more than once in `clusters`", id="dup-cluster-foreign-last"
    ),
    pytest.param(
        lambda d: d["contexts"].append({"name": LAB, "context": {"cluster": "x", "user": LAB}}),
        "more than once in `contexts`",
        id="dup-context",
    ),
    pytest.param(
        lambda d: d["users"].append({"name": LAB, "user": {"token": "other"}}),
        "more than once in `users`",
        id="dup-user",
    ),
    pytest.param(
        lambda d: d.update({"current-context": "kind-kubelab"}),
        "no entry in `contexts` defines",
        id="current-context-missing",
    ),
    pytest.param(
        lambda d: d.pop("current-context"), "sets no current-context", id="no-current-context"
    ),
    pytest.param(
        lambda d: d["contexts"][0]["context"].update({"cluster": "elsewhere"}),
        "`clusters` does not define",
        id="context-names-missing-cluster",
    ),
    pytest.param(
        lambda d: d["contexts"][0]["context"].update({"user": "nobody"}),
        "`users` does not define",
        id="context-names-missing-user",
    ),
    pytest.param(
        lambda d: d["contexts"][0]["context"].update({"cluster": [LAB]}),
        "`clusters` does not define",
        id="context-names-a-list",
    ),
    pytest.param(
        lambda d: d["clusters"][0]["cluster"].update({"server": FOREIGN}),
        "not a loopback address",
        id="remote-server",
    ),
    pytest.param(
        lambda d: d["clusters"][0]["cluster"].update({"server": "https://127.0.0.1.nip.io:6443"}),
        "not a loopback address",
        id="name-that-resolves-to-loopback",
    ),
    pytest.param(
        lambda d: d["clusters"][0]["cluster"].update({"server": "https://user:pw@127.0.0.1:6443"}),
        "not a loopback address",
        id="userinfo-in-url",
    ),
    pytest.param(
        lambda d: d["clusters"].append({"name": "prod", "cluster": {"server": FOREIGN}}),
        "names cluster 'prod'",
        id="unused-foreign-cluster",
    ),
    pytest.param(
        lambda d: d["clusters"][0]["cluster"].update({"proxy-url": "http://203.0.113.7:3128"}),
        "proxy-url",
        id="proxy-url",
    ),
    pytest.param(
        lambda d: d["clusters"][0]["cluster"].update({"insecure-skip-tls-verify": True}),
        "insecure-skip-tls-verify",
        id="tls-not-verified",
    ),
    pytest.param(
        lambda d: d["users"][0]["user"].update({"exec": {"command": "curl"}}),
        "exec",
        id="exec-credentials",
    ),
    pytest.param(
        lambda d: d["users"][0]["user"].update({"auth-provider": {"name": "oidc"}}),
        "auth-provider",
        id="auth-provider",
    ),
    pytest.param(
        lambda d: (
            d.update({"current-context": "prod"}),
            d["contexts"].append({"name": "prod", "context": {"cluster": LAB, "user": LAB}}),
        ),
        "not the lab's own cluster",
        id="not-the-labs-context",
    ),
    pytest.param(
        lambda d: d.update({"clusters": {"a": 1}}), "not a list", id="clusters-not-a-list"
    ),
    pytest.param(lambda d: d["users"][0].pop("name"), "without a name", id="unnamed-user"),
]


@pytest.mark.parametrize("change, words", CASES)
def test_crafted_kubeconfig_is_refused_with_one_paragraph(tmp_path: Path, change, words):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(crafted(change)))
    with pytest.raises(ForeignContextError) as err:
        require_lab_kubeconfig(path)
    text = str(err.value)
    assert text.startswith("Refusing to act") and "\n" not in text
    assert words in text
    assert "kubelab up" in text
    assert TOKEN not in text, "the refusal never prints the credentials"


def test_a_list_at_the_top_is_refused(tmp_path: Path):
    path = tmp_path / "kubeconfig"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ForeignContextError, match="not a kubeconfig"):
        require_lab_kubeconfig(path)


def test_the_guard_resolves_server_ca_and_token_the_clients_use(tmp_path: Path):
    ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    (tmp_path / "ca.crt").write_text(ca)
    data = lab_config("https://127.0.0.1:6443/")
    data["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"  # relative to the file
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(data))

    info = resolve_kubeconfig(path)

    assert (info.server, info.cluster, info.user) == ("https://127.0.0.1:6443", LAB, LAB)
    assert info.token == TOKEN and info.ca_pem == ca
    assert TOKEN not in repr(info)
    with api_client(info) as api:
        assert api.configuration.host == info.server
        assert api.configuration.proxy is None


# --- nothing leaves for the foreign server -------------------------------------------


def _non_loopback_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent for a UDP connect
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        pytest.skip("this machine has no non-loopback IPv4 address to play the foreign server")
    return address


class Listener:
    """A TCP server on a non-loopback address that records every byte sent to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((_non_loopback_address(), 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.received: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()
        return f"https://{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    self.received.append(conn.recv(65536))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def foreign() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "lab"
    home.mkdir()
    monkeypatch.setenv("KUBELAB_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    (home / "backend").write_text("sim\n")
    return home


@pytest.mark.parametrize("foreign_first", [True, False], ids=["foreign-first", "foreign-last"])
@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["status"], id="status"),
        pytest.param(["check", "01-deploy", "--no-wait"], id="check"),
        pytest.param(["grade", "--no-wait"], id="grade"),
        pytest.param(["break", "node-down"], id="break-node-down"),
        pytest.param(["down"], id="down"),
    ],
)
def test_a_duplicate_cluster_entry_sends_nothing_to_the_other_server(
    lab: Path, foreign: Listener, tmp_path: Path, monkeypatch, capsys, argv, foreign_first
):
    from kubelab import _procs
    from kubelab.cli import main

    data = lab_config()
    entry = {"name": LAB, "cluster": {"server": foreign.url}}
    data["clusters"].insert(0 if foreign_first else 1, entry)
    (lab / "kubeconfig").write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)
    ran: list[object] = []
    monkeypatch.setattr(_procs, "run", lambda *a, **k: ran.append(a))
    monkeypatch.setattr(_procs, "spawn", lambda *a, **k: ran.append(a))

    assert main(argv) == 3

    err = capsys.readouterr().err
    assert "Traceback" not in err and "more than once in `clusters`" in " ".join(err.split())
    assert ran == [], "no kubectl, kind or kubesim process may start"
    assert foreign.connections == 0 and not any(TOKEN.encode() in b for b in foreign.received)


def test_the_node_admin_call_never_reaches_the_duplicate(lab: Path, foreign: Listener):
    from kubelab._backend_sim import SimBackend

    data = lab_config()
    data["clusters"].insert(0, {"name": LAB, "cluster": {"server": foreign.url}})
    (lab / "kubeconfig").write_text(yaml.safe_dump(data))

    with pytest.raises(ForeignContextError):
        SimBackend(LabPaths(home=lab)).node("kubelab-worker2", "stop")
    assert foreign.connections == 0


def test_the_listener_would_have_seen_the_token(lab: Path, foreign: Listener, monkeypatch):
    """The test's own control: with the guard out of the way, the admin call does reach the
    foreign listener and carries the token; so the zero above is the guard's doing."""
    from kubelab import _backend_sim
    from kubelab._kubeconfig import LabKubeconfig

    (lab / "kubeconfig").write_text(
        yaml.safe_dump(lab_config(foreign.url.replace("https", "http")))
    )
    trusting = LabKubeconfig(
        path=lab / "kubeconfig",
        context=LAB,
        server=foreign.url.replace("https", "http"),
        token=TOKEN,
    )
    monkeypatch.setattr(_backend_sim, "require_lab_kubeconfig", lambda path=None: trusting)
    with pytest.raises(Exception):  # noqa: B017 - the listener answers nothing useful
        _backend_sim.SimBackend(LabPaths(home=lab)).node("kubelab-worker2", "stop")
    assert foreign.connections == 1
    assert TOKEN.encode() in b"".join(foreign.received)


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["status"], id="status"),
        pytest.param(["check", "01-deploy", "--no-wait"], id="check"),
        pytest.param(["grade", "--no-wait"], id="grade"),
    ],
)
def test_a_proxy_in_the_environment_never_carries_lab_requests(
    lab: Path, foreign: Listener, tmp_path: Path, monkeypatch, capsys, argv
):
    """HTTPS_PROXY set (a corporate network) must not route the lab's loopback traffic, and
    its token, through a proxy: the official client reads proxy variables, kubectl does not
    proxy loopback, so kubelab keeps the lab's hosts in NO_PROXY."""
    from kubelab.cli import main

    (lab / "kubeconfig").write_text(yaml.safe_dump(lab_config("https://127.0.0.1:9")))
    proxy = foreign.url.replace("https", "http")
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    assert main(argv) == 5  # nothing answers on 127.0.0.1:9: not answering, said plainly

    assert "Traceback" not in capsys.readouterr().err
    assert foreign.connections == 0

"""The lab's own kubeconfig, and the guard that keeps kubelab off every other cluster.

DESIGN.md, "One kubeconfig, never the user's": kubelab writes `.kubelab/kubeconfig` and
uses nothing else. `~/.kube/config` and `$KUBECONFIG` are never read. Every command that
changes cluster state calls `require_lab_kubeconfig()` first.

One function, `resolve_kubeconfig()`, decides which server and which credentials the file
means, the way kubectl and the official client resolve it (current-context -> context ->
its cluster and user), and every client kubelab starts uses exactly that answer: kubectl
(`--kubeconfig` on a file with one meaning), the Python client (`api_client()`, which checks
the client agrees, and `no_proxy_with_loopback()`, which keeps proxies out) and the simulator's admin calls (which take the server, CA and token from
here). Anything that could make two readers disagree, or send our credentials elsewhere, is
refused rather than resolved, more strictly than kubectl:

* duplicate names in `clusters`, `contexts` or `users` (clients pick different ones: the
  issue-21 bypass had the guard reading the last entry and the client the first);
* a current-context, cluster or user that the file does not define;
* a context other than the lab's (`kind-kubelab`, `kubesim-kubelab`);
* any cluster whose server is not a loopback address (the file is ours: it names only the
  lab's cluster), a `proxy-url`, `insecure-skip-tls-verify`, or credentials that run
  programs (`exec`, `auth-provider`).

Where `.kubelab/` is: `$KUBELAB_HOME` when set (the notebook kernel gets it from
`kubelab course`), otherwise the nearest `.kubelab/` in the current folder or a parent,
otherwise `./.kubelab` (where `kubelab up` creates it).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import yaml

from kubelab._errors import ClusterError, ForeignContextError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

CLUSTER_NAME = "kubelab"
# kind names its context kind-<cluster>; kubesim mirrors that pattern with its own prefix.
LAB_CONTEXTS = ("kind-kubelab", "kubesim-kubelab")
# What a lab user entry may hold: kind writes client certificates, kubesim a bearer token.
USER_KEYS = frozenset(
    {"token", "client-certificate-data", "client-key-data", "client-certificate", "client-key"}
)
# Cluster keys that are about where requests go or how they are verified, and are allowed.
# (not `insecure-skip-tls-verify`: the token would go to whatever answers on the port)
CLUSTER_KEYS = frozenset(
    {
        "server",
        "certificate-authority-data",
        "certificate-authority",
        "tls-server-name",
        "extensions",
    }
)


def lab_home(cwd: Path | None = None) -> Path:
    """The `.kubelab` folder that holds the lab's kubeconfig and simulator state."""
    env = os.environ.get("KUBELAB_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".kubelab").is_dir():
            return folder / ".kubelab"
    return here / ".kubelab"


def kubeconfig_path(cwd: Path | None = None) -> Path:
    return lab_home(cwd) / "kubeconfig"


@dataclass(frozen=True)
class LabKubeconfig:
    """The one server and the one set of credentials the lab's kubeconfig means."""

    path: Path
    context: str
    server: str
    cluster: str = ""
    user: str = ""
    ca_pem: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @property
    def backend(self) -> str:
        return "sim" if self.context.startswith("kubesim-") else "kind"


def _refuse(path: Path, what: str) -> ForeignContextError:
    return ForeignContextError(
        f"Refusing to act: the lab kubeconfig {path} {what}. kubelab only ever talks to the "
        "cluster it created, through a kubeconfig that names that cluster once and nothing "
        f"else (context {' or '.join(LAB_CONTEXTS)} on a loopback address). If you edited "
        "the file, run `kubelab down` and `kubelab up` to write a fresh one; leave other "
        "clusters to your own kubectl and kubeconfig."
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise ClusterError(
            f"There is no lab cluster yet: {path} does not exist. Run `kubelab up` to create "
            "the lab's cluster (it writes that kubeconfig), then try again."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ClusterError(
            f"The lab kubeconfig {path} cannot be read ({exc.__class__.__name__}: {exc}). "
            "Run `kubelab down` and `kubelab up` to write a fresh one."
        ) from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ClusterError(
            f"The lab kubeconfig {path} is not valid YAML ({exc.__class__.__name__}). "
            "Run `kubelab down` and `kubelab up` to write a fresh one."
        ) from exc
    if not isinstance(data, dict):
        raise _refuse(path, "is not a kubeconfig (its top level is not a mapping)")
    return data


def _entries(path: Path, data: dict[str, Any], section: str, key: str) -> dict[str, dict]:
    """One section (`clusters`, `contexts`, `users`) by name, refusing duplicates and junk."""
    items = data.get(section) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _refuse(path, f"has a `{section}` section that is not a list of entries")
    names = [i.get("name") for i in items]
    if not all(isinstance(n, str) and n for n in names):
        raise _refuse(path, f"has an entry in `{section}` without a name")
    twice = sorted(n for n, count in Counter(names).items() if count > 1)
    if twice:
        raise _refuse(
            path,
            f"defines {', '.join(repr(n) for n in twice)} more than once in `{section}`, so "
            "different clients would pick different entries (kubectl refuses such a file too)",
        )
    out: dict[str, dict] = {}
    for item in items:
        body = item.get(key) or {}
        if not isinstance(body, dict):
            raise _refuse(path, f"has a `{section}` entry {item['name']!r} that is not a mapping")
        out[item["name"]] = body
    return out


def is_loopback(server: str) -> bool:
    """Whether a server URL names this machine: localhost or a loopback IP, nothing else."""
    try:
        parsed = urlparse(server)
        host = parsed.hostname or ""
        parsed.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parsed.scheme not in ("https", "http") or parsed.username or parsed.password:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ca_pem(path: Path, cluster: dict[str, Any]) -> str | None:
    if cluster.get("certificate-authority-data"):
        try:
            return base64.b64decode(str(cluster["certificate-authority-data"])).decode()
        except (binascii.Error, ValueError) as exc:
            raise _refuse(path, "has certificate-authority-data that is not base64") from exc
    if cluster.get("certificate-authority"):
        ca_file = Path(str(cluster["certificate-authority"]))
        if not ca_file.is_absolute():
            ca_file = path.parent / ca_file  # kubectl resolves it next to the kubeconfig
        try:
            return ca_file.read_text()
        except OSError as exc:
            raise _refuse(path, f"names a CA file {ca_file} that cannot be read") from exc
    return None


def resolve_kubeconfig(path: Path) -> LabKubeconfig:
    """THE decision: the server and credentials of the lab kubeconfig, or a refusal.

    Every client kubelab starts is handed what this returns (or a file this accepted, which
    then has exactly one meaning), so no client can reach a server the guard did not judge.
    """
    data = _load(path)
    clusters = _entries(path, data, "clusters", "cluster")
    contexts = _entries(path, data, "contexts", "context")
    users = _entries(path, data, "users", "user")
    current = data.get("current-context")
    if not isinstance(current, str) or not current:
        raise _refuse(path, "sets no current-context")
    if current not in contexts:
        raise _refuse(
            path, f"has current-context {current!r}, which no entry in `contexts` defines"
        )
    if current not in LAB_CONTEXTS:
        own = [name for name in LAB_CONTEXTS if name in contexts]
        if own:  # `kubectl config use-context prod` in lab 07: one command puts it back
            raise ForeignContextError(
                f"Refusing to act: the lab kubeconfig {path} has current context {current!r}, "
                f"and kubelab acts only through {own[0]!r}: any other context counts as not "
                f"the lab's own cluster. Switch back with `kubectl config use-context "
                f"{own[0]}`; to run one command in another context, use `kubectl --context "
                f"{current} ...` instead. (If the file was edited in other ways, `kubelab "
                "down` and `kubelab up` write a fresh one.)"
            )
        raise _refuse(path, f"points at context {current!r}, which is not the lab's own cluster")
    context = contexts[current]
    cluster_name, user_name = context.get("cluster"), context.get("user")
    if not isinstance(cluster_name, str) or cluster_name not in clusters:
        raise _refuse(
            path,
            f"has context {current!r} naming cluster {cluster_name!r}, which `clusters` does not define",
        )
    if user_name is not None and (not isinstance(user_name, str) or user_name not in users):
        raise _refuse(
            path,
            f"has context {current!r} naming user {user_name!r}, which `users` does not define",
        )
    for name, cluster in clusters.items():
        server = str(cluster.get("server") or "")
        if not is_loopback(server):
            raise _refuse(
                path,
                f"names cluster {name!r} on {server or '(no server)'}, which is not a loopback "
                "address on this machine",
            )
        extra = sorted(set(cluster) - CLUSTER_KEYS)
        if cluster.get("insecure-skip-tls-verify") is False:
            extra.remove("insecure-skip-tls-verify")
        if extra:
            raise _refuse(
                path, f"gives cluster {name!r} settings the lab never writes ({', '.join(extra)})"
            )
    for name, user in users.items():
        extra = sorted(set(user) - USER_KEYS)
        if extra:
            raise _refuse(
                path,
                f"gives user {name!r} credentials the lab never writes ({', '.join(extra)}; "
                "they run programs or reach other services)",
            )
    cluster = clusters[cluster_name]
    user = users.get(user_name or "", {})
    token = user.get("token")
    return LabKubeconfig(
        path=path,
        context=current,
        server=str(cluster["server"]).rstrip("/"),
        cluster=str(cluster_name),
        user=str(user_name or ""),
        ca_pem=_ca_pem(path, cluster),
        token=str(token) if token else None,
    )


def require_lab_kubeconfig(path: Path | None = None) -> LabKubeconfig:
    """The lab's kubeconfig, or an error if it points anywhere but the lab's own cluster."""
    return resolve_kubeconfig(path or kubeconfig_path())


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def no_proxy_with_loopback(env: dict[str, str] | os._Environ[str]) -> None:
    """Keep the lab's loopback servers out of any proxy the environment names.

    The official client honours HTTPS_PROXY and ALL_PROXY (kubectl never proxies loopback):
    with a corporate proxy set, the checker's requests, and the lab's bearer token, would go
    through the proxy. Adding the loopback hosts to NO_PROXY/no_proxy sends them straight to
    the server the guard judged, in this process and in every child it starts.
    """
    for name in ("NO_PROXY", "no_proxy"):
        have = [h.strip() for h in env.get(name, "").split(",") if h.strip()]
        env[name] = ",".join([*have, *(h for h in LOOPBACK_HOSTS if h not in have)])


def api_client(info: LabKubeconfig) -> ApiClient:
    """The official Python client on the guard's answer, and on nothing else.

    The client reads the same file, pinned to the guard's context; if it ends up anywhere
    but the server the guard judged, it is closed and refused before it sends a byte.
    """
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(
        config_file=str(info.path),
        context=info.context,
        client_configuration=configuration,
        persist_config=False,
    )
    configuration.proxy = None  # the lab is on loopback: never through a proxy
    if configuration.host.rstrip("/") != info.server:
        raise _refuse(
            info.path,
            f"made the Python client resolve {configuration.host} where the guard resolved "
            f"{info.server}",
        )
    return client.ApiClient(configuration)

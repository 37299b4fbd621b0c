"""Measure what "who is asking" costs a kubesim request: authentication and RBAC.

In process (no HTTP): an Api with the bootstrap policy plus `--namespaces` namespaces, each
with a Role and two RoleBindings, and as many ClusterRoleBindings, then times

  * authorize, the same request again (the decision cache),
  * authorize, a new object name each time (the per-user rule cache, decision computed),
  * authorize right after an RBAC write (the index rebuilt),
  * authenticating the admin token and a service-account JWT (RS256 verify + lookups).

    .venv/bin/python bench/kubesim_authz.py [--namespaces 200] [--rounds 20000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kubesim.apiserver.api import Api
from kubesim.apiserver.authn import Authenticator
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.bootstrappolicy import ensure_bootstrap_policy
from kubesim.apiserver.rbac import Authorizer
from kubesim.apiserver.requestinfo import request_attributes
from kubesim.store import Store


def per_call(fn: Callable[[int], object], rounds: int) -> tuple[float, float]:
    """(p50, p99) in microseconds of `fn(i)`, timed in batches of 10 calls."""
    samples = []
    for start in range(0, rounds, 10):
        t0 = time.perf_counter()
        for i in range(start, start + 10):
            fn(i)
        samples.append((time.perf_counter() - t0) / 10 * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def populate(api: Api, namespaces: int) -> None:
    rbac = "rbac.authorization.k8s.io"
    ns_res = api.resource("", "v1", "namespaces")
    for n in range(namespaces):
        ns = f"team-{n}"
        api.create(
            ns_res, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        )
        api.create(
            api.resource(rbac, "v1", "roles"),
            ns,
            {
                "apiVersion": f"{rbac}/v1",
                "kind": "Role",
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            },
        )
        for b, (kind, ref) in enumerate((("Role", "pod-reader"), ("ClusterRole", "view"))):
            api.create(
                api.resource(rbac, "v1", "rolebindings"),
                ns,
                {
                    "apiVersion": f"{rbac}/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": f"b{b}"},
                    "roleRef": {"apiGroup": rbac, "kind": kind, "name": ref},
                    "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": ns}],
                },
            )
        api.create(
            api.resource(rbac, "v1", "clusterrolebindings"),
            None,
            {
                "apiVersion": f"{rbac}/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"team-{n}-viewers"},
                "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": f"team-{n}"}],
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "state.db")
        api = Api(store)
        bootstrap(api)
        ensure_bootstrap_policy(api)
        populate(api, args.namespaces)
        authn = Authenticator(api, admin_token="bench")
        authz = Authorizer(store)
        admin = authn.authenticate("Bearer bench")
        account = api.get(api.resource("", "v1", "serviceaccounts"), "team-7", "default")
        token = api.tokens.issue(
            service_account=account, pod=None, node=None, now=api.clock.timestamp()
        )
        sa = authn.authenticate(f"Bearer {token}")
        get_pod = request_attributes("GET", "/api/v1/namespaces/team-7/pods/web", {})
        names = [
            request_attributes("GET", f"/api/v1/namespaces/team-7/pods/p{i}", {})
            for i in range(args.rounds)
        ]
        print(
            f"{args.namespaces} namespaces, {3 * args.namespaces} Roles and RoleBindings, "
            f"{args.namespaces + 7} ClusterRoleBindings; microseconds per call (p50 / p99):"
        )
        for label, fn in (
            ("authorize admin, cached decision", lambda i: authz.authorize(admin, get_pod)),
            ("authorize service account, cached", lambda i: authz.authorize(sa, get_pod)),
            ("authorize service account, new name", lambda i: authz.authorize(sa, names[i])),
            ("authenticate admin token", lambda i: authn.authenticate("Bearer bench")),
            ("authenticate service-account JWT", lambda i: authn.authenticate(f"Bearer {token}")),
        ):
            p50, p99 = per_call(fn, args.rounds)
            print(f"  {label:40s} {p50:8.1f} / {p99:8.1f}")
        role = api.resource("rbac.authorization.k8s.io", "v1", "roles")
        rebuilds = []
        for i in range(20):
            body = api.get(role, "team-1", "pod-reader")
            body["metadata"]["labels"] = {"round": str(i)}
            api.update(role, "team-1", "pod-reader", body)
            t0 = time.perf_counter()
            authz.authorize(sa, get_pod)
            rebuilds.append((time.perf_counter() - t0) * 1e3)
        print(f"  first authorize after an RBAC write: {statistics.median(rebuilds):.1f} ms (p50)")
        authz.close()
        store.close()


if __name__ == "__main__":
    main()

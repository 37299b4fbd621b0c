"""The API server's health endpoints, `/livez`, `/readyz` and the deprecated `/healthz`.

As kube-apiserver's `healthz` package answers them: a bare GET says `ok` (or 500), and
`?verbose` lists every check, one line each (`[+]etcd ok`), then `readyz check passed`;
`/readyz/etcd` asks one check alone, `?exclude=etcd` leaves one out (`[+]etcd excluded: ok`),
an unknown check is a 404. Only checks kubesim really has are listed: `etcd` reads the
store (kubesim's etcd), and the post-start hooks are the ones kubesim runs (the RBAC
bootstrap roles, the APIService autoregistration). On a real cluster the list is longer
(admission initializers, priority-and-fairness, the aggregator's controllers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubesim.store.sqlite import Store


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


ENDPOINTS = ("healthz", "livez", "readyz")


def check_names(endpoint: str) -> list[str]:
    """The checks one endpoint runs, in kube-apiserver's order (also listed at `/`)."""
    names = ["ping", "log", "etcd"]
    if endpoint == "readyz":
        names += ["etcd-readiness", "informer-sync"]
    names += [
        "poststarthook/rbac/bootstrap-roles",
        "poststarthook/kube-apiserver-autoregistration",
        "autoregister-completion",
    ]
    if endpoint == "readyz":
        names.append("shutdown")
    return names


def _ok() -> bool:
    return True


def _checks(store: Store, endpoint: str) -> list[tuple[str, Callable[[], bool]]]:
    reads_store = {"etcd", "etcd-readiness"}
    return [
        (name, store.readable if name in reads_store else _ok) for name in check_names(endpoint)
    ]


def answer(store: Store, path: str, query: dict[str, list[str]]) -> Answer | None:
    """The answer to a GET of a health path, or None when `path` names no check (404)."""
    parts = [p for p in path.split("/") if p]
    endpoint, wanted = parts[0], "/".join(parts[1:])
    checks = _checks(store, endpoint)
    if wanted:
        for name, check in checks:
            if name == wanted:
                return Answer(200, "ok") if check() else Answer(500, "internal server error")
        return None
    excluded = {x for value in query.get("exclude", []) for x in value.split(",") if x}
    lines, failed = [], False
    for name, check in checks:
        if name in excluded:
            lines.append(f"[+]{name} excluded: ok")
        elif check():
            lines.append(f"[+]{name} ok")
        else:
            failed = True
            lines.append(f"[-]{name} failed: reason withheld")
    verbose = "verbose" in query
    if failed:
        return Answer(500, "\n".join(lines) + f"\n{endpoint} check failed\n")
    if verbose:
        return Answer(200, "\n".join(lines) + f"\n{endpoint} check passed\n")
    return Answer(200, "ok")

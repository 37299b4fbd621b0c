"""The API server's /livez, /readyz and /healthz as kube-apiserver's healthz package answers
them: `ok` bare, one line per check with `?verbose`, a single check by its path, `exclude`,
and a failing etcd check (the store cannot be read) turning the answer into a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesim.apiserver import health
from kubesim.store.sqlite import Store


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "state.db")
    yield s
    s.close()


def test_bare_endpoints_say_ok(store: Store) -> None:
    for path in ("/livez", "/readyz", "/healthz"):
        assert health.answer(store, path, {}) == health.Answer(200, "ok")


def test_verbose_readyz_lists_every_check_then_passes(store: Store) -> None:
    got = health.answer(store, "/readyz", {"verbose": [""]})
    assert got is not None and got.status == 200
    lines = got.text.splitlines()
    assert lines[:5] == [
        "[+]ping ok",
        "[+]log ok",
        "[+]etcd ok",
        "[+]etcd-readiness ok",
        "[+]informer-sync ok",
    ]
    assert "[+]poststarthook/rbac/bootstrap-roles ok" in lines
    assert lines[-1] == "readyz check passed"


def test_verbose_livez_has_no_readiness_only_checks(store: Store) -> None:
    got = health.answer(store, "/livez", {"verbose": [""]})
    assert got is not None
    assert got.text.splitlines()[-1] == "livez check passed"
    assert "[+]informer-sync ok" not in got.text and "[+]shutdown ok" not in got.text


def test_one_check_by_its_path_and_an_unknown_one_is_not_found(store: Store) -> None:
    assert health.answer(store, "/livez/etcd", {}) == health.Answer(200, "ok")
    assert health.answer(store, "/readyz/poststarthook/rbac/bootstrap-roles", {}) == health.Answer(
        200, "ok"
    )
    assert health.answer(store, "/readyz/no-such-check", {}) is None


def test_exclude_is_named_in_the_list(store: Store) -> None:
    got = health.answer(store, "/readyz", {"verbose": [""], "exclude": ["etcd"]})
    assert got is not None and "[+]etcd excluded: ok" in got.text.splitlines()


def test_an_unreadable_store_fails_the_etcd_checks(store: Store) -> None:
    store.close()  # the store's database is gone: every read raises
    got = health.answer(store, "/readyz", {})
    assert got is not None and got.status == 500
    assert "[-]etcd failed: reason withheld" in got.text.splitlines()
    assert got.text.endswith("readyz check failed\n")
    assert health.answer(store, "/livez/etcd", {}) == health.Answer(500, "internal server error")

"""`context: {name: prod, namespace: production}`: a named context of the lab kubeconfig.

Lab 07 asks for a context per environment (`kubectl config set-context prod --namespace
production --cluster ... --user ...`). The check passes only for a context of that name, with
that namespace, on the same cluster entry and user as the lab's own (current) context; it
reads the kubeconfig the checker was made from and nothing else, and never asks the cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from checker import Check, ReadOnlyClient, run_lab


def _check(context: dict[str, Any]) -> Check:
    return Check.model_validate(
        {
            "name": "ctx",
            "message": "A context prod for production.",
            "within": 0,
            "context": context,
        }
    )


def _grade(kubeconfig: Path, labs, clock, context: dict[str, Any]):
    lab = labs["02-scale"]
    lab = lab.model_copy(
        update={"exercises": [lab.exercises[0].model_copy(update={"checks": [_check(context)]})]}
    )
    with ReadOnlyClient.from_kubeconfig(kubeconfig) as client:
        return run_lab(client, lab, clock=clock).exercises[0].checks[0]


def _add(kubeconfig: Path, section: str, entry: dict[str, Any]) -> None:
    """What `kubectl config set-context` / `set-cluster` would write."""
    config = yaml.safe_load(kubeconfig.read_text())
    config[section] = [e for e in config[section] if e["name"] != entry["name"]] + [entry]
    kubeconfig.write_text(yaml.safe_dump(config))


def _context(name: str, namespace: str | None, cluster="kubelab", user="learner") -> dict:
    body = {"cluster": cluster, "user": user}
    if namespace is not None:
        body["namespace"] = namespace
    return {"name": name, "context": body}


PROD = {"name": "prod", "namespace": "production"}


def test_a_named_context_on_the_lab_cluster_and_user_passes(healthy, kubeconfig, labs, clock):
    _add(kubeconfig, "contexts", _context("prod", "production"))
    result = _grade(kubeconfig, labs, clock, PROD)
    assert result.passed, result.field_errors
    assert result.target == "kubeconfig context prod"
    assert healthy.requests == []  # the kubeconfig is read, the cluster is not asked


def test_a_missing_context_is_not_found(healthy, kubeconfig, labs, clock):
    result = _grade(kubeconfig, labs, clock, PROD)
    assert result.status == "failed"
    assert result.field_errors == ('context.name: Not found: "prod"',)


def test_a_context_with_another_namespace_fails(healthy, kubeconfig, labs, clock):
    _add(kubeconfig, "contexts", _context("prod", "staging"))
    assert _grade(kubeconfig, labs, clock, PROD).field_errors == (
        'context.namespace: Invalid value: "staging": Expected value: "production"',
    )
    _add(kubeconfig, "contexts", _context("prod", None))  # no namespace: `default`
    assert _grade(kubeconfig, labs, clock, PROD).field_errors == (
        'context.namespace: Invalid value: null: Expected value: "production"',
    )


def test_a_context_on_another_cluster_entry_fails_even_on_the_same_server(
    healthy, kubeconfig, labs, clock
):
    """A second cluster entry for the same address is another cluster to kubectl: it may
    carry other CA data, and the exercise is a context for *the lab's* cluster."""
    config = yaml.safe_load(kubeconfig.read_text())
    server = config["clusters"][0]["cluster"]["server"]
    _add(kubeconfig, "clusters", {"name": "elsewhere", "cluster": {"server": server}})
    _add(kubeconfig, "contexts", _context("prod", "production", cluster="elsewhere"))
    assert _grade(kubeconfig, labs, clock, PROD).field_errors == (
        'context.cluster: Invalid value: "elsewhere": Expected value: "kubelab" '
        "(the current context's cluster)",
    )


def test_a_context_as_another_user_fails(healthy, kubeconfig, labs, clock):
    _add(kubeconfig, "users", {"name": "admin", "user": {"token": "other"}})
    _add(kubeconfig, "contexts", _context("prod", "staging", user="admin"))
    assert _grade(kubeconfig, labs, clock, PROD).field_errors == (
        'context.user: Invalid value: "admin": Expected value: "learner" '
        "(the current context's user)",
        'context.namespace: Invalid value: "staging": Expected value: "production"',
    )


def test_only_the_checkers_own_kubeconfig_is_read(healthy, kubeconfig, labs, clock, tmp_path):
    """A prod context in ~/.kube/config or $KUBECONFIG is not the lab's: it does not count."""
    elsewhere = yaml.safe_load(kubeconfig.read_text())
    elsewhere["contexts"].append(_context("prod", "production"))
    for path in (Path.home() / ".kube" / "config", tmp_path / "other-kubeconfig"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(elsewhere))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(tmp_path / "other-kubeconfig"))
        result = _grade(kubeconfig, labs, clock, PROD)
    assert result.field_errors == ('context.name: Not found: "prod"',)


def test_a_named_context_without_a_namespace_asks_only_for_cluster_and_user(
    healthy, kubeconfig, labs, clock
):
    _add(kubeconfig, "contexts", _context("ops", None))
    assert _grade(kubeconfig, labs, clock, {"name": "ops"}).passed


def test_the_current_context_check_is_unchanged_by_other_contexts(healthy, kubeconfig, labs, clock):
    _add(kubeconfig, "contexts", _context("prod", "lab"))
    result = _grade(kubeconfig, labs, clock, {"namespace": "lab"})
    assert result.target == "kubeconfig current-context"
    assert result.field_errors == ('context.namespace: Invalid value: null: Expected value: "lab"',)


def test_an_empty_context_name_is_refused_when_the_lab_loads():
    with pytest.raises(pydantic.ValidationError, match="at least 1 character"):
        _check({"name": "", "namespace": "production"})

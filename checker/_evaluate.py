"""One attempt at one check: decide passed or failed from the snapshot, and say why.

`evaluate` reads through the Snapshot (cached LISTs) or, for `http:`, the service proxy,
and returns an Outcome: the verdict, the field errors of the closest candidate, the diff,
and the object whose neighbourhood is worth gathering evidence from. A check whose reads
the API server answers with an error (a 500, a body that is not JSON) is an `error`
outcome, not an exception, so the other checks of a grade are still judged and reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from checker._errors import ApiError
from checker._labfile import Check, Lab
from checker._match import FieldError, Node, diff, parse, show
from checker._results import Status
from checker._snapshot import Key, Snapshot


@dataclass
class Outcome:
    status: Status
    target: str
    field_errors: list[str] = field(default_factory=list)
    detail: str | None = None
    diff: str | None = None
    subject: dict[str, Any] | None = None  # the object evidence is gathered around
    keys: set[Key] = field(default_factory=set)


_CONTEXT_TARGET = "kubeconfig current-context"


def header(obj_or_ref: dict[str, Any], *, namespaced: bool = True) -> str:
    """`apps/v1/Deployment/lab/inference-service`, as Chainsaw heads its failures."""
    meta = obj_or_ref.get("metadata") or {}
    parts = [obj_or_ref.get("apiVersion", ""), obj_or_ref.get("kind", "")]
    if namespaced and meta.get("namespace"):
        parts.append(meta["namespace"])
    parts.append(meta.get("name") or "*")
    return "/".join(parts)


def check_namespace(check: Check, lab: Lab) -> str:
    tree = check.tree or {}
    return check.namespace or (tree.get("metadata") or {}).get("namespace") or lab.namespace


def evaluate(check: Check, lab: Lab, snapshot: Snapshot) -> Outcome:
    try:
        return _evaluate(check, lab, snapshot)
    except ApiError as exc:
        return Outcome(
            "error",
            _target(check, lab),
            detail=f"{exc} The check could not be judged; it is retried while its `within` "
            "lasts, and `kubelab status` shows whether the cluster is healthy.",
        )


def _target(check: Check, lab: Lab) -> str:
    """What a check is about, before anything has been read."""
    namespace = check_namespace(check, lab)
    if check.http is not None:
        http = check.http
        return f"GET {namespace}/{http.service}:{http.port}{http.path}"
    if check.context is not None:
        return _CONTEXT_TARGET
    tree = check.tree or {}
    name = (tree.get("metadata") or {}).get("name")
    ref = {"apiVersion": tree.get("apiVersion"), "kind": tree.get("kind")}
    return header({**ref, "metadata": {"name": name, "namespace": namespace}})


def _evaluate(check: Check, lab: Lab, snapshot: Snapshot) -> Outcome:
    if check.http is not None:
        return _evaluate_http(check, lab, snapshot)
    if check.context is not None:
        return _evaluate_context(check, snapshot)
    tree = check.tree
    assert tree is not None
    namespace = check_namespace(check, lab)
    api_version, kind = tree["apiVersion"], tree["kind"]
    name = (tree.get("metadata") or {}).get("name")
    wanted = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
    resource = snapshot.resource(api_version, kind)
    if resource is None:
        wanted["metadata"]["namespace"] = namespace
        if check.absent is not None:
            return Outcome("passed", header(wanted))
        return Outcome(
            "failed",
            header(wanted),
            detail=f"The cluster does not serve {kind} in {api_version}: is that API installed?",
        )
    if resource.namespaced:
        wanted["metadata"]["namespace"] = namespace
    objects = snapshot.objects(resource, namespace)
    keys = {snapshot.key(resource, namespace)}
    candidates = [o for o in objects if name is None or o["metadata"].get("name") == name]
    node = check.matcher()
    scored = [(node.match(obj, ""), obj) for obj in candidates]
    matching = [obj for errs, obj in scored if not errs]
    if check.absent is not None:
        if not matching:
            return Outcome("passed", header(wanted, namespaced=resource.namespaced), keys=keys)
        found = matching[0]
        target = header(found, namespaced=resource.namespaced)
        more = f" (and {len(matching) - 1} more)" if len(matching) > 1 else ""
        return Outcome(
            "failed",
            target,
            detail=f"{target} matches what should be absent{more}.",
            subject=found,
            keys=keys,
        )
    if matching:
        return Outcome("passed", header(matching[0], namespaced=resource.namespaced), keys=keys)
    if not scored:
        return Outcome(
            "failed",
            header(wanted, namespaced=resource.namespaced),
            field_errors=["actual resource not found"],
            keys=keys,
        )
    errs, closest = min(scored, key=lambda pair: len(pair[0]))
    return Outcome(
        "failed",
        header(closest, namespaced=resource.namespaced),
        field_errors=sorted(str(e) for e in errs),
        diff=diff(node, closest),
        subject=closest,
        keys=keys,
    )


def _evaluate_http(check: Check, lab: Lab, snapshot: Snapshot) -> Outcome:
    http = check.http
    assert http is not None
    namespace = check.namespace or lab.namespace
    target = _target(check, lab)
    reply = snapshot.client.proxy(namespace, http.service, http.port, http.path)
    errors: list[FieldError] = []
    text = reply.text
    if reply.status != http.status:
        errors.append(
            FieldError("status", "Invalid value", f"Expected value: {http.status}", reply.status)
        )
    if http.body_contains is not None and http.body_contains not in text:
        errors.append(
            FieldError(
                "body",
                "Invalid value",
                f"Expected to contain {show(http.body_contains)}",
                _clip(text),
            )
        )
    body_diff = None
    if http.json_ is not None:
        node: Node = parse(http.json_)
        try:
            data = json.loads(text)
        except ValueError:
            errors.append(FieldError("body", "Invalid value", "Expected JSON", _clip(text)))
        else:
            json_errors = node.match(data, "body")
            errors.extend(json_errors)
            if json_errors:
                body_diff = diff(node, data)
    if not errors:
        return Outcome("passed", target)
    service = next(
        (
            s
            for s in snapshot.objects_of("v1", "Service", namespace)
            if s["metadata"].get("name") == http.service
        ),
        None,
    )
    return Outcome(
        "failed",
        target,
        field_errors=sorted(str(e) for e in errors),
        diff=body_diff,
        subject=service,
        keys={("v1", "Service", namespace)},
    )


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _evaluate_context(check: Check, snapshot: Snapshot) -> Outcome:
    """The lab kubeconfig's current context, which the learner's kubectl uses."""
    assert check.context is not None
    target = _CONTEXT_TARGET
    want = check.context.namespace
    if want is None:
        return Outcome("passed", target)
    wanted = [want] if isinstance(want, str) else want
    have = snapshot.client.context_namespace()
    if (have or "default") in wanted:
        return Outcome("passed", target)
    expected = (
        f"Expected value: {show(wanted[0])}"
        if len(wanted) == 1
        else "Expected one of: " + ", ".join(show(w) for w in wanted)
    )
    error = FieldError("context.namespace", "Invalid value", expected, have)
    return Outcome("failed", target, field_errors=[str(error)])

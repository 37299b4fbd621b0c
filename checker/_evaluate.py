"""One attempt at one check: decide passed or failed from the snapshot, and say why.

`evaluate` reads through the Snapshot (cached LISTs) or, for `http:`, the service proxy,
and returns an Outcome: the verdict, the field errors of the closest candidate, the diff,
and the object whose neighbourhood is worth gathering evidence from. A check whose reads
the API server answers with an error (a 500, a body that is not JSON) is an `error`
outcome, not an exception, so the other checks of a grade are still judged and reported.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jmespath

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
    # Set when waiting longer can only help if something changes: the object does not exist,
    # or it is a Deployment whose rollout is over. The value says what was seen (names and
    # resourceVersions), so the runner can tell whether anything moved between attempts.
    settled: tuple[Any, ...] | None = None


def _versions(objects: list[dict[str, Any]]) -> tuple[Any, ...]:
    return tuple(
        sorted(
            (str(o["metadata"].get("name")), str(o["metadata"].get("resourceVersion")))
            for o in objects
        )
    )


def rollout_over(obj: dict[str, Any]) -> bool:
    """A Deployment with no rollout in progress: its controller saw the current generation
    and reports the rollout complete (NewReplicaSetAvailable) or given up (deadline)."""
    if obj.get("kind") != "Deployment":
        return False
    status = obj.get("status") or {}
    if status.get("observedGeneration") != (obj.get("metadata") or {}).get("generation"):
        return False
    progressing: dict[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), {}
    )
    return progressing.get("reason") in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded")


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
        return _context_target(check)
    if check.log is not None:
        return f"logs of pods -l {_selector(check.log.selector)} in {namespace}"
    if check.order is not None:
        return " < ".join(m.id for m in check.order) + f" in {namespace}"
    tree = check.tree or {}
    name = (tree.get("metadata") or {}).get("name")
    ref = {"apiVersion": tree.get("apiVersion"), "kind": tree.get("kind")}
    return header({**ref, "metadata": {"name": name, "namespace": namespace}})


def _evaluate(check: Check, lab: Lab, snapshot: Snapshot) -> Outcome:
    if check.http is not None:
        return _evaluate_http(check, lab, snapshot)
    if check.context is not None:
        return _evaluate_context(check, snapshot)
    if check.log is not None:
        return _evaluate_log(check, lab, snapshot)
    if check.order is not None:
        return _evaluate_order(check, lab, snapshot)
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
            field_errors=[_not_found(node, snapshot, resource, namespace=namespace, name=name)],
            keys=keys,
            settled=_versions(objects),
        )
    errs, closest = min(scored, key=lambda pair: len(pair[0]))
    return Outcome(
        "failed",
        header(closest, namespaced=resource.namespaced),
        field_errors=sorted(str(e) for e in errs),
        diff=diff(node, closest),
        subject=closest,
        keys=keys,
        settled=_versions([closest]) if rollout_over(closest) else None,
    )


NEAR_NAME_CUTOFF = 0.75


def _not_found(
    node: Node, snapshot: Snapshot, resource: Any, *, namespace: str, name: str | None
) -> str:
    """One line for a missing object, naming it where it does exist: in another namespace
    (applied without `-n`, or with the wrong context), or under a near name (a typo)."""
    kind = resource.kind
    if resource.namespaced:
        elsewhere = sorted(
            {
                str(o["metadata"].get("namespace"))
                for o in snapshot.objects(resource, None)
                if o["metadata"].get("namespace") != namespace
                and (o["metadata"].get("name") == name if name else not node.match(o, ""))
            }
        )
        if elsewhere:
            what = f"{kind} {name}" if name else f"a matching {kind}"
            return (
                f"not found in namespace {namespace}, but {what} exists in namespace "
                f"{', '.join(elsewhere)}: create it in {namespace} (`-n {namespace}`, or "
                f"`kubectl config set-context --current --namespace {namespace}`)"
            )
    if name is not None:
        names = [str(o["metadata"].get("name")) for o in snapshot.objects(resource, namespace)]
        near = difflib.get_close_matches(name, names, n=1, cutoff=NEAR_NAME_CUTOFF)
        if near:
            return (
                f"no {kind} named {name} in {namespace}, but there is {kind} {near[0]}: "
                "names must match exactly"
            )
    return "actual resource not found"


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


def _context_target(check: Check) -> str:
    assert check.context is not None
    name = check.context.name
    return _CONTEXT_TARGET if name is None else f"kubeconfig context {name}"


def _evaluate_context(check: Check, snapshot: Snapshot) -> Outcome:
    """A context of the lab kubeconfig: the current one, which the learner's kubectl uses,
    or the named one, which must reach the same cluster as the same user."""
    assert check.context is not None
    target = _context_target(check)
    name = check.context.name
    want = check.context.namespace
    pattern = check.context.pattern
    current, contexts = snapshot.client.kubeconfig_contexts()
    own = contexts.get(current or "", {})
    errors: list[FieldError] = []
    if name is None:
        context = own
    elif name not in contexts:
        return Outcome(
            "failed",
            target,
            field_errors=[str(FieldError("context.name", "Not found", show(name)))],
        )
    else:
        context = contexts[name]
        for key in ("cluster", "user"):
            if context.get(key) != own.get(key):
                detail = f"Expected value: {show(own.get(key))} (the current context's {key})"
                errors.append(
                    FieldError(f"context.{key}", "Invalid value", detail, context.get(key))
                )
    if want is not None or pattern is not None:
        wanted = [] if want is None else [want] if isinstance(want, str) else want
        have = context.get("namespace")
        if not (
            (have or "default") in wanted
            or (pattern is not None and re.fullmatch(pattern, str(have or "default")))
        ):
            choices = [show(w) for w in wanted] + (
                [f"a name matching {show(pattern)}"] if pattern is not None else []
            )
            expected = (
                f"Expected value: {choices[0]}"
                if len(choices) == 1
                else "Expected one of: " + ", ".join(choices)
            )
            errors.append(FieldError("context.namespace", "Invalid value", expected, have))
    if errors:
        return Outcome("failed", target, field_errors=[str(e) for e in errors])
    return Outcome("passed", target)


# -- log ---------------------------------------------------------------------------------------

LOG_TAIL_LINES = 500


def _selector(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _evaluate_log(check: Check, lab: Lab, snapshot: Snapshot) -> Outcome:
    """Pods with the selector's labels; one whose log has `count` lines matching `pattern`."""
    spec = check.log
    assert spec is not None
    namespace = check_namespace(check, lab)
    target = _target(check, lab)
    keys = {("v1", "Pod", namespace)}
    pods = [
        p
        for p in snapshot.objects_of("v1", "Pod", namespace)
        if all(
            ((p.get("metadata") or {}).get("labels") or {}).get(k) == v
            for k, v in spec.selector.items()
        )
    ]
    if not pods:
        return Outcome(
            "failed",
            target,
            field_errors=[f"no pod in {namespace} has the labels {_selector(spec.selector)}"],
            keys=keys,
            settled=(),  # waiting helps only if something makes such a pod
        )
    # A finished pod's log is final: waiting on it helps only if another pod comes along.
    finished = all((p.get("status") or {}).get("phase") in ("Succeeded", "Failed") for p in pods)
    settled = _versions(pods) if finished else None
    pattern = re.compile(spec.pattern)
    best: tuple[int, dict[str, Any], str] | None = None
    for pod in pods:
        containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        if spec.container is not None:
            containers = [c for c in containers if c == spec.container]
        for container in containers:
            text = snapshot.log(
                namespace,
                pod["metadata"]["name"],
                container,
                tail_lines=LOG_TAIL_LINES,
                previous=False,
            )
            hits = sum(1 for line in (text or "").splitlines() if pattern.search(line))
            if hits >= spec.count:
                return Outcome("passed", target, keys=keys)
            if best is None or hits > best[0]:
                best = (hits, pod, container)
    if best is None:
        return Outcome(
            "failed",
            target,
            field_errors=[
                f"the pods -l {_selector(spec.selector)} have no container {spec.container!r}"
            ],
            keys=keys,
            settled=settled,
        )
    hits, pod, container = best
    name = pod["metadata"]["name"]
    wanted = "a line" if spec.count == 1 else f"{spec.count} lines"
    return Outcome(
        "failed",
        f"v1/Pod/{namespace}/{name} (container {container})",
        field_errors=[
            f"log: {wanted} matching {show(spec.pattern)} expected, found {hits} "
            f"(`kubectl logs {name} -c {container} -n {namespace}`)"
        ],
        subject=pod,
        keys=keys,
        settled=settled,
    )


# -- order -------------------------------------------------------------------------------------

_NEVER = datetime.max


def _substitute(tree: Any, names: dict[str, str]) -> Any:
    """`${id}` in keys and strings replaced with the name an earlier moment found."""

    def text(value: str) -> str:
        return re.sub(r"\$\{([^}]*)\}", lambda m: names.get(m.group(1), m.group(0)), value)

    if isinstance(tree, dict):
        return {text(k): _substitute(v, names) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_substitute(v, names) for v in tree]
    return text(tree) if isinstance(tree, str) else tree


def _timestamp(obj: dict[str, Any], path: str) -> datetime | None:
    """The time at a dotted path, or what a parenthesised JMESPath expression gives, as
    naive UTC; None when it is missing or not a time."""
    value: Any = obj
    if path.startswith("(") and path.endswith(")"):
        value = jmespath.search(path[1:-1], obj)
    else:
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is None else stamp.astimezone(UTC).replace(tzinfo=None)


def _evaluate_order(check: Check, lab: Lab, snapshot: Snapshot) -> Outcome:
    """Each moment found, and each no earlier than the one before it (1 s resolution)."""
    moments = check.order
    assert moments is not None
    default_namespace = check_namespace(check, lab)
    target = _target(check, lab)
    names: dict[str, str] = {}
    found: list[tuple[str, datetime, str]] = []  # (what, when, header)
    keys: set[Key] = set()
    for moment in moments:
        tree = _substitute(moment.object, names)
        meta = tree.get("metadata") or {}
        namespace = meta.get("namespace") or default_namespace
        resource = snapshot.resource(tree["apiVersion"], tree["kind"])
        if resource is None:
            return Outcome(
                "failed",
                target,
                detail=f"The cluster does not serve {tree['kind']} in {tree['apiVersion']}.",
            )
        keys.add(snapshot.key(resource, namespace))
        node = parse(tree)
        matching = [
            (when, obj)
            for obj in snapshot.objects(resource, namespace)
            if (meta.get("name") is None or obj["metadata"].get("name") == meta["name"])
            and not node.match(obj, "")
            and (when := _timestamp(obj, moment.time)) is not None
        ]
        if not matching:
            if moment.pending:
                found.append((moment.what, _NEVER, "(not yet)"))
                continue
            ref = {**tree, "metadata": {**meta, "namespace": namespace}}
            return Outcome(
                "failed",
                target,
                field_errors=[
                    f"{moment.id}: {moment.what}: not found ({header(ref)} with {moment.time})"
                ],
                keys=keys,
            )
        when, obj = min(matching, key=lambda pair: pair[0])
        names[moment.id] = str(obj["metadata"].get("name", ""))
        found.append((moment.what, when, header(obj, namespaced=resource.namespaced)))
    errors = []
    for (before, t0, _), (after, t1, _) in zip(found, found[1:], strict=False):
        if t1 < t0:
            errors.append(
                f"order: {show(after)} ({t1:%H:%M:%S}) expected after {show(before)} "
                f"({'never' if t0 == _NEVER else f'{t0:%H:%M:%S}'})"
            )
    if errors:
        return Outcome("failed", target, field_errors=errors, keys=keys)
    return Outcome("passed", target, keys=keys)

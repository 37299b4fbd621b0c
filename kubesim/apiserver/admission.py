"""Defaulting and validation, as kube-apiserver does them on write.

Contract:
    default(gvk: tuple[str, str, str], obj: dict) -> dict
        a new object with the real API defaults filled in (Deployment strategy
        RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600,
        container terminationMessagePath, imagePullPolicy by tag, Service clusterIP
        family fields, ...). Never overwrites fields the user set.
    validate(gvk, obj: dict, *, old: dict | None, field_validation: str) -> Problems
        Problems(errors=[FieldError(...)], warnings=[str]) where field_validation is
        "Strict" | "Warn" | "Ignore"; unknown fields are errors under Strict and warnings
        under Warn, worded as the real server words them
        (`unknown field "spec.foo"`), and invalid values give the real
        `Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be greater
        than or equal to 0` style causes.
    FieldError has: type (FieldValueInvalid, FieldValueRequired, FieldValueNotSupported,
        FieldValueDuplicate, FieldValueForbidden...), field ("spec.replicas"), message (the
        detail text), and `reason` for the Status cause.

How the API core uses it, per write (create, update, any patch type after merging):
    obj = default(gvk, obj)                 # Job selectors need metadata.uid set first
    problems = validate(gvk, obj, old=old_or_None, field_validation=param, raw=body)
    if not problems.ok:   answer status_body(gvk, name, problems)  (400 or 422)
    for w in problems.warnings: add a `Warning: 299 - "<w>"` header
Services additionally get `assign_addresses(...)` (cluster IP, node ports) on create, and
autoscaling/v1 HPAs are stored as v2 through `convert(obj, "v2")` (and served back with
`convert(stored, "v1")`).

Status codes: a body that does not decode (unknown/duplicate field under Strict, wrong JSON
type, bad quantity) is 400 BadRequest with `<Kind> in version "<v>" cannot be handled as a
<Kind>: ...`; wrong values are 422 Invalid with one `details.causes` entry per error.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kubesim.apiserver.defaulting.hpa import convert
from kubesim.apiserver.defaulting.kinds import defaulter
from kubesim.apiserver.defaulting.service import (
    allocate_cluster_ip,
    allocate_node_port,
    assign_addresses,
)
from kubesim.apiserver.validation.decode import apply_patch_error as _apply_patch_error
from kubesim.apiserver.validation.decode import decode_report, duplicate_fields
from kubesim.apiserver.validation.errors import FieldError, Problems, status_body, status_message
from kubesim.apiserver.validation.kinds import validate_values
from kubesim.core import schema as _schema
from kubesim.core.objects import deepcopy, quantity
from kubesim.core.quota import format_quantity, matches_scopes, object_usage, quota_denial
from kubesim.core.resources import rows as resource_rows

__all__ = [
    "FieldError",
    "Problems",
    "allocate_cluster_ip",
    "apply_patch_error",
    "default_storage_class",
    "allocate_node_port",
    "assign_addresses",
    "convert",
    "default",
    "duplicate_fields",
    "quota_admission",
    "status_body",
    "status_message",
    "validate",
]

GVK = tuple[str, str, str]
FIELD_VALIDATIONS = ("Strict", "Warn", "Ignore")


@cache
def _namespaced() -> dict[tuple[str, str], bool]:
    return {(r["group"], r["kind"]): bool(r["namespaced"]) for r in resource_rows()}


def default(gvk: GVK, obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of `obj` with the server's defaults for its kind filled in."""
    out = deepcopy(obj)
    fill = defaulter(gvk)
    if fill is not None:
        fill(out)
    return out


def validate(
    gvk: GVK,
    obj: dict[str, Any],
    *,
    old: dict[str, Any] | None,
    field_validation: str,
    raw: bytes | str | None = None,
) -> Problems:
    """Decode-time checks against the 1.37 schema, then value validation.

    `field_validation` is the request's `fieldValidation` ("" means the server default,
    Warn). `raw` is the request body when it was JSON, so repeated keys can be reported.
    """
    group, version, kind = gvk
    problems = Problems()
    mode = field_validation or "Warn"
    if mode not in FIELD_VALIDATIONS:
        problems.decode_error = (
            f'fieldValidation parameter unsupported: "{field_validation}" (supported values: '
            f'"Ignore", "Warn", "Strict")'
        )
        return problems
    prefix = f'{kind} in version "{version}" cannot be handled as a {kind}: '
    def_name = _schema.definition_name(group, version, kind)
    if def_name is not None:
        report = decode_report(def_name, obj)
        if report.type_error is not None:
            problems.decode_error = prefix + report.type_error
            return problems
        strict = (duplicate_fields(raw) if raw else []) + report.strict
        if strict and mode == "Strict":
            problems.decode_error = prefix + "strict decoding error: " + ", ".join(strict)
            return problems
        if mode == "Warn":
            problems.warnings.extend(strict)
        report.prune_unknown()  # Go's decoder has no field to put them in
    namespaced = _namespaced().get((group, kind), True)
    problems.errors.extend(validate_values(gvk, obj, old, namespaced=namespaced))
    return problems


def apply_patch_error(gvk: GVK, obj: dict[str, Any], *, namespace: str, name: str) -> str | None:
    """For `application/apply-patch+yaml` bodies, before merging: unknown fields and repeated
    list-map keys as server-side apply reports them (`.spec.template.spec.containers[name=
    "web"].imagePullPolicyy: field not declared in schema`). Answer it as HTTP 500 with an
    empty reason, as kube-apiserver does for this error. None when the config fits."""
    def_name = _schema.definition_name(*gvk)
    if def_name is None:
        return None
    return _apply_patch_error(def_name, obj, gvk=gvk, namespace=namespace, name=name)


_DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def default_storage_class(classes: list[dict[str, Any]]) -> str | None:
    """The DefaultStorageClass admission plugin's pick: among classes annotated as default,
    the newest (then the first by name); None when there is none."""
    defaults = [
        c
        for c in classes
        if any(
            ((c.get("metadata") or {}).get("annotations") or {}).get(a) == "true"
            for a in _DEFAULT_CLASS_ANNOTATIONS
        )
    ]
    if not defaults:
        return None
    defaults.sort(key=lambda c: c["metadata"]["name"])
    defaults.sort(key=lambda c: c["metadata"].get("creationTimestamp") or "", reverse=True)
    return str(defaults[0]["metadata"]["name"])


def quota_admission(
    obj: dict[str, Any], quotas: list[dict[str, Any]], *, resource: str
) -> tuple[str | None, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The ResourceQuota plugin's verdict on creating `obj` (a `resource` such as "pods" or
    "deployments.apps") against its namespace's `quotas` (with `status.used` counted).

    Returns (reason, []) when it does not fit, the reason being the text after `... is
    forbidden: ` (`exceeded quota: compute-quota, requested: ...`); else (None, charges):
    each quota `obj` counts against, with the status whose `used` includes it, for the API
    to write in the same create (so two creates cannot both take the last room)."""
    why = quota_denial(obj, quotas, resource=resource)
    if why:
        return why, []
    requested = object_usage(obj, resource)
    charges = []
    for quota in quotas:
        status = quota.get("status") or {}
        hard = status.get("hard") or {}
        used = dict(status.get("used") or {})
        touched = [k for k in hard if k in requested]
        if not touched or (resource == "pods" and not matches_scopes(quota, obj)):
            continue
        for k in touched:
            total = quantity(used.get(k, "0")) + quantity(requested[k])
            binary = str(hard[k]).strip().endswith(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))
            used[k] = format_quantity(total, binary=binary)
        charges.append((quota, {**status, "used": used}))
    return None, charges

"""CustomResourceDefinitions (apiextensions.k8s.io/v1): what a CRD makes the API server
serve, the status its controllers write, and ValidateCustomResourceDefinition.

The docs' task "Extend the Kubernetes API with CustomResourceDefinitions" creates one and
then uses its resources with kubectl as if they were built in, so a CRD here becomes
`Resource` rows (one per served version, `custom=True`) that the API serves beside
resources.yaml's, with discovery, storage, watch, Tables and RBAC as for any other. The
custom resources' own schema handling is `customresource.py`.

kube-apiserver's naming and establishing controllers run asynchronously; kubesim writes the
status they converge to when the CRD is stored (NamesAccepted, then Established), since a
names conflict is the only thing that could hold it back and kubesim refuses one with the
CRD's validation instead.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.customresource import bad_patterns
from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    invalid,
    not_supported,
    required,
)
from kubesim.apiserver.validation.names import is_dns1035_label
from kubesim.core.resources import Resource

Obj = dict[str, Any]

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def _spec(crd: Obj) -> Obj:
    spec = crd.get("spec")
    return spec if isinstance(spec, dict) else {}


def _names(crd: Obj) -> Obj:
    names = _spec(crd).get("names")
    return names if isinstance(names, dict) else {}


def versions(crd: Obj) -> list[Obj]:
    found = _spec(crd).get("versions")
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []


def version(crd: Obj, name: str) -> Obj | None:
    return next((v for v in versions(crd) if v.get("name") == name), None)


def storage_version(crd: Obj) -> str:
    return next((str(v.get("name")) for v in versions(crd) if v.get("storage")), "")


def accepted_names(crd: Obj) -> Obj:
    """status.acceptedNames: the requested names, singular defaulted to the lowercased
    kind and listKind to `<Kind>List` (the API's own defaulting)."""
    names = _names(crd)
    out: Obj = {"plural": names.get("plural", ""), "kind": names.get("kind", "")}
    out["singular"] = names.get("singular") or str(out["kind"]).lower()
    for key in ("shortNames", "categories"):
        if names.get(key):
            out[key] = list(names[key])
    out["listKind"] = names.get("listKind") or f"{out['kind']}List"
    return out


def resources(crd: Obj) -> list[Resource]:
    """The Resource rows an established CRD serves: one per served version."""
    meta = crd.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return []
    names = accepted_names(crd)
    spec = _spec(crd)
    out = []
    for v in versions(crd):
        if not v.get("served"):
            continue
        subresources = v.get("subresources") or {}
        sub = tuple(s for s in ("status", "scale") if isinstance(subresources.get(s), dict))
        out.append(
            Resource(
                group=str(spec.get("group", "")),
                version=str(v.get("name", "")),
                kind=str(names["kind"]),
                plural=str(names["plural"]),
                namespaced=spec.get("scope") == "Namespaced",
                short=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                sub=sub,
                storage_version=bool(v.get("storage")),
                singular=str(names["singular"]),
                custom=True,
            )
        )
    return out


def status(crd: Obj, old_status: Obj | None, now: str) -> Obj:
    """What the naming, establishing and storage-version bookkeeping converge to."""
    before = old_status or {}
    stored = list(before.get("storedVersions") or [])
    current = storage_version(crd)
    if current and current not in stored:
        stored.append(current)
    kept = {c.get("type"): c for c in before.get("conditions") or [] if isinstance(c, dict)}

    def condition(kind: str, reason: str, message: str) -> Obj:
        was = kept.get(kind) or {}
        same = was.get("status") == "True" and was.get("reason") == reason
        return {
            "type": kind,
            "status": "True",
            "lastTransitionTime": was.get("lastTransitionTime") if same else now,
            "reason": reason,
            "message": message,
        }

    return {
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition(
                "Established", "InitialNamesAccepted", "the initial names have been accepted"
            ),
        ],
        "acceptedNames": accepted_names(crd),
        "storedVersions": stored,
    }


def terminating(crd: Obj, now: str) -> Obj:
    """The status of a CRD whose instances are being deleted (the finalizer's work)."""
    out = dict(crd.get("status") or {})
    conditions = [c for c in out.get("conditions") or [] if c.get("type") != "Terminating"]
    conditions.append(
        {
            "type": "Terminating",
            "status": "True",
            "lastTransitionTime": now,
            "reason": "InstanceDeletionInProgress",
            "message": "CustomResource deletion is in progress",
        }
    )
    out["conditions"] = conditions
    return out


# --- ValidateCustomResourceDefinition -------------------------------------------------------


def _name_errors(crd: Obj) -> list[FieldError]:
    spec = _spec(crd)
    names = _names(crd)
    errs: list[FieldError] = []
    group = str(spec.get("group") or "")
    plural = str(names.get("plural") or "")
    name = str((crd.get("metadata") or {}).get("name") or "")
    if name != f"{plural}.{group}":
        errs.append(invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if not group:
        errs.append(required("spec.group", ""))
    elif "." not in group:
        errs.append(invalid("spec.group", group, "should be a domain with at least one dot"))
    for key in ("plural", "singular", "kind", "listKind"):
        value = names.get(key)
        path = f"spec.names.{key}"
        if not value:
            if key in ("plural", "kind"):
                errs.append(required(path, ""))
            continue
        if key in ("plural", "singular"):
            errs.extend(invalid(path, value, m) for m in is_dns1035_label(str(value)))
        if key in ("kind", "listKind") and is_dns1035_label(str(value).lower()):
            errs.append(
                invalid(
                    path,
                    value,
                    "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?",
                )
            )
    return errs


def _version_errors(crd: Obj) -> list[FieldError]:
    found = versions(crd)
    errs: list[FieldError] = []
    if not found:
        return [
            required("spec.versions", "must have exactly one version marked as storage version")
        ]
    storage = [v for v in found if v.get("storage")]
    if len(storage) != 1:
        errs.append(
            invalid(
                "spec.versions",
                _versions_literal(found),
                "must have exactly one version marked as storage version",
            )
        )
    seen: set[str] = set()
    for i, v in enumerate(found):
        path = f"spec.versions[{i}]"
        name = str(v.get("name") or "")
        if not name:
            errs.append(required(f"{path}.name", ""))
        elif name in seen and not any("unique" in e.message for e in errs):
            errs.append(
                invalid(
                    "spec.versions", _versions_literal(found), "must contain unique version names"
                )
            )
        seen.add(name)
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            errs.append(required(f"{path}.schema.openAPIV3Schema", "schemas are required"))
        elif not schema.get("type"):
            errs.append(
                required(f"{path}.schema.openAPIV3Schema.type", "must not be empty at the root")
            )
        elif schema.get("type") != "object":
            errs.append(
                invalid(
                    f"{path}.schema.openAPIV3Schema.type",
                    schema.get("type"),
                    "must be object at the root",
                )
            )
        if isinstance(schema, dict):
            for where, pattern in bad_patterns(schema, f"{path}.schema.openAPIV3Schema"):
                errs.append(invalid(where, pattern, "must be a valid regular expression"))
    if found and not any(v.get("served") for v in found):
        errs.append(
            invalid(
                "spec.versions", _versions_literal(found), "must have at least one served version"
            )
        )
    return errs


def _versions_literal(found: list[Obj]) -> Any:
    return GoLiteral("[]apiextensions.CustomResourceDefinitionVersion{...}")


def validate_crd(crd: Obj, old: Obj | None) -> list[FieldError]:
    """The common mistakes of ValidateCustomResourceDefinition, in its words."""
    spec = _spec(crd)
    errs = _name_errors(crd)
    scope = spec.get("scope")
    if not scope:
        errs.append(required("spec.scope", ""))
    elif scope not in ("Namespaced", "Cluster"):
        errs.append(not_supported("spec.scope", scope, ["Cluster", "Namespaced"]))
    errs.extend(_version_errors(crd))
    names = _names(crd)
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        errs.append(
            invalid(
                "spec.names.listKind", names["listKind"], "kind and listKind may not be the same"
            )
        )
    if old is not None:
        before = _spec(old)
        for key in ("group",):
            if before.get(key) != spec.get(key):
                errs.append(invalid(f"spec.{key}", spec.get(key), "field is immutable"))
        if before.get("scope") != scope:
            errs.append(invalid("spec.scope", scope, "field is immutable"))
        stored = (old.get("status") or {}).get("storedVersions") or []
        defined = {v.get("name") for v in versions(crd)}
        for i, kept in enumerate(stored):
            if kept not in defined:
                errs.append(
                    invalid(
                        f"status.storedVersions[{i}]",
                        kept,
                        f"missing from spec.versions; {kept} was previously a storage version, "
                        f"and must remain in spec.versions until a storage migration ensures no "
                        f"data remains persisted in {kept} and removes {kept} from "
                        "status.storedVersions",
                    )
                )
    found = spec.get("conversion")
    conversion: Obj = found if isinstance(found, dict) else {}
    if conversion.get("strategy", "None") not in ("None", "Webhook"):
        errs.append(
            not_supported("spec.conversion.strategy", conversion["strategy"], ["None", "Webhook"])
        )
    return errs

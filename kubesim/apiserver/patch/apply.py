"""Server-side apply and managedFields bookkeeping, after structured-merge-diff's `Updater`.

Contract:
    server_side_apply(live: dict | None, applied: dict, *, manager: str, force: bool,
                      gvk: tuple[str, str, str], now: str) -> dict
        merged object with metadata.managedFields updated (operation Apply);
        raises ApplyConflict(conflicts=[(manager, field_path_str), ...]) -> 409.
    record_update(old: dict | None, new: dict, *, manager: str, operation: str,
                  gvk: tuple[str, str, str], now: str, subresource: str = "") -> dict
        `new` with managedFields updated for a create/update/patch by `manager`
        (operation "Update"), taking ownership of the fields that changed.

Apply (smd `Updater.Apply`): merge the applied configuration into the live object (maps by
key, list-maps by their keys, sets by value, atomic values replaced); any field another
manager owns whose value this changes is a conflict unless `force`, which moves ownership;
the applier then owns exactly the fields it applied; fields it owned before and no longer
applies are removed from the object unless someone else still owns them.

Update (smd `Updater.Update` behind apiserver's `managedFieldsUpdater`): the fields this
write added or changed move to the writer's entry (merged with its earlier Update entry);
removed fields leave every entry; empty entries disappear.

Both skip the fields apiserver strips (`metadata.name`, `uid`, `resourceVersion`, ...) and
keep `status` apart from the main resource (and the `status` subresource to `status`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubesim.apiserver.patch import schema as _patch_schema
from kubesim.apiserver.patch.fieldpath import (
    FieldSet,
    Path,
    compare,
    decode_fields,
    encode_fields,
    item_element,
    list_kind,
    map_is_atomic,
    owns_within,
    path_string,
    sort_paths,
    to_field_set,
    under,
)
from kubesim.apiserver.patch.jsonpatch import json_equal, prune_nulls
from kubesim.apiserver.patch.schema import Node, Schema, child, items
from kubesim.core.objects import deepcopy

_STRIPPED: set[Path] = {
    ("f:apiVersion",),
    ("f:kind",),
    *{
        ("f:metadata", "f:" + name)
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    },
}
_STATUS: Path = ("f:status",)


class ApplyConflict(Exception):
    """An apply that would change fields other managers own (HTTP 409, reason Conflict).

    `conflicts` is `[(manager, ".spec.replicas"), ...]`; `message()` is kube-apiserver's
    text, `causes()` the `FieldManagerConflict` causes of its Status details (metav1
    `StatusCause` serializes its type under the JSON key "reason"). Use these rather than
    rebuilding the text from `conflicts`: an Apply manager prints as `"kubectl"`, an Update
    manager as `"kubectl-client-side-apply" using apps/v1`, a subresource one with
    `with subresource "scale"`.
    """

    def __init__(
        self, conflicts: list[tuple[str, str]], *, described: list[str] | None = None
    ) -> None:
        self.conflicts = conflicts
        # How each conflict's manager is printed: `"kubectl-client-side-apply" using apps/v1`.
        self.described = described or [f'"{m}"' for m, _ in conflicts]
        super().__init__(self.message())

    def message(self, kind_and_name: str = "") -> str:
        """The Status message. kube-apiserver's text names no object, so neither does this;
        `kind_and_name` is accepted for callers that pass it and is not used."""
        if len(self.conflicts) == 1:
            return (
                f"Apply failed with 1 conflict: conflict with {self.described[0]}: "
                f"{self.conflicts[0][1]}"
            )
        grouped: dict[str, list[str]] = {}
        for (_, path), who in zip(self.conflicts, self.described, strict=True):
            grouped.setdefault(who, []).append(path)
        lines: list[str] = []
        for who in sorted(grouped):
            lines.append(f"conflicts with {who}:")
            lines.extend(f"- {path}" for path in grouped[who])
        return f"Apply failed with {len(self.conflicts)} conflicts: " + "\n".join(lines)

    def causes(self) -> list[dict[str, str]]:
        return [
            {"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
            for (_, path), who in zip(self.conflicts, self.described, strict=True)
        ]


# --- managedFields entries --------------------------------------------------------------


@dataclass
class _Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str = ""
    time: str | None = None
    fields: FieldSet = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, str, str]:
        # Appliers are one manager across versions (apiserver's BuildManagerIdentifier).
        version = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def described(self) -> str:
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text

    def encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time is not None:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = encode_fields(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def _decode_entries(obj: dict[str, Any] | None) -> list[_Entry]:
    raw = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    entries: list[_Entry] = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("manager") and not item.get("fieldsV1"):
            continue
        entries.append(
            _Entry(
                manager=str(item.get("manager", "")),
                operation=str(item.get("operation", "")),
                api_version=str(item.get("apiVersion", "")),
                subresource=str(item.get("subresource", "")),
                time=item.get("time"),
                fields=decode_fields(item.get("fieldsV1") or {}),
            )
        )
    return entries


def _write_entries(obj: dict[str, Any], entries: list[_Entry]) -> dict[str, Any]:
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    metadata = obj.setdefault("metadata", {})
    if kept:
        metadata["managedFields"] = [e.encode() for e in kept]
    else:
        metadata.pop("managedFields", None)
    return obj


def _api_version(gvk: tuple[str, str, str]) -> str:
    group, version, _ = gvk
    return f"{group}/{version}" if group else version


def _tracked(fields: FieldSet, *, subresource: str, has_status: bool) -> FieldSet:
    """Drop what apiserver never records: stripped metadata, and status or non-status."""
    kept = {p for p in fields if p and not under(p, _STRIPPED)}
    if subresource == "status":
        return {p for p in kept if under(p, {_STATUS})}
    if has_status and not subresource:
        return {p for p in kept if not under(p, {_STATUS})}
    return kept


def _body(obj: dict[str, Any] | None) -> dict[str, Any]:
    """The object without its managedFields (they are bookkeeping, not content)."""
    if obj is None:
        return {}
    body = deepcopy(obj)
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return body


def _has_status(node: Node | None) -> bool:
    return node is None or node.declares("status")


# Kinds without a schema (custom resources) still have typed object metadata; their other
# top-level fields are declared but schemaless (granular maps, atomic lists), the way a CRD
# with an open schema behaves.
_SCHEMALESS_KIND: Schema = {
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
        "spec": {},
        "status": {},
    }
}


def _root(gvk: tuple[str, str, str]) -> Node:
    node = _patch_schema.root(gvk)
    return node if node is not None else Node.of(_SCHEMALESS_KIND)


# --- record_update ------------------------------------------------------------------------


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    operation: str,
    gvk: tuple[str, str, str],
    now: str,
    subresource: str = "",
) -> dict[str, Any]:
    """`new` with managedFields updated for a create/update/patch by `manager`."""
    node = _root(gvk)
    entries = _base_entries(old, new, subresource=subresource)
    diff = compare(_body(old), _body(new), node, zero_structs=True)
    has_status = _has_status(node)
    changed = _tracked(diff.changed, subresource=subresource, has_status=has_status)
    removed = _tracked(diff.removed, subresource=subresource, has_status=has_status)

    me = _Entry(manager, operation, _api_version(gvk), subresource)
    previous = next((e for e in entries if e.key == me.key), None)
    for entry in entries:
        if entry is previous:
            entry.fields -= removed
        else:
            entry.fields -= changed | removed
    if changed:
        if previous is None:
            previous = me
            entries.append(me)
        previous.fields |= changed
        previous.time = now
    result = _body(new)
    return _write_entries(result, entries)


def _base_entries(
    old: dict[str, Any] | None, new: dict[str, Any], *, subresource: str
) -> list[_Entry]:
    """apiserver's `decodeLiveOrNew`: a request may reset or rewrite managedFields (not via
    a subresource); an absent or empty list keeps the live ones."""
    if subresource:
        return _decode_entries(old)
    sent = (new.get("metadata") or {}).get("managedFields", None)
    if isinstance(sent, list) and (sent == [] or sent == [{}]):
        return []
    from_new = _decode_entries(new)
    return from_new if from_new else _decode_entries(old)


# --- server_side_apply ----------------------------------------------------------------------


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    *,
    manager: str,
    force: bool,
    gvk: tuple[str, str, str],
    now: str,
) -> dict[str, Any]:
    """Apply `applied` for `manager`; returns the new object with its managedFields."""
    node = _root(gvk)
    has_status = _has_status(node)
    config = _body(prune_nulls(applied))
    before = _body(live)
    entries = _decode_entries(live)

    merged = merge(before, config, node) if live is not None else deepcopy(config)
    diff = compare(before, merged, node)
    changed = _tracked(diff.changed, subresource="", has_status=has_status)

    me = _Entry(manager, "Apply", _api_version(gvk))
    previous = next((e for e in entries if e.key == me.key), None)
    conflicts: list[tuple[_Entry, Path]] = []
    for entry in entries:
        if entry is previous:
            continue
        conflicts.extend((entry, p) for p in sort_paths(entry.fields & changed))
    if conflicts and not force:
        conflicts.sort(key=lambda c: (c[0].manager, c[0].operation, c[0].api_version))
        raise ApplyConflict(
            [(e.manager, path_string(p)) for e, p in conflicts],
            described=[e.described() for e, _ in conflicts],
        )
    for entry in entries:
        if entry is not previous:
            entry.fields -= changed

    applied_fields = _tracked(to_field_set(config, node), subresource="", has_status=has_status)
    last = previous.fields if previous is not None else set()
    if previous is None:
        previous = me
        entries.append(me)
    previous.fields = applied_fields
    previous.api_version = me.api_version

    owned: FieldSet = set().union(*(e.fields for e in entries))
    result = _prune(merged, node, (), last - applied_fields, owned)

    final = compare(before, result, node)
    gone = _tracked(final.removed, subresource="", has_status=has_status)
    for entry in entries:
        if entry is not previous:
            entry.fields -= gone
    if live is None or not json_equal(before, result) or previous.time is None:
        previous.time = now
    return _write_entries(result, entries)


def _prune(value: Any, node: Node | None, path: Path, drop: FieldSet, owned: FieldSet) -> Any:
    """Remove the fields in `drop` that nobody owns any more (smd's `prune`)."""
    if not owns_within(path, drop):
        return value
    if isinstance(value, dict) and not (map_is_atomic(node) and path):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            here = (*path, "f:" + key)
            if here in drop and not owns_within(here, owned):
                continue
            out[key] = _prune(sub, child(node, key), here, drop, owned)
        return out
    if isinstance(value, list) and list_kind(node) != "atomic":
        kept: list[Any] = []
        element_node = items(node)
        for index, sub in enumerate(value):
            here = (*path, item_element(sub, index, node))
            if here in drop and not owns_within(here, owned):
                continue
            kept.append(_prune(sub, element_node, here, drop, owned))
        return kept
    return value


# --- merging ---------------------------------------------------------------------------------


def merge(live: Any, config: Any, node: Node | None) -> Any:
    """smd's merge of an applied configuration into a live object (never mutates either)."""
    if isinstance(live, dict) and isinstance(config, dict) and not map_is_atomic(node):
        out = deepcopy(live)
        for key, value in config.items():
            if key in out:
                out[key] = merge(out[key], value, child(node, key))
            else:
                out[key] = deepcopy(value)
        return out
    if isinstance(live, list) and isinstance(config, list) and list_kind(node) != "atomic":
        return _merge_lists(live, config, node)
    return deepcopy(config)


def _merge_lists(live: list[Any], config: list[Any], node: Node | None) -> list[Any]:
    """smd's `visitListItems`: applied order for shared items, live-only items kept in place."""
    element_node = items(node)
    lhs = [(item_element(v, i, node), v) for i, v in enumerate(live)]
    rhs = [(item_element(v, i, node), v) for i, v in enumerate(config)]
    lhs_map = dict(lhs)
    rhs_map = dict(rhs)
    shared = [pe for pe, _ in rhs if pe in lhs_map]
    out: list[Any] = []
    done: set[str] = set()
    li = ri = 0
    while li < len(lhs) or ri < len(rhs):
        if li < len(lhs) and ri < len(rhs):
            pe = lhs[li][0]
            if pe == rhs[ri][0]:
                out.append(merge(lhs_map[pe], rhs_map[pe], element_node))
                done.add(pe)
                li += 1
                ri += 1
                if shared and shared[0] == pe:
                    shared.pop(0)
                continue
            if pe in rhs_map and shared and shared[0] != pe:
                li += 1
                continue
        if li < len(lhs):
            pe = lhs[li][0]
            if pe not in rhs_map:
                out.append(deepcopy(lhs_map[pe]))
                li += 1
                continue
            if pe in done:
                li += 1
                continue
        if ri < len(rhs):
            pe = rhs[ri][0]
            done.add(pe)
            if pe in lhs_map:
                out.append(merge(lhs_map[pe], rhs_map[pe], element_node))
            else:
                out.append(deepcopy(rhs_map[pe]))
            ri += 1
            if shared and shared[0] == pe:
                shared.pop(0)
    return out

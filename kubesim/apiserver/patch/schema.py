"""Walking a kind's OpenAPI schema for the patch engines: merge keys, strategies, list types.

Strategic merge patch and server-side apply both need, at every field of an object, the
answers kube-apiserver takes from the Go struct tags: `patchStrategy` / `patchMergeKey`
(SMP) and `listType` / `listMapKeys` / `mapType` (SSA). The 1.37 OpenAPI schema in
`_schema` carries all of them as `x-kubernetes-*` extensions, but they sit on the *property*
(next to its `$ref`), not on the referenced definition; `_schema.field_schema` resolves the
ref and loses them. `Node` keeps both halves: `raw` (the property, with its extensions) and
`resolved` (the definition, with its properties).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesim.core import schema as _schema

Schema = dict[str, Any]


@dataclass(frozen=True)
class Node:
    """One field's schema: the property as written (`raw`) and its definition (`resolved`)."""

    raw: Schema
    resolved: Schema

    @classmethod
    def of(cls, raw: Schema) -> Node:
        return cls(raw=raw, resolved=_schema.resolve(raw))

    def ext(self, name: str) -> Any:
        """An extension, looked up on the property first, then on its definition."""
        if name in self.raw:
            return self.raw[name]
        return self.resolved.get(name)

    def child(self, key: str) -> Node | None:
        """The schema of map key `key` (a declared field or an additionalProperties value)."""
        props = self.resolved.get("properties") or {}
        if key in props:
            return Node.of(props[key])
        extra = self.resolved.get("additionalProperties")
        if isinstance(extra, dict):
            return Node.of(extra)
        return None

    def declares(self, key: str) -> bool:
        """Whether `key` is a declared struct field (as opposed to a free map key)."""
        return key in (self.resolved.get("properties") or {})

    def items(self) -> Node | None:
        items = self.resolved.get("items")
        return Node.of(items) if isinstance(items, dict) else None

    @property
    def is_struct(self) -> bool:
        """A Go struct (fixed fields) rather than a free-form map like labels."""
        return bool(self.resolved.get("properties"))

    def required(self) -> set[str]:
        return set(self.resolved.get("required") or [])

    # --- strategic merge patch -------------------------------------------------------

    @property
    def patch_strategies(self) -> list[str]:
        value = self.ext("x-kubernetes-patch-strategy") or ""
        return [s for s in value.split(",") if s]

    @property
    def patch_strategy(self) -> str:
        """The strategy besides retainKeys ("merge", "replace" or "")."""
        others = [s for s in self.patch_strategies if s != "retainKeys"]
        return others[0] if others else ""

    @property
    def merge_key(self) -> str:
        return str(self.ext("x-kubernetes-patch-merge-key") or "")

    # --- server-side apply -----------------------------------------------------------

    @property
    def list_type(self) -> str:
        return str(self.ext("x-kubernetes-list-type") or "atomic")

    @property
    def list_map_keys(self) -> list[str]:
        return list(self.ext("x-kubernetes-list-map-keys") or [])

    @property
    def map_atomic(self) -> bool:
        return self.ext("x-kubernetes-map-type") == "atomic"


def root(gvk: tuple[str, str, str]) -> Node | None:
    """The schema of a top-level kind, or None for kinds the schema does not know (CRDs)."""
    name = _schema.definition_name(*gvk)
    if name is None:
        return None
    return Node.of(_schema.definition(name))


def child(node: Node | None, key: str) -> Node | None:
    return node.child(key) if node is not None else None


def items(node: Node | None) -> Node | None:
    return node.items() if node is not None else None

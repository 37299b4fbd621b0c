"""Field paths and field sets for managedFields, as structured-merge-diff (smd) builds them.

A *path* is a tuple of path elements written the way `fieldsV1` writes them:

    f:<field>            a map key / struct field
    k:{"name":"nginx"}   a list-map item, by its x-kubernetes-list-map-keys (keys sorted)
    v:"value"            a set item (x-kubernetes-list-type: set)
    i:<n>                a positional item (only where nothing better identifies it)

A *field set* is a `set` of such tuples. `encode_fields` / `decode_fields` convert to and
from the `fieldsV1` tree, where `.: {}` marks a node that is itself in the set.

Two ways to build sets, mirroring smd:

* `to_field_set(applied)` (used for Apply): every leaf, every list item, and every map entry
  that is not a declared struct field (labels' `f:app`), or that is null or `{}`;
* `compare(old, new)` (used for Update, and for conflicts): which paths were added,
  modified or removed. Go objects always carry their non-pointer structs and some lists, so
  an Update never owns `f:spec` itself; `compare(..., zero_structs=True)` imitates that by
  not marking added struct nodes or required fields outside newly added list items.

`path_string` prints a path the way smd's `Path.String()` does in conflict messages:
`.spec.template.spec.containers[name="nginx"].image`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubesim.apiserver.patch.jsonpatch import json_equal
from kubesim.apiserver.patch.schema import Node, child, items

Path = tuple[str, ...]
FieldSet = set[Path]

_ABSENT: Any = object()


# --- path elements --------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def list_kind(node: Node | None) -> str:
    """'map', 'set' or 'atomic' (lists without schema are atomic, as in smd)."""
    return node.list_type if node is not None else "atomic"


def map_is_atomic(node: Node | None) -> bool:
    return node is not None and node.map_atomic


def item_element(item: Any, index: int, node: Node | None) -> str:
    """The path element naming one item of a granular list."""
    kind = list_kind(node)
    if kind == "map" and isinstance(item, dict) and node is not None:
        keys = {k: item[k] for k in node.list_map_keys if k in item}
        if keys:
            return "k:" + _json(keys)
    if kind == "set" and not isinstance(item, (dict, list)):
        return "v:" + _json(item)
    return f"i:{index}"


def _go_value(value: Any) -> str:
    """smd's `value.ToString`: strings quoted, numbers and bools bare."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(_go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "".join(f"{k}={_go_value(v)}" for k, v in value.items())
    return str(value)


def element_string(element: str) -> str:
    kind, rest = element[:2], element[2:]
    if kind == "f:":
        return "." + rest
    if kind == "k:":
        keys = json.loads(rest)
        return "[" + ",".join(f"{k}={_go_value(keys[k])}" for k in sorted(keys)) + "]"
    if kind == "v:":
        return "[=" + _go_value(json.loads(rest)) + "]"
    return "[" + rest + "]"


def path_string(path: Path) -> str:
    """smd's `Path.String()`, e.g. `.spec.containers[name="app"].image`."""
    return "".join(element_string(e) for e in path)


def _element_rank(element: str) -> tuple[int, Any]:
    kind = element[:2]
    if kind == "f:":
        return (0, element[2:])
    if kind == "k:":
        return (1, element[2:])
    if kind == "v:":
        return (2, element[2:])
    try:
        return (3, int(element[2:]))
    except ValueError:
        return (3, 0)


def sort_paths(paths: set[Path] | list[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: [_element_rank(e) for e in p])


# --- fieldsV1 ---------------------------------------------------------------------------


def encode_fields(fields: FieldSet) -> dict[str, Any]:
    """The `fieldsV1` tree of a field set (children sorted as smd serializes them)."""
    trie: dict[str, Any] = {}
    owned = "\x00owned"
    for path in fields:
        if not path:
            continue
        node = trie
        for element in path:
            node = node.setdefault(element, {})
        node[owned] = True

    def render(node: dict[str, Any]) -> dict[str, Any]:
        children = [k for k in node if k != owned]
        out: dict[str, Any] = {}
        if node.get(owned) and children:
            out["."] = {}
        for key in sorted(children, key=_element_rank):
            out[key] = render(node[key])
        return out

    return render(trie)


def decode_fields(tree: Any) -> FieldSet:
    """The field set written in a `fieldsV1` tree."""
    out: FieldSet = set()

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, dict):
            return
        for key, sub in node.items():
            if key == ".":
                if path:
                    out.add(path)
                continue
            here = (*path, key)
            if not sub:
                out.add(here)
            else:
                walk(sub, here)

    walk(tree, ())
    return out


# --- building sets ------------------------------------------------------------------------


def to_field_set(value: Any, node: Node | None) -> FieldSet:
    """smd's `ToFieldSet`: the fields an applied configuration sets."""
    out: FieldSet = set()
    _collect(value, node, (), out)
    return out


def _collect(value: Any, node: Node | None, path: Path, out: FieldSet) -> None:
    if isinstance(value, dict):
        if map_is_atomic(node) and path:
            out.add(path)
            return
        for key, sub in value.items():
            here = (*path, "f:" + key)
            _collect(sub, child(node, key), here, out)
            declared = node is not None and node.declares(key)
            if sub is None or sub == {} or not declared:
                out.add(here)
    elif isinstance(value, list):
        if list_kind(node) == "atomic":
            out.add(path)
            return
        element_node = items(node)
        for index, sub in enumerate(value):
            here = (*path, item_element(sub, index, node))
            _collect(sub, element_node, here, out)
            out.add(here)
    elif path:
        out.add(path)


@dataclass
class Comparison:
    """Paths that differ between two objects (smd's `typed.Comparison`)."""

    added: FieldSet = field(default_factory=set)
    modified: FieldSet = field(default_factory=set)
    removed: FieldSet = field(default_factory=set)

    @property
    def changed(self) -> FieldSet:
        return self.added | self.modified


def compare(old: Any, new: Any, node: Node | None, *, zero_structs: bool = False) -> Comparison:
    """What changed from `old` to `new` (either may be None for "no object")."""
    out = Comparison()
    _compare(
        old if old is not None else _ABSENT,
        new if new is not None else _ABSENT,
        node,
        (),
        out,
        zero_structs=zero_structs,
        in_new_item=False,
        required=False,
    )
    return out


def _granular(value: Any, node: Node | None) -> str | None:
    """'map' / 'list' when a value is walked child by child, else None (a leaf)."""
    if isinstance(value, dict):
        return None if map_is_atomic(node) else "map"
    if isinstance(value, list):
        return None if list_kind(node) == "atomic" else "list"
    return None


def _compare(
    old: Any,
    new: Any,
    node: Node | None,
    path: Path,
    out: Comparison,
    *,
    zero_structs: bool,
    in_new_item: bool,
    required: bool,
) -> None:
    present = new if new is not _ABSENT else old
    shape = _granular(present, node)
    if old is not _ABSENT and new is not _ABSENT:
        if shape is None or _granular(old, node) != _granular(new, node):
            if not json_equal(old, new) and path:
                out.modified.add(path)
            return
        if not old and not new:
            return
    elif shape is None or not present:
        if path:
            (out.added if old is _ABSENT else out.removed).add(path)
        return
    if shape == "map":
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        keys = list(old_map) + [k for k in new_map if k not in old_map]
        needed = node.required() if node is not None else set()
        for key in keys:
            _compare(
                old_map.get(key, _ABSENT),
                new_map.get(key, _ABSENT),
                child(node, key),
                (*path, "f:" + key),
                out,
                zero_structs=zero_structs,
                in_new_item=in_new_item,
                required=key in needed,
            )
    else:
        _compare_lists(
            old, new, node, path, out, zero_structs=zero_structs, in_new_item=in_new_item
        )
    if not path or (old is not _ABSENT and new is not _ABSENT):
        return
    if old is _ABSENT:
        go_zero = shape == "map" and node is not None and node.is_struct
        if zero_structs and not in_new_item and (go_zero or required):
            return
        out.added.add(path)
    else:
        out.removed.add(path)


def _keyed(values: Any, node: Node | None, path: Path) -> dict[Path, Any]:
    if not isinstance(values, list):
        return {}
    return {(*path, item_element(v, i, node)): v for i, v in enumerate(values)}


def _compare_lists(
    old: Any,
    new: Any,
    node: Node | None,
    path: Path,
    out: Comparison,
    *,
    zero_structs: bool,
    in_new_item: bool,
) -> None:
    old_items = _keyed(old if old is not _ABSENT else [], node, path)
    new_items = _keyed(new if new is not _ABSENT else [], node, path)
    element_node = items(node)
    for here in list(old_items) + [p for p in new_items if p not in old_items]:
        before = old_items.get(here, _ABSENT)
        after = new_items.get(here, _ABSENT)
        _compare(
            before,
            after,
            element_node,
            here,
            out,
            zero_structs=zero_structs,
            in_new_item=in_new_item or before is _ABSENT,
            required=False,
        )
        if before is _ABSENT:
            out.added.add(here)
        elif after is _ABSENT:
            out.removed.add(here)


def under(path: Path, prefixes: set[Path]) -> bool:
    """Whether `path` is one of `prefixes` or lies below one."""
    return any(path[: len(p)] == p for p in prefixes)


def owns_within(path: Path, fields: FieldSet) -> bool:
    """Whether `fields` holds `path` itself or anything below it."""
    n = len(path)
    return any(f[:n] == path for f in fields)

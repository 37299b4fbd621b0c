"""Strategic merge patch: apimachinery's `strategicpatch.StrategicMergeMapPatch`, in Python.

The algorithm follows `k8s.io/apimachinery/pkg/util/strategicpatch/patch.go` (`mergeMap`,
`mergeSlice`, `mergePatchIntoOriginal`, `normalizeElementOrder`) with the server's options
(`MergeParallelList`, `IgnoreUnmatchedNulls`). Where Go reads struct tags, we read the same
facts from the OpenAPI schema through `_patch_schema.Node`:

* maps merge key by key; `null` deletes; a `replace` strategy replaces the map;
* lists with strategy `merge` and a merge key merge item by item (new items go *before* the
  server-only ones unless `$setElementOrder` says otherwise, as on a real server);
  lists of scalars with strategy `merge` are unioned; every other list is replaced;
* directives: `$patch: replace|delete` (maps and list items), `$retainKeys`,
  `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`.

Error texts are mergepatch's (`invalid patch format of retainKeys`, ...), with the HTTP code
that `interpretStrategicMergePatchError` gives them.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.patch.schema import Node, child, items
from kubesim.core.objects import deepcopy

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder"
DELETE_PRIMITIVES = "$deleteFromPrimitiveList"


class SmpFailed(Exception):
    """A strategic merge patch that cannot apply, with the HTTP code the server answers."""

    def __init__(self, message: str, *, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_SET_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"


def strategic_merge(original: dict[str, Any], patch: dict[str, Any], node: Node) -> dict[str, Any]:
    """Apply `patch` to a copy of `original`; neither input is mutated."""
    return _merge_map(deepcopy(original), deepcopy(patch), node)


def go_format(value: Any) -> str:
    """Go's `%v` of a decoded JSON value (used inside the server's error texts)."""
    if isinstance(value, dict):
        inner = " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value))
        return f"map[{inner}]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(a: Any, b: Any) -> bool:
    """Go's `==` on decoded JSON scalars (bools are not numbers)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _no_merge_key(item: dict[str, Any], key: str) -> SmpFailed:
    return SmpFailed(f"map: {go_format(item)} does not contain declared merge key: {key}")


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise SmpFailed(
            BAD_PRIMITIVE_LIST if prefix == DELETE_PRIMITIVES else BAD_SET_ORDER, code=400
        )
    return rest


# --- maps -----------------------------------------------------------------------------


def _merge_map(
    original: dict[str, Any] | None, patch: dict[str, Any], node: Node | None
) -> dict[str, Any]:
    if DIRECTIVE in patch:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            return _merge_map({}, patch, node)
        if directive == "delete":
            return {}
        raise SmpFailed(f"unknown patch type: {directive} in map: {go_format(patch)}")
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _apply_set_element_order(original, patch, node)
    for key, value in list(patch.items()):
        delete_list = False
        if key.startswith(DELETE_PRIMITIVES):
            key = _extract_key(key, DELETE_PRIMITIVES)
            delete_list = True
        if value is None:
            original.pop(key, None)
            continue
        field = child(node, key)
        if key not in original:
            if not delete_list:
                original[key] = _fresh(value, field)
            continue
        current = original[key]
        if isinstance(current, dict) and isinstance(value, dict):
            if field is not None and field.patch_strategy == "replace":
                original[key] = _merge_map({}, value, field)
            else:
                original[key] = _merge_map(current, value, field)
        elif isinstance(current, list) and isinstance(value, list):
            original[key] = _merge_list(current, value, field, delete_list=delete_list)
        else:
            original[key] = _fresh(value, field)
    return original


def _fresh(value: Any, node: Node | None) -> Any:
    """A patch value for a key the original lacks: directives applied, nulls dropped."""
    if isinstance(value, dict):
        return _merge_map({}, value, node)
    if isinstance(value, list):
        return _merge_list([], value, node, delete_list=False)
    return value


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not isinstance(retain, list):
        raise SmpFailed(BAD_RETAIN_KEYS, code=400)
    keep = set(retain)
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_PRIMITIVES, SET_ORDER)):
            continue
        if key not in keep:
            raise SmpFailed(BAD_RETAIN_KEYS, code=400)
    for key in list(original):
        if key not in keep:
            del original[key]


def _apply_set_element_order(
    original: dict[str, Any], patch: dict[str, Any], node: Node | None
) -> None:
    for key in [k for k in patch if k.startswith(SET_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise SmpFailed(BAD_SET_ORDER, code=400)
        field_name = _extract_key(key, SET_ORDER)
        field = child(node, field_name)
        merge_key = field.merge_key if field is not None else ""
        in_original, in_patch = field_name in original, field_name in patch
        current = original.get(field_name) if in_original else []
        incoming = patch.get(field_name) if in_patch else []
        if not isinstance(current, list) or not isinstance(incoming, list):
            raise SmpFailed(BAD_SET_ORDER, code=400)
        _validate_order(incoming, order, merge_key)
        if in_original and in_patch:
            merged = _merge_list(current, incoming, field, delete_list=False)
        elif in_patch:
            merged = _merge_list([], incoming, field, delete_list=False)
        elif in_original:
            merged = current
        else:
            continue
        kind = _element_kind(current + [i for i in incoming if not _is_directive(i)])
        if kind is None:
            original[field_name] = merged
            patch.pop(field_name, None)
            continue
        key_for_sort = merge_key if kind == "map" else ""
        ordered, server_only = _partition(merged, order, key_for_sort)
        original[field_name] = _normalize(ordered, server_only, order, current, key_for_sort)
        patch.pop(field_name, None)


def _is_directive(item: Any) -> bool:
    return isinstance(item, dict) and DIRECTIVE in item


def _validate_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """The patch list's items must appear in `$setElementOrder` in the same relative order."""
    if not patch_list or not order:
        return
    wanted = [i for i in patch_list if not (merge_key and _is_directive(i))]
    p = s = 0
    while p < len(wanted) and s < len(order):
        if _is_directive(wanted[p]):
            p += 1
            continue
        if _key_equal(wanted[p], order[s], merge_key):
            p += 1
        s += 1
    if p < len(wanted) and s >= len(order):
        raise SmpFailed(
            f"The order in patch list:\n{go_format(patch_list)}\n doesn't match "
            f"{SET_ORDER} list:\n{go_format(order)}\n"
        )


def _key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _same(left, right)
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise SmpFailed(BAD_SET_ORDER, code=400)
    if merge_key not in left:
        raise _no_merge_key(left, merge_key)
    if merge_key not in right:
        raise _no_merge_key(right, merge_key)
    return _same(left[merge_key], right[merge_key])


# --- lists ----------------------------------------------------------------------------


def _merge_list(
    original: list[Any], patch: list[Any], node: Node | None, *, delete_list: bool
) -> list[Any]:
    if node is None or node.patch_strategy != "merge":
        if any(_is_directive(i) for i in patch):
            # `$patch: replace` as an item of a non-merging list: drop the marker items.
            return [i for i in patch if not _is_directive(i)]
        return patch
    return _merge_slice(original, patch, items(node), node.merge_key, delete_list=delete_list)


def _element_kind(values: list[Any]) -> str | None:
    """'map' or 'scalar' for a homogeneous list; None when empty (mergepatch's checks)."""
    kind: str | None = None
    first: Any = None
    for value in values:
        if isinstance(value, list):
            raise SmpFailed(NO_LIST_OF_LISTS)
        this = "map" if isinstance(value, dict) else type(value).__name__
        if this in ("int", "float"):
            this = "number"
        if kind is None:
            kind, first = this, value
        elif kind != this:
            raise SmpFailed(
                f"list element types are not identical: {go_format(first)} and {go_format(value)}"
            )
    if kind is None:
        return None
    return "map" if kind == "map" else "scalar"


def _merge_slice(
    original: list[Any],
    patch: list[Any],
    item_node: Node | None,
    merge_key: str,
    *,
    delete_list: bool,
) -> list[Any]:
    if not original and not patch:
        return original
    kind = _element_kind(original + patch)
    if kind == "scalar":
        if delete_list:
            return [v for v in original if not any(_same(v, d) for d in patch)]
        merged = _dedupe_scalars(original + patch)
        ordered, server_only = _partition(merged, patch, "")
        return _normalize(ordered, server_only, patch, original, "")
    if not merge_key:
        raise SmpFailed("cannot merge lists without merge key for type struct")
    original, patch = _special_items(original, patch, merge_key)
    server_order = list(original)
    merged = _merge_items(list(original), patch, merge_key, item_node)
    ordered, server_only = _partition(merged, patch, merge_key)
    return _normalize(ordered, server_only, patch, server_order, merge_key)


def _dedupe_scalars(values: list[Any]) -> list[Any]:
    """mergepatch's `deduplicateScalars`, swap-with-last quirk included."""
    s = list(values)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _same(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _special_items(
    original: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any]]:
    """Apply `$patch: delete|replace` items; returns (original, patch without them)."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            original = [o for o in original if not _same(o.get(merge_key), item[merge_key])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise SmpFailed("merging lists cannot yet be specified in the patch")
        else:
            raise SmpFailed(f"unknown patch type: {directive} in map: {go_format(item)}")
    if replace:
        return plain, []
    return original, plain


def _find(values: list[Any], merge_key: str, wanted: Any) -> int:
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            raise SmpFailed(f"value for key {index} is not a map.")
        if merge_key in value and _same(value[merge_key], wanted):
            return index
    return -1


def _merge_items(
    original: list[Any], patch: list[Any], merge_key: str, item_node: Node | None
) -> list[Any]:
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        at = _find(original, merge_key, item[merge_key])
        if at >= 0:
            original[at] = _merge_map(original[at], item, item_node)
        else:
            original.append(_merge_map({}, item, item_node))
    return original


def _identity(item: Any, merge_key: str) -> Any:
    return item.get(merge_key) if merge_key and isinstance(item, dict) else item


def _index_of(values: list[Any], item: Any, merge_key: str) -> int:
    wanted = _identity(item, merge_key)
    for index, value in enumerate(values):
        if _same(_identity(value, merge_key), wanted):
            return index
    return -1


def _partition(merged: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    """Split into (items present in `by`, server-only items), keeping merged order."""
    present: list[Any] = []
    server_only: list[Any] = []
    for item in merged:
        if merge_key:
            if not isinstance(item, dict):
                raise SmpFailed(f"value for key {merge_key} is not a map.")
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        (present if _index_of(by, item, merge_key) >= 0 else server_only).append(item)
    return present, server_only


def _sort_by(values: list[Any], order: list[Any], merge_key: str) -> list[Any]:
    def position(item: Any) -> int:
        at = _index_of(order, item, merge_key)
        return at if at >= 0 else len(order)

    return sorted(values, key=position)


def _normalize(
    patch_items: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    merge_key: str,
) -> list[Any]:
    """mergepatch's `normalizeElementOrder`: patch order for patch items, live order for the
    rest, then interleave by live order (items the live list lacks come first)."""
    left = _sort_by(server_only, server_order, merge_key)
    right = _sort_by(patch_items, patch_order, merge_key)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _index_of(server_order, left[i], merge_key)
            ri = _index_of(server_order, right[j], merge_key)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out

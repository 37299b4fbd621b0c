"""JSON patch (RFC 6902) and JSON merge patch (RFC 7386), as kube-apiserver applies them.

kube-apiserver applies both with `gopkg.in/evanphx/json-patch.v4`; learners see that
library's error texts verbatim (`kubectl patch --type json` failing a `test` prints
"testing value /spec/replicas failed: test failed"), so this module reproduces its
semantics and messages, quirks included:

* a `replace` of a missing *object* key adds it (v4 only checks array bounds);
* negative array indices count from the end;
* a JSON `null` value and a missing key look the same to `test`.

The PyPI `jsonpatch` package was not used: it refuses the v4 quirks above and words every
error differently, and matching the server's words is the point here.

Both functions work on a private deep copy and never mutate their inputs. They raise
`JsonPatchFailed(message, code)`; `_patch` turns it into a `PatchError`.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.core.objects import deepcopy

_MISSING = object()


class JsonPatchFailed(Exception):
    """A JSON or merge patch that cannot apply; `code` is the HTTP status the server uses."""

    def __init__(self, message: str, *, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


# --- RFC 6902 -------------------------------------------------------------------------


def apply_json_patch(doc: Any, operations: Any) -> Any:
    """Apply a JSON patch document (a list of operations) to a copy of `doc`."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        kind = _go_json_kind(operations)
        raise JsonPatchFailed(
            f"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch", code=400
        )
    box = [deepcopy(doc)]
    for op in operations:
        kind = op.get("op") if isinstance(op.get("op"), str) else "unknown"
        handler = _OPERATIONS.get(kind)
        if handler is None:
            raise JsonPatchFailed(f"Unexpected kind: {kind}")
        handler(box, op)
    return box[0]


def _go_json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "array"


def _decode_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _path(op: dict[str, Any], field: str) -> str | None:
    value = op.get(field)
    return value if isinstance(value, str) else None


def _find_container(root: Any, path: str) -> tuple[Any, str] | None:
    """evanphx `findObject`: the container holding the last token, and that token."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None
    node = root
    for raw in tokens[1:-1]:
        try:
            nxt = _get(node, _decode_token(raw))
        except JsonPatchFailed:
            return None
        if not isinstance(nxt, (dict, list)):
            return None
        node = nxt
    if not isinstance(node, (dict, list)):
        return None
    return node, _decode_token(tokens[-1])


def _atoi(key: str) -> int:
    try:
        if key.strip() != key or key.startswith("+"):
            raise ValueError
        return int(key)
    except ValueError:
        raise JsonPatchFailed(f'strconv.Atoi: parsing "{key}": invalid syntax') from None


def _invalid_index(idx: int) -> JsonPatchFailed:
    return JsonPatchFailed(f"Unable to access invalid index: {idx}: invalid index referenced")


def _index(container: list[Any], key: str, *, extra: int = 0) -> int:
    idx = _atoi(key)
    size = len(container) + extra
    if idx >= size:
        raise _invalid_index(idx)
    if idx < 0:
        if idx < -size:
            raise _invalid_index(idx)
        idx += size
    return idx


def _get(container: Any, key: str) -> Any:
    """The value under `key` (None for a missing object key, like v4's nil node)."""
    if isinstance(container, dict):
        return container.get(key)
    return container[_index(container, key)]


def _add(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    try:
        idx = _atoi(key)
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"value was not a proper array index: '{key}': {exc}") from None
    container.insert(_index(container, str(idx), extra=1), value)


def _remove(container: Any, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise JsonPatchFailed(f"Unable to remove nonexistent key: {key}: missing value")
        del container[key]
        return
    del container[_index(container, key)]


def _op_add(box: list[Any], op: dict[str, Any]) -> None:
    path = _path(op, "path")
    if path is None:
        raise JsonPatchFailed("add operation failed to decode path: missing value")
    found = _find_container(box[0], path)
    if found is None:
        raise JsonPatchFailed(
            f'add operation does not apply: doc is missing path: "{path}": missing value'
        )
    try:
        _add(found[0], found[1], deepcopy(op.get("value")))
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error in add for path: '{path}': {exc}") from None


def _op_remove(box: list[Any], op: dict[str, Any]) -> None:
    path = _path(op, "path")
    if path is None:
        raise JsonPatchFailed("remove operation failed to decode path: missing value")
    found = _find_container(box[0], path)
    if found is None:
        raise JsonPatchFailed(
            f'remove operation does not apply: doc is missing path: "{path}": missing value'
        )
    try:
        _remove(*found)
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error in remove for path: '{path}': {exc}") from None


def _op_replace(box: list[Any], op: dict[str, Any]) -> None:
    path = _path(op, "path")
    if path is None:
        raise JsonPatchFailed(
            "replace operation failed to decode path: operation missing path field: missing value"
        )
    value = deepcopy(op.get("value"))
    if path == "":
        if not isinstance(value, (dict, list)):
            raise JsonPatchFailed("replace operation value must be object or array: <nil>")
        box[0] = value
        return
    found = _find_container(box[0], path)
    if found is None:
        raise JsonPatchFailed(
            f"replace operation does not apply: doc is missing path: {path}: missing value"
        )
    container, key = found
    if isinstance(container, dict):
        container[key] = value
        return
    try:
        idx = _index(container, key)
    except JsonPatchFailed:
        raise JsonPatchFailed(
            f"replace operation does not apply: doc is missing key: {path}: missing value"
        ) from None
    container[idx] = value


def _op_move(box: list[Any], op: dict[str, Any]) -> None:
    source = _path(op, "from")
    if source is None:
        raise JsonPatchFailed(
            "move operation failed to decode from: operation, missing from field: missing value"
        )
    found = _find_container(box[0], source)
    if found is None:
        raise JsonPatchFailed(
            f"move operation does not apply: doc is missing from path: {source}: missing value"
        )
    container, key = found
    try:
        value = _get(container, key)
        _remove(container, key)
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error in move for path: '{key}': {exc}") from None
    path = _path(op, "path")
    if path is None:
        raise JsonPatchFailed(
            "move operation failed to decode path: operation missing path field: missing value"
        )
    target = _find_container(box[0], path)
    if target is None:
        raise JsonPatchFailed(
            f"move operation does not apply: doc is missing destination path: {path}: missing value"
        )
    try:
        _add(target[0], target[1], value)
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error in move for path: '{path}': {exc}") from None


def _op_copy(box: list[Any], op: dict[str, Any]) -> None:
    source = _path(op, "from")
    if source is None:
        raise JsonPatchFailed(
            "copy operation failed to decode from: operation, missing from field: missing value"
        )
    found = _find_container(box[0], source)
    if found is None:
        raise JsonPatchFailed(
            f"copy operation does not apply: doc is missing from path: {source}: missing value"
        )
    try:
        value = _get(*found)
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error in copy for from: '{source}': {exc}") from None
    path = _path(op, "path")
    if path is None:
        raise JsonPatchFailed("copy operation failed to decode path: missing value")
    target = _find_container(box[0], path)
    if target is None:
        raise JsonPatchFailed(
            f"copy operation does not apply: doc is missing destination path: {path}: missing value"
        )
    try:
        _add(target[0], target[1], deepcopy(value))
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error while adding value during copy: {exc}") from None


def _op_test(box: list[Any], op: dict[str, Any]) -> None:
    path = _path(op, "path")
    if path is None:
        raise JsonPatchFailed(
            "test operation failed to decode path: operation missing path field: missing value"
        )
    expected = op.get("value", _MISSING)
    if path == "":
        if expected is not _MISSING and json_equal(box[0], expected):
            return
        raise JsonPatchFailed(f"testing value {path} failed: test failed")
    found = _find_container(box[0], path)
    if found is None:
        raise JsonPatchFailed(
            f"test operation does not apply: is missing path: {path}: missing value"
        )
    try:
        actual = _get(*found)
    except JsonPatchFailed as exc:
        raise JsonPatchFailed(f"error in test for path: '{path}': {exc}") from None
    if actual is None:
        if expected is _MISSING or expected is None:
            return
    elif expected is not _MISSING and json_equal(actual, expected):
        return
    raise JsonPatchFailed(f"testing value {path} failed: test failed")


_OPERATIONS = {
    "add": _op_add,
    "remove": _op_remove,
    "replace": _op_replace,
    "move": _op_move,
    "copy": _op_copy,
    "test": _op_test,
}


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: `true` is not `1`, `1` is `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    numbers = (int, float)
    if isinstance(a, numbers) or isinstance(b, numbers):
        return isinstance(a, numbers) and isinstance(b, numbers) and a == b
    return bool(a == b)


# --- RFC 7386 -------------------------------------------------------------------------


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """Apply a JSON merge patch; `null` deletes, objects merge, anything else replaces."""
    if not isinstance(patch, dict):
        raise JsonPatchFailed("Invalid JSON Patch", code=400)
    if not isinstance(doc, dict):
        return prune_nulls(patch)
    return _merge_docs(deepcopy(doc), patch)


def _merge_docs(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
        elif isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = _merge_docs(doc[key], value)
        else:
            doc[key] = prune_nulls(value)
    return doc


def prune_nulls(value: Any) -> Any:
    """A copy without null object members (nulls inside arrays stay, as in evanphx)."""
    if isinstance(value, dict):
        return {k: prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_nulls(v) for v in value]
    return value


def loads(body: bytes | str | Any) -> Any:
    """Decode a request body; already-decoded values pass through."""
    if isinstance(body, (bytes, str)):
        try:
            return json.loads(body)
        except ValueError as exc:
            raise JsonPatchFailed(f"error decoding patch: {exc}", code=400) from exc
    return body

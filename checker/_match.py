"""The `expect:` matcher: an expectation tree parsed once into nodes that compare themselves.

Semantics (DESIGN.md, "A lab, as data"; messages in the style of kyverno-json/Chainsaw):

* a map matches when every written key matches; unwritten keys are ignored;
* a key in parentheses is a JMESPath expression evaluated on the actual map:
  `(length(subsets[0].addresses)): 3`;
* a list matches when each expected item matches a *distinct* actual item, in any order
  (an unordered subset, so `status.conditions` can be asserted);
* scalars compare by value, and quantities by their numeric value (`4096Mi == 4Gi`);
* an expected `null` means "absent or null".

A mismatch is a list of `FieldError`s, never an exception: `spec.replicas: Invalid value:
2: Expected value: 3` or `spec.template.spec.containers[0].resources: Required value:
field not found`.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

import jmespath
import yaml
from jmespath.exceptions import JMESPathError

from checker._quantity import quantities_equal

# Keys that name a list item; a candidate agreeing on these is the one a person means.
_IDENTITY_KEYS = frozenset({"name", "type", "kind", "key", "port", "containerPort", "mountPath"})


@dataclass(frozen=True)
class FieldError:
    """One mismatch at one path, printed like Kubernetes' `field.Error`."""

    path: str
    type: str  # "Invalid value" | "Required value"
    detail: str
    value: Any = None

    def __str__(self) -> str:
        if self.type == "Invalid value":
            return f"{self.path}: Invalid value: {show(self.value)}: {self.detail}"
        return f"{self.path}: {self.type}: {self.detail}"


def show(value: Any) -> str:
    """A value as the error text shows it: JSON, so strings are quoted and `null` is explicit."""
    return json.dumps(value, sort_keys=True, default=str)


def _invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path=path, type="Invalid value", detail=detail, value=value)


def _required(path: str, detail: str = "field not found") -> FieldError:
    return FieldError(path=path, type="Required value", detail=detail)


def child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# -- JMESPath keys in words: a learner reads Kubernetes fields, never query syntax ----------

_WORDS = (
    (r"`null`", "null"),
    (r"`\[\]`", "[]"),
    (r"`(-?[\d.]+)`", r"\1"),
    (r"`(true|false)`", r"\1"),
    (r"'([^']*)'", r'"\1"'),
    (r"length\(([\w.\[\]]+?)\[\?([^\]]+)\]\)", r"the number of \1 with \2"),
    (r"length\(([^()]+)\)", r"the number of \1"),
    (r"contains\(([\w.\[\]]+) \|\| \[\], (\"[^\"]*\")\)", r"\1 include \2"),
    (r"contains\(([\w.\[\]]+), (\"[^\"]*\")\)", r"\1 contains \2"),
    (r"\s*!=\s*null", " is set"),
    (r"\s*==\s*", " = "),
    (r"\s*\|\|\s*", " or "),
    (r"\s*&&\s*", " and "),
    (r"\[\]", "[*]"),
)
_FIELD = re.compile(r"(?<![\w\".])([a-zA-Z_][\w]*(?:\.[a-zA-Z_][\w]*)*)(?![\w\"(])")
_NOT_FIELDS = {"null", "true", "false", "or", "and", "the", "number", "of", "with", "is", "set"}


def in_words(key: str) -> str:
    """A `(JMESPath)` key as a learner reads it: `(port == `8080` || port == 'http')` ->
    `port = 8080 or port = "http"`; any other key unchanged."""
    if not (key.startswith("(") and key.endswith(")")):
        return key
    text = key[1:-1]
    for pattern, replacement in _WORDS:
        text = re.sub(pattern, replacement, text)
    return text


def _fields(expression: str) -> list[str]:
    """The field paths an expression reads at its own level (what to show the values of)."""
    text = re.sub(r"'[^']*'|`[^`]*`", " ", expression)
    while re.search(r"\[[^\[\]]*\]", text):  # filters and projections read inner fields
        text = re.sub(r"\[[^\[\]]*\]", " ", text)
    names = [
        m.group(1)
        for m in _FIELD.finditer(text)
        if m.group(1) not in _NOT_FIELDS and not text[m.end() :].lstrip().startswith("(")
    ]
    return list(dict.fromkeys(names))


def _dig(actual: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        actual = actual.get(part) if isinstance(actual, dict) else None
    return actual


def _query_error(
    key: str, expected: Any, actual: dict[str, Any], path: str, *, got: Any
) -> FieldError:
    """A failed JMESPath key as a Kubernetes-style field error on the fields it reads."""
    words = in_words(key)
    fields = _fields(key[1:-1])
    where = child_path(path, fields[0]) if fields else (path or "(object)")
    if not isinstance(expected, bool):  # `(length(x)): 3`: the computed value is the news
        detail = f"Expected {words} = {show(expected)}"
        if got is None:
            return FieldError(where, "Required value", f"field not found; {detail}")
        return _invalid(where, got, detail)
    want = words if expected else f"not ({words})"
    first = _dig(actual, fields[0]) if fields else None
    others = ", ".join(f"{f} is {show(_dig(actual, f))}" for f in fields[1:])
    detail = f"Expected {want}" + (f" ({others})" if others else "")
    if first is None and fields:
        return FieldError(where, "Required value", f"field not found; {detail}")
    return _invalid(where, first, detail)


class Node(Protocol):
    """A parsed piece of an expectation."""

    def match(self, actual: Any, path: str) -> list[FieldError]: ...

    def project(self, actual: Any) -> Any:
        """The part of `actual` this node looks at, shaped like the expectation (for diffs)."""
        ...

    @property
    def expected(self) -> Any: ...


class ExpectationError(ValueError):
    """An expectation that cannot be parsed (a bad JMESPath key); carries the key path."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class ScalarNode:
    value: Any

    @property
    def expected(self) -> Any:
        return self.value

    def match(self, actual: Any, path: str) -> list[FieldError]:
        if scalars_equal(self.value, actual):
            return []
        return [_invalid(path, actual, f"Expected value: {show(self.value)}")]

    def project(self, actual: Any) -> Any:
        # equal by value (4096Mi vs 4Gi) is no difference: show it as written
        return self.value if scalars_equal(self.value, actual) else actual


def scalars_equal(expected: Any, actual: Any) -> bool:
    """Equal values of the same JSON type, or equal quantities (`"1"` == `"1000m"`)."""
    if expected is None or actual is None:
        return expected is actual
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, (dict, list)) or isinstance(actual, (dict, list)):
        return False
    same_type = type(expected) is type(actual) or (
        isinstance(expected, (int, float)) and isinstance(actual, (int, float))
    )
    if same_type and expected == actual:
        return True
    return quantities_equal(expected, actual)


@dataclass(frozen=True)
class _Entry:
    key: str
    node: Node
    query: Any  # a compiled JMESPath expression, or None for a plain key


@dataclass(frozen=True)
class MapNode:
    entries: tuple[_Entry, ...]
    source: dict[str, Any]

    @property
    def expected(self) -> Any:
        return self.source

    def _lookup(self, entry: _Entry, actual: dict[str, Any]) -> tuple[bool, Any]:
        if entry.query is not None:
            try:
                value = entry.query.search(actual)
            except JMESPathError:
                value = None
            return value is not None, value
        return entry.key in actual, actual.get(entry.key)

    def match(self, actual: Any, path: str) -> list[FieldError]:
        if not isinstance(actual, dict):
            return [_invalid(path, actual, "Expected a map")]
        errors: list[FieldError] = []
        for entry in self.entries:
            here = child_path(path, entry.key)
            found, value = self._lookup(entry, actual)
            if entry.query is not None and isinstance(entry.node, ScalarNode):
                if (found and not entry.node.match(value, here)) or (
                    not found and entry.node.value is None
                ):
                    continue
                errors.append(_query_error(entry.key, entry.node.value, actual, path, got=value))
                continue
            if not found:
                if not (isinstance(entry.node, ScalarNode) and entry.node.value is None):
                    errors.append(_required(here))
                continue
            errors.extend(entry.node.match(value, here))
        return errors

    def project(self, actual: Any) -> Any:
        if not isinstance(actual, dict):
            return actual
        out: dict[str, Any] = {}
        for entry in self.entries:
            found, value = self._lookup(entry, actual)
            if found:
                out[entry.key] = entry.node.project(value)
        return out


@dataclass(frozen=True)
class ListNode:
    items: tuple[Node, ...]
    source: list[Any]

    @property
    def expected(self) -> Any:
        return self.source

    def _table(self, actual: list[Any], path: str) -> list[list[list[FieldError]]]:
        return [
            [item.match(a, f"{path}[{_item_label(a, j)}]") for j, a in enumerate(actual)]
            for item in self.items
        ]

    def _closest(self, i: int, table: list[list[list[FieldError]]]) -> int | None:
        """The actual item nearest expected item i: agreeing on identity keys first."""
        if not table[i]:
            return None

        def score(j: int) -> tuple[int, int, int]:
            errs = table[i][j]
            identity = sum(1 for e in errs if e.path.rsplit(".", 1)[-1] in _IDENTITY_KEYS)
            return identity, len(errs), j

        return min(range(len(table[i])), key=score)

    def match(self, actual: Any, path: str) -> list[FieldError]:
        if not isinstance(actual, list):
            return [_invalid(path, actual, "Expected a list")]
        table = self._table(actual, path)
        pairing = _max_matching([[not errs for errs in row] for row in table])
        errors: list[FieldError] = []
        for i, item in enumerate(self.items):
            if i in pairing:
                continue
            j = self._closest(i, table)
            if j is None or not table[i][j]:
                detail = f"no distinct item matches {show(item.expected)}"
                errors.append(_required(path, detail))
            else:
                errors.extend(table[i][j])
        return errors

    def project(self, actual: Any) -> Any:
        if not isinstance(actual, list):
            return actual
        table = self._table(actual, "")
        pairing = _max_matching([[not errs for errs in row] for row in table])
        out = []
        for i, item in enumerate(self.items):
            j = pairing.get(i, self._closest(i, table))
            if j is not None:
                out.append(item.project(actual[j]))
        return out


def _item_label(item: Any, index: int) -> str:
    """`name=model-server` for a named item (as a reader finds it), else its index."""
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
        return f"name={item['name']}"
    return str(index)


def _max_matching(ok: list[list[bool]]) -> dict[int, int]:
    """A maximum bipartite matching expected->actual (Kuhn's algorithm; lists are short)."""
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for j, good in enumerate(ok[i]):
            if good and j not in seen:
                seen.add(j)
                if j not in owner or assign(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(ok)):
        assign(i, set())
    return {i: j for j, i in owner.items()}


def parse(tree: Any, path: str = "") -> Node:
    """Parse an expectation tree into nodes; a bad JMESPath key raises ExpectationError."""
    if isinstance(tree, dict):
        entries = []
        for key, value in tree.items():
            key = str(key)
            query = None
            if key.startswith("(") and key.endswith(")"):
                try:
                    query = jmespath.compile(key[1:-1])
                except JMESPathError as exc:
                    raise ExpectationError(
                        f"{key} is not a valid JMESPath expression ({exc})",
                        path=child_path(path, key),
                    ) from exc
            entries.append(_Entry(key=key, node=parse(value, child_path(path, key)), query=query))
        return MapNode(entries=tuple(entries), source=tree)
    if isinstance(tree, list):
        items = tuple(parse(item, f"{path}[{i}]") for i, item in enumerate(tree))
        return ListNode(items=items, source=tree)
    return ScalarNode(tree)


def diff(node: Node, actual: Any) -> str:
    """A unified diff of the expectation against the matching part of `actual`, in YAML."""
    want = yaml.safe_dump(_worded(node.expected), sort_keys=False, default_flow_style=False)
    have = yaml.safe_dump(_worded(node.project(actual)), sort_keys=False, default_flow_style=False)
    lines = difflib.unified_diff(
        want.splitlines(), have.splitlines(), "expected", "actual", lineterm="", n=3
    )
    return "\n".join(lines)


def _worded(tree: Any) -> Any:
    """The tree with its JMESPath keys in words, for diffs."""
    if isinstance(tree, dict):
        return {in_words(str(k)): _worded(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_worded(v) for v in tree]
    return tree

"""JSON and YAML bodies read as kube-apiserver's serializers read them, guarded first.

Go's decoders shape what a client sees: a number too big for its field, a YAML timestamp
kept as text, a document nested or aliased past reason refused before any work. These
functions parse bytes into plain objects (or raise with Go's words); `request` picks the
serializer by media type and `protobuf` uses them for embedded JSON.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from typing import Any

import yaml

from kubesim.core.data import SAFE_LOADER
from kubesim.core.errors import BadRequest

# Nesting levels a body may have. Go's decoders stop at 10,000 ("exceeded max depth");
# kubesim's walkers recurse in Python, so it stops far earlier, before any work is done.
# No Kubernetes object comes near it (a deep CRD schema is ~40 levels).
MAX_DEPTH = 128
# A YAML document whose aliases would expand past this many nodes is refused before it
# is built, as go-yaml refuses a "billion laughs" document.
MAX_YAML_NODES = 1_000_000
# Python refuses to parse integers past this many digits (CVE-2020-10735).
_INT_DIGITS = min(sys.get_int_max_str_digits() or 4300, 4300) - 1


def summarize(data: bytes, limit: int = 30) -> str:
    """apiserver's summarizeData: the body's start, as text for JSON, hex otherwise."""
    if not data:
        return "<empty>"
    if data[:1] == b"{":
        text = data[:limit].decode(errors="replace")
        return text + " ..." if len(data) > limit else text
    head = data[:limit].hex()
    return head + " ..." if len(data) > limit else head


def _go_json_error(exc: json.JSONDecodeError, data: bytes) -> str:
    """Python's JSON error in the words of Go's encoding/json."""
    doc = exc.doc
    if exc.pos >= len(doc.rstrip()):
        return "unexpected end of JSON input"
    ch = doc[exc.pos]
    shown = "'\\''" if ch == "'" else f"'{ch}'"
    if exc.msg.startswith("Expecting property name"):
        return f"invalid character {shown} looking for beginning of object key string"
    if exc.msg.startswith("Expecting ':'"):
        return f"invalid character {shown} after object key"
    if exc.msg.startswith("Expecting ',' delimiter"):
        return f"invalid character {shown} after object key:value pair"
    if exc.msg.startswith("Extra data"):
        return f"invalid character {shown} after top-level value"
    return f"invalid character {shown} looking for beginning of value"


class BigNumber(str):
    """A JSON number literal Python will not hold (over 4,300 digits, or past a float's
    range). Decoding it into any typed field fails as Go's does (`cannot unmarshal number
    ... of type int32`), naming the literal as sent."""


def _parse_int(text: str) -> Any:
    return int(text) if len(text) <= _INT_DIGITS else BigNumber(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return BigNumber(text) if value in (float("inf"), float("-inf")) else value


class _NotJson(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(f"invalid character '{constant[0]}' looking for beginning of value")


def _no_constant(constant: str) -> Any:
    raise _NotJson(constant)  # NaN, Infinity: Python extensions Go's decoder refuses


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = bytes(range(256)).translate(None, b"{}[]")


def json_depth_error(data: bytes) -> str | None:
    """Go's scanner error for a body nested past MAX_DEPTH, or None. Linear, and skipped
    outright when the body holds too few brackets to be that deep."""
    if data.count(b"{") + data.count(b"[") <= MAX_DEPTH:
        return None
    depth = 0
    for ch in _STRING.sub(b'""', data).translate(None, _BRACKETS):
        if ch in (0x7B, 0x5B):
            depth += 1
            if depth > MAX_DEPTH:
                return f"invalid character '{chr(ch)}' exceeded max depth"
        else:
            depth -= 1
    return None


def loads_json(data: bytes | str) -> Any:
    """`json.loads` as Go's decoder reads a body: invalid UTF-8 becomes U+FFFD, numbers
    Python cannot hold become `BigNumber`, NaN and Infinity are syntax errors. Raises
    ValueError (json.JSONDecodeError for syntax) with Go's wording where it differs."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", errors="surrogatepass")
    too_deep = json_depth_error(raw)
    if too_deep:
        raise ValueError(too_deep)
    text = raw.decode("utf-8", errors="replace")
    return json.loads(
        text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_no_constant
    )


def json_error_text(exc: ValueError, data: bytes) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return _go_json_error(exc, data)
    return str(exc)


def decode_yaml(data: bytes, *, kind: str) -> Any:
    try:
        return load_yaml(data)
    except YamlError as exc:
        raise BadRequest(
            f"the object provided is unrecognized (must be of type {kind}): "
            f"error converting YAML to JSON: yaml: {exc}"
        ) from exc


class YamlError(ValueError):
    """A YAML body sigs.k8s.io/yaml would not convert; the text follows `yaml: `."""


class _Loader(SAFE_LOADER):  # type: ignore[misc,valid-type]
    """YAML as sigs.k8s.io/yaml (go-yaml v2) reads it into JSON: timestamps stay the text
    written (valid or not: `2001-13-45`), integers too long for Python stay text as go-yaml
    leaves numbers it cannot parse, `!!binary` is its bytes as text, a set is a map."""


def _construct_str(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if len(text.replace("_", "")) > _INT_DIGITS:
        return text
    return loader.construct_yaml_int(node)  # type: ignore[arg-type]


def _construct_binary(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        raw = base64.b64decode(str(loader.construct_scalar(node)), validate=False)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]
    return raw.decode("utf-8", errors="replace")


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)


def _yaml_guard(text: str) -> None:
    """Depth and alias expansion from the event stream, before any node is built: an
    anchor's size is counted once per alias, so a "billion laughs" costs a linear scan."""
    sizes: dict[str, int] = {}
    stack: list[tuple[str | None, int]] = []
    total = 0
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append((event.anchor, 1))
            if len(stack) > MAX_DEPTH:
                raise YamlError(f"exceeded max depth of {MAX_DEPTH}")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            if anchor:
                sizes[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor or "", 1)
        else:
            continue
        total += size
        if total > MAX_YAML_NODES:
            raise YamlError("document contains excessive aliasing")
        if stack:
            anchor, inner = stack[-1]
            stack[-1] = (anchor, inner + size)


def _jsonable(value: Any) -> Any:
    """Keys as strings and no value JSON lacks, as sigs.k8s.io/yaml converts."""
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set):
        return {_key(k): None for k in value}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise YamlError(f"json: unsupported value: {value}")
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return key if isinstance(key, str) else str(key)


def load_yaml(data: bytes | str) -> Any:
    """One YAML document as sigs.k8s.io/yaml turns it into JSON, guarded against depth and
    alias bombs before it is built. Raises YamlError with go-yaml's text."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        _yaml_guard(text)
        return _jsonable(yaml.load(text, Loader=_Loader))  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(f"{line}{problem}") from exc
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar the constructors refuse
        if isinstance(exc, YamlError):
            raise
        raise YamlError(str(exc)) from exc

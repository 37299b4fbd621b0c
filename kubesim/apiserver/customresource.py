"""Custom resources against their CRD's structural schema (`openAPIV3Schema`), and their
Tables: pruning, defaulting, validation and `additionalPrinterColumns`, as
apiextensions-apiserver does them.

* Pruning: fields the schema does not declare are dropped (unless
  `x-kubernetes-preserve-unknown-fields`); with `fieldValidation=Strict` (kubectl's default)
  they are refused, `strict decoding error: unknown field "spec.foo"`, and with Warn
  reported as warnings.
* Defaulting: a property's `default` fills it when the object around it is present.
* Validation: kube-openapi's checks (type, required, enum, bounds, lengths, pattern, items,
  properties), worded as kube-openapi words them and turned into field errors as
  apiextensions does (`spec.replicas: Invalid value: 15: spec.replicas in body should be
  less than or equal to 10`). Written here rather than with jsonschema: the messages, the
  Kubernetes extensions (`x-kubernetes-int-or-string`, `nullable`, preserve-unknown) and the
  paths all differ from what that library reports.
* Tables: NAME, then each additional printer column (simple JSONPath); AGE alone when the
  CRD lists none.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from kubesim.apiserver.validation.errors import (
    FieldError,
    invalid,
    not_supported,
    required,
    too_long,
    too_many,
)
from kubesim.core.durations import parse_time, since
from kubesim.core.objects import deepcopy

Obj = dict[str, Any]
Schema = dict[str, Any]
_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_INT_OR_STRING = "x-kubernetes-int-or-string"
_ROOT_KEYS = ("apiVersion", "kind", "metadata")


# --- pruning --------------------------------------------------------------------------------


def prune(obj: Obj, schema: Schema) -> list[str]:
    """Drop the fields `schema` does not declare (in place); their paths, in order."""
    dropped: list[str] = []
    top = {k: v for k, v in obj.items() if k not in _ROOT_KEYS}
    _prune(top, schema, "", dropped)
    for key in list(obj):
        if key not in _ROOT_KEYS and key not in top:
            del obj[key]
    return dropped


def _prune(value: Any, schema: Schema, path: str, dropped: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key in list(value):
            child = f"{path}.{key}" if path else key
            if isinstance(props, dict) and key in props:
                _prune(value[key], props[key], child, dropped)
            elif isinstance(extra, dict):
                _prune(value[key], extra, child, dropped)
            elif schema.get(_PRESERVE) or extra is True:
                continue
            else:
                dropped.append(child)
                del value[key]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{i}]", dropped)


# --- defaulting -----------------------------------------------------------------------------


def default(obj: Obj, schema: Schema) -> None:
    """Fill missing properties that declare a `default` (in place)."""
    _default(obj, schema, root=True)


def _default(value: Any, schema: Schema, *, root: bool = False) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if root and key in _ROOT_KEYS or not isinstance(sub, dict):
                continue
            if key in value and value[key] is None and not sub.get("nullable"):
                # PruneNonNullableNullsWithoutDefaults, then the default takes the null's place
                del value[key]
            if key not in value and "default" in sub:
                value[key] = deepcopy(sub["default"])
            if key in value:
                _default(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                _default(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(item, schema["items"])


# --- validation -----------------------------------------------------------------------------


def _go(value: Any) -> str:
    """A value as kube-openapi's messages print it (%v)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(value: Any, schema: Schema) -> bool:
    kind = schema.get("type")
    if value is None:
        return bool(schema.get("nullable")) or not kind
    if schema.get(_INT_OR_STRING):
        return isinstance(value, str | int) and not isinstance(value, bool)
    if not kind:
        return True
    actual = _type_name(value)
    return actual == kind or (kind == "number" and actual == "integer")


def validate(obj: Obj, schema: Schema) -> list[FieldError]:
    """kube-openapi's validation of everything but apiVersion, kind and metadata."""
    errs: list[FieldError] = []
    body = {k: v for k, v in obj.items() if k not in _ROOT_KEYS}
    props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in _ROOT_KEYS}
    root = {**schema, "properties": props}
    root["required"] = [r for r in schema.get("required") or [] if r not in _ROOT_KEYS]
    _validate(body, root, "", errs)
    return errs


def _validate(value: Any, schema: Schema, path: str, errs: list[FieldError]) -> None:
    if not isinstance(schema, dict):
        return
    where = path or "."
    if not _type_ok(value, schema):
        kind = schema.get("type") or "string"
        actual = _type_name(value)
        errs.append(
            invalid(where, actual, f"{where} in body must be of type {kind}: {json.dumps(actual)}")
        )
        return
    if value is None:
        return
    if "enum" in schema and value not in schema["enum"]:
        allowed = [v if isinstance(v, str) else json.dumps(v) for v in schema["enum"]]
        errs.append(not_supported(where, value, allowed))
    if isinstance(value, int | float) and not isinstance(value, bool):
        _bounds(value, schema, where, errs)
    if isinstance(value, str):
        _string(value, schema, where, errs)
    if isinstance(value, list):
        _array(value, schema, where, errs)
    if isinstance(value, dict):
        _object(value, schema, path, errs)


def _bounds(value: float, schema: Schema, where: str, errs: list[FieldError]) -> None:
    if "maximum" in schema:
        most = schema["maximum"]
        if value > most or (schema.get("exclusiveMaximum") and value == most):
            word = "less than" if schema.get("exclusiveMaximum") else "less than or equal to"
            errs.append(invalid(where, value, f"{where} in body should be {word} {_go(most)}"))
    if "minimum" in schema:
        least = schema["minimum"]
        if value < least or (schema.get("exclusiveMinimum") and value == least):
            word = "greater than" if schema.get("exclusiveMinimum") else "greater than or equal to"
            errs.append(invalid(where, value, f"{where} in body should be {word} {_go(least)}"))
    if schema.get("multipleOf") and (value / schema["multipleOf"]) % 1:
        errs.append(
            invalid(
                where, value, f"{where} in body should be a multiple of {_go(schema['multipleOf'])}"
            )
        )


def _string(value: str, schema: Schema, where: str, errs: list[FieldError]) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errs.append(too_long(where, int(schema["maxLength"])))  # the value is not printed
    if "minLength" in schema and len(value) < schema["minLength"]:
        errs.append(
            invalid(
                where, value, f"{where} in body should be at least {schema['minLength']} chars long"
            )
        )
    if "pattern" in schema and not _matches(str(schema["pattern"]), value):
        errs.append(invalid(where, value, f"{where} in body should match '{schema['pattern']}'"))


def _matches(pattern: str, value: str) -> bool:
    """A schema pattern (the CRD's validation refuses one that does not compile)."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def bad_patterns(schema: Any, path: str) -> list[tuple[str, str]]:
    """(path, pattern) of every `pattern` in `schema` that does not compile."""
    found: list[tuple[str, str]] = []
    if isinstance(schema, dict):
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error:
                found.append((f"{path}.pattern", pattern))
        for key in ("properties", "patternProperties"):
            for name, sub in (schema.get(key) or {}).items():
                found.extend(bad_patterns(sub, f"{path}.{key}[{name}]"))
        for key in ("items", "additionalProperties"):
            found.extend(bad_patterns(schema.get(key), f"{path}.{key}"))
    return found


def _array(value: list[Any], schema: Schema, where: str, errs: list[FieldError]) -> None:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errs.append(too_many(where, len(value), int(schema["maxItems"])))
    if "minItems" in schema and len(value) < schema["minItems"]:
        errs.append(
            invalid(
                where, value, f"{where} in body should have at least {schema['minItems']} items"
            )
        )
    if schema.get("uniqueItems"):
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if len(set(seen)) != len(seen):
            errs.append(invalid(where, value, f"{where} in body shouldn't contain duplicates"))
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _validate(item, items, f"{where}[{i}]" if where != "." else f"[{i}]", errs)


def _object(value: Obj, schema: Schema, path: str, errs: list[FieldError]) -> None:
    for name in schema.get("required") or []:
        if name not in value:
            errs.append(required(f"{path}.{name}" if path else name, ""))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errs.append(too_many(path or ".", len(value), int(schema["maxProperties"])))
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key in sorted(value):
        child = f"{path}.{key}" if path else key
        if key in props:
            _validate(value[key], props[key], child, errs)
        elif isinstance(extra, dict):
            _validate(value[key], extra, child, errs)


# --- Tables ---------------------------------------------------------------------------------

_NAME_COLUMN = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace. Is required when creating "
    "resources, although some resources may allow a client to request the generation of an "
    "appropriate name automatically. Name is primarily intended for creation idempotence and "
    "configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "priority": 0,
}
_AGE_PATH = ".metadata.creationTimestamp"


def columns(version: Obj) -> list[Obj]:
    """NAME, then the CRD version's printer columns; a CRD that lists none gets AGE
    (serveDefaultColumnsIfEmpty), one that lists some shows only those."""
    listed = _listed(version)
    out = [dict(_NAME_COLUMN)]
    for c in listed:
        path = str(c.get("jsonPath", ""))
        out.append(
            {
                "name": c.get("name", ""),
                "type": c.get("type", "string"),
                "format": c.get("format", ""),
                "description": c.get("description")
                or f"Custom resource definition column (in JSONPath format): {path}",
                "priority": int(c.get("priority") or 0),
            }
        )
    return out


def _listed(version: Obj) -> list[Obj]:
    listed = [c for c in version.get("additionalPrinterColumns") or [] if isinstance(c, dict)]
    return listed or [{"name": "Age", "type": "date", "jsonPath": _AGE_PATH}]


def walk(obj: Any, path: str) -> Any:
    """A simple JSONPath (`.spec.cronSpec`, `.spec.items[0].name`) or None."""
    value = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _cell(value: Any, kind: str, now: datetime) -> Any:
    if value is None:
        return None
    if kind == "date":
        if not isinstance(value, str):
            return None
        try:
            if parse_time(value) is not None:
                return since(value, now=now)
        except (ValueError, TypeError):
            pass
        return "<invalid>"  # cellForJSONValue: an unparsable date
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return value if isinstance(value, str) else _go(value)


def row(obj: Obj, now: datetime, *, version: Obj) -> list[Any]:
    cells: list[Any] = [(obj.get("metadata") or {}).get("name", "")]
    for c in _listed(version):
        cells.append(
            _cell(walk(obj, str(c.get("jsonPath", ""))), str(c.get("type", "string")), now)
        )
    return cells

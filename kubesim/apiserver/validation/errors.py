"""Field errors and the Status a rejected write turns into, worded as kube-apiserver words them.

Why a module of its own: the texts are the product. A learner who mistypes a field must
read the same sentence kind would print, so the rendering rules of apimachinery's
`field.Error` (`<path>: <Type>: <value>: <detail>`, Go `%q`/`%v`/`%#v` value printing) and
of `errors.NewInvalid` (`Deployment.apps "web" is invalid: [a, b]`) live here, once.

Two outcomes, two statuses (as the real server answers):
  * the body does not decode (unknown or duplicate field under Strict, wrong JSON type,
    unparsable quantity): 400 BadRequest, message
    `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ...`
  * the body decodes but a value is wrong: 422 Invalid with `details.causes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

GVK = tuple[str, str, str]

# Error types (the `reason` of a Status cause) and their canonical text, as in
# apimachinery/pkg/util/validation/field/errors.go.
REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
NOT_FOUND = "FieldValueNotFound"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"

_TYPE_TEXT = {
    REQUIRED: "Required value",
    INVALID: "Invalid value",
    NOT_SUPPORTED: "Unsupported value",
    DUPLICATE: "Duplicate value",
    FORBIDDEN: "Forbidden",
    NOT_FOUND: "Not found",
    TOO_LONG: "Too long",
    TOO_MANY: "Too many",
}
# Types whose body never shows the bad value.
_NO_VALUE = {REQUIRED, FORBIDDEN, TOO_LONG}


@dataclass(frozen=True)
class FieldError:
    """One field-level problem. `message` is the body without the field (the Status cause
    message), e.g. `Invalid value: -1: must be greater than or equal to 0`."""

    type: str
    field: str
    message: str

    @property
    def reason(self) -> str:
        return self.type

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def cause(self) -> dict[str, str]:
        return {"reason": self.type, "message": self.message, "field": self.field}


@dataclass
class Problems:
    """What admission found. `decode_error` (a 400) wins over `errors` (a 422)."""

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decode_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.decode_error is None and not self.errors

    @property
    def status_code(self) -> int:
        if self.decode_error is not None:
            return 400
        return 422 if self.errors else 200

    @property
    def reason(self) -> str:
        if self.decode_error is not None:
            return "BadRequest"
        return "Invalid" if self.errors else ""


# --- Go-style value printing ------------------------------------------------------------


def go_quote(s: str) -> str:
    """Go's %q for the strings we meet (JSON escaping is the same for printable text)."""
    return json.dumps(s, ensure_ascii=False)


def go_value(value: Any) -> str:
    """How field.Error prints a bad value: ints/bools plain, strings quoted, maps and
    lists as Go's %#v would print the internal type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, GoLiteral):
        return value.text
    if isinstance(value, dict):
        if all(isinstance(v, str) for v in value.values()):
            inner = ", ".join(f"{go_quote(k)}:{go_quote(v)}" for k, v in sorted(value.items()))
            return f"map[string]string{{{inner}}}"
        return json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "[]string{" + ", ".join(go_quote(v) for v in value) + "}"
        return json.dumps(value)
    return str(value)


@dataclass(frozen=True)
class GoLiteral:
    """A value already rendered the way Go prints it (e.g. a struct's %#v)."""

    text: str


def label_selector_literal(selector: dict[str, Any] | None) -> GoLiteral:
    """How field.Error prints a *metav1.LabelSelector (dereferenced, then %#v), as in
    `spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable`."""
    if selector is None:
        return GoLiteral("null")
    return GoLiteral(_selector_struct(selector))


def _selector_struct(selector: dict[str, Any]) -> str:
    labels = selector.get("matchLabels")
    ml = go_value(labels) if labels else "map[string]string(nil)"
    exprs = selector.get("matchExpressions")
    if exprs:
        parts = []
        for e in exprs:
            vals = e.get("values")
            vs = go_value(vals) if vals else "[]string(nil)"
            parts.append(
                f"v1.LabelSelectorRequirement{{Key:{go_quote(e.get('key', ''))}, "
                f'Operator:"{e.get("operator", "")}", Values:{vs}}}'
            )
        me = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    else:
        me = "[]v1.LabelSelectorRequirement(nil)"
    return f"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}"


# --- constructors (field.Required, field.Invalid, ...) ----------------------------------


def _body(kind: str, value: Any, detail: str, *, show_value: bool = True) -> str:
    text = _TYPE_TEXT[kind]
    if kind not in _NO_VALUE and show_value:
        text = f"{text}: {go_value(value)}"
    if detail:
        text = f"{text}: {detail}"
    return text


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(REQUIRED, path, _body(REQUIRED, None, detail))


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(INVALID, path, _body(INVALID, value, detail))


def not_supported(path: str, value: Any, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(v) for v in supported) if supported else ""
    return FieldError(NOT_SUPPORTED, path, _body(NOT_SUPPORTED, value, detail))


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(DUPLICATE, path, _body(DUPLICATE, value, ""))


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(FORBIDDEN, path, _body(FORBIDDEN, None, detail))


def not_found(path: str, value: Any) -> FieldError:
    return FieldError(NOT_FOUND, path, _body(NOT_FOUND, value, ""))


def too_many(path: str, actual: int, most: int) -> FieldError:
    """field.TooMany: `Too many: 21: must have at most 20 items`."""
    return FieldError(TOO_MANY, path, _body(TOO_MANY, actual, f"must have at most {most} items"))


def too_long(path: str, max_bytes: int) -> FieldError:
    return FieldError(
        TOO_LONG, path, _body(TOO_LONG, None, f"may not be more than {max_bytes} bytes")
    )


# --- Status -----------------------------------------------------------------------------


def qualified_kind(gvk: GVK) -> str:
    group, _version, kind = gvk
    return f"{kind}.{group}" if group else kind


def dedupe(errors: list[FieldError]) -> list[FieldError]:
    """ToAggregate drops errors whose rendered text repeats."""
    seen: set[str] = set()
    out = []
    for e in errors:
        if str(e) not in seen:
            seen.add(str(e))
            out.append(e)
    return out


def status_message(gvk: GVK, name: str, problems: Problems) -> str:
    """The Status `message` for a rejected write (400 or 422)."""
    if problems.decode_error is not None:
        return problems.decode_error
    errs = dedupe(problems.errors)
    if not errs:
        return ""
    listed = str(errs[0]) if len(errs) == 1 else "[" + ", ".join(str(e) for e in errs) + "]"
    return f'{qualified_kind(gvk)} "{name}" is invalid: {listed}'


def status_body(gvk: GVK, name: str, problems: Problems) -> dict[str, Any]:
    """The whole `Status` object the API answers with (kind Status, code, reason, details)."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": status_message(gvk, name, problems),
        "reason": problems.reason,
        "code": problems.status_code,
    }
    if problems.decode_error is None and problems.errors:
        details: dict[str, Any] = {"name": name, "group": gvk[0], "kind": gvk[2]}
        if not gvk[0]:
            del details["group"]  # omitempty, as the core group is ""
        details["causes"] = [e.cause() for e in dedupe(problems.errors)]
        body["details"] = details
    return body

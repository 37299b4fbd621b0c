"""Turning HTTP request parts into API calls: body decoding, media types, query options.

Pure functions over bytes and strings, so every bad-input answer (malformed JSON or
YAML, unsupported media type, bad query values) is table-testable and worded as
kube-apiserver words it.
"""

from __future__ import annotations

import re
from typing import Any

from kubesim.apiserver.protobuf.decode import decode_object as decode_protobuf
from kubesim.apiserver.serialization import (
    decode_yaml,
    json_depth_error,
    json_error_text,
    loads_json,
    summarize,
)
from kubesim.core.errors import BadRequest, UnsupportedMediaType

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's request body limit (3 MiB)
BODY_TYPES = ("application/json", "application/yaml")
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
_BODY_ACCEPTED = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json, application/yaml, application/vnd.kubernetes.protobuf, application/cbor"
)
_PATCH_ACCEPTED = (
    "the body of the request was in an unknown format - accepted media types include: "
    + ", ".join(PATCH_TYPES)
)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def decode_object(data: bytes, content_type: str | None, *, kind: str) -> Any:
    """A create/update body as JSON or YAML; 415 for other media types, 400 when unparsable."""
    mt = media_type(content_type) or "application/json"
    if mt == "application/vnd.kubernetes.protobuf":
        return decode_protobuf(data, kind=kind)
    if mt not in BODY_TYPES:
        raise UnsupportedMediaType(_BODY_ACCEPTED)
    if not data.strip():
        raise BadRequest(
            f"the object provided is unrecognized (must be of type {kind}): couldn't get "
            "version/kind; json parse error: unexpected end of JSON input (<empty>)"
        )
    if mt == "application/json" or data.lstrip()[:1] in (b"{", b"["):
        try:
            return loads_json(data)
        except ValueError as exc:
            if mt == "application/json" or json_depth_error(data):
                raise BadRequest(
                    f"the object provided is unrecognized (must be of type {kind}): couldn't "
                    f"get version/kind; json parse error: {json_error_text(exc, data)} "
                    f"({summarize(data)})"
                ) from exc
    return decode_yaml(data, kind=kind)


def decode_patch(data: bytes, content_type: str | None) -> tuple[str, Any]:
    """(media type, parsed patch) for PATCH; apply patches may be YAML."""
    mt = media_type(content_type)
    if mt not in PATCH_TYPES:
        raise UnsupportedMediaType(_PATCH_ACCEPTED)
    if mt == "application/apply-patch+yaml":
        return mt, data
    try:
        return mt, loads_json(data or b"null")
    except ValueError as exc:
        raise BadRequest(f"error decoding patch: {json_error_text(exc, data)}") from exc


def decode_options(data: bytes, content_type: str | None) -> dict[str, Any] | None:
    """DeleteOptions / Eviction bodies: optional, JSON or YAML."""
    if not data.strip():
        return None
    value = decode_object(data, content_type, kind="DeleteOptions")
    if not isinstance(value, dict):
        raise BadRequest("the body of DeleteOptions must be an object")
    return value


def parse_bool(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def parse_int(name: str, value: str | None) -> int | None:
    """An int64 query parameter as the parameter codec converts it (strconv.ParseInt);
    `name` is kept for callers' readability, the error does not carry it upstream."""
    if value in (None, ""):
        return None
    text = str(value)
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise BadRequest(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    if len(text.lstrip("+-")) > 19 or not -(2**63) <= int(text) < 2**63:
        raise BadRequest(f'strconv.ParseInt: parsing "{text}": value out of range')
    return int(text)


_FIELD_VALIDATION = {"": "Warn", "warn": "Warn", "strict": "Strict", "ignore": "Ignore"}


def field_validation(value: str | None) -> str:
    key = (value or "").lower()
    if key not in _FIELD_VALIDATION:
        raise BadRequest(
            f'fieldValidation: Unsupported value: "{value}": supported values: '
            '"Ignore", "Warn", "Strict"'
        )
    return _FIELD_VALIDATION[key]


def dry_run(values: list[str]) -> bool:
    for value in values:
        if value != "All":
            raise BadRequest(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def manager_from_user_agent(user_agent: str) -> str:
    """The default fieldManager: the User-Agent up to the first '/' (as the apiserver does)."""
    return user_agent.split("/")[0][:128] or "unknown"


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


_PROXY_NAME = re.compile(r"^(?:(https?):)?([^:]+)(?::([^:]+))?$")


def split_proxy_name(text: str) -> tuple[str, str, str]:
    """`[scheme:]name[:port]` of a service/pod proxy path."""
    m = _PROXY_NAME.match(text)
    if not m:
        raise BadRequest(f"invalid service request {text}")
    scheme, name, port = m.groups()
    return scheme or "", name, port or ""


def warning_header(text: str) -> str:
    return '299 - "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""Indented JSON for people: kube-apiserver's isPrettyPrint and writeJSON.

The API server indents a JSON answer (two spaces, json.Indent) when the request says
`?pretty=true`, or, with no `pretty` parameter, when its User-Agent is a person's tool: one
starting with `curl`, `Wget` or `Mozilla/5.0` (curl through `kubectl proxy` keeps its own).
`?pretty=false` turns it off for those. An object then reads as Go encodes its struct, `kind`
before `apiVersion`. `/version` is always indented (WriteRawJSON's MarshalIndent), without
a final newline.
"""

from __future__ import annotations

import json
from typing import Any

_HUMAN_AGENTS = ("curl", "Wget", "Mozilla/5.0")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def wants_pretty(pretty: str | None, user_agent: str) -> bool:
    """isPrettyPrint: the parameter when it parses as a Go bool, else the User-Agent."""
    if pretty:
        return pretty in _TRUE  # strconv.ParseBool; anything else is false
    return user_agent.startswith(_HUMAN_AGENTS)


def indent(body: bytes) -> bytes:
    """A compact JSON answer indented as json.Indent does, its trailing newline kept."""
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return dumps_indented(_kind_first(value)).encode() + b"\n"


def dumps_indented(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _kind_first(value: Any) -> Any:
    """TypeMeta's field order: `kind`, then `apiVersion`, then the rest."""
    if isinstance(value, dict) and "kind" in value and "apiVersion" in value:
        return {"kind": value["kind"], "apiVersion": value["apiVersion"]} | value
    return value

"""kube-apiserver's isPrettyPrint: `?pretty` when it parses, else curl, Wget and browsers get
indented JSON, `kind` before `apiVersion` as Go's TypeMeta encodes them."""

from __future__ import annotations

import pytest

from kubesim.apiserver.pretty import indent, wants_pretty


@pytest.mark.parametrize(
    ("pretty", "agent", "wanted"),
    [
        (None, "curl/8.18.0", True),
        (None, "Wget", True),
        (None, "Mozilla/5.0 (X11; Linux x86_64)", True),
        (None, "kubectl/v1.37.0 (linux/amd64) kubernetes/abc", False),
        (None, "OpenAPI-Generator/35.0.0/python", False),
        ("true", "kubectl/v1.37.0", True),
        ("1", "python-requests/2.32", True),
        ("false", "curl/8.18.0", False),
        ("yes", "curl/8.18.0", False),  # not a Go bool: false, the agent is not asked
    ],
)
def test_who_gets_indented_json(pretty: str | None, agent: str, wanted: bool) -> None:
    assert wants_pretty(pretty, agent) is wanted


def test_indented_as_json_indent_with_kind_first_and_the_newline_kept() -> None:
    body = b'{"apiVersion":"v1","kind":"Status","status":"Failure","code":404}\n'
    assert indent(body) == (
        b'{\n  "kind": "Status",\n  "apiVersion": "v1",\n  "status": "Failure",\n  "code": 404\n}\n'
    )
    assert indent(b"not json") == b"not json"

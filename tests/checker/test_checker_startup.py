"""`import checker` (every kubelab command, every notebook kernel's first check) does not pay
for rfc3987_syntax's IRI grammar, which `import kubernetes` would build through
kubernetes_validate and jsonschema (checker/_startup.py)."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_importing_the_checker_builds_no_iri_grammar() -> None:
    out = _run(
        "import checker, sys; import kubernetes.dynamic.client as d; "
        "print(d.HAS_KUBERNETES_VALIDATE, sys.modules.get('rfc3987_syntax'), 'lark' in sys.modules)"
    )
    # kubernetes_validate still loads (the dynamic client's validation keeps working)
    assert out == "True None False"


def test_jsonschema_still_checks_formats_without_it() -> None:
    out = _run(
        "import checker, jsonschema; "
        "v = jsonschema.Draft7Validator({'format': 'date-time'}, "
        "format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER); "
        "print(v.is_valid('2026-12-05T18:00:00Z'), v.is_valid('2026-13-45'))"
    )
    assert out == "True False"

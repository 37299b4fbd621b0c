"""The command the tests run a notebook with: `python -m pytest --nbval-lax`, less one import.

nbval imports nbformat, which imports jsonschema, whose format checkers compile a Lark
grammar at import when Jupyter's extras installed `rfc3987_syntax`: 1.6 s of CPU in each
pytest that runs a notebook, for the `iri` string format nothing here checks. The test runner
leaves that optional import out, as `kubelab` does for its own process (kubelab/cli.py); the
notebook's kernel, a process of its own, is untouched.

Nor does it load every plugin installed for the suite (playwright, xdist, anyio and more: 0.6 s
of CPU per runner): only nbval, and pytest-asyncio, whose options the project's pytest
configuration sets.
"""

from __future__ import annotations

from fresh_python import WITHOUT_RFC3987

PYTEST_WITHOUT_RFC3987 = WITHOUT_RFC3987 + "import pytest; raise SystemExit(pytest.main())"


def nbval(*args: str, cell_timeout: int = 600) -> tuple[str, ...]:
    """`python -m pytest --nbval-lax` with `args` (a notebook's name, options), as a command
    line whose first word is the venv's `python`."""
    return (
        "python", "-c", PYTEST_WITHOUT_RFC3987, "--disable-plugin-autoload", "-p", "nbval",
        "-p", "pytest_asyncio", "--nbval-lax", "-p", "no:cacheprovider", "-q",
        f"--nbval-cell-timeout={cell_timeout}", *args,
    )  # fmt: skip

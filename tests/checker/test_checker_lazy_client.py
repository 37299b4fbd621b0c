"""The official client is imported when a check first reads the cluster, not by `import
checker`: `kubelab reset`, `solve`, `break`, `lint` and a notebook's first cell do not pay
for it (checker/__init__.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import checker


def _in_fresh_process(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_cli_starts_without_the_official_client_and_a_check_loads_it() -> None:
    out = _in_fresh_process(
        "import sys; import kubelab.cli as cli; cli._register(); "
        "print('kubernetes' in sys.modules); "
        "from checker import run_lab, ReadOnlyClient; print('kubernetes' in sys.modules)"
    )
    assert out.split() == ["False", "True"]


def test_every_public_name_resolves() -> None:
    for name in checker.__all__:
        assert getattr(checker, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        checker.nope  # noqa: B018

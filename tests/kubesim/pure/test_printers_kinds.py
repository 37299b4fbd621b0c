"""Every served kind prints the columns and cells a real 1.37 kube-apiserver would send.

The cases live in `printdata/<kind>.yaml` (realistic objects, expected cells in column
order with the wide ones last) so that adding a case is adding data, not code.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesim.apiserver.printers.table import table

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "printdata"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _documents() -> list[tuple[str, dict[str, Any]]]:
    """The printer cases, parsed once at collection with libyaml (the pure-Python parser
    took a second of every worker's collection over these 34 files)."""
    return [
        (path.stem, yaml.load(path.read_text(), Loader=_LOADER))
        for path in sorted(DATA.glob("*.yaml"))
    ]


def _cases() -> list[Any]:
    params = []
    for stem, doc in _documents():
        for case in doc["cases"]:
            params.append(pytest.param(tuple(doc["gvk"]), case, id=f"{stem}-{case['id']}"))
    return params


def _kinds() -> list[Any]:
    return [pytest.param(tuple(doc["gvk"]), doc, id=stem) for stem, doc in _documents()]


@pytest.mark.parametrize("gvk, doc", _kinds())
def test_columns_match_the_real_printer(gvk: tuple[str, str, str], doc: dict[str, Any]) -> None:
    columns = table(gvk, [], now=NOW)["columnDefinitions"]
    assert [c["name"] for c in columns if c["priority"] == 0] == doc["columns"]
    assert [c["name"] for c in columns if c["priority"] == 1] == doc["wide"]


@pytest.mark.parametrize("gvk, doc", _kinds())
def test_wide_columns_come_after_the_default_ones(
    gvk: tuple[str, str, str], doc: dict[str, Any]
) -> None:
    columns = table(gvk, [], now=NOW)["columnDefinitions"]
    priorities = [c["priority"] for c in columns]
    if gvk[2] == "Event":
        # Events interleave: MESSAGE (priority 0) sits between SOURCE and FIRST SEEN.
        assert priorities == [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]
    else:
        assert priorities == sorted(priorities)


@pytest.mark.parametrize("gvk, case", _cases())
def test_cells_are_exactly_what_kube_apiserver_prints(
    gvk: tuple[str, str, str], case: dict[str, Any]
) -> None:
    result = table(gvk, [case["object"]], now=NOW)
    assert len(result["rows"]) == 1
    cells = result["rows"][0]["cells"]
    assert cells == case["cells"]
    assert len(cells) == len(result["columnDefinitions"])


@pytest.mark.parametrize("gvk, case", _cases())
def test_integer_cells_stay_integers(gvk: tuple[str, str, str], case: dict[str, Any]) -> None:
    cells = table(gvk, [case["object"]], now=NOW)["rows"][0]["cells"]
    for got, want in zip(cells, case["cells"], strict=True):
        assert type(got) is type(want), (got, want)

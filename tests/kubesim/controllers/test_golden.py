"""Golden pairs: ``golden/<case>.input.yaml`` -> ``golden/<case>.output.yaml`` (actions as data).

Regenerate an output after a deliberate change with ``KUBESIM_GOLDEN_UPDATE=1``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
import yaml

from kubesim.controllers import schedule_actions

from .world import T0

HERE = Path(__file__).parent / "golden"
CASES = sorted(p.name.removesuffix(".input.yaml") for p in HERE.glob("*.input.yaml"))


def as_data(decision) -> dict:
    return {
        "actions": [{type(a).__name__: dataclasses.asdict(a)} for a in decision.actions],
        "requeue_after": decision.requeue_after,
    }


@pytest.mark.parametrize("case", CASES)
def test_scheduler_golden(case):
    given = yaml.safe_load((HERE / f"{case}.input.yaml").read_text())
    got = as_data(schedule_actions(given["pod"], given["nodes"], given["pods"], now=T0))
    out = HERE / f"{case}.output.yaml"
    if os.environ.get("KUBESIM_GOLDEN_UPDATE"):
        out.write_text(yaml.safe_dump(got, sort_keys=False, width=200))
    assert got == yaml.safe_load(out.read_text())

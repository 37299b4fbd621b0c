"""Golden pairs, kwok-style: ``golden/<controller>/<case>.input.yaml`` -> ``<case>.output.yaml``.

Each input holds the objects a controller's pure decision reads (and a comment saying what
the case is); the output is what it decides, as data: actions by type, a requeue, a
status. The clock is `world.T0`. A case is added as two files, no Python; regenerate an
output after a deliberate change with ``KUBESIM_GOLDEN_UPDATE=1`` and read the diff.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesim.controllers import (
    Decision,
    endpoints_for,
    endpointslices_for,
    hpa_without_target,
    node_health,
    pdb_status,
    pods_to_evict,
    reconcile_cronjob,
    reconcile_deployment,
    reconcile_job,
    reconcile_pdb,
    schedule_actions,
)

from .world import T0

HERE = Path(__file__).parent / "golden"


# fields added to the actions later, left out of a case's output while they hold their default
# (an event stamped when written, the pod controllers' FailedCreate wording), so the cases
# written before them read as they did
DEFAULTS = {"at": None, "failure": "Error creating"}


def _without_defaults(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if not (k in DEFAULTS and v == DEFAULTS[k])}


def as_data(decision: Decision) -> dict[str, Any]:
    return {
        "actions": [
            {type(a).__name__: dataclasses.asdict(a, dict_factory=_without_defaults)}
            for a in decision.actions
        ],
        "requeue_after": decision.requeue_after,
    }


# controller folder -> its pure decision, called on an input's objects
DECIDE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "scheduler": lambda i: as_data(schedule_actions(i["pod"], i["nodes"], i["pods"], now=T0)),
    "deployment": lambda i: as_data(
        reconcile_deployment(i["deployment"], i["replicaSets"], i["pods"], now=T0)
    ),
    "job": lambda i: as_data(reconcile_job(i["job"], i["pods"], now=T0)),
    "cronjob": lambda i: as_data(reconcile_cronjob(i["cronjob"], i["jobs"], now=T0)),
    "endpoints": lambda i: {
        "endpoints": endpoints_for(i["service"], i["pods"]),
        "endpointSlices": endpointslices_for(i["service"], i["pods"], i["existing"]),
    },
    "nodelifecycle": lambda i: {
        "health": dataclasses.asdict(node_health(i["node"], i["lease"], now=T0)),
        "eviction": as_data(pods_to_evict(i["node"], i["pods"], now=T0)),
    },
    "pdb": lambda i: {"status": pdb_status(i["pdb"], i["pods"], now=T0)},
    "disruption": lambda i: as_data(
        reconcile_pdb(
            i["pdb"],
            i["pods"],
            now=T0,
            owners=lambda kind, name: {
                (o["kind"], o["metadata"]["name"]): o for o in i.get("owners") or []
            }.get((kind, name)),
        )
    ),
    "hpa": lambda i: as_data(hpa_without_target(i["hpa"], i["message"], now=T0)),
}
CASES = sorted(
    (p.parent.name, p.name.removesuffix(".input.yaml")) for p in HERE.glob("*/*.input.yaml")
)


def test_every_controller_folder_has_a_decision_and_cases() -> None:
    folders = {p.name for p in HERE.iterdir() if p.is_dir()}
    assert folders == set(DECIDE), "a golden folder without a decision, or the reverse"
    assert all(any(c == folder for c, _ in CASES) for folder in DECIDE)


@pytest.mark.parametrize("controller, case", CASES, ids=[f"{c}/{n}" for c, n in CASES])
def test_golden(controller: str, case: str) -> None:
    given = yaml.safe_load((HERE / controller / f"{case}.input.yaml").read_text())
    got = yaml.safe_load(yaml.safe_dump(DECIDE[controller](given), sort_keys=False))
    out = HERE / controller / f"{case}.output.yaml"
    if os.environ.get("KUBESIM_GOLDEN_UPDATE"):
        out.write_text(yaml.safe_dump(got, sort_keys=False, width=200))
    if not out.exists():
        pytest.fail(f"{out.name} is missing: run with KUBESIM_GOLDEN_UPDATE=1 and read it")
    assert got == yaml.safe_load(out.read_text())

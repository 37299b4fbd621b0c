"""Fixtures for the course scenarios: one served kubesim with its controllers for the session.

The cluster runs `KUBELAB_SCENARIO_SCALE` times faster than real time (default 10, what CI
runs; `KUBELAB_SCENARIO_SCALE=1` runs the same scenarios at real speed by hand), on virtual
time (cluster time jumps over waits while nothing runs in real time;
`KUBELAB_SCENARIO_VIRTUAL_TIME=0` turns it off). Both reach `python -m kubesim serve` as
`KUBESIM_TIME_SCALE` and `KUBESIM_VIRTUAL_TIME`, the environment defaults of its flags, so
the launcher stays the one in `tests/kubesim/kubesim_process.py`.
Each test gets `lab`, a `Lab` bound to the namespace `lab`, emptied after the test.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kubesim"))

from kubesim_process import Cluster, stop_kubesim  # noqa: E402
from scenario_kubectl import WORKERS, Lab, measured_speed, start_scaled  # noqa: E402

SCALE = float(os.environ.get("KUBELAB_SCENARIO_SCALE", "10"))
# virtual time: cluster time jumps over waits while nothing runs in real time (set 0 to
# run the scenarios on the scaled clock alone)
VIRTUAL = os.environ.get("KUBELAB_SCENARIO_VIRTUAL_TIME", "1") != "0"
CLEANUP_KINDS = (
    "cronjobs,deployments,replicasets,statefulsets,pods,services,hpa,pdb,jobs,resourcequotas,"
    "limitranges,certificatesigningrequests,"
    "persistentvolumeclaims"
)


@pytest.fixture(scope="session")
def scenario_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start_scaled(tmp_path_factory.mktemp("scenarios"), SCALE, virtual=VIRTUAL)
    try:
        measured = measured_speed(functools.partial(cluster.kubectl, "-n", "default"), 1.5)
        if SCALE > 1 and measured < SCALE / 2:
            pytest.fail(
                f"kubesim runs at {measured:.1f}x, not the {SCALE:g}x asked through "
                "KUBESIM_TIME_SCALE: `python -m kubesim serve` must take its --time-scale "
                "default from that variable (kubesim/__main__.py).",
                pytrace=False,
            )
        cluster.kubectl("create", "namespace", "lab")
        lab = Lab(cluster, SCALE)
        lab.wait_for(
            lambda: all(r["STATUS"] == "Ready" for r in lab.table("nodes")),
            timeout=60,
            what="the three nodes to be Ready",
        )
        yield cluster
    finally:
        stop_kubesim(cluster)


@pytest.fixture
def lab(scenario_cluster: Cluster) -> Iterator[Lab]:
    lab = Lab(scenario_cluster, SCALE)
    yield lab
    _reset(lab)


def _reset(lab: Lab) -> None:
    """Leave the lab namespace empty and every node schedulable for the next scenario.

    The test's own steps went through kubectl; the clean-up asks the API server directly
    where it can (a kubectl run is 70 ms of CPU before it sends anything, and this ran four
    of them and a poll of more after each of some 150 scenarios). The deletion stays
    kubectl's, which knows how to empty every kind."""
    session = lab.cluster.http_session()
    base = session.base  # type: ignore[attr-defined]
    for node in session.get(f"{base}/api/v1/nodes", timeout=30).json()["items"]:
        name = node["metadata"]["name"]
        if name in WORKERS and (node.get("spec") or {}).get("unschedulable"):
            session.patch(  # what `kubectl uncordon` sets
                f"{base}/api/v1/nodes/{name}",
                json={"spec": {"unschedulable": None}},
                headers={"Content-Type": "application/merge-patch+json"},
                timeout=30,
            ).raise_for_status()
    lab.kubectl("delete", CLEANUP_KINDS, "--all", "--wait=false", check=False)
    pods = f"{base}/api/v1/namespaces/{lab.namespace}/pods"
    lab.wait_for(
        lambda: not session.get(pods, timeout=30).json()["items"],
        timeout=lab.wall(60, slack=60),
        what="the lab namespace to have no pods left",
    )

"""The `pause` step: time that must pass while the cluster cannot be asked anything (lab 13's
control-plane outage). It reaches neither kubectl nor the checker, and it is bounded."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

import checker
from checker._labfile import Step
from kubelab._backend_base import LabPaths
from kubelab._steps import StepRunner

FIXTURE = Path(__file__).resolve().parent / "data" / "labs" / "01-fixture"


class _Nodes:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def node(self, name: str, action: str) -> None:
        self.calls.append(f"node {name} {action}")

    def control_plane(self, action: str) -> str:
        self.calls.append(f"control plane {action}")
        return "down" if action == "stop" else "up"


def test_a_pause_between_control_plane_steps_sleeps_and_asks_the_cluster_nothing(
    host, lab_home: Path
) -> None:
    lab = checker.load_lab(FIXTURE / "lab.yaml")
    nodes, slept, said, waited = _Nodes(), [], [], []
    runner = StepRunner(
        LabPaths(home=lab_home),
        nodes=lambda: nodes,
        waiter=lambda _lab, check: waited.append(check.name),
        say=said.append,
        sleep=slept.append,
    )
    steps = [{"controlPlane": "stop"}, {"pause": "8s"}, {"controlPlane": "start"}]
    runner.run(lab, steps, phase="solution of outage")

    assert nodes.calls == ["control plane stop", "control plane start"]
    assert slept == [8.0]
    assert host.calls == [] and waited == []
    assert said[1] == "  [solution of outage 2/3] pause 8s (nothing is asked of the cluster)"


@pytest.mark.parametrize(
    "value, seconds", [pytest.param("10s", 10.0, id="text"), pytest.param(5, 5.0, id="number")]
)
def test_pause_step_parses_a_duration(value, seconds) -> None:
    step = pydantic.TypeAdapter(Step).validate_python({"pause": value})
    assert step.pause == seconds


@pytest.mark.parametrize("value", [0, "3m"], ids=["zero", "over-two-minutes"])
def test_pause_step_is_positive_and_short(value) -> None:
    with pytest.raises(pydantic.ValidationError):
        pydantic.TypeAdapter(Step).validate_python({"pause": value})

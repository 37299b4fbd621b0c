"""`$(KUBELAB_CLUSTER)` / `$(KUBELAB_USER)` in a kubectl step: the lab context's own entries.

Lab 07's solution writes `kubectl config set-context prod --cluster ... --user ...`; kind
names the lab's cluster and user `kind-kubelab`, kubesim `kubesim-kubelab`, so the step
takes them from the kubeconfig the guard resolved, never from a name written in lab.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import checker
from checker._labfile import KubectlStep
from kubelab._backend_base import LabPaths
from kubelab._kubeconfig import LabKubeconfig
from kubelab._steps import KubectlAction, StepContext, StepProblem, plan

LINE = "config set-context prod --namespace production --cluster $(KUBELAB_CLUSTER) --user $(KUBELAB_USER)"


def _step(line: str) -> KubectlStep:
    return KubectlStep.model_validate({"kubectl": line})


def _ctx(info: LabKubeconfig | None, tmp_path: Path) -> StepContext:
    """The context the runner builds for lab 01-fixture (namespace `lab`)."""
    lab = checker.load_lab(Path(__file__).parent / "data" / "labs" / "01-fixture" / "lab.yaml")
    paths = LabPaths(repo=tmp_path, home=tmp_path / ".kubelab")
    return StepContext.for_lab(lab, paths, info)


@pytest.mark.parametrize("backend", ["kind-kubelab", "kubesim-kubelab"])
def test_the_lab_contexts_cluster_and_user_are_filled_in(backend, tmp_path):
    info = LabKubeconfig(
        path=tmp_path / "kubeconfig", context=backend, server="https://127.0.0.1:1",
        cluster=backend, user=backend,
    )  # fmt: skip
    action = plan(_step(LINE), _ctx(info, tmp_path))
    assert isinstance(action, KubectlAction)
    assert action.args == (
        "config", "set-context", "prod", "--namespace", "production",
        "--cluster", backend, "--user", backend,
    )  # fmt: skip
    assert backend in action.title and "$(" not in action.title  # the output says what it did


def test_a_step_without_placeholders_is_unchanged(tmp_path):
    action = plan(_step("config unset contexts.prod"), _ctx(None, tmp_path))
    assert isinstance(action, KubectlAction)
    assert action.args == ("config", "unset", "contexts.prod", "-n", "lab")


def test_a_placeholder_without_a_resolved_kubeconfig_is_a_clear_problem(tmp_path):
    with pytest.raises(StepProblem, match=r"uses \$\(KUBELAB_CLUSTER\)"):
        plan(_step(LINE), _ctx(None, tmp_path))

"""The learner edition ships lab 01's Deployment and lab 02's Service as `given/` files
(later labs' setups start from them). Applying one instead of writing your own scores 0 for
the exercise that asks you to write it (issue 17: "applying the reference file"), while the
same object written by the learner scores (tests/course_e2e prove the full marks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.kubesim

CASES = [
    ("01-deploy", "deploy", "labs/02-expose/given/01-deploy/deployment.yaml"),
    ("02-expose", "service", "labs/03-self-healing/given/02-expose/service.yaml"),
]


@pytest.mark.parametrize(("lab_id", "exercise_id", "given"), CASES, ids=[c[0] for c in CASES])
def test_applying_a_given_copy_scores_zero(
    learner: Any, edition: Path, lab_id: str, exercise_id: str, given: str
) -> None:
    learner.run("kubelab", "reset", lab_id, "--yes", timeout=300)
    learner.run("kubectl", "apply", "-f", str(edition / given))
    # lab 02's reset deploys the pods its Service selects; lab 01's are the given copy's
    learner.run("kubectl", "rollout", "status", "deployment/inference-service", "--timeout=120s")
    # as a learner runs it: each check waits out its own `within` (the Service's proxy checks
    # may need a moment after the rollout for the EndpointSlice), the given copy's guard none
    proc = learner.run("kubelab", "check", lab_id, exercise_id, "--format", "json", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    exercise = json.loads(proc.stdout)["labs"][0]["exercises"][0]
    failed = {c["name"] for c in exercise["checks"] if not c["passed"]}
    assert exercise["points"] == 0
    assert failed == {"written-by-you"}, f"only the given copy's mark should fail: {failed}"

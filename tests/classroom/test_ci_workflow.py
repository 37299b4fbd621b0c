"""The CI workflow (.github/workflows/ci.yml): valid for GitHub Actions, kind pinned to the
version and checksum the code pins, and running the same commands as `.ci/run`. It cannot run
here (no Docker daemon); this is everything about it that can be checked here."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fresh_python import check_workflows

from kubelab._backend_kind import KIND_SHA256_LINUX_AMD64, KIND_VERSION

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CI_RUN = ROOT / ".ci" / "run"


def jobs() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]


def _ci_run_lines() -> list[str]:
    """.ci/run's commands, as written inside or outside its functions."""
    return [line.strip() for line in CI_RUN.read_text().splitlines()]


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_every_workflow_passes_the_actions_schema_as_ci_run_checks_it():
    files = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert str(WORKFLOW) in files
    checked = check_workflows(*files)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        ".venv/bin/check-jsonschema --builtin-schema vendor.github-workflows "
        ".github/workflows/*.yml"
    ) in _ci_run_lines()


def test_the_simulator_job_is_ci_run_on_the_reference_debian_as_root():
    job = jobs()["simulator"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["container"]["image"] == "debian:bookworm"  # root, Python 3.11, as .ci/run expects
    assert runs(job)[-1] == "bash .ci/run"
    # the README's test command, its exit status kept while the lint beside it finishes
    assert "python3 bootstrap.py test -q || suite=$?" in _ci_run_lines()


def test_the_kind_job_pins_kind_and_runs_the_course_tests_on_it():
    job = jobs()["kind"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["env"] == {"KIND_VERSION": KIND_VERSION, "KIND_SHA256": KIND_SHA256_LINUX_AMD64}
    install = next(r for r in runs(job) if "sha256sum --check" in r)
    assert "releases/download/${KIND_VERSION}/kind-linux-amd64" in install
    assert install.index("sha256sum --check") < install.index("sudo install")
    assert "KUBELAB_TEST_BACKEND=kind python3 bootstrap.py test tests/course_e2e -n 0" in runs(job)


def _conftest():
    spec = importlib.util.spec_from_file_location(
        "course_e2e_conftest", ROOT / "tests" / "course_e2e" / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "value, backend",
    [
        pytest.param(None, "sim", id="default-sim"),
        pytest.param("", "sim", id="empty-sim"),
        pytest.param("kind", "kind", id="kind"),
        pytest.param(" Kind ", "kind", id="kind-case"),
    ],
)
def test_the_course_tests_pick_their_backend_from_the_environment(value, backend):
    assert _conftest().chosen_backend(value) == backend


def test_an_unknown_test_backend_is_a_usage_error():
    with pytest.raises(pytest.UsageError, match="use `sim`"):
        _conftest().chosen_backend("minikube")


def test_kind_course_tests_refuse_several_workers_before_making_a_cluster():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/course_e2e", "--collect-only", "-q", "-n", "2"]
        + ["-p", "no:nbval"],  # as `bootstrap.py test` runs the suite: nbval costs 2.5 s
        cwd=ROOT,
        env={**os.environ, "KUBELAB_TEST_BACKEND": "kind"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "add `-n 0`" in proc.stdout + proc.stderr

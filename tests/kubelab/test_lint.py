"""`kubelab lint` and the versioned lab format: problems found offline, with file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

import checker
from kubelab._cmd_lint import simulator_images
from kubelab._lint import Problem, images_in_command, lint_labs

ROOT = Path(__file__).resolve().parents[2]
KUBELAB = Path(sys.executable).parent / "kubelab"

LAB = """\
apiVersion: kubelab.dev/v1
kind: Lab
id: 42-demo
title: Demo
minutes: 5
faults:
  broken:
    description: a pull that fails on purpose
    steps:
      - manifest:
          apiVersion: v1
          kind: Pod
          metadata: {name: broken}
          spec: {containers: [{name: c, image: "nobody/has-this:1"}]}
exercises:
  - id: one
    title: One
    task: Do it.
    points: 3
    hints: [look closer]
    checks:
      - name: c
        message: m
        expect: {apiVersion: v1, kind: Pod}
    solution:
      - apply: solution/pod.yaml
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: IMAGE
"""


def line_of(text: str, words: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if words in line)


def known(images):
    """A stand-in for the simulator's answer: only `good/*` images run."""
    return {i: None if i.startswith("good/") else f"{i}: not found" for i in images}


def write(
    tmp_path: Path, lab: str = LAB, pod: str | None = POD.replace("IMAGE", "good/app:1")
) -> Path:
    folder = tmp_path / "labs" / "42-demo"
    (folder / "solution").mkdir(parents=True)
    (folder / "lab.yaml").write_text(lab)
    if pod is not None:
        (folder / "solution" / "pod.yaml").write_text(pod)
    return folder / "lab.yaml"


def lint_lab(lab_file: Path, *, images) -> list[Problem]:
    """One lab's problems: `kubelab lint LAB`."""
    return lint_labs(lab_file.parent.parent, images=images, only=lab_file.parent.name)


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_a_clean_lab_has_no_problems(tmp_path):
    assert lint_lab(write(tmp_path), images=known) == []


def test_an_image_the_simulator_lacks_is_named_at_its_line(tmp_path):
    lab = write(tmp_path, pod=POD.replace("IMAGE", "other/app:1"))
    [problem] = lint_lab(lab, images=known)
    assert problem.file == lab.parent / "solution" / "pod.yaml"
    assert problem.line == 1
    assert problem.message == (
        "image other/app:1 cannot run on kubesim, so the lab cannot either: other/app:1: not found"
    )


def test_a_fault_may_name_a_missing_image_on_purpose(tmp_path):
    assert "nobody/has-this" not in " ".join(messages(lint_lab(write(tmp_path), images=known)))


def test_an_invalid_manifest_is_named_with_its_field(tmp_path):
    bad = POD.replace("IMAGE", "good/app:1").replace(
        "  name: web\n", "  name: web\n  labels: [a]\n"
    )
    [problem] = lint_lab(write(tmp_path, pod=bad), images=known)
    assert "Pod web is not valid for Kubernetes 1.37: metadata.labels:" in problem.message


def test_a_missing_apply_path_is_named_at_the_step(tmp_path):
    lab = write(tmp_path, pod=None)
    [problem] = lint_lab(lab, images=known)
    assert problem.line == line_of(LAB, "- apply: solution/pod.yaml")
    assert "apply: solution/pod.yaml does not exist" in problem.message


def test_an_exercise_without_hints_or_solution_is_a_problem(tmp_path):
    text = LAB.replace("    hints: [look closer]\n", "").split("    solution:")[0]
    found = messages(lint_lab(write(tmp_path, lab=text), images=known))
    assert any("exercise 'one' has no hints" in m for m in found)
    assert any("exercise 'one' has no solution steps" in m for m in found)


def test_an_image_in_a_kubectl_step_is_checked(tmp_path):
    text = LAB.replace(
        "      - apply: solution/pod.yaml",
        "      - kubectl: run x --image=bad/one:2 --restart=Never",
    )
    [problem] = lint_lab(write(tmp_path, lab=text, pod=None), images=known)
    assert "image bad/one:2" in problem.message
    assert problem.line == line_of(text, "--image=bad/one:2")


def test_images_are_read_from_kubectl_arguments():
    assert images_in_command("run a --image=busybox:1.36 -- sleep 1") == ["busybox:1.36"]
    assert images_in_command("create deployment d --image nginx:1.27") == ["nginx:1.27"]


@pytest.mark.parametrize(
    "header, words",
    [
        pytest.param("", "does not say which lab format", id="no-version"),
        pytest.param(
            "apiVersion: kubelab.dev/v9\nkind: Lab\n",
            "'kubelab.dev/v9' is not a lab format",
            id="newer",
        ),
        pytest.param("apiVersion: kubelab.dev/v1\nkind: Quiz\n", "kind must be 'Lab'", id="kind"),
    ],
)
def test_the_lab_format_version_is_required_and_checked(tmp_path, header, words):
    text = header + LAB.split("kind: Lab\n", 1)[1]
    [problem] = lint_lab(write(tmp_path, lab=text), images=known)
    assert words in problem.message and "apiVersion" in problem.message


def test_the_shipped_json_schema_is_the_models_schema():
    shipped = json.loads((Path(checker.__file__).parent / "lab.schema.json").read_text())
    assert shipped == json.loads(json.dumps(checker.lab_json_schema())), (
        "checker/lab.schema.json is stale: regenerate it from checker.lab_json_schema()"
    )


def test_every_course_lab_validates_against_the_json_schema():
    schema = json.loads((Path(checker.__file__).parent / "lab.schema.json").read_text())
    labs = sorted((ROOT / "labs").glob("*/lab.yaml"))
    assert labs
    # one validator for every lab: `jsonschema.validate` checks the schema itself each time
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    for lab in labs:
        # libyaml's parser where PyYAML has it: 215 KB of lab files, 0.7 s in pure Python
        validator.validate(
            yaml.load(lab.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        )


def test_the_course_lints_clean_with_the_simulators_own_catalog():
    assert messages(lint_labs(ROOT / "labs", images=simulator_images)) == []


def test_the_simulator_answers_which_images_it_runs():
    answers = simulator_images(["kubelab/inference:2.4.0", "kubelab/inference:9.9.9"])
    assert answers["kubelab/inference:2.4.0"] is None
    assert "not found" in (answers["kubelab/inference:9.9.9"] or "")
    unknown = simulator_images(["nobody/has-this:1"])["nobody/has-this:1"] or ""
    assert unknown.startswith('kubesim has no stand-in for image "docker.io/nobody/has-this:1"')
    assert "kubesim/images.yaml" in unknown


def test_kubelab_lint_exits_non_zero_with_file_and_line(tmp_path):
    write(tmp_path, pod=POD.replace("IMAGE", "kubelab/inference:0.0.0"))
    done = subprocess.run(
        [str(KUBELAB), "lint", "--labs-dir", str(tmp_path / "labs")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "42-demo/solution/pod.yaml:1: image kubelab/inference:0.0.0" in done.stdout
    assert "Traceback" not in done.stderr


def test_kubelab_lint_of_an_unknown_lab_is_one_paragraph(tmp_path):
    write(tmp_path)
    done = subprocess.run(
        [str(KUBELAB), "lint", "99-nope", "--labs-dir", str(tmp_path / "labs")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "There is no lab '99-nope'" in done.stderr and "42-demo" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_labs_images_are_asked_at_once_and_each_problem_names_its_own_lab(tmp_path):
    """One question for the whole course (each is a `python -m kubesim`, about a second)."""
    for lab_id, image in (("42-demo", "bad/one:1"), ("43-demo", "bad/two:1")):
        folder = tmp_path / "labs" / lab_id
        (folder / "solution").mkdir(parents=True)
        (folder / "lab.yaml").write_text(LAB.replace("42-demo", lab_id))
        (folder / "solution" / "pod.yaml").write_text(POD.replace("IMAGE", image))
    asked: list[list[str]] = []

    def counted(images):
        asked.append(list(images))
        return known(images)

    found = messages(lint_labs(tmp_path / "labs", images=counted))
    assert asked == [["bad/one:1", "bad/two:1"]]
    assert [line.split(":", 1)[0].rsplit("/", 3)[-3] for line in found] == ["42-demo", "43-demo"]
    assert "image bad/one:1 cannot run" in found[0] and "image bad/two:1" in found[1]

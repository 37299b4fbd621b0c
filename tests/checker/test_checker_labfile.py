"""lab.yaml: the schema, discovery, and errors that name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from checker_fakeapi import LABS

from checker import LabDataError, discover_labs, load_lab, parse_duration

GOOD = """\
id: 03-demo
title: Demo
minutes: 5
exercises:
  - id: one
    title: One
    task: Do it.
    points: 3
    checks:
      - name: c
        message: m
        expect: {apiVersion: v1, kind: Pod}
apiVersion: kubelab.dev/v1
kind: Lab
"""


def write_lab(tmp_path: Path, text: str, folder: str = "03-demo") -> Path:
    path = tmp_path / folder / "lab.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_discover_orders_labs_by_id_and_skips_underscore_folders():
    labs = discover_labs(LABS)
    assert list(labs) == ["01-deploy", "02-scale"]
    lab = labs["01-deploy"]
    assert lab.points == 15 and lab.namespace == "lab" and lab.folder == LABS / "01-deploy"
    assert [c.within for c in lab.exercises[0].checks] == [2.0, 0.0]
    assert lab.faults["crashloop"].steps[0].apply == "faults/crashloop.yaml"  # type: ignore[union-attr]


def test_steps_of_every_shape_are_modelled():
    steps = discover_labs(LABS)["02-scale"].exercises[0].solution
    assert [type(s).__name__ for s in steps] == ["ManifestStep", "WaitStep", "DeleteStep"]


def test_defaults_apply_when_fields_are_omitted(tmp_path: Path):
    lab = load_lab(write_lab(tmp_path, GOOD))
    check = lab.exercises[0].checks[0]
    assert (lab.namespace, check.within, check.kind, lab.exercises[0].hints) == (
        "lab",
        5.0,
        "expect",
        [],
    )


def test_a_lab_is_parsed_once_per_text_and_again_once_its_file_changes(tmp_path: Path):
    """A kernel loads every lab for each exercise it shows: the same text is the same Lab,
    an edited file is read anew, and a broken file fails every time it is loaded."""
    path = write_lab(tmp_path, GOOD)
    first = load_lab(path)
    assert load_lab(path) is first
    path.write_text(GOOD.replace("title: Demo", "title: Edited"))
    assert load_lab(path).title == "Edited"
    path.write_text(GOOD.replace("minutes: 5", "minutes: [5]"))
    for _ in range(2):
        with pytest.raises(LabDataError, match="minutes"):
            load_lab(path)
    path.write_text(GOOD)
    assert load_lab(path) is first


@pytest.mark.parametrize(
    "text, value",
    [("30s", 30), ("2m", 120), ("1m30s", 90), ("1h", 3600), (7, 7), ("0.5s", 0.5), (0, 0)],
)
def test_durations_parse_to_seconds(text, value):
    assert parse_duration(text) == value


@pytest.mark.parametrize(
    "old, new, line, field, words",
    [
        pytest.param(
            "points: 3", "points: many", 8, "exercises[0].points", "valid integer", id="bad-type"
        ),
        pytest.param(
            "    task: Do it.\n", "", 5, "exercises[0].task", "Field required", id="missing-field"
        ),
        pytest.param(
            "message: m",
            "message: m\n        whithin: 3s",
            12,
            "exercises[0].checks[0].whithin",
            "Extra inputs",
            id="typo-key",
        ),
        pytest.param(
            "message: m",
            "message: m\n        within: soon",
            12,
            "exercises[0].checks[0].within",
            "'soon' is not a duration",
            id="bad-duration",
        ),
        pytest.param(
            "expect: {apiVersion: v1, kind: Pod}",
            "expect: {kind: Pod}",
            12,
            "exercises[0].checks[0].expect",
            "must name the object's apiVersion",
            id="expect-without-apiVersion",
        ),
        pytest.param(
            "expect: {apiVersion: v1, kind: Pod}",
            "message2: x",
            12,
            "exercises[0].checks[0].message2",
            "Extra inputs",
            id="extra-and-no-expectation",
        ),
        pytest.param(
            "expect: {apiVersion: v1, kind: Pod}",
            "expect: {apiVersion: v1, kind: Pod}\n        http: {service: s, port: 80}",
            10,
            "exercises[0].checks[0]",
            "exactly one of expect, absent, http, context, log or order",
            id="two-kinds",
        ),
        pytest.param(
            "expect: {apiVersion: v1, kind: Pod}",
            "expect: {apiVersion: v1, kind: Pod, '(length(x)': 1}",
            10,
            "exercises[0].checks[0]",
            "not a valid JMESPath expression",
            id="bad-jmespath",
        ),
        pytest.param(
            "exercises:",
            "setup:\n  - {frobnicate: x}\nexercises:",
            5,
            "setup[0]",
            "a step is exactly one of apply, manifest, kubectl, delete, wait, node, controlPlane, pause or snapshot",
            id="unknown-step",
        ),
        pytest.param(
            "id: 03-demo", "id: 04-other", 1, "id", "must equal its folder name", id="id-vs-folder"
        ),
        pytest.param("minutes: 5", "minutes: [5", 4, "", "not valid YAML", id="yaml-syntax"),
        pytest.param(
            "    points: 3\n",
            "    points: 3\n    points: 4\n",
            9,
            "exercises[0].points",
            "already set above in the same map",
            id="duplicate-key",
        ),
        pytest.param(
            "expect: {apiVersion: v1, kind: Pod}",
            "expect: {apiVersion: v1, kind: Pod, kind: Service}",
            12,
            "exercises[0].checks[0].expect.kind",
            "already set above in the same map",
            id="duplicate-key-in-an-expectation",
        ),
    ],
)
def test_malformed_lab_names_file_line_and_field(tmp_path, old, new, line, field, words):
    path = write_lab(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(LabDataError) as err:
        load_lab(path)
    assert (err.value.line, err.value.field) == (line, field), str(err.value)
    assert words in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_duplicate_exercise_ids_are_refused(tmp_path: Path):
    exercise = GOOD.split("exercises:\n", 1)[1].split("\napiVersion: kubelab", 1)[0] + "\n"
    text = GOOD.replace("exercises:\n", "exercises:\n" + exercise, 1)
    with pytest.raises(LabDataError, match="exercise ids must be unique: one"):
        load_lab(write_lab(tmp_path, text))


def test_a_lab_folder_with_bad_data_fails_discovery_loudly(tmp_path: Path):
    write_lab(tmp_path, GOOD.replace("minutes: 5", "minutes: 0"))
    with pytest.raises(
        LabDataError, match=r"03-demo/lab.yaml:3: minutes: Input should be greater than 0"
    ):
        discover_labs(tmp_path)


def test_node_steps_and_context_checks_are_modelled(tmp_path: Path):
    text = GOOD.replace(
        "exercises:", "setup:\n  - node: {name: kubelab-worker2, action: stop}\nexercises:"
    ).replace("expect: {apiVersion: v1, kind: Pod}", "context: {namespace: lab}")
    lab = load_lab(write_lab(tmp_path, text))
    assert lab.setup[0].node.action == "stop"  # type: ignore[union-attr]
    assert lab.exercises[0].checks[0].kind == "context"


def test_every_lab_of_the_course_loads():
    """The repository's own labs/ must always pass the schema (ids, steps, checks, JMESPath)."""
    root = Path(__file__).resolve().parents[2] / "labs"
    labs = discover_labs(root)
    assert all(lab.exercises and lab.points > 0 for lab in labs.values())

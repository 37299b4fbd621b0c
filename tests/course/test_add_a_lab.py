"""A lab added as data alone (lab.yaml, a manifest, a notebook source) is found everywhere.

docs/lab-format.md's "Add a lab" walkthrough, run in a temporary copy of the course: no
Python is edited, and the lab is discovered, linted clean, built into a notebook and shown
by `kubelab task`. (The cluster half, reset/grade/walk, runs for every lab in labs/ in
tests/course_e2e, which discovers labs the same way.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import checker
from kubelab._cmd_lint import simulator_images
from kubelab._lint import lint_labs

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

LAB = """\
apiVersion: kubelab.dev/v1
kind: Lab
id: 99-throwaway
title: A throwaway lab
minutes: 5
namespace: lab-99
setup:
  - manifest:
      apiVersion: v1
      kind: Namespace
      metadata: {name: lab-99, labels: {app.kubernetes.io/part-of: kubelab}}
  - kubectl: config set-context --current --namespace lab-99
exercises:
  - id: settings
    title: Keep the model's settings in a ConfigMap
    task: Create a ConfigMap `model-settings` holding the key `threshold` set to 0.5.
    points: 5
    hints: ["`kubectl create configmap --help`"]
    checks:
      - name: configmap
        message: The ConfigMap model-settings holds threshold 0.5.
        expect:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: model-settings}
          data: {threshold: "0.5"}
    solution:
      - apply: solution/configmap.yaml
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: model-settings
data:
  threshold: "0.5"
"""

NOTEBOOK = """\
<!-- cell: markdown -->
# 99 A throwaway lab
<!-- cell: code tags=solution -->
!kubectl apply -f ../labs/99-throwaway/solution/configmap.yaml
"""


def test_a_lab_added_as_data_is_discovered_linted_built_and_shown(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "labs", course / "labs")
    shutil.copytree(ROOT / "manifests", course / "manifests")  # labs apply ../../manifests
    shutil.copytree(ROOT / "notebooks" / "src", course / "notebooks" / "src")
    shutil.copy(ROOT / "notebooks" / "build.py", course / "notebooks" / "build.py")
    lab = course / "labs" / "99-throwaway"
    (lab / "solution").mkdir(parents=True)
    (lab / "lab.yaml").write_text(LAB)
    (lab / "solution" / "configmap.yaml").write_text(CONFIGMAP)
    (course / "notebooks" / "src" / "99-throwaway.md").write_text(NOTEBOOK)

    assert "99-throwaway" in checker.discover_labs(course / "labs")
    assert [str(p) for p in lint_labs(course / "labs", images=simulator_images)] == []

    built = subprocess.run(
        [sys.executable, str(course / "notebooks" / "build.py")], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert (course / "notebooks" / "99-throwaway.ipynb").is_file()

    shown = subprocess.run(
        [str(BIN / "kubelab"), "task", "99-throwaway", "--labs-dir", str(course / "labs")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Keep the model's settings in a ConfigMap" in shown.stdout


def test_a_lab_without_its_notebook_source_is_a_lint_problem(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "labs", course / "labs")
    shutil.copytree(ROOT / "manifests", course / "manifests")  # labs apply ../../manifests
    (course / "notebooks" / "src").mkdir(parents=True)
    lab = course / "labs" / "99-throwaway"
    (lab / "solution").mkdir(parents=True)
    (lab / "lab.yaml").write_text(LAB)
    (lab / "solution" / "configmap.yaml").write_text(CONFIGMAP)
    problems = [
        str(p) for p in lint_labs(course / "labs", images=simulator_images, only="99-throwaway")
    ]
    assert any("no notebook source" in p and "99-throwaway.md" in p for p in problems), problems

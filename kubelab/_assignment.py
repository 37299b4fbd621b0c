"""Assignments: the learner edition of the course (`kubelab assignment build`).

    kubelab assignment build [--labs 01-deploy,02-expose] [--backend kind|sim] OUT
    kubelab assignment replay [ROOT]          (`_replay`: in the student's repository, in CI)
    kubelab assignment points GRADE.json      (`_replay`: the points GitHub Classroom reads)

The learner edition is built from the lab data alone, so it follows the labs as they change:
notebooks without the cells tagged `solution`, lab.yaml without the exercises' `solution:`
steps, no `solution/` folders (a file a lab's *setup* or a fault needs is kept, under
`given/`), the kubelab, checker and kubesim packages the grading needs, a README for
students and `.github/workflows/classroom.yml`.

The student's work is what they ran, kept in the repository (docs/instructors.md):

    work/<lab>/commands.txt    one command a line, as typed: `kubectl ...` or
                               `kubelab break|reset|check ...`; `#` starts a comment
    work/<lab>/*.yaml          the manifests those commands apply (`kubectl apply -f x.yaml`)

`kubelab assignment replay` (`_replay`) resets each lab and runs those lines.
"""

from __future__ import annotations

import json
import posixpath
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kubelab._backend_kind import KIND_SHA256_LINUX_AMD64, KIND_VERSION
from kubelab._errors import UsageError

MANIFEST = "kubelab-assignment.yaml"
COMMANDS = "commands.txt"
GIVEN = "given"
# what the grading needs from the course, copied as they are (caches left out)
COPIED = (
    "pyproject.toml",
    "bootstrap.py",
    "kubelab",
    "checker",
    "kubesim",
    "inference",
    "manifests",
)
BACKENDS = ("kind", "sim")


# --- pure: the learner edition --------------------------------------------------------


def strip_solution_cells(notebook: dict[str, Any], *, lab_id: str) -> dict[str, Any]:
    """The notebook without `solution`-tagged cells, and a cell saying where work is kept."""
    cells = [
        cell
        for cell in notebook.get("cells") or []
        if "solution" not in ((cell.get("metadata") or {}).get("tags") or [])
    ]
    keep = {
        "cell_type": "markdown",
        "id": f"keep-your-work-{lab_id}"[:64],
        "metadata": {"tags": ["assignment"]},
        "source": (
            "**Assignment: keep your work.** Every command you run for this lab, write it also "
            f"as one line of `work/{lab_id}/{COMMANDS}` (without the `!`), and save the YAML "
            f"files you apply in `work/{lab_id}/`. Commit and push: the grader resets the lab, "
            "runs your lines in that folder in order, and runs `kubelab grade`. "
            "`kubelab solve` does not count."
        ),
    }
    return {**notebook, "cells": [*cells[:1], keep, *cells[1:]]}


def is_solution_path(rel: str) -> bool:
    """A path into this lab's `solution/` or another lab's (`../01-deploy/solution/...`:
    labs 02-05 start from lab 01's finished Deployment)."""
    return "solution" in PurePosixPath(rel).parts


def given_path(rel: str) -> str:
    """Where the learner edition keeps a solution file a setup needs: `given/<file>` for
    the lab's own, `given/<other lab>/<file>` for another lab's (no name can collide)."""
    parts = PurePosixPath(rel).parts
    at = parts.index("solution")
    owner = [parts[at - 1]] if at > 0 and parts[at - 1] not in ("..", ".") else []
    return str(PurePosixPath(GIVEN, *owner, *parts[at + 1 :]))


GIVEN_ANNOTATION = "kubelab.dev/given"


def mark_given(text: str, source: str) -> str:
    """A given file with every object annotated `kubelab.dev/given: <source>`.

    The learner edition must ship lab 01's Deployment and lab 02's Service because later
    labs' setups start from them; the annotation lets the exercises that ask a learner to
    write those objects tell the course's copy from the learner's own (their guard checks
    refuse an object that carries it), so applying the given file earns nothing."""
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    for doc in docs:
        metadata = doc.setdefault("metadata", {})
        metadata.setdefault("annotations", {})[GIVEN_ANNOTATION] = source
    head = (
        f"# Given by the course for a lab's setup (from {source}).\n"
        f"# Its objects carry the annotation {GIVEN_ANNOTATION}, so an exercise that asks\n"
        "# you to write them does not count this copy.\n"
    )
    return head + yaml.dump_all(docs, Dumper=_BlockDumper, sort_keys=False, width=100)


def learner_lab(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """lab.yaml without the exercises' solution steps, and the `solution/` files that the
    lab's setup, an exercise's setup or a fault still need (moved to `given/`)."""
    lab = dict(data)
    needed: list[str] = []

    def rewrite(steps: list[Any] | None) -> list[Any]:
        out = []
        for step in steps or []:
            if isinstance(step, dict) and "apply" in step and is_solution_path(str(step["apply"])):
                needed.append(str(step["apply"]))
                step = {**step, "apply": given_path(str(step["apply"]))}
            out.append(step)
        return out

    if "setup" in lab:
        lab["setup"] = rewrite(lab["setup"])
    lab["exercises"] = [
        {
            **{key: value for key, value in exercise.items() if key != "solution"},
            **({"setup": rewrite(exercise["setup"])} if "setup" in exercise else {}),
        }
        for exercise in lab.get("exercises") or []
    ]
    if lab.get("faults"):
        lab["faults"] = {
            name: {**fault, "steps": rewrite(fault.get("steps"))}
            for name, fault in lab["faults"].items()
        }
    return lab, list(dict.fromkeys(needed))


def commands_template(lab_id: str, title: str) -> str:
    return (
        f"# Lab {lab_id}: {title}\n"
        "# One command a line, as you ran it (without the notebook's `!`), in order.\n"
        "# The grader first runs `kubelab reset` for this lab, then each line in this folder:\n"
        "# `kubectl apply -f deployment.yaml` applies work/" + lab_id + "/deployment.yaml.\n"
        "# Allowed: kubectl ..., kubelab break|reset|check ...; no pipes, no shell.\n"
    )


def student_readme(labs: Sequence[tuple[str, str]], *, backend: str) -> str:
    listing = "\n".join(f"* `{lab_id}`: {title}" for lab_id, title in labs)
    where = (
        "a kind cluster (Kubernetes 1.37 in Docker)"
        if backend == "kind"
        else "kubesim, the course's simulated Kubernetes 1.37 cluster"
    )
    return f"""# Kubernetes assignment

Your labs:

{listing}

## Work on it

    python3 bootstrap.py up        # a venv, the lab cluster, and JupyterLab on the notebooks

or by hand: `python3 -m venv .venv && .venv/bin/pip install -e .`, then `.venv/bin/kubelab up`
and `.venv/bin/kubelab course`. Each notebook checks your work as you go ("Check my work"),
and `kubelab check LAB` grades one lab from a terminal.

## Hand it in

The grader does not see your cluster; it sees your repository. For every lab, keep what you
did in `work/<lab>/`:

* `work/<lab>/commands.txt`: every command you ran, one a line, in order, as you typed it
  (without the notebook's `!`): `kubectl apply -f deployment.yaml`, `kubectl scale ...`,
  `kubelab break crashloop`. Lines starting with `#` are comments.
* the YAML files those commands apply, next to it (`work/<lab>/deployment.yaml`).

Commit and push. On every push, GitHub Actions (`.github/workflows/classroom.yml`) brings up
{where}, runs `kubelab reset <lab>` for each lab, replays your lines in `work/<lab>/`
(`kubelab assignment replay`), and grades with `kubelab grade`. Your points appear in the
run's summary and in GitHub Classroom. Try it yourself before pushing:

    kubelab up && kubelab assignment replay && kubelab grade

Commands the replay refuses: `kubelab solve` (it applies the reference solution), shell
syntax (pipes, `&&`, redirections), commands that never end (`-w`, `--follow`,
`port-forward`, `proxy`, `edit`) or wait for a keyboard (`exec -it`), and flags that point
kubectl elsewhere (`--kubeconfig`, `--context`, `--server`).
"""


def classroom_workflow(*, backend: str) -> str:
    """The GitHub Classroom grading workflow of a learner edition."""
    install_kind = ""
    if backend == "kind":
        install_kind = f"""      - name: Install kind {KIND_VERSION} (pinned by checksum)
        run: |
          curl -fsSLo kind https://github.com/kubernetes-sigs/kind/releases/download/{KIND_VERSION}/kind-linux-amd64
          echo "{KIND_SHA256_LINUX_AMD64}  kind" | sha256sum --check
          sudo install -m 0755 kind /usr/local/bin/kind
"""
    return f"""# GitHub Classroom grading (written by `kubelab assignment build`): on every push, bring
# up the lab cluster ({backend}), replay the work committed under work/, grade it, and report
# the points in the format Classroom's autograding reads.
name: Autograding Tests
"on":
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    name: Autograding Tests
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 60
    steps:
      - name: Check out the student's work
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
{install_kind}      - name: Install kubelab
        run: python3 -m venv .venv && .venv/bin/pip install --quiet -e .
      - name: Bring up the lab cluster
        run: .venv/bin/kubelab up --backend {backend}
      - name: Replay the work under work/
        run: .venv/bin/kubelab assignment replay
      - name: Grade
        id: kubelab
        run: |
          .venv/bin/kubelab grade --json kubelab-grade.json --junit kubelab-grade.xml || true
          .venv/bin/kubelab assignment points kubelab-grade.json --out autograding.json
      - name: Report the points to GitHub Classroom
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          KUBELAB_RESULTS: "${{{{ steps.kubelab.outputs.result }}}}"
        with:
          runners: kubelab
      - name: Keep the reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: kubelab-grade
          path: |
            kubelab-grade.json
            kubelab-grade.xml
            autograding.json
"""


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (task texts) stay block literals, as the lab author wrote them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


# --- the edge -------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    out: Path
    labs: tuple[str, ...]
    notebooks: tuple[str, ...]
    dropped: tuple[str, ...]  # solution files left out, relative to the repo


def build(out: Path, *, repo: Path, labs_root: Path, lab_ids: Sequence[str], backend: str) -> Built:
    """Write the learner edition of the given labs to `out` (which must not hold files)."""
    if backend not in BACKENDS:
        raise UsageError(f"--backend is kind or sim, not {backend!r}.")
    if out.exists() and any(out.iterdir()):
        raise UsageError(
            f"{out} already holds files; `kubelab assignment build` writes a fresh folder. "
            "Pick a new path or empty that one."
        )
    out.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
    for name in COPIED:
        source = repo / name
        if source.is_dir():
            shutil.copytree(source, out / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, out / name)
    titles: list[tuple[str, str]] = []
    notebooks: list[str] = []
    dropped: list[str] = []
    for lab_id in lab_ids:
        folder = labs_root / lab_id
        data = yaml.safe_load((folder / "lab.yaml").read_text())
        lab, needed = learner_lab(data)
        target = out / "labs" / lab_id
        shutil.copytree(
            folder, target, ignore=shutil.ignore_patterns("solution", "__pycache__", "lab.yaml")
        )
        for rel in needed:
            given = target / given_path(rel)
            given.parent.mkdir(parents=True, exist_ok=True)
            shown = posixpath.normpath(f"labs/{lab_id}/{rel}")  # labs/01-deploy/solution/...
            given.write_text(mark_given((folder / rel).read_text(), shown))
        dropped += [
            str(p.relative_to(repo))
            for p in sorted((folder / "solution").rglob("*"))
            if p.is_file()
        ]
        (target / "lab.yaml").write_text(
            f"# The learner edition of {lab_id} (`kubelab assignment build`): no solutions.\n"
            + yaml.dump(lab, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
        )
        titles.append((lab_id, str(data.get("title", ""))))
        work = out / "work" / lab_id
        work.mkdir(parents=True, exist_ok=True)
        (work / COMMANDS).write_text(commands_template(lab_id, str(data.get("title", ""))))
        notebook = repo / "notebooks" / f"{lab_id}.ipynb"
        if notebook.is_file():
            learner = strip_solution_cells(json.loads(notebook.read_text()), lab_id=lab_id)
            (out / "notebooks").mkdir(exist_ok=True)
            (out / "notebooks" / notebook.name).write_text(json.dumps(learner, indent=1) + "\n")
            notebooks.append(notebook.name)
    landing = repo / "notebooks" / "course.ipynb"  # lists the labs found in labs/: no answers
    if notebooks and landing.is_file():
        shutil.copy2(landing, out / "notebooks" / landing.name)
        notebooks.insert(0, landing.name)
    (out / "README.md").write_text(student_readme(titles, backend=backend))
    (out / ".gitignore").write_text(
        ".venv/\n.kubelab/\n__pycache__/\nkubelab-grade.json\nkubelab-grade.xml\nautograding.json\n"
    )
    (out / MANIFEST).write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kubelab.dev/v1",
                "kind": "Assignment",
                "labs": list(lab_ids),
                "backend": backend,
            },
            sort_keys=False,
        )
    )
    workflows = out / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "classroom.yml").write_text(classroom_workflow(backend=backend))
    return Built(out, tuple(lab_ids), tuple(notebooks), tuple(dropped))

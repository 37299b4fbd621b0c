"""`kubelab lint`: what a lab author would otherwise learn on a cluster, found offline.

A lab is data (DESIGN.md), so adding one needs no Python; this is the proof-reader that
makes that safe. On top of the lab format itself (the models, with file, line and field),
it checks what a schema cannot say: every `apply:` path exists; every manifest a lab
applies (inline, in a file, in a fault) is a valid Kubernetes 1.37 object (the schema that
kubernetes-validate ships); every exercise has hints and a reference solution; a notebook
source exists beside the labs; and every image the lab's setup and solutions run is one
the simulator can run (asked of `python -m kubesim images`, so kubelab learns the catalog
without importing it). Faults and exercises' starting states are exempt from the image
rule: a pull that fails can be the very thing a learner is to fix (lab 06's bad image).

Pure apart from reading files: `lint_labs` takes the image question as a function, so tests
and the CLI decide how it is answered.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

import checker

KUBERNETES_VERSION = "1.37"
# kubernetes-validate reads and parses a kind's schema and the shared definitions (1.5 MB of
# JSON) from its package for every object it validates: 2.9 of `kubelab lint`'s 5.9 s of CPU
# for the course's 111 objects. The files never change while a process runs, and jsonschema
# only reads a schema, so each is parsed once (the library looks the function up at each call).
kubernetes_validate.utils.schema_contents = functools.cache(  # type: ignore[method-assign]
    kubernetes_validate.utils.schema_contents
)
# image reference -> None when the simulator runs it, else its runtime's message
ImageQuestion = Callable[[Sequence[str]], dict[str, str | None]]


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class _Manifest:
    """One object a lab would apply, with where it is written."""

    obj: dict[str, Any]
    file: Path
    line: int | None


# libyaml's parser when PyYAML has it: the same nodes and marks, ten times quicker
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# where each image a lab runs is first written
_Where = dict[str, tuple[Path, int | None]]


def lint_labs(labs_root: Path, *, images: ImageQuestion, only: str | None = None) -> list[Problem]:
    """Every problem in every lab folder under `labs_root` (or the one named `only`), lab by
    lab and each in file order; [] when they are fit to ship.

    The simulator is asked about every lab's images at once: each question starts a
    `python -m kubesim`, about a second, which once per lab was most of a lint."""
    folders = sorted(
        p
        for p in labs_root.iterdir()
        if (p / "lab.yaml").is_file() and not p.name.startswith(("_", "."))
    )
    if only is not None:
        folders = [p for p in folders if p.name == only]
    linted = [_lint_without_images(folder / "lab.yaml") for folder in folders]
    everywhere: _Where = {}
    for _, where in linted:
        everywhere.update(where)
    answers = _answers(everywhere, images)
    return [
        problem
        for problems, where in linted
        for problem in _in_order(problems + _images(where, answers))
    ]


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (str(p.file), p.line or 0))


def _lint_without_images(lab_file: Path) -> tuple[list[Problem], _Where]:
    """One lab's problems but the images', and where each image it runs is written."""
    try:
        lab = checker.load_lab(lab_file)
    except checker.LabDataError as exc:
        field = f"{exc.field}: " if exc.field else ""
        return [Problem(lab_file, exc.line, field + exc.detail)], {}
    root = yaml.compose(lab_file.read_text(encoding="utf-8"), Loader=_LOADER)
    problems: list[Problem] = []
    manifests: list[_Manifest] = []
    commands: list[tuple[str, int | None]] = []
    for loc, step in _steps(lab):
        line = _line(root, loc)
        found: list[_Manifest] = []
        if "apply" in step:
            found, more = _apply_files(lab_file.parent, str(step["apply"]), line, lab_file)
            problems += more
        elif "manifest" in step:
            found = [_Manifest(step["manifest"], lab_file, line)]
        for m in found:
            problems += _validate(m)
        if loc[0] == "faults" or loc[-2] == "setup" and loc[0] == "exercises":
            continue  # a fault, or an exercise's broken start, may name a missing image on purpose
        manifests += found
        if "kubectl" in step:
            commands.append((str(step["kubectl"]), line))
    for index, exercise in enumerate(lab.exercises):
        line = _line(root, ("exercises", index))
        if not exercise.hints:
            problems.append(
                Problem(
                    lab_file,
                    line,
                    f"exercise {exercise.id!r} has no hints: a learner who is stuck gets nothing",
                )
            )
        if not exercise.solution:
            problems.append(
                Problem(
                    lab_file,
                    line,
                    f"exercise {exercise.id!r} has no solution steps: `kubelab solve` and the "
                    "course tests (fail before, pass after) need one",
                )
            )
    problems += _notebook_source(lab_file, lab.id)
    return problems, _image_places(manifests, commands, lab_file)


# -- the parts ---------------------------------------------------------------------------------


def _steps(lab: checker.Lab) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every step of the lab, as plain data, with its location in the file."""
    for i, step in enumerate(lab.setup):
        yield ("setup", i), _plain(step)
    for name, fault in lab.faults.items():
        for i, step in enumerate(fault.steps):
            yield ("faults", name, "steps", i), _plain(step)
    for e, exercise in enumerate(lab.exercises):
        for key in ("setup", "solution"):
            for i, step in enumerate(getattr(exercise, key)):
                yield ("exercises", e, key, i), _plain(step)


def _plain(step: Any) -> dict[str, Any]:
    data: dict[str, Any] = step.model_dump(by_alias=True)
    return data


def _line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def _apply_files(
    folder: Path, rel: str, line: int | None, lab_file: Path
) -> tuple[list[_Manifest], list[Problem]]:
    target = folder / rel
    if not target.exists():
        return [], [
            Problem(lab_file, line, f"apply: {rel} does not exist (paths are relative to {folder})")
        ]
    files = sorted(target.rglob("*.y*ml")) if target.is_dir() else [target]
    found: list[_Manifest] = []
    problems: list[Problem] = []
    for file in files:
        try:
            docs = list(yaml.compose_all(file.read_text(encoding="utf-8"), Loader=_LOADER))
            objs = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_LOADER))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(
                Problem(file, mark.line + 1 if mark else None, f"not valid YAML: {exc}")
            )
            continue
        for node, obj in zip(docs, objs, strict=True):
            if obj is None:
                continue
            if not isinstance(obj, dict):
                problems.append(
                    Problem(file, node.start_mark.line + 1, "a manifest must be an object (a map)")
                )
                continue
            found.append(_Manifest(obj, file, node.start_mark.line + 1))
    return found, problems


def _validate(m: _Manifest) -> list[Problem]:
    try:
        kubernetes_validate.validate(m.obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path) or "(the object)"
        what = f"{m.obj.get('kind', '?')} {(m.obj.get('metadata') or {}).get('name', '?')}"
        return [
            Problem(
                m.file,
                m.line,
                f"{what} is not valid for Kubernetes {KUBERNETES_VERSION}: {path}: {exc.message}",
            )
        ]
    except kubernetes_validate.SchemaNotFoundError:
        kind = f"{m.obj.get('apiVersion')}/{m.obj.get('kind')}"
        return [
            Problem(m.file, m.line, f"{kind} is not a kind Kubernetes {KUBERNETES_VERSION} serves")
        ]
    except kubernetes_validate.InvalidSchemaError as exc:
        return [Problem(m.file, m.line, f"cannot validate: {exc}")]
    return []


def _notebook_source(lab_file: Path, lab_id: str) -> list[Problem]:
    sources = lab_file.parent.parent.parent / "notebooks" / "src"
    if sources.is_dir() and not (sources / f"{lab_id}.md").is_file():
        return [
            Problem(
                lab_file,
                1,
                f"no notebook source {sources / (lab_id + '.md')}: every lab has one (notebooks/build.py makes the .ipynb)",
            )
        ]
    return []


def images_in(obj: Any) -> Iterator[str]:
    """Every `image:` in an object's pod templates and containers, at any depth."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from images_in(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from images_in(item)


def images_in_command(command: str) -> list[str]:
    """The `--image` of a `kubectl run/create ... --image=X` step."""
    try:
        words = shlex.split(command)
    except ValueError:
        return []
    found = []
    for i, word in enumerate(words):
        if word.startswith("--image="):
            found.append(word.split("=", 1)[1])
        elif word == "--image" and i + 1 < len(words):
            found.append(words[i + 1])
    return found


def _image_places(
    manifests: list[_Manifest], commands: list[tuple[str, int | None]], lab_file: Path
) -> _Where:
    where: _Where = {}
    for m in manifests:
        for image in images_in(m.obj):
            where.setdefault(image, (m.file, m.line))
    for command, line in commands:
        for image in images_in_command(command):
            where.setdefault(image, (lab_file, line))
    return where


def _answers(where: _Where, ask: ImageQuestion) -> dict[str, str | None]:
    return ask(sorted(where)) if where else {}


def _images(where: _Where, answers: dict[str, str | None]) -> list[Problem]:
    return [
        Problem(
            *where[image], f"image {image} cannot run on kubesim, so the lab cannot either: {why}"
        )
        for image in sorted(where)
        if (why := answers.get(image))
    ]
